"""Rollups equal a raw recomputation after ingest, resends, erasure, deletion and rebuilds."""

import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from collector.analytics.maintenance import compare_rollups, rebuild_rollups
from collector.extensions import db
from collector.models import Response, StepRollup
from tests.helpers import answer, assert_same_numbers, curve, impressions, make_journey, raw_window, send_all, window

COMMENTS = ["My card was declined, awful", "Super smooth and fast!", "I paid with PayPal", None, None]


def varied(site, count, seed=1, visitors=("v1", "v2", "v3")):
    """Answers of every kind over steps, segments, triggers and comments."""
    rng = random.Random(seed)
    items = []
    for _ in range(count):
        kind = rng.choice(["csat", "ces", "nps", "thumbs", "comment"])
        score = {
            "csat": rng.randint(1, 5),
            "ces": rng.randint(1, 7),
            "nps": rng.randint(0, 10),
            "thumbs": rng.randint(0, 1),
        }.get(kind)
        comment = rng.choice(COMMENTS) if kind != "comment" else rng.choice(COMMENTS[:3])
        items.append(
            answer(
                site,
                step=rng.choice(["cart", "shipping", "payment", "confirmation"]),
                kind=kind,
                score=score,
                comment=comment,
                trigger=rng.choice(["inline", "inline", "exit_intent"]),
                visitor_id=rng.choice(visitors),
                device=rng.choice(["mobile", "desktop", None]),
                locale=rng.choice(["en", "de", None]),
                variant=rng.choice(["A", "B", None]),
            )
        )
    return items


def differences(app):
    with app.app_context():
        return compare_rollups(db.session)


def rollup_total(app, column="n", **where):
    with app.app_context():
        conditions = [getattr(StepRollup, name) == value for name, value in where.items()]
        return db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(getattr(StepRollup, column)), 0)).where(*conditions)
        )


@pytest.fixture
def stored(api, send, site):
    make_journey(api)
    items = varied(site, 180)
    send_all(send, site, items)
    events = impressions(site, "cart", 30, device="mobile", visitor_id="v1") + impressions(
        site, "shipping", 12, visitor_id="v2"
    )
    send_all(send, site, events, path="/v1/events", field="events")
    return items, events


def test_rollups_equal_raw_after_ingest(app, stored):
    items, events = stored
    assert differences(app) == []
    assert rollup_total(app) == len(items)
    assert rollup_total(app, "impressions") == len(events)
    assert rollup_total(app, "csat_n") == sum(1 for item in items if item["kind"] == "csat")
    assert rollup_total(app, "exit_intent") == sum(1 for item in items if item["trigger"] == "exit_intent")


def test_missing_segments_are_stored_as_empty_strings(app, api, send, site):
    make_journey(api)
    send_all(
        send,
        site,
        [answer(site, step="cart", device=None, locale=None, variant=None)] * 1
        + [answer(site, step="cart", device=None, locale=None, variant=None)],
    )
    with app.app_context():
        rows = db.session.execute(
            sa.select(StepRollup.device, StepRollup.locale, StepRollup.variant, StepRollup.n)
        ).all()
    assert rows == [("", "", "", 2)]


def test_duplicate_resends_are_not_counted(app, api, send, site, stored):
    items, events = stored
    send_all(send, site, items)  # the widget's retry queue resends everything
    send_all(send, site, events, path="/v1/events", field="events")
    fresh = answer(site, step="cart")
    response = send({"responses": [items[0], fresh, fresh]}, site)
    assert response.get_json() == {"received": 3, "stored": 1, "duplicates": 2}
    assert rollup_total(app) == len(items) + 1
    assert rollup_total(app, "impressions") == len(events)
    assert differences(app) == []


def test_impressions_without_answers_get_a_row(app, api, send, site):
    make_journey(api)
    send_all(send, site, impressions(site, "payment", 5, variant="B"), path="/v1/events", field="events")
    send_all(
        send,
        site,
        [dict(item, type="dismiss") for item in impressions(site, "payment", 3)],
        path="/v1/events",
        field="events",
    )
    assert rollup_total(app, "impressions") == 5 and rollup_total(app) == 0
    assert differences(app) == []
    steps = {item["step"]: item for item in curve(api)["steps"]}
    assert steps["payment"]["impressions"] == 5 and steps["payment"]["responses"] == 0


def test_erasure_keeps_rollups_exact(app, api, stored):
    items, events = stored
    erased = sum(1 for item in items if item["visitor_id"] == "v1")
    response = api.delete("/v1/visitors/v1")
    assert response.status_code == 200 and response.get_json()["responses"] == erased
    assert differences(app) == []
    assert rollup_total(app) == len(items) - erased
    assert rollup_total(app, "impressions") == 12
    assert sum(item["responses"] for item in curve(api)["steps"]) == len(items) - erased


