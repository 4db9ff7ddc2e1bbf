"""CX API: the emotional curve of a journey."""

from flask import g

from collector.analytics import curves
from collector.api.auth import require_scope
from collector.api.curves.schemas import CurveArgsSchema, CurveSchema
from collector.api.json_input import Blueprint
from collector.common.replicas import read_session
from collector.extensions import db
from collector.tenancy import journeys

blp = Blueprint("curves", __name__, url_prefix="/v1/journeys", description="Per-step emotional curves.")


@blp.route("/<string:key>/curve", methods=["GET"])
@require_scope("read")
@blp.arguments(CurveArgsSchema, location="query")
@blp.response(200, CurveSchema)
@blp.alt_response(404, description="No such journey on this site.")
def get_curve(args, key):
    """Per step, in step order: answers, emotion, CSAT, CES, NPS, exit intent, comments and flags.

    Served from rollups for day-aligned windows segmented by device, locale
    and variant; from the raw answers otherwise (see `source`).
    """
    session = read_session(db.session)  # a replica when there is one: a curve only reads
    return curves.journey_curve(session, journeys.get_journey(session, g.site, key), args)
