"""A journey's export as a file download: shared by the export endpoint and the
dashboard's download buttons, so both send the same bytes and headers."""

from flask import Response, stream_with_context

from collector import exports
from collector.common.replicas import read_session
from collector.extensions import db
from collector.models import Journey


def export_response(journey: Journey, args: dict) -> Response:
    """The journey exported in ``args["format"]`` with ``args``' filters, as an
    attachment; shared by this endpoint and the dashboard's download buttons."""
    export_format = exports.REGISTRY[args["format"]]
    if export_format.per_response:
        chunks = _streamed(export_format, journey.id, args)
    else:
        # Small: built now, so a failure still gets a proper error response.
        chunks = iter(list(export_format.write(read_session(db.session), journey, args)))
    name = exports.filename(journey.key, export_format)
    return Response(
        stream_with_context(chunks),
        mimetype=None,
        content_type=export_format.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


def _streamed(export_format, journey_id: int, args: dict):
    """The writer's chunks, with the journey loaded again: by the time a streamed
    body is read, the view's app context (and its session) has been torn down."""
    session = read_session(db.session)  # a replica when there is one: exports only read
    yield from export_format.write(session, session.get(Journey, journey_id), args)
