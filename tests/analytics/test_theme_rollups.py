"""Theme rollups: a journey's themes read from them are the numbers the raw join
gives, for windows, segments and the previous window, and stay so through ingest,
erasure, rebuilds and a merge; filters only raw answers carry are read raw."""

from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa

from collector.analytics import theme_report
from collector.analytics.maintenance import compare_rollups, rebuild_rollups
from collector.common.time import utcnow
from collector.extensions import db
from collector.models import Journey, Response, ThemeRollup
from tests.helpers import answer

CARD = ["My card was declined", "card declined twice", "the card got declined for no reason", "card declined again"]
PROMO = ["promo code does not work", "the promo code is invalid", "promo code rejected", "promo code expired?"]
SHIPPING = ["shipping costs are too high", "shipping costs way too expensive", "high shipping costs"]
NONE = ["lovely page", "all fine thanks"]
SEGMENTS = [("desktop", "en-US", "A"), ("mobile", "de-DE", "B"), (None, None, None), ("mobile", "en-US", "A")]


def _today() -> datetime:
    return datetime.combine(utcnow().date(), time(0), tzinfo=utcnow().tzinfo)


def _items(site, comments, visitor="v1", offset=0):
    items = []
    for index, text in enumerate(comments):
        device, locale, variant = SEGMENTS[(index + offset) % len(SEGMENTS)]
        items.append(
            answer(
                site,
                kind="csat",
                score=1 + (index + offset) % 5,
                comment=text,
                device=device,
                locale=locale,
                variant=variant,
                visitor_id=visitor,
            )
        )
    return items


def _send(send, site, items):
    for start in range(0, len(items), 50):
        assert send({"responses": items[start : start + 50]}, site).status_code == 201


@pytest.fixture
def spread(app, send, site, runner):
    """Comments over 20 days and four segments, themed by a rebuild, then more of them themed at ingest."""
    comments = (CARD + PROMO + SHIPPING + NONE) * 4
    items = _items(site, comments)
    _send(send, site, items)
    with app.app_context():
        for index, item in enumerate(items):
            moment = utcnow() - timedelta(days=index % 20, hours=index % 7)
            db.session.execute(
                sa.update(Response).where(Response.client_id == item["client_id"]).values(created_at=moment)
            )
        # Moved behind the rollups' back: recount, as an operator would.
        rebuild_rollups(db.session)
        db.session.commit()
    assert runner.invoke(args=["themes", "rebuild"]).exit_code == 0
    # Themed and added at ingest, by the model just built.
    _send(send, site, _items(site, CARD + PROMO + NONE, visitor="erase-me", offset=1))


def _both(app, filters):
    """The report read from the rollups and from the raw join, on the same data."""
    with app.app_context():
        journey = db.session.scalar(sa.select(Journey).where(Journey.key == "checkout"))
        assert theme_report.from_rollups(filters)
        rolled = theme_report.journey_themes(db.session, journey, filters, include_hidden=True)
        original = theme_report.from_rollups
        theme_report.from_rollups = lambda filters, after=None: False
        try:
            raw = theme_report.journey_themes(db.session, journey, filters, include_hidden=True)
        finally:
            theme_report.from_rollups = original
    return rolled, raw


def _differences(rolled, raw) -> list:
    """What differs theme by theme, so a failure says which number."""
    found = []
    for mine, theirs in zip(rolled["steps"], raw["steps"]):
        if mine["comments"] != theirs["comments"]:
            found.append((mine["step"], "comments", mine["comments"], theirs["comments"]))
        for a, b in zip(mine["themes"], theirs["themes"]):
            found += [(mine["step"], a["key"], name, a[name], b.get(name)) for name in a if a[name] != b.get(name)]
    return found


def _windows():
    today = _today()
    tomorrow = today + timedelta(days=1)
    return [
        {},
        {"from": tomorrow - timedelta(days=7), "to": tomorrow},
        {"from": today - timedelta(days=7), "to": today},
        {"from": tomorrow - timedelta(days=7), "to": tomorrow, "device": "mobile"},
        {"from": tomorrow - timedelta(days=14), "to": tomorrow, "locale": "en-US", "variant": "A"},
        {"to": today - timedelta(days=3), "device": "desktop"},
    ]


def _assert_same(app):
    for filters in _windows():
        rolled, raw = _both(app, filters)
        assert rolled == raw, (filters, _differences(rolled, raw))
    with app.app_context():
        assert compare_rollups(db.session) == []


def _themes_of(body):
    (payment,) = [step for step in body["steps"] if step["step"] == "payment"]
    return payment


def test_the_rollups_give_the_raw_numbers_for_windows_segments_and_the_previous_window(app, spread):
    _assert_same(app)
    rolled, _ = _both(app, _windows()[1])
    payment = _themes_of(rolled)
    assert payment["comments"] > 0 and any(theme["share_change"] is not None for theme in payment["themes"])
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ThemeRollup)) > 0


def test_they_stay_exact_after_an_erasure_a_rebuild_and_a_merge(app, api, spread, runner):
    assert api.delete("/v1/visitors/erase-me").status_code == 200
    _assert_same(app)
    assert runner.invoke(args=["themes", "rebuild", "--force"]).exit_code == 0
    _assert_same(app)
    base = "/v1/journeys/checkout/steps/payment/themes"
    keys = [theme["key"] for theme in _themes_of(_both(app, {})[0])["themes"]]
    assert len(keys) >= 2
    response = api.post(f"{base}/merge", json={"keys": [keys[1]], "into": keys[0]})
    assert response.status_code == 200, response.json
    _assert_same(app)
    assert keys[1] not in [theme["key"] for theme in _themes_of(_both(app, {})[0])["themes"]]
    assert runner.invoke(args=["rollups", "rebuild"]).exit_code == 0
    result = runner.invoke(args=["rollups", "verify"])
    assert result.exit_code == 0, result.output
    _assert_same(app)


def test_verify_reports_a_theme_rollup_that_drifted(app, spread, runner):
    with app.app_context():
        db.session.execute(sa.update(ThemeRollup).values(n=ThemeRollup.n + 1))
        db.session.commit()
    result = runner.invoke(args=["rollups", "verify"])
    assert result.exit_code == 1 and "theme rollup" in result.output


@pytest.mark.parametrize(
    "filters",
    [
        {"kind": "csat"},
        {"url_path": "/checkout"},
        {"language": "en"},
        {"sentiment": "negative"},
        {"attr": [("plan", "pro")]},
        {"from": datetime(2026, 1, 1, 12, 0)},
    ],
)
def test_filters_the_rollups_do_not_hold_are_read_raw(filters):
    assert not theme_report.from_rollups(filters)
    assert not theme_report.from_rollups({}, after=10)