def test_erasing_everyone_leaves_no_rollups(app, api, stored):
    for visitor in ("v1", "v2", "v3"):
        assert api.delete(f"/v1/visitors/{visitor}").status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StepRollup)) == 0


def test_step_and_journey_deletion_cascade_to_rollups(app, api, stored):
    items, _ = stored
    payment = sum(1 for item in items if item["step"] == "payment")
    assert api.delete("/v1/journeys/checkout/steps/payment").status_code == 204
    assert rollup_total(app) == len(items) - payment
    assert differences(app) == []
    assert api.delete("/v1/journeys/checkout").status_code == 204
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StepRollup)) == 0


def test_verify_reports_and_rebuild_repairs(app, runner, stored):
    result = runner.invoke(args=["rollups", "verify"])
    assert result.exit_code == 0 and "match" in result.output
    with app.app_context():
        db.session.execute(
            sa.update(StepRollup)
            .where(StepRollup.id == sa.select(sa.func.min(StepRollup.id)).scalar_subquery())
            .values(n=StepRollup.n + 1, emotion_sum=StepRollup.emotion_sum + 0.5)
        )
        db.session.commit()
    result = runner.invoke(args=["rollups", "verify"])
    assert result.exit_code == 1
    assert "n is" in result.output and "emotion_sum is" in result.output
    result = runner.invoke(args=["rollups", "rebuild"])
    assert result.exit_code == 0 and result.output.startswith("rebuilt ")
    assert runner.invoke(args=["rollups", "verify"]).exit_code == 0


def test_verify_finds_missing_and_extra_rows(app, runner, stored):
    with app.app_context():
        db.session.execute(
            sa.delete(StepRollup).where(StepRollup.id == sa.select(sa.func.min(StepRollup.id)).scalar_subquery())
        )
        db.session.commit()
        assert any(line.startswith("missing rollup") for line in compare_rollups(db.session))
        rebuild_rollups(db.session)
        db.session.commit()
        first = db.session.scalars(sa.select(StepRollup).limit(1)).one()
        db.session.add(
            StepRollup(
                site_id=first.site_id,
                journey_id=first.journey_id,
                step_id=first.step_id,
                day=first.day - timedelta(days=3),
                device="",
                locale="",
                variant="",
                n=1,
                emotion_sum=0.0,
                emotion_sq=0.0,
            )
        )
        db.session.commit()
        assert any(line.startswith("extra rollup") for line in compare_rollups(db.session))


def test_rebuild_of_some_days_leaves_other_days_alone(app, api, send, site):
    """rebuild_rollups(days=…) — the hook for re-scoring — recomputes only those days."""
    make_journey(api)
    send_all(send, site, varied(site, 60, seed=3))
    old = datetime.now(UTC) - timedelta(days=5)
    with app.app_context():
        ids = db.session.scalars(sa.select(Response.id).order_by(Response.id).limit(20)).all()
        db.session.execute(sa.update(Response).where(Response.id.in_(ids)).values(created_at=old, emotion=-1.0))
        assert compare_rollups(db.session) != []
        rebuild_rollups(db.session, journey_id=None, days=[old.date(), datetime.now(UTC).date()])
        db.session.commit()
        assert compare_rollups(db.session) == []
        assert rebuild_rollups(db.session, days=[]) == 0
        site_id = db.session.scalar(sa.select(Response.site_id).limit(1))
        assert rebuild_rollups(db.session, site_id=site_id) > 0
        db.session.commit()
        assert compare_rollups(db.session) == []


def test_curve_from_rollups_equals_raw_on_varied_data(api, stored):
    """Every number of the curve is the same whichever source serves it."""
    for params in (
        {},
        {"device": "mobile"},
        {"variant": "A", "locale": "de"},
        {"interval": "day"},
        {"compare": "variant"},
    ):
        a, b = curve(api, **window(**params)), curve(api, **raw_window(**params))
        assert (a["source"], b["source"]) == ("rollups", "raw")
        assert_same_numbers(a, b)
        if "interval" in params:
            assert [s["series"] for s in a["steps"]] == [s["series"] for s in b["steps"]]
        if "compare" in params:
            assert [s["compare"] for s in a["steps"]] == [s["compare"] for s in b["steps"]]


def test_migration_backfills_rollups(app, stored):
    """Upgrading a database that already holds answers (0001 → 0002) builds its rollups."""
    items, events = stored
    with app.app_context():
        db.session.remove()
        downgrade(revision="0001")
        upgrade()
        assert compare_rollups(db.session) == []
        assert db.session.scalar(sa.select(sa.func.sum(StepRollup.n))) == len(items)
        assert db.session.scalar(sa.select(sa.func.sum(StepRollup.impressions))) == len(events)
