"""Serves the built widget (``widget.js`` and its lazily loaded ``widget-ui.js``).

The files are built from ``widget/`` by ``npm run build`` and shipped inside the
package, so a pip install needs no Node. Any site may load them, hence
``Access-Control-Allow-Origin: *``; they are revalidated by ETag after a few
minutes so a new release reaches visitors quickly.
"""

import hashlib
import os
from threading import Lock

from flask import Blueprint, Response, abort, current_app, request

bp = Blueprint("widget", __name__)

FILES = ("widget.js", "widget-ui.js")
MAX_AGE = 300
_cache: dict[str, tuple[float, bytes, str]] = {}
_lock = Lock()


def _load(name: str) -> tuple[bytes, str]:
    """The file's bytes and ETag, re-read only when its mtime changes (a rebuild)."""
    path = os.path.join(current_app.static_folder, name)
    try:
        mtime = os.stat(path).st_mtime
    except FileNotFoundError:
        abort(404)
    hit = _cache.get(name)
    if hit and hit[0] == mtime:
        return hit[1], hit[2]
    with open(path, "rb") as file:
        data = file.read()
    etag = hashlib.sha256(data).hexdigest()[:32]
    with _lock:
        _cache[name] = (mtime, data, etag)
    return data, etag


def _serve(name: str) -> Response:
    data, etag = _load(name)
    response = Response(data, content_type="text/javascript; charset=utf-8")
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response.make_conditional(request)


@bp.get("/widget.js")
def widget_js() -> Response:
    """The embeddable widget: ``<script async src="…/widget.js" data-site="pk_…">``."""
    return _serve("widget.js")


@bp.get("/widget-ui.js")
def widget_ui_js() -> Response:
    """The prompt UI, loaded by widget.js only on pages that may show a prompt."""
    return _serve("widget-ui.js")
