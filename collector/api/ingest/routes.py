"""Public endpoints used by the widget: answers, events and the site's config."""

import hashlib
import json

import marshmallow as ma
from flask import current_app, request

from collector.api.cors import add_cors_headers, check_origin
from collector.api.errors import abort
from collector.api.ingest.body import json_body, site_key_in_body
from collector.api.ingest.schemas import (
    EventBatchSchema,
    EventInSchema,
    IngestResultSchema,
    ResponseBatchSchema,
    ResponseInSchema,
    WidgetConfigSchema,
)
from collector.api.json_input import Blueprint
from collector.common.metrics import INGESTED
from collector.extensions import db, limiter
from collector.ingest import known_steps, log_format, queue
from collector.ingest import store as ingest
from collector.tenancy import sites

blp = Blueprint(
    "ingest", __name__, url_prefix="/v1", description="Public endpoints the widget calls (CORS, rate-limited)."
)
blp.after_request(add_cors_headers)

CONFIG_MAX_AGE = 60
# Built once: a schema instance holds no per-request state, and building one
# per request costs about as much as loading a single answer with it.
RESPONSE_IN = ResponseInSchema()
RESPONSE_BATCH = ResponseBatchSchema()
EVENT_IN = EventInSchema()
EVENT_BATCH = EventBatchSchema()


def _per_ip() -> str:
    return current_app.config["RATELIMIT_PUBLIC_PER_IP"]


def _per_site() -> str:
    return current_app.config["RATELIMIT_PUBLIC_PER_SITE"]


def _site_key() -> str:
    key = (request.view_args or {}).get("public_key") or site_key_in_body()
    return f"site:{key}"


def rate_limited(view):
    """The public endpoints' limits: one per client IP, one per site key."""
    view = limiter.limit(_per_site, key_func=_site_key, scope="public-site")(view)
    return limiter.limit(_per_ip, scope="public-ip")(view)


def _load(single: ma.Schema, batch: ma.Schema, batch_key: str) -> list[dict]:
    """Load one item or a batch; a batch must name a single site."""
    body = json_body()
    if not isinstance(body, dict):
        abort(422, "Send a JSON object.", details={"_schema": ["Expected an object."]})
    try:
        items = batch.load(body)[batch_key] if batch_key in body else [single.load(body)]
    except ma.ValidationError as error:
        abort(422, "The request failed validation.", details=error.messages)
    if len({item["site_key"] for item in items}) > 1:
        abort(422, "All items of a batch must have the same site_key.", details={"site_key": ["Mixed site keys."]})
    return items


def _site(public_key: str, stale_ok: bool = False) -> sites.SiteSnapshot:
    site = sites.site_cache.site(db.session, public_key, stale_ok=stale_ok)
    if site is None:
        abort(404, "Unknown site key.")
    check_origin(site)
    return site


PUBLIC_WRITE_ERRORS = {
    400: "Malformed JSON.",
    403: "Origin not allowed for the site.",
    404: "Unknown site key.",
    413: "Body too large.",
    415: "Not JSON or text/plain.",
    422: "Validation failed; nothing was stored.",
    429: "Rate limit reached.",
}


def public_write_errors(view):
    """Document the errors both public write endpoints can answer."""
    for status, description in PUBLIC_WRITE_ERRORS.items():
        view = blp.alt_response(status, description=description)(view)
    return view


def _body_doc(single: type[ma.Schema], batch: type[ma.Schema]) -> dict:
    schema = {"oneOf": [single, batch]}
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}, "text/plain": {"schema": schema}},
        }
    }


QUEUED_DESCRIPTION = (
    "With the ingest log (INGEST_QUEUE_URL): the items are durably in the replicated log and a worker will "
    "store them; `queued` counts those new to the log. The widget treats it as delivered."
)
UNAVAILABLE_DESCRIPTION = (
    "The database (direct path) or the ingest log's broker (queued path) is unavailable; nothing was "
    "accepted. Retry after the Retry-After seconds (the widget keeps the items queued)."
)


