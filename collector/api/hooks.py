"""Request hooks shared by the CX blueprints."""

from flask import request

from collector.api.errors import abort


def require_json_body() -> None:
    """CX endpoints read JSON only; anything else is 415, not a confusing 422.

    A chunked body has no Content-Length but is a body all the same.
    """
    has_body = request.content_length or request.headers.get("Transfer-Encoding")
    if request.method in {"POST", "PUT", "PATCH"} and has_body and not request.is_json:
        abort(415, "Send the body as application/json.")
