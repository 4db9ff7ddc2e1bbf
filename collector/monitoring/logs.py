"""Request ids and structured logs.

Every request gets an id: the proxy's ``X-Request-ID`` when it sent a sane one,
else a fresh one. It is returned in the response and put on every log line
written while the request runs, so one visitor's trouble can be followed
through the proxy, the app and the database logs.

With ``LOG_FORMAT=json`` each line is one JSON object: ``time``, ``level``,
``logger``, ``message``, ``request_id`` and, on the request's own summary line,
``method``, ``path``, ``status`` and ``duration_ms``. Lines never carry a
comment's text, a secret or the client's IP: the summary logs the path
without its query string, and nothing else here reads the body or headers.
"""

import json
import logging
import re
import secrets
import time
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# Ids from a proxy are echoed into logs and headers: only short, plain tokens.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
SUMMARY_FIELDS = ("method", "path", "status", "duration_ms")

request_log = logging.getLogger("stepsense.request")


def current_request_id() -> str | None:
    """The running request's id, or None outside a request."""
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Puts the running request's id on every record (None outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for name in SUMMARY_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure_logging(level: str, log_format: str) -> None:
    """Set up the root logger once per process: level, format, request ids."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "stepsense", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler.stepsense = True
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root.setLevel(level)
    # Flask-Limiter names the client's IP in its INFO line on every breach; the
    # 429s are counted in the request metrics and logged on the request's line.
    logging.getLogger("flask-limiter").setLevel(max(logging.WARNING, root.level))


def _start() -> None:
    sent = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = sent if SAFE_REQUEST_ID.fullmatch(sent) else secrets.token_hex(16)
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.get("request_id") or ""
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 2) if started is not None else None
    request_log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
        },
    )
    return response


def init_app(app: Flask) -> None:
    """Configure logging from ``LOG_LEVEL``/``LOG_FORMAT`` and give every request an id."""
    configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    app.logger.setLevel(app.config["LOG_LEVEL"])
    app.before_request(_start)
    app.after_request(_finish)
