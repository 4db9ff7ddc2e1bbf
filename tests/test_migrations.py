"""Migrations keep what is stored (upgrading a database that holds data loses none of it),
and build the schema the models describe."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from collector.extensions import db
from collector.models import AlertDelivery, AlertRule, ApiKey, Event, Journey, Prompt, Response, Step
from tests.helpers import answer


def _counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Journey, Step, Prompt, Response, Event, ApiKey)
    }


def test_0005_keeps_every_row_and_marks_existing_journeys_as_the_cx_teams(app, api, send, site):
    """Adding columns to journeys and steps must not copy and drop those tables on SQLite:
    with foreign keys on, dropping them would cascade to every answer and event."""
    api.post("/v1/journeys", json={"key": "checkout", "steps": [{"key": "cart"}, {"key": "payment"}]})
    api.post("/v1/journeys/checkout/steps/payment/prompts", json={"kind": "csat", "text": {"en": "How was it?"}})
    assert send(answer(site), site).status_code == 201
    assert send(answer(site, journey="made-up", step="x"), site).status_code == 201
    event = {
        "site_key": site.public_key,
        "journey": "checkout",
        "step": "cart",
        "type": "impression",
        "client_id": "0b8e8a3e-6f6a-4f5e-9d55-3b2d0a1e9c11",
    }
    assert send(event, site, path="/v1/events").status_code == 201
    with app.app_context():
        before = _counts()
        db.session.remove()
        downgrade(revision="0004")
        upgrade()
        assert _counts() == before and before["responses"] == 2 and before["events"] == 1
        assert db.session.scalars(sa.select(Step.auto_registered).distinct()).all() == [False]
        assert db.session.scalars(sa.select(ApiKey.session_generation)).all() == [0]


def test_the_models_describe_the_schema_the_migrations_build(app):
    """A migrated database and the models agree (what ``stepsense db check`` checks):
    autogenerate, types included, finds nothing to add, drop or alter, so a model
    refactor that would change the schema fails here rather than in production."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_0011_keeps_alert_rules_and_their_deliveries(app, api, receiver):
    """The rule's signal column comes and goes without copying alert_rules (on SQLite a copy
    would drop the old table and cascade to the deliveries)."""
    api.post("/v1/journeys", json={"key": "checkout", "steps": [{"key": "payment"}]})
    body = {"journey": "checkout", "kind": "friction_above", "signal": "dead_click", "webhook_url": receiver.url}
    rule = api.post("/v1/alerts/rules", json=body)
    assert rule.status_code == 201, rule.json
    assert api.post(f"/v1/alerts/rules/{rule.json['id']}/test").status_code == 200
    with app.app_context():
        db.session.remove()
        downgrade(revision="0010")
        upgrade()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AlertDelivery)) == 1
        assert db.session.scalars(sa.select(AlertRule.signal)).all() == [None]
