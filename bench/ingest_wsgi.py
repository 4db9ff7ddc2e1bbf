"""The real app plus one bench-only no-op endpoint: ``gunicorn bench.ingest_wsgi:app``.

``POST /bench/noop`` sits on a blueprint with the public endpoints' CORS hook,
so it runs the same middleware and after_request hooks as ``/v1/responses``
and only skips the work: parsing, validation, scoring and the commit.
"""

from flask import Blueprint

from collector import create_app
from collector.cors import add_cors_headers

bp = Blueprint("bench", __name__, url_prefix="/bench")
bp.after_request(add_cors_headers)


@bp.post("/noop")
def noop():
    """Answer like ingest does, with a small JSON object, and do nothing."""
    return {"ok": True}


app = create_app()
app.register_blueprint(bp)
