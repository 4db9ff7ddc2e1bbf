"""Configuration read from environment variables, with defaults that are safe to run.

Every variable is listed in the README's configuration table.
"""

import os
import secrets


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


class Config:
    """Production defaults; each can be overridden by an environment variable."""

    # None means "an SQLite file in the instance folder", resolved by create_app
    # because the instance path is only known there.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    # A random key keeps sessions safe on a single process; set SECRET_KEY for
    # several workers or hosts, or sessions break between them.
    SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
    # No pool_pre_ping: it cost a round trip (SELECT 1) on every checkout. A
    # pooled connection that died (database restart, outage) fails its first
    # statement instead; SQLAlchemy sees the disconnect and invalidates the
    # pool, the request answers 503 with Retry-After (collector.api.errors), the
    # widget keeps the answer and resends it, and the next checkout reconnects.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # Dashboard sign-in cookie; Secure is added per request when served over HTTPS.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"

    # Widget payloads are a few hundred bytes; 64 KiB leaves room for a full batch.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 64 * 1024)
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "WARNING")
    # "text" for people at a terminal, "json" (one object per line) for log search.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    # Prometheus metrics at /metrics; with a token, scrapes must send it as a Bearer token.
    METRICS_ENABLED = _env_bool("METRICS_ENABLED", False)
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
    # Number of proxies in front of the app whose X-Forwarded-For may be trusted.
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)
    # Seconds a site's settings and origins are cached per worker process.
    SITE_CACHE_SECONDS = _env_int("SITE_CACHE_SECONDS", 10)
    # Seconds between alert runs in a background thread of each process; 0 leaves
    # it to cron (`stepsense alerts run`).
    ALERTS_SCHEDULER_SECONDS = _env_int("ALERTS_SCHEDULER_SECONDS", 0)
    # Webhooks to loopback or private addresses would let an API key probe the
    # server's own network; allow them only where that network is trusted.
    ALERTS_ALLOW_PRIVATE_TARGETS = _env_bool("ALERTS_ALLOW_PRIVATE_TARGETS", False)
    # The demo shop's pages under /demo/; `stepsense demo` turns them on by itself.
    DEMO_ENABLED = _env_bool("DEMO_ENABLED", False)
    # Or allow just these non-public networks, comma-separated CIDRs (e.g. an
    # internal relay at 10.0.5.7/32); everything else stays refused.
    ALERTS_ALLOWED_PRIVATE_NETWORKS = os.environ.get("ALERTS_ALLOWED_PRIVATE_NETWORKS", "")
    # E-mail for alert rules and digests: smtp://host:port (?starttls=true) or smtps://host:465,
    # with user:password@ to log in; SMTP_FROM is the sender. Unset: no e-mail.
    SMTP_URL = os.environ.get("SMTP_URL", "")
    SMTP_FROM = os.environ.get("SMTP_FROM", "")
    # Where the app is reached from outside, e.g. https://cx.example.com: links in alerts.
    PUBLIC_URL = os.environ.get("PUBLIC_URL")
    # A site that auto-registers gets the journeys and steps the widget names created
    # on the fly; these caps keep a bot making up names from bloating the config
    # every page view downloads. Journeys and steps made through the API don't count.
    AUTO_REGISTER_MAX_JOURNEYS = _env_int("AUTO_REGISTER_MAX_JOURNEYS", 50)
    AUTO_REGISTER_MAX_STEPS = _env_int("AUTO_REGISTER_MAX_STEPS", 50)  # per journey
    AUTO_REGISTER_JOURNEYS_PER_HOUR = _env_int("AUTO_REGISTER_JOURNEYS_PER_HOUR", 20)

    # Seconds each process trusts its compiled copy of a step's theme model before
    # checking the stored version (new comments are themed at ingest with it).
    THEMES_MODEL_CHECK_SECONDS = _env_int("THEMES_MODEL_CHECK_SECONDS", 10)
    # A curation (rename, merge, split, pin, hide) rebuilds its step at once when the
    # step has at most this many comments; larger steps wait for `stepsense themes rebuild`.
    THEMES_CURATION_REBUILD_MAX = _env_int("THEMES_CURATION_REBUILD_MAX", 20_000)
    # Scale path (docs/scaling.md). With a queue URL, public ingest publishes to a
    # replicated NATS JetStream log and `stepsense ingest worker` writes it to the
    # database; unset, ingest writes directly (the default).
    INGEST_QUEUE_URL = os.environ.get("INGEST_QUEUE_URL", "")  # nats://host:4222[,nats://…]
    INGEST_QUEUE_STREAM = os.environ.get("INGEST_QUEUE_STREAM", "stepsense")
    INGEST_QUEUE_REPLICAS = _env_int("INGEST_QUEUE_REPLICAS", 1)  # 3 on a three-node cluster
    # Seconds to wait for the broker's acknowledgement before answering 503.
    INGEST_QUEUE_TIMEOUT = float(os.environ.get("INGEST_QUEUE_TIMEOUT") or 2)
    # Seconds the broker remembers a message id, to drop a resent item as a duplicate.
    INGEST_QUEUE_DUPLICATE_WINDOW = _env_int("INGEST_QUEUE_DUPLICATE_WINDOW", 600)
    # Read replicas for listings, curves, themes, exports and dashboard reads,
    # comma-separated; one that is down or lags more than the maximum is skipped.
    DATABASE_READ_URL = os.environ.get("DATABASE_READ_URL", "")
    REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS") or 5)
    # redis://… : site changes are announced there so every worker of every host
    # drops its cached copy at once, instead of after SITE_CACHE_SECONDS.
    CACHE_INVALIDATION_URL = os.environ.get("CACHE_INVALIDATION_URL", "")

    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # Namespaces the limiter's keys when several deployments share one Redis.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_PUBLIC_PER_IP = os.environ.get("RATELIMIT_PUBLIC_PER_IP", "120/minute")
    RATELIMIT_PUBLIC_PER_SITE = os.environ.get("RATELIMIT_PUBLIC_PER_SITE", "6000/minute")
    RATELIMIT_API_PER_KEY = os.environ.get("RATELIMIT_API_PER_KEY", "600/minute")

    API_TITLE = "Stepsense API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"


class TestConfig(Config):
    """Tests run on TEST_DATABASE_URL when set (PostgreSQL in CI), else SQLite."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    SITE_CACHE_SECONDS = 0
    THEMES_MODEL_CHECK_SECONDS = 0
    ALERTS_SCHEDULER_SECONDS = 0
    # The SSRF guard stays on in tests; only the tests' receivers on 127.0.0.1 are let through.
    ALERTS_ALLOW_PRIVATE_TARGETS = False
    ALERTS_ALLOWED_PRIVATE_NETWORKS = "127.0.0.1/32"
    DEMO_ENABLED = True  # the widget and browser tests walk the demo shop
    INGEST_QUEUE_URL = ""  # tests of the scale path set it (tests/scale)
    DATABASE_READ_URL = ""
    CACHE_INVALIDATION_URL = ""