def queued_responses(view):
    """Document the queued path's answers."""
    view = blp.alt_response(202, schema=IngestResultSchema, description=QUEUED_DESCRIPTION)(view)
    return blp.alt_response(503, description=UNAVAILABLE_DESCRIPTION)(view)


def _queue_settings() -> queue.QueueSettings | None:
    settings = current_app.extensions.get("stepsense.queue_settings", False)
    if settings is False:
        settings = current_app.extensions["stepsense.queue_settings"] = queue.QueueSettings.from_config(
            current_app.config
        )
    return settings


def _enqueue(kind: str, settings: queue.QueueSettings, batch: ingest.Batch):
    """The queued path: the prepared batch into the log, answered once the broker acknowledged it."""
    known_steps.check_steps(db.engine, batch)
    messages = log_format.messages(settings, kind, batch.site.id, batch.records, batch.trapped)
    new = queue.publisher(settings).publish(messages) if messages else 0
    INGESTED.labels(kind, "queued").inc(new)
    INGESTED.labels(kind, "duplicate").inc(batch.received - new)
    return {"received": batch.received, "queued": new, "duplicates": batch.received - new}, 202 if new else 200


@blp.route("/responses", methods=["POST"])
@blp.doc(**_body_doc(ResponseInSchema, ResponseBatchSchema))
@blp.response(201, IngestResultSchema, description="At least one new answer was stored.")
@blp.alt_response(200, schema=IngestResultSchema, description="Every answer was a retry of a stored one.")
@queued_responses
@public_write_errors
@rate_limited
def post_responses():
    """Store one answer or a batch of up to 50.

    Each answer is redacted, scored for sentiment and emotion, and stored once
    per `client_id`: resending is safe and stores nothing new.
    """
    items = _load(RESPONSE_IN, RESPONSE_BATCH, "responses")
    if settings := _queue_settings():
        return _enqueue("answer", settings, ingest.prepare_responses(_site(items[0]["site_key"], stale_ok=True), items))
    result = ingest.store_responses(db.engine, _site(items[0]["site_key"]), items)
    return _result("answer", result)


@blp.route("/events", methods=["POST"])
@blp.doc(**_body_doc(EventInSchema, EventBatchSchema))
@blp.response(201, IngestResultSchema, description="At least one new event was stored.")
@blp.alt_response(200, schema=IngestResultSchema, description="Every event was a retry.")
@queued_responses
@public_write_errors
@rate_limited
def post_events():
    """Record impressions, dismissals, exit-intent shows and step views (batches up to 100)."""
    items = _load(EVENT_IN, EVENT_BATCH, "events")
    if settings := _queue_settings():
        return _enqueue("event", settings, ingest.prepare_events(_site(items[0]["site_key"], stale_ok=True), items))
    result = ingest.store_events(db.engine, _site(items[0]["site_key"]), items)
    return _result("event", result)


def _result(kind: str, result: ingest.IngestResult):
    INGESTED.labels(kind, "stored").inc(result.stored)
    INGESTED.labels(kind, "duplicate").inc(result.duplicates)
    body = {"received": result.received, "stored": result.stored, "duplicates": result.duplicates}
    return body, 201 if result.stored else 200


@blp.route("/sites/<string:public_key>/config", methods=["GET"])
@blp.response(200, WidgetConfigSchema)
@blp.alt_response(304, description="Not modified since the ETag sent in If-None-Match.")
@blp.alt_response(403, description="Origin not allowed for the site.")
@blp.alt_response(404, description="Unknown site key.")
@blp.alt_response(429, description="Rate limit reached.")
@rate_limited
def get_config(public_key: str):
    """What the widget should ask on each step of each journey, and how it looks.

    Cached for a minute by browsers and CDNs; revalidate with the ETag.
    """
    site = _site(public_key)
    config = WidgetConfigSchema().dump(sites.widget_config(db.session, site.id))
    etag = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:32]
    response = current_app.json.response(config)
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = CONFIG_MAX_AGE
    return response.make_conditional(request)
