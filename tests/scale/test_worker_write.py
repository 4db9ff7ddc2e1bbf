"""The worker's write: the same rows as the direct path, and each item once."""

from datetime import UTC, datetime

import sqlalchemy as sa

from collector.analytics.maintenance import compare_rollups
from collector.common.database import insert_ignoring_conflicts
from collector.extensions import db
from collector.ingest import log_format, queue, store
from collector.models import Response, StepRollup, ThemeRollup
from collector.tenancy.sites import SiteSnapshot
from tests.helpers import answer


def test_several_rows_are_stored_exactly_as_one_row_is(app, site, rows, send):
    """PostgreSQL sends several rows as one JSON document: same values as the single-row INSERT."""
    assert send(answer(site), site).status_code == 202  # nothing stored; only to have journey ids below
    with app.app_context():
        from collector.models import Site
        from collector.tenancy.journeys import create_journey

        journey = create_journey(db.session, db.session.get(Site, site.id), {"key": "j", "steps": [{"key": "s"}]})
        db.session.commit()
        step_id = journey.steps[0].id
        row = {
            "site_id": site.id,
            "journey_id": journey.id,
            "step_id": step_id,
            "kind": "csat",
            "score": 4,
            "comment": 'Ünïcode ✓ "quoted"',
            "polarity": 0.123456789012345,
            "subjectivity": 1e-9,
            "sentiment_label": "positive",
            "language": "de",
            "emotion": -0.3333333333333333,
            "scorer_version": "v",
            "trigger": "inline",
            "visitor_id": "v",
            "session_id": None,
            "url_path": "/a",
            "device": None,
            "locale": "de-DE",
            "variant": None,
            "attributes": {"zeta": 1, "alpha": [1, 2], "mid": None},
            "created_at": datetime(2026, 12, 1, 10, 11, 12, 123456, tzinfo=UTC),
        }
        with db.engine.begin() as conn:
            columns = [Response.client_id, Response.id]
            for single in ({**row, "client_id": "one"}, {**row, "client_id": "one-none", "attributes": None}):
                insert_ignoring_conflicts(conn, Response.__table__, [single], ["site_id", "client_id"], columns)
            several = insert_ignoring_conflicts(
                conn,
                Response.__table__,
                [{**row, "client_id": "two"}, {**row, "client_id": "three", "attributes": None}],
                ["site_id", "client_id"],
                columns,
            )
        assert len(several) == 2
        text = dict(db.session.execute(sa.select(Response.client_id, sa.cast(Response.attributes, sa.Text))).all())
        stored = {r.client_id: r for r in db.session.scalars(sa.select(Response))}
    assert text["one"] == text["two"]  # the JSON's own text, keys in the sender's order
    assert text["three"] == text["one-none"]  # None as the single-row INSERT stores it
    for name in row:
        if name != "attributes":
            assert getattr(stored["one"], name) == getattr(stored["two"], name), name


def test_the_same_item_twice_in_one_fetch_is_stored_and_counted_once(app, site, settings, rows, drain):
    with app.app_context():
        batch = store.prepare_responses(SiteSnapshot(site.id, site.public_key, frozenset(), True), [answer(site)])
    ((to, _, item),) = log_format.messages(settings, "answer", site.id, batch.records)
    # Two messages (past the log's duplicate window, say), one answer.
    queue.publisher(settings).publish([(to, "a", item), (to, "b", item)])
    stats = drain()
    assert (stats.stored, stats.duplicates) == (1, 1)
    assert rows(sa.select(sa.func.count()).select_from(Response)) == [1]
    assert rows(sa.select(StepRollup.n)) == [1]


def test_a_redelivered_comment_adds_to_the_theme_rollups_once(app, site, settings, rows, drain, runner):
    """The worker themes what it stores and keeps the theme rollups; a second delivery adds nothing."""
    snapshot = SiteSnapshot(site.id, site.public_key, frozenset(), True)
    comments = ["my card was declined", "card declined again", "promo code invalid", "the promo code is rejected"]
    with app.app_context():
        batch = store.prepare_responses(snapshot, [answer(site, comment=text) for text in comments * 3])
    queue.publisher(settings).publish(log_format.messages(settings, "answer", site.id, batch.records))
    drain()
    assert runner.invoke(args=["themes", "rebuild"]).exit_code == 0
    with app.app_context():
        batch = store.prepare_responses(snapshot, [answer(site, comment="card declined at the till", device="mobile")])
    ((to, _, item),) = log_format.messages(settings, "answer", site.id, batch.records)
    queue.publisher(settings).publish([(to, "c", item), (to, "d", item)])
    assert drain().stored == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.sum(ThemeRollup.n)).where(ThemeRollup.device == "mobile")) == 1
        assert compare_rollups(db.session) == []
