"""Request hooks shared by the CX blueprints."""

from flask import request

from collector.api.errors import abort


def require_json_body() -> None:
    """CX endpoints read JSON only; anything else is 415, not a confusing 422."""
    if request.method in {"POST", "PUT", "PATCH"} and request.content_length and not request.is_json:
        abort(415, "Send the body as application/json.")
