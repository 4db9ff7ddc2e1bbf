"""The counters and histograms Stepsense exports to Prometheus.

Defined once here so that the HTTP layer and the services count into the same
series. Under gunicorn each worker writes its values to files in
``PROMETHEUS_MULTIPROC_DIR`` (``stepsense serve`` sets it up) and ``/metrics``
adds them up, so every worker's requests are counted whichever one answers.
Labels are bounded: route templates, not paths; error codes, not messages.
"""

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "stepsense_http_requests_total",
    "Requests answered, by route template, method and status.",
    ["endpoint", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "stepsense_http_request_duration_seconds",
    "Time to answer a request, by route template.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
INGESTED = Counter(
    "stepsense_ingest_items_total",
    "Answers and events taken in: stored, queued (in the ingest log), or a duplicate of a stored or queued one.",
    ["kind", "outcome"],
)
REFUSED = Counter(
    "stepsense_ingest_refused_total",
    "Public ingest requests refused, by kind and error code.",
    ["kind", "reason"],
)
ROLLUP_WRITE = Histogram(
    "stepsense_rollup_write_seconds",
    "Time of one ingest transaction's rows and rollups, by kind.",
    ["kind"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
)
ALERT_DELIVERIES = Counter(
    "stepsense_alert_deliveries_total",
    "Alert webhook delivery attempts, by outcome.",
    ["outcome"],
)
QUEUE_WORKER_ITEMS = Counter(
    "stepsense_ingest_worker_items_total",
    "Queued items an ingest worker finished: stored, duplicate (stored before), dead (to the dead letters).",
    ["kind", "outcome"],
)
QUEUE_WORKER_RETRIES = Counter(
    "stepsense_ingest_worker_backoffs_total",
    "Fetched batches an ingest worker left unacknowledged, by reason.",
    ["reason"],
)
