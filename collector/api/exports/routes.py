"""CX API: a journey exported for spreadsheets and journey-mapping tools."""

from flask import g

from collector.api.auth import require_scope
from collector.api.downloads import export_response
from collector.api.exports.schemas import ExportArgsSchema
from collector.api.json_input import Blueprint
from collector.common.replicas import read_session
from collector.extensions import db
from collector.tenancy import journeys

blp = Blueprint("exports", __name__, url_prefix="/v1/journeys", description="Exports for mapping tools.")


@blp.route("/<string:key>/export", methods=["GET"])
@require_scope("read")
@blp.arguments(ExportArgsSchema, location="query")
@blp.response(
    200, description="The file, as an attachment (streamed for csv and xlsx).", content_type="application/octet-stream"
)
@blp.alt_response(404, description="No such journey on this site.")
def export_journey(args, key):
    """Download a journey as csv, xlsx, json, svg, drawio, lucid, journey-table, journey-table-xlsx or metrics.

    Takes the curve's filters; every number also in the curve equals the
    curve endpoint's for the same filters.
    """
    return export_response(journeys.get_journey(read_session(db.session), g.site, key), args)
