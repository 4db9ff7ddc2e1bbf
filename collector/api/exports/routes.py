"""CX API: a journey exported for spreadsheets and journey-mapping tools."""

from flask import Response, g, stream_with_context

from collector import exports, journeys
from collector.api.exports.schemas import ExportArgsSchema
from collector.api.json_input import Blueprint
from collector.auth import require_scope
from collector.extensions import db
from collector.models import Journey

blp = Blueprint("exports", __name__, url_prefix="/v1/journeys", description="Exports for mapping tools.")


@blp.route("/<string:key>/export", methods=["GET"])
@require_scope("read")
@blp.arguments(ExportArgsSchema, location="query")
@blp.response(200, description="The file, as an attachment (streamed for csv and xlsx).", content_type="application/octet-stream")
@blp.alt_response(404, description="No such journey on this site.")
def export_journey(args, key):
    """Download a journey as csv, xlsx, json, svg, drawio, lucid, journey-table, journey-table-xlsx or metrics.

    Takes the curve's filters; every number also in the curve equals the
    curve endpoint's for the same filters.
    """
    return export_response(journeys.get_journey(db.session, g.site, key), args)


def export_response(journey: Journey, args: dict) -> Response:
    """The journey exported in ``args["format"]`` with ``args``' filters, as an
    attachment; shared by this endpoint and the dashboard's download buttons."""
    export_format = exports.REGISTRY[args["format"]]
    if export_format.per_response:
        chunks = _streamed(export_format, journey.id, args)
    else:
        # Small: built now, so a failure still gets a proper error response.
        chunks = iter(list(export_format.write(db.session, journey, args)))
    name = exports.filename(journey.key, export_format)
    return Response(stream_with_context(chunks), mimetype=None, content_type=export_format.media_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    })


def _streamed(export_format, journey_id: int, args: dict):
    """The writer's chunks, with the journey loaded again: by the time a streamed
    body is read, the view's app context (and its session) has been torn down."""
    yield from export_format.write(db.session, db.session.get(Journey, journey_id), args)
