"""Structured logs: one JSON object per line, a request id on every line of a
request, and no comment text, secret or client IP anywhere."""

import io
import json
import logging

import pytest

from collector.monitoring.logs import JsonFormatter, RequestIdFilter
from tests.helpers import answer, app_for


@pytest.fixture
def log_lines():
    """Every line logged while the test runs, formatted as LOG_FORMAT=json writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_request_id_from_the_proxy_is_returned_and_logged(client, log_lines):
    response = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a"})
    assert response.headers["X-Request-ID"] == "edge-7f3a"
    summary = [line for line in log_lines() if line["logger"] == "stepsense.request"]
    assert summary == [
        {
            "time": summary[0]["time"],
            "level": "INFO",
            "logger": "stepsense.request",
            "message": "GET /healthz 200",
            "request_id": "edge-7f3a",
            "method": "GET",
            "path": "/healthz",
            "status": 200,
            "duration_ms": summary[0]["duration_ms"],
        }
    ]
    assert summary[0]["duration_ms"] >= 0


def test_a_request_without_an_id_gets_a_fresh_one(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_an_unsafe_request_id_is_replaced(client):
    sent = 'x" injected\nline'
    assert client.get("/healthz", headers={"X-Request-ID": sent[:9]}).headers["X-Request-ID"] != sent[:9]


def test_every_line_of_a_request_carries_its_id(app, client, log_lines):
    """A line a service logs mid-request (the alerts run logs a warning, say) gets the id too."""

    @app.get("/_log_twice")
    def log_twice():
        logging.getLogger("collector.somewhere").warning("first")
        logging.getLogger("sqlalchemy.somewhere").warning("second")
        return "ok"

    client.get("/_log_twice", headers={"X-Request-ID": "req-42"})
    lines = [
        line for line in log_lines() if line["message"] in ("first", "second") or line["logger"] == "stepsense.request"
    ]
    assert len(lines) == 3
    assert {line["request_id"] for line in lines} == {"req-42"}


def test_no_comment_secret_or_ip_in_any_line(app, client, site, log_lines):
    """Ingest, a refused request and a CX call with a secret key leave none of them in the logs."""
    comment = "My card 4111 1111 1111 1111 was charged twice, call me"
    client.post(
        "/v1/responses",
        json=answer(site, comment=comment, client_id="6f1c1b2e-0000-4000-8000-0000000000c1"),
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
    )
    client.post(
        "/v1/responses", data="{not json", content_type="text/plain", environ_base={"REMOTE_ADDR": "203.0.113.77"}
    )
    client.get(
        "/v1/responses?limit=1",
        headers={"Authorization": f"Bearer {site.secret}"},
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
    )
    text = "\n".join(json.dumps(line) for line in log_lines())
    assert "stepsense.request" in text
    for secret in ("203.0.113.77", "card", "4111", site.secret, "limit=1"):
        assert secret not in text


def test_a_rate_limited_client_ip_is_not_logged(database_url, log_lines):
    """Flask-Limiter would name the IP of every client it turns away."""
    app = app_for(database_url, RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC_PER_IP="1/minute", LOG_LEVEL="DEBUG")
    logging.getLogger().setLevel(logging.DEBUG)
    client = app.test_client()
    for _ in range(3):
        last = client.get("/v1/sites/pk_unknown/config", environ_base={"REMOTE_ADDR": "198.51.100.23"})
    assert last.status_code == 429
    text = "\n".join(json.dumps(line) for line in log_lines())
    assert "429" in text
    assert "198.51.100.23" not in text
