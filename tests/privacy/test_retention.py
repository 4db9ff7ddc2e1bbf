"""Retention: `stepsense retention run` deletes answers and events older than
each site's retention_days, reports progress, and leaves the rollups exact."""

import uuid
from datetime import timedelta

import sqlalchemy as sa

from collector.analytics.maintenance import compare_rollups
from collector.common.time import utcnow
from collector.extensions import db
from collector.models import Event, Response, StepRollup
from tests.helpers import answer


def _age(app, model, client_ids, days: float) -> None:
    """Move rows back in time, as if they had arrived ``days`` ago."""
    with app.app_context():
        db.session.execute(
            sa.update(model).where(model.client_id.in_(client_ids)).values(created_at=utcnow() - timedelta(days=days))
        )
        db.session.commit()


def _send(send, site, ages, path="/v1/events", **fields):
    """One record per age in ``ages``; returns their client_ids by age."""
    by_age = {}
    for age in ages:
        item = answer(site, client_id=str(uuid.uuid4()), **fields)
        if path == "/v1/events":
            item = {k: v for k, v in item.items() if k not in ("kind", "score")} | {"type": "impression"}
        assert send(item, site, path=path).status_code == 201
        by_age.setdefault(age, []).append(item["client_id"])
    return by_age


def test_retention_run_deletes_only_what_is_past_each_sites_retention(app, make_site, send, runner, rows):
    """Old rows of a 30-day site go (rollups rebuilt exactly); recent rows and a site without retention stay."""
    site = make_site("Short", retention_days=30)
    keep_all = make_site("Forever")
    ages = [400, 45, 31, 30.04, 29.96, 10, 0]  # either side of the cutoff, hours apart
    answers = _send(send, site, ages, path="/v1/responses", step="payment", kind="ces", score=2, comment="slow")
    events = _send(send, site, ages)
    forever = _send(send, keep_all, [400], path="/v1/responses")
    for age in ages:
        _age(app, Response, answers[age], age)
        _age(app, Event, events[age], age)
    _age(app, Response, forever[400], 400)
    with app.app_context():
        from collector.analytics.maintenance import rebuild_rollups

        rebuild_rollups(db.session)  # the aged rows' rollups, on their new days
        db.session.commit()
        assert compare_rollups(db.session) == []

    result = runner.invoke(args=["retention", "run", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert f"Site {site.id}: deleted 4 answers and 4 events" in result.output
    assert f"Site {keep_all.id}" not in result.output

    kept = {age for age in ages if age < 30}
    assert sorted(rows(sa.select(Response.client_id).where(Response.site_id == site.id))) == sorted(
        client_id for age in kept for client_id in answers[age]
    )
    assert sorted(rows(sa.select(Event.client_id).where(Event.site_id == site.id))) == sorted(
        client_id for age in kept for client_id in events[age]
    )
    assert rows(sa.select(Response.client_id).where(Response.site_id == keep_all.id)) == forever[400]
    with app.app_context():
        assert compare_rollups(db.session) == []
        oldest = db.session.scalar(sa.select(sa.func.min(StepRollup.day)).where(StepRollup.site_id == site.id))
        assert oldest >= (utcnow() - timedelta(days=30)).date()

    again = runner.invoke(args=["retention", "run"])
    assert again.exit_code == 0 and f"Site {site.id}: deleted 0 answers and 0 events" in again.output


def test_retention_run_without_retention_periods(runner, site):
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0
    assert "No site has a retention period." in result.output


def test_retention_run_forgets_caught_bots_client_ids_after_the_widgets_resend_window(app, site, send, runner, rows):
    """The honeypot's memory is bounded: client_ids older than the widget's resend window
    go on every run, even without a site retention period; newer ones stay."""
    from collector.ingest.store import TRAP_MEMORY_DAYS
    from collector.models import TrappedClientId

    old, new = answer(site, hp="bot"), answer(site, hp="bot")
    for item in (old, new):
        assert send(item, site, path="/v1/responses").status_code == 201
    _age(app, TrappedClientId, [old["client_id"]], TRAP_MEMORY_DAYS + 0.1)
    _age(app, TrappedClientId, [new["client_id"]], TRAP_MEMORY_DAYS - 0.1)
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert f"Forgot 1 honeypot client_id older than {TRAP_MEMORY_DAYS} days." in result.output
    assert rows(sa.select(TrappedClientId.client_id)) == [new["client_id"]]
    assert send(new, site, path="/v1/responses").status_code == 200  # still a resend
