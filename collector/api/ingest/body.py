"""Reading the widget's request bodies.

The widget posts JSON as ``text/plain`` (what ``navigator.sendBeacon`` sends,
and a "simple" request that needs no CORS preflight), so public ingest parses
bodies itself instead of relying on webargs, which only reads JSON mimetypes,
with the API's one strict JSON parser (``collector.api.json_input``).
"""

from typing import Any

from flask import g, request
from werkzeug.exceptions import HTTPException

from collector.api.errors import abort
from collector.api.json_input import parse_body

ACCEPTED_MIMETYPES = {"application/json", "text/plain"}


def json_body() -> Any:
    """The parsed body, parsed once per request."""
    if "json_body" not in g:
        if request.mimetype not in ACCEPTED_MIMETYPES:
            abort(415, "Send JSON as application/json or text/plain.")
        g.json_body = parse_body()
    return g.json_body


def site_key_in_body() -> str | None:
    """The site key of a single item or of a batch's first item, if readable."""
    try:
        body = json_body()
    except HTTPException:
        return None
    if isinstance(body, dict):
        for batch_key in ("responses", "events"):
            items = body.get(batch_key)
            if isinstance(items, list) and items and isinstance(items[0], dict):
                body = items[0]
                break
        key = body.get("site_key")
        if isinstance(key, str):
            return key[:40]
    return None
