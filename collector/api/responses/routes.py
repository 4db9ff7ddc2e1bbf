"""CX API: reading answers back, newest first, with filters and cursor pages."""

from flask import g

from collector.analytics import responses
from collector.api.auth import require_scope
from collector.api.json_input import Blueprint
from collector.api.responses.schemas import ResponseArgsSchema, ResponsePageSchema
from collector.common.replicas import read_session
from collector.extensions import db

blp = Blueprint("responses", __name__, url_prefix="/v1/responses", description="Stored answers.")


@blp.route("", methods=["GET"])
@require_scope("read")
@blp.arguments(ResponseArgsSchema, location="query")
@blp.response(200, ResponsePageSchema)
def list_responses(args):
    """List answers, newest first; follow `next_cursor` for more."""
    items, next_cursor = responses.list_responses(read_session(db.session), g.site, args)  # a replica if any
    return {"items": items, "next_cursor": next_cursor}
