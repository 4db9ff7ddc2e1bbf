"""The dashboard at 1280 × 800 on the demo data: the per-step table fits its card or
scrolls inside it, and the themes panel shows bars whose click filters the comments.
Saves test-artifacts/dashboard-themes.png."""

import re

import pytest

from collector.demo.seed import ensure_demo_site, fresh_demo_key, seed_responses, seed_themes
from collector.extensions import db
from collector.tenancy.sites import site_cache
from tests.browser.helpers import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_secret(app, collector):
    with app.app_context():
        site, _ = ensure_demo_site(db.session, [collector.url])
        seed_responses(db.session, site, 800)
        seed_themes(db.session, site)
        secret = fresh_demo_key(db.session, site)
        site_cache.clear()
    return secret


def test_table_fits_or_scrolls_and_a_theme_click_filters_the_comments(page, collector, demo_secret):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(collector.url + "/dashboard/sign-in")
    page.fill("input[name=key]", demo_secret)
    page.click("button[type=submit]")
    page.wait_for_url(collector.url + "/dashboard/")

    # The table: every column inside its card, or the wrapper scrolls to the last one.
    box = page.evaluate("""() => {
        const wrap = document.querySelector('#kpi-table'), table = wrap.querySelector('table.kpis');
        const card = wrap.closest('.card').getBoundingClientRect();
        const last = table.querySelector('thead th:last-child');
        const style = getComputedStyle(wrap);
        return {scrollWidth: table.scrollWidth, clientWidth: wrap.clientWidth, overflow: style.overflowX,
                cardRight: card.right, lastRight: last.getBoundingClientRect().right,
                pageScroll: document.documentElement.scrollWidth, viewport: window.innerWidth};
    }""")
    assert box["pageScroll"] <= box["viewport"], box  # the page itself never scrolls sideways
    fits = box["scrollWidth"] <= box["clientWidth"] and box["lastRight"] <= box["cardRight"]
    assert fits or box["overflow"] in ("auto", "scroll"), box
    if not fits:
        page.locator("#kpi-table").evaluate("el => el.scrollLeft = el.scrollWidth")
        last = page.evaluate("""() => document.querySelector('#kpi-table thead th:last-child').getBoundingClientRect().right
                               <= document.querySelector('#kpi-table').getBoundingClientRect().right + 1""")
        assert last, box
        page.locator("#kpi-table").evaluate("el => el.scrollLeft = 0")

    # The themes panel: bars at payment, wider for larger shares.
    panel = page.locator('#themes section.theme-panel[data-step="payment"]')
    bars = panel.locator("li.theme")
    assert bars.count() >= 3
    widths = [bar.locator(".theme-fill").bounding_box()["width"] for bar in bars.all()]
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1] > 0
    assert panel.locator(".theme-fill.negative").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-themes.png"), full_page=True)

    # A click on a theme filters the comment stream to it.
    chosen = bars.first
    key, label = chosen.get_attribute("data-theme"), chosen.locator(".theme-label").inner_text()
    chosen.locator("a").click()
    page.wait_for_url(re.compile(rf"theme={re.escape(key)}"))
    assert "step=payment" in page.url
    assert label in page.locator("#theme-filter").inner_text()
    comments = page.locator("ul.comments li")
    assert comments.count() >= 1
    steps = {text.split(" · ")[0].strip() for text in page.locator("ul.comments li span.muted").all_inner_texts()}
    assert steps == {"Payment"}, steps
    page.locator("#theme-filter a").click()
    page.wait_for_url(lambda url: "theme=" not in url)
    assert page.locator("#theme-filter").count() == 0
