"""Liveness and database health, for load balancers and monitors."""

import marshmallow as ma
import sqlalchemy as sa
from marshmallow import fields
from sqlalchemy.exc import DBAPIError

from collector.api.json_input import Blueprint
from collector.api.errors import RETRY_AFTER_SECONDS
from collector.extensions import db

blp = Blueprint("health", __name__, description="Health checks.")


class HealthSchema(ma.Schema):
    status = fields.String(metadata={"description": "ok or unavailable"})
    database = fields.String(metadata={"description": "ok or unreachable"})


@blp.route("/healthz", methods=["GET"])
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="The database is unreachable.")
def healthz():
    """Check that the app can reach its database."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except DBAPIError:
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return {"status": "ok", "database": "ok"}
