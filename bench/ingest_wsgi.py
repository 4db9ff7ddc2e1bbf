"""The real app plus bench-only endpoints: ``gunicorn bench.ingest_wsgi:app``.

``POST /bench/noop`` sits on a blueprint with the public endpoints' CORS hook,
so it runs the same middleware and after_request hooks as ``/v1/responses``
and only skips the work: parsing, validation, scoring and the commit.

``POST /bench/unstored`` does the answer path's work but the write: parses and
validates the body, finds the site, redacts and scores each answer, and
acknowledges without storing (nor the rate-limit and response-schema layers of
the real view). Its rate is the ceiling the single-answer path could reach if
storing cost nothing; a diagnostic, not a target.

``POST /bench/insert`` commits one row of one column (``bench_rows``, created
by the bench's seed step) through SQLAlchemy Core and answers: the floor of
any durable write on this stack and server, also a diagnostic.
"""

import sqlalchemy as sa
from flask import Blueprint

from collector import create_app
from collector.api.cors import add_cors_headers
from collector.api.ingest import routes
from collector.extensions import db
from collector.ingest import store as ingest

BENCH_ROWS = sa.Table(
    "bench_rows", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.String(8))
)

bp = Blueprint("bench", __name__, url_prefix="/bench")
bp.after_request(add_cors_headers)


@bp.post("/noop")
def noop():
    """Answer like ingest does, with a small JSON object, and do nothing."""
    return {"ok": True}


@bp.post("/unstored")
def unstored():
    items = routes._load(routes.RESPONSE_IN, routes.RESPONSE_BATCH, "responses")
    batch = ingest.prepare_responses(routes._site(items[0]["site_key"]), items)
    return {"received": batch.received, "stored": len(batch.records), "duplicates": 0}, 201


@bp.post("/insert")
def insert():
    with db.engine.begin() as conn:
        conn.execute(BENCH_ROWS.insert(), {"v": "x"})
    return {"ok": True}, 201


app = create_app()
app.register_blueprint(bp)
