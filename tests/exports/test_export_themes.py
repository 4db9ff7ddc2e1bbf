"""Every export carries the themes: the journey table's "Top themes" lane, the XLSX
"Themes" sheet, the JSON's themes, draw.io/Lucid shape data, the SVG's pain point."""

import csv
import io
import json
import zipfile
from xml.etree import ElementTree

import openpyxl
import pytest

from collector.exports import svg
from tests.helpers import CARD_DECLINED, rebuild_themes, send_comments

PROMO = [
    "=promo code does not work",
    "the promo code is invalid",
    "promo code rejected",
    "where do I enter the promo code",
]
HAPPY = ["great cart", "easy cart", "lovely cart", "nice cart"]


@pytest.fixture
def themed(api, send, site, runner):
    send_comments(send, site, CARD_DECLINED, score=1, device="mobile")
    send_comments(send, site, PROMO, score=2, device="desktop")
    send_comments(send, site, HAPPY, step="cart", score=5)
    rebuild_themes(runner)
    return api


def _export(api, export_format, **params) -> bytes:
    response = api.get("/v1/journeys/checkout/export", format=export_format, **params)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data()


def test_journey_table_has_a_top_themes_lane(themed):
    rows = list(csv.DictReader(io.StringIO(_export(themed, "journey-table").decode("utf-8-sig"))))
    payment = next(row for row in rows if row["Step key"] == "payment")
    assert payment["Top themes"].splitlines() == ["card declined (60%)", "promo code (40%)"]
    book = openpyxl.load_workbook(io.BytesIO(_export(themed, "journey-table-xlsx")), read_only=True)
    header, *cells = list(book["Journey"].iter_rows(values_only=True))
    lane = header.index("Top themes")
    assert [row[lane] for row in cells if row[1] == "payment"][0].splitlines()[0] == "card declined (60%)"


def test_xlsx_has_a_themes_sheet_with_the_exports_filters(themed):
    book = openpyxl.load_workbook(io.BytesIO(_export(themed, "xlsx")), read_only=True)
    assert "Themes" in book.sheetnames
    header, *rows = list(book["Themes"].iter_rows(values_only=True))
    by_key = {(row[1], row[3]): dict(zip(header, row)) for row in rows}
    card = by_key[("payment", "card-declined")]
    assert (card["Theme"], card["Comments"], card["Share of the step's comments"], card["Negative"]) == (
        "card declined",
        6,
        0.6,
        6,
    )
    assert "card declined" in card["Examples"].lower()
    assert ("payment", "promo-code") in by_key and any(step == "cart" for step, _ in by_key)
    # the export's segment filter reaches the sheet: desktop saw only the promo code
    book = openpyxl.load_workbook(io.BytesIO(_export(themed, "xlsx", device="desktop")), read_only=True)
    _, *rows = list(book["Themes"].iter_rows(values_only=True))
    assert {(row[1], row[3]) for row in rows} == {("payment", "promo-code")}
    assert [row[5] for row in rows] == [1.0]


def test_json_carries_every_steps_themes(themed):
    document = json.loads(_export(themed, "json"))
    steps = {step["step"]: step for step in document["themes"]}
    keys = [theme["key"] for theme in steps["payment"]["themes"]]
    assert keys == ["card-declined", "promo-code"]
    card = steps["payment"]["themes"][0]
    assert (card["count"], card["share"], card["sentiment"]["negative"]) == (6, 0.6, 6)
    assert [step for step in document["steps"] if step["step"] == "payment"][0]["themes"][0]["key"] == "card-declined"


def test_drawio_and_lucid_shapes_carry_the_top_themes(themed):
    text = _export(themed, "drawio").decode("utf-8")
    rows = list(csv.DictReader(io.StringIO("\n".join(line for line in text.splitlines() if not line.startswith("#")))))
    payment = next(row for row in rows if row["step"] == "payment")
    assert payment["top_themes"].startswith("card declined (60%); ")
    assert payment["top_theme_keys"] == "card-declined promo-code"
    with zipfile.ZipFile(io.BytesIO(_export(themed, "lucid"))) as archive:
        document = json.loads(archive.read("document.json"))
    shapes = document["pages"][0]["shapes"]
    data = [{item["key"]: item["value"] for item in shape["customData"]} for shape in shapes]
    payment = next(item for item in data if item["step"] == "payment")
    assert payment["top_theme_keys"] == "card-declined promo-code"
    assert payment["top_themes"].startswith("card declined (60%)")


def test_svg_annotates_the_pain_point_with_its_top_theme(themed):
    root = ElementTree.fromstring(_export(themed, "svg"))
    ns = "{http://www.w3.org/2000/svg}"
    groups = {group.get("data-step"): group for group in root.iter(f"{ns}g") if group.get("data-step")}
    payment = groups["payment"]
    assert payment.get("data-top-theme-keys") == "card-declined promo-code"
    assert [t for t in root.iter(f"{ns}text") if t.get("class") == "top-theme"] == []  # no pain point here
    # the same curve with payment flagged as the pain point: its top theme is written under it
    curve = themed.get("/v1/journeys/checkout/curve").json
    for step in curve["steps"]:
        step["flags"] = ["pain_point"] if step["step"] == "payment" else []
    root = ElementTree.fromstring(svg.render(curve))
    notes = {
        group.get("data-step"): [t.text for t in group.iter(f"{ns}text") if t.get("class") == "top-theme"]
        for group in root.iter(f"{ns}g")
        if group.get("data-step")
    }
    assert notes["payment"] == ["“card declined” 60%"] and notes["cart"] == []
