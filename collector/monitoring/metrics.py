"""``/metrics`` for Prometheus, and the per-request series.

Off unless ``METRICS_ENABLED``; with ``METRICS_TOKEN`` set, a scrape must send
``Authorization: Bearer <token>``. Without a token, keep /metrics off the
public internet at the proxy (docs/monitoring.md).
"""

import hmac
import os
import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Gauge, generate_latest, multiprocess

from collector.api.errors import CODES, error_payload
from collector.common.errors import Unavailable
from collector.common.metrics import HTTP_LATENCY, HTTP_REQUESTS, REFUSED
from collector.ingest import queue, queue_status

bp = Blueprint("metrics", __name__)

# Seconds a scrape waits for the broker's answer about the ingest log.
LOG_STATUS_TIMEOUT = 2.0

# Public ingest endpoints whose refusals are counted by reason.
INGEST_KINDS = {"ingest.post_responses": "answer", "ingest.post_events": "event"}


def _registry():
    """Every worker's values when gunicorn runs several (multiprocess mode), else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


@bp.get("/metrics")
def scrape():
    """The metrics in Prometheus' text format."""
    if not current_app.config["METRICS_ENABLED"]:
        return error_payload(404, "Not found."), 404
    token = current_app.config["METRICS_TOKEN"]
    if token:
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(), token.encode()):
            return (
                error_payload(401, "Send the metrics token as 'Authorization: Bearer …'."),
                401,
                {"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
    return Response(generate_latest(_registry()) + _ingest_log(), content_type=CONTENT_TYPE_LATEST)


def _ingest_log() -> bytes:
    """The ingest log's backlog, asked of the broker at scrape time (one answer for
    every worker, so no per-process gauge); nothing without ``INGEST_QUEUE_URL``."""
    settings = queue.QueueSettings.from_config(current_app.config)
    if settings is None:
        return b""
    registry = CollectorRegistry()
    up = Gauge("stepsense_ingest_log_up", "1 when the broker answered this scrape.", registry=registry)
    lag = Gauge("stepsense_ingest_log_lag_items", "Items in the log not yet stored by a worker.", registry=registry)
    age = Gauge("stepsense_ingest_log_lag_seconds", "Age of the oldest item not yet stored.", registry=registry)
    dead = Gauge("stepsense_ingest_dead_letters", "Items set aside as poison, with a reason.", registry=registry)
    try:
        state = queue.publisher(settings).run(queue_status.status, settings, timeout=LOG_STATUS_TIMEOUT)
    except Unavailable:
        up.set(0)
    else:
        up.set(1)
        lag.set(state.lag)
        age.set(state.lag_seconds)
        dead.set(state.dead_letters)
    return generate_latest(registry)


def _count(response: Response) -> Response:
    if request.endpoint == "metrics.scrape":
        return response
    endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
    HTTP_REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    started = g.get("request_started")
    if started is not None:
        HTTP_LATENCY.labels(endpoint).observe(time.perf_counter() - started)
    kind = INGEST_KINDS.get(request.endpoint or "")
    if kind and response.status_code >= 400:
        REFUSED.labels(kind, CODES.get(response.status_code, str(response.status_code))).inc()
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.after_request(_count)
