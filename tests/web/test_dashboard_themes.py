"""The dashboard's themes panel: bars per step by share, coloured by sentiment, with the
change against the previous window, and a click on a theme filtering the comment stream."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from collector.analytics.maintenance import rebuild_rollups
from collector.common.time import utcnow
from collector.extensions import db
from collector.models import Response
from tests.helpers import CARD_DECLINED, PROMO_CODE, answer, rebuild_themes, send_comments, sign_in

PROMO = PROMO_CODE[:4]
HOSTILE_THEME = [
    "<b>bold</b> shipping costs",
    "<b>bold</b> shipping costs too high",
    "<b>bold</b> shipping costs again",
]


def _age(app, client_ids, days):
    """Move answers ``days`` into the past, behind the rollups' back, so recount them as an operator would."""
    with app.app_context():
        db.session.execute(
            sa.update(Response)
            .where(Response.client_id.in_(client_ids))
            .values(created_at=utcnow() - timedelta(days=days))
        )
        rebuild_rollups(db.session)
        db.session.commit()


@pytest.fixture
def themed(client, site, send, runner):
    assert sign_in(client, site.secret).status_code == 302
    send_comments(send, site, CARD_DECLINED, score=1)
    send_comments(send, site, PROMO, score=3)
    rebuild_themes(runner)
    return client


def _panel(html: str, step: str) -> str:
    match = re.search(rf'<section class="theme-panel" data-step="{step}">(.*?)</section>', html, re.S)
    assert match, html
    return match.group(1)


def _bars(panel: str) -> dict[str, tuple[str, str]]:
    """Theme key → (share text, tone class) of each bar."""
    found = re.findall(
        r'data-theme="([^"]+)">.*?<span class="theme-share">(\d+%).*?class="theme-fill (\w+)" style="width: ([\d.]+)%"',
        panel,
        re.S,
    )
    return {key: (share, tone, float(width)) for key, share, tone, width in found}


def test_panel_shows_bars_by_share_coloured_by_sentiment(themed):
    html = themed.get("/dashboard/?journey=checkout").get_data(as_text=True)
    bars = _bars(_panel(html, "payment"))
    assert list(bars) == ["card-declined", "promo-code"]  # largest first
    assert bars["card-declined"] == ("60%", "negative", 100.0)
    assert bars["promo-code"][0] == "40%" and bars["promo-code"][2] == pytest.approx(66.7)
    assert "card declined" in _panel(html, "payment")


def test_a_step_without_a_model_says_how_to_get_themes(themed, send, site):
    send_comments(send, site, ["the basket forgot my items"], step="cart")  # a new step, never rebuilt
    html = themed.get("/dashboard/?journey=checkout").get_data(as_text=True)
    assert "stepsense themes rebuild" in _panel(html, "cart")


def test_clicking_a_theme_filters_the_comments(themed):
    html = themed.get("/dashboard/?journey=checkout").get_data(as_text=True)
    href = re.search(r'data-theme="promo-code">\s*<a href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "theme=promo-code" in href and "step=payment" in href and "journey=checkout" in href
    filtered = themed.get(href).get_data(as_text=True)
    stream = filtered.split("Latest comments", 1)[1]
    assert "promo code does not work" in stream and "card declined" not in stream.lower()
    assert "theme “promo code” at payment" in stream
    assert 'class="theme chosen" data-theme="promo-code"' in filtered
    # "show all" drops the theme again
    clear = re.search(r'id="theme-filter">.*?<a href="([^"]+)">show all', filtered, re.S).group(1).replace("&amp;", "&")
    assert "theme=" not in clear
    assert "card declined" in themed.get(clear).get_data(as_text=True).split("Latest comments", 1)[1].lower()


def test_a_bad_theme_in_the_query_is_ignored(themed):
    html = themed.get("/dashboard/?journey=checkout&theme=%3Cscript%3E").get_data(as_text=True)
    assert "<script>" not in html.split("Latest comments", 1)[1]
    assert 'id="theme-filter"' not in html


def test_change_against_the_previous_window(app, client, site, send, runner):
    assert sign_in(client, site.secret).status_code == 302
    _age(app, send_comments(send, site, CARD_DECLINED[:2] + PROMO), 10)  # before: card 2 of 6
    _age(app, send_comments(send, site, CARD_DECLINED + PROMO[:2]), 1)  # now: card 6 of 8
    rebuild_themes(runner)
    today = utcnow().date()
    window = {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()}
    html = client.get("/dashboard/", query_string={"journey": "checkout", **window}).get_data(as_text=True)
    panel = _panel(html, "payment")
    # the previous window is the 7 days before: 2/6 → 6/8 is +42 points; promo 4/6 → 2/8 is −42
    assert re.search(r'data-theme="card-declined">.*?class="trend rising"[^>]*>▲ \+42 pts', panel, re.S), panel
    assert re.search(r'data-theme="promo-code">.*?class="trend falling"[^>]*>▼ -42 pts', panel, re.S), panel
    assert "▲" not in _panel(client.get("/dashboard/?journey=checkout").get_data(as_text=True), "payment")


def test_theme_labels_are_escaped(client, site, send, runner):
    assert sign_in(client, site.secret).status_code == 302
    send_comments(send, site, HOSTILE_THEME + CARD_DECLINED)
    rebuild_themes(runner)
    html = client.get("/dashboard/?journey=checkout").get_data(as_text=True)
    assert "<b>bold</b>" not in html


# A refresh reads the panel from what the last one kept (collector/analytics/theme_cache.py):
# what changed since must show all the same.


def test_a_refresh_counts_the_comments_that_arrived_since_the_last_one(themed, send, site):
    assert (
        _bars(_panel(themed.get("/dashboard/?journey=checkout").get_data(as_text=True), "payment"))["card-declined"][0]
        == "60%"
    )
    send_comments(send, site, CARD_DECLINED + CARD_DECLINED[:4], score=1)  # themed at ingest: card 16 of 20
    bars = _bars(_panel(themed.get("/dashboard/?journey=checkout").get_data(as_text=True), "payment"))
    assert bars["card-declined"][0] == "80%" and bars["promo-code"][0] == "20%"


def test_an_erased_visitors_comments_leave_the_panel_at_the_next_refresh(themed, api, send, site):
    items = [answer(site, step="payment", comment=text, score=1, visitor_id="erase-me") for text in CARD_DECLINED[:4]]
    assert send({"responses": items}, site).status_code == 201
    html = themed.get("/dashboard/?journey=checkout").get_data(as_text=True)
    assert _bars(_panel(html, "payment"))["card-declined"][0] == "71%"  # 10 of 14
    assert api.delete("/v1/visitors/erase-me").status_code == 200
    html = themed.get("/dashboard/?journey=checkout").get_data(as_text=True)
    assert _bars(_panel(html, "payment"))["card-declined"][0] == "60%"  # 6 of 10 again


def test_a_renamed_theme_shows_its_new_label_at_the_next_refresh(themed, api):
    assert "card declined" in _panel(themed.get("/dashboard/?journey=checkout").get_data(as_text=True), "payment")
    response = api.patch("/v1/journeys/checkout/steps/payment/themes/card-declined", json={"label": "Declined cards"})
    assert response.status_code == 200, response.json
    assert "Declined cards" in _panel(themed.get("/dashboard/?journey=checkout").get_data(as_text=True), "payment")
