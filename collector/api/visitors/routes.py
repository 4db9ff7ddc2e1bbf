"""CX API: erasing a visitor's data on request (GDPR Art. 17)."""

import re

import marshmallow as ma
from flask import g
from marshmallow import fields

from collector.api.auth import require_scope
from collector.api.errors import abort
from collector.api.fields import ID_PATTERN
from collector.api.json_input import Blueprint
from collector.extensions import db
from collector.privacy.erasure import erase_visitor

blp = Blueprint("visitors", __name__, url_prefix="/v1/visitors", description="Visitor erasure.")


class ErasureSchema(ma.Schema):
    visitor_id = fields.String()
    responses = fields.Integer(metadata={"description": "Answers deleted."})
    events = fields.Integer(metadata={"description": "Events deleted."})


@blp.route("/<string:visitor_id>", methods=["DELETE"])
@require_scope("write")
@blp.response(200, ErasureSchema)
@blp.alt_response(422, description="Not a visitor ID.")
def delete_visitor(visitor_id):
    """Delete every answer and event of this visitor on the key's site.

    Idempotent: erasing an unknown or already erased visitor deletes nothing.
    An ID with one trailing newline (`%0A`) is taken too: answers sent before
    such IDs were refused may carry one.
    """
    if not re.fullmatch(ID_PATTERN, visitor_id.removesuffix("\n")):
        abort(422, "Not a visitor ID.", details={"visitor_id": ["Use the 1-64 character ID the widget stores."]})
    return {"visitor_id": visitor_id, **erase_visitor(db.session, g.site, visitor_id)}
