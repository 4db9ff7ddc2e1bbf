"""The dashboard in Chromium on the demo data: sign in with a key, read the curve
and its pain point, filter, download every export and parse it back, and a
hostile comment shown as text. Saves test-artifacts/dashboard.png."""

import csv
import io
import json
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest

from collector.demo.seed import ensure_demo_site, fresh_demo_key, seed_responses
from collector.exports import FORMATS
from collector.extensions import db
from collector.tenancy.sites import site_cache
from tests.browser.helpers import ARTIFACTS
from tests.helpers import SiteInfo, answer

pytestmark = pytest.mark.browser

HOSTILE = "<script>alert(1)</script> the pay button did nothing"


@pytest.fixture
def demo(app, collector, send):
    """The demo shop with 800 answers, an admin key, and one hostile comment sent like the widget does."""
    with app.app_context():
        site, _ = ensure_demo_site(db.session, [collector.url])
        seed_responses(db.session, site, 800)
        secret = fresh_demo_key(db.session, site)
        info = SiteInfo(site.id, site.public_key, secret, collector.url)
        site_cache.clear()
    sent = send(answer(info, step="payment", kind="comment", score=None, comment=HOSTILE, visitor_id="v-xss"), info)
    assert sent.status_code == 201, sent.get_json()
    return info


def kpi_responses(page) -> dict[str, str]:
    """The Responses column of the KPI table, by step key."""
    return {
        row.get_attribute("data-step"): row.locator("td.responses").inner_text()
        for row in page.locator("table.kpis tbody tr[data-step]").all()
    }


def parse(name: str, data: bytes) -> int:
    """Parse a downloaded export with a real parser; the number of records/parts it holds."""
    if name in ("csv", "journey-table", "metrics", "drawio"):
        text = data.decode("utf-8-sig")
        if name == "drawio":  # '#' configuration lines, then the CSV
            assert "# label:" in text and "# connect:" in text
            text = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
        rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) >= 2, (name, rows[:3])
        return len(rows) - 1
    if name in ("xlsx", "journey-table-xlsx"):
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        counted = sum(1 for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) if any(row))
        assert counted >= 2, name
        return counted
    if name == "json":
        document = json.loads(data)
        assert document["steps"], document
        return len(document["steps"])
    if name == "svg":
        root = ElementTree.fromstring(data)
        assert root.tag.endswith("svg")
        return len(list(root.iter()))
    if name == "lucid":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            document = json.loads(archive.read("document.json"))
        assert document
        return len(archive.namelist())
    raise AssertionError(f"no parser for {name}")


def test_dashboard_on_demo_data(page, collector, demo):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # Sign in through the form.
    page.goto(collector.url + "/dashboard/")
    page.wait_for_url("**/dashboard/sign-in")
    page.fill("input[name=key]", demo.secret)
    page.click("button[type=submit]")
    page.wait_for_url(collector.url + "/dashboard/")

    # The curve, one point per step, and the pain point at payment.
    curve = page.locator("svg.curve[aria-labelledby=curve-title]")
    assert curve.is_visible()
    assert curve.locator("circle.point").count() == 4
    assert curve.locator("path.flag").first.is_visible()
    payment = page.locator('table.kpis tr[data-step="payment"]')
    assert payment.locator(".flag-label", has_text="pain point").is_visible()
    flagged = [
        row.get_attribute("data-step")
        for row in page.locator("table.kpis tr[data-step]").all()
        if row.locator(".flag-label", has_text="pain point").count()
    ]
    assert "payment" in flagged

    # Under the emotion line, the friction strip: payment's cell flagged, its title saying why.
    strip = page.locator("svg.friction-strip[aria-labelledby=friction-title]")
    assert strip.is_visible() and strip.bounding_box()["y"] > curve.bounding_box()["y"]
    assert strip.locator("g.friction-step").count() == 4
    assert [cell.get_attribute("data-step") for cell in strip.locator("g.friction-step.flagged").all()] == ["payment"]
    cell = strip.locator('g.friction-step[data-step="payment"]')
    title = cell.locator("title").text_content()
    assert title.startswith("Payment: friction ") and "dead click" in title and "significantly above" in title
    assert cell.locator("text").first.text_content().startswith("⚑ ")
    assert float(cell.get_attribute("data-share")) > 0.3

    # The hostile comment is text; nothing ran.
    comments = page.locator("ul.comments")
    assert HOSTILE in comments.inner_text()
    assert (
        page.evaluate("""() => [...document.querySelectorAll('script')]
        .filter(s => s.textContent.includes('alert(1)')).length""")
        == 0
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    # A segment filter changes the KPI numbers (the select submits itself).
    everyone = kpi_responses(page)
    assert set(everyone) == {"cart", "shipping", "payment", "confirmation"}
    page.select_option("select[name=device]", "mobile")
    page.wait_for_url(re.compile(r"device=mobile"))
    mobile = kpi_responses(page)
    assert mobile != everyone
    assert all(int(mobile[step]) < int(everyone[step]) for step in everyone)
    page.select_option("select[name=variant]", "A")
    page.wait_for_url(re.compile(r"variant=A"))
    mobile_a = kpi_responses(page)
    assert mobile_a != mobile
    assert all(int(mobile_a[step]) <= int(mobile[step]) for step in mobile)

    # One download button per export, carrying the filters; each file parses and holds data.
    links = page.locator("#downloads a[data-format]")
    assert [link.get_attribute("data-format") for link in links.all()] == list(FORMATS)
    for link in links.all():
        name = link.get_attribute("data-format")
        href = link.get_attribute("href")
        assert "device=mobile" in href and "variant=A" in href and "journey=checkout" in href, href
        with page.expect_download() as info:
            link.click()
        download = info.value
        assert download.failure() is None, name
        assert download.suggested_filename.startswith("stepsense-checkout-"), download.suggested_filename
        data = Path(download.path()).read_bytes()
        assert data, name
        assert parse(name, data) > 0, name
        if name == "csv":  # the filters reached the export
            rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
            assert len(rows) == sum(int(n) for n in mobile_a.values())
            assert {row["device"] for row in rows} == {"mobile"} and {row["variant"] for row in rows} == {"A"}

    assert dialogs == []
