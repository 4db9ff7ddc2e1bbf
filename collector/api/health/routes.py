"""Liveness and database health, for load balancers and monitors."""

import marshmallow as ma
import sqlalchemy as sa
from flask import current_app
from marshmallow import fields
from sqlalchemy.exc import DBAPIError

from collector.api.errors import RETRY_AFTER_SECONDS
from collector.api.json_input import Blueprint
from collector.common.errors import Unavailable
from collector.extensions import db
from collector.ingest import queue, queue_status

blp = Blueprint("health", __name__, description="Health checks.")
# Seconds /healthz waits for the broker's answer about the log's lag.
QUEUE_STATUS_TIMEOUT = 1.0


class QueueHealthSchema(ma.Schema):
    status = fields.String(metadata={"description": "ok or unreachable"})
    lag = fields.Integer(metadata={"description": "Items in the log not yet stored by a worker."})
    lag_seconds = fields.Float(metadata={"description": "Age of the oldest item not yet stored."})
    dead_letters = fields.Integer(metadata={"description": "Items no worker could store (`stepsense ingest status`)."})


class HealthSchema(ma.Schema):
    status = fields.String(
        metadata={
            "description": "ok; degraded (with the ingest log: the database or the broker is down, the other still "
            "works; answers are accepted while only the database is down); or unavailable"
        }
    )
    database = fields.String(metadata={"description": "ok or unreachable"})
    queue = fields.Nested(QueueHealthSchema, metadata={"description": "Only with the ingest log (INGEST_QUEUE_URL)."})


def _queue_health(settings: queue.QueueSettings) -> dict:
    try:
        state = queue.publisher(settings).run(queue_status.status, settings, timeout=QUEUE_STATUS_TIMEOUT)
    except Unavailable:
        return {"status": "unreachable"}
    return {
        "status": "ok",
        "lag": state.lag,
        "lag_seconds": round(state.lag_seconds, 3),
        "dead_letters": state.dead_letters,
    }


@blp.route("/healthz", methods=["GET"])
@blp.response(200, HealthSchema)
@blp.alt_response(
    503,
    schema=HealthSchema,
    description="Nothing can be accepted: the database is unreachable (and, with the ingest log, its broker too).",
)
def healthz():
    """Check that the app can reach its database (and its ingest log, when it has one).

    With the ingest log, a database outage is ``degraded`` (200): answers are
    still accepted into the log, and ``queue.lag`` says how many wait for the
    database.
    """
    try:
        db.session.execute(sa.text("SELECT 1"))
        database = "ok"
    except DBAPIError:
        db.session.rollback()
        database = "unreachable"
    settings = queue.QueueSettings.from_config(current_app.config)
    body: dict = {"database": database}
    if settings is not None:
        body["queue"] = _queue_health(settings)
    healthy = [database == "ok"] + ([body["queue"]["status"] == "ok"] if settings else [])
    if all(healthy):
        return {"status": "ok", **body}
    if any(healthy):
        return {"status": "degraded", **body}
    return {"status": "unavailable", **body}, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
