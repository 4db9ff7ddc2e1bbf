"""Database outage against a real gunicorn: PostgreSQL behind a TCP proxy the
test cuts and restores. Ingest answers 503 with Retry-After (never 500),
/healthz says so, and the same processes serve again once the database is back."""

import os
import time
import uuid

import pytest
from sqlalchemy.engine import make_url

from tests.helpers import app_for
from tests.reliability.helpers import request

NO_SERVER = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1"


def _answer(site) -> dict:
    return {
        "site_key": site.public_key,
        "journey": "checkout",
        "step": "payment",
        "kind": "csat",
        "score": 2,
        "client_id": str(uuid.uuid4()),
        "visitor_id": "v1",
    }


def _event(site) -> dict:
    event = {**_answer(site), "type": "impression"}
    del event["score"]
    return event


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_browser_requests_get_503_not_500_when_the_database_is_down():
    """The CORS hook, which looks up origins for error responses, must not turn an outage's 503 into a 500."""
    client = app_for(NO_SERVER).test_client()
    body = {"site_key": "pk_x", "journey": "j", "step": "s", "kind": "csat", "score": 3, "client_id": str(uuid.uuid4())}
    origin = {"Origin": "https://shop.example.com"}
    for response in (
        client.post("/v1/responses", json=body, headers=origin),
        client.get("/v1/sites/pk_x/config", headers=origin),
    ):
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
        assert "Access-Control-Allow-Origin" not in response.headers
    preflight = client.options("/v1/responses", headers={**origin, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code < 500


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_database_outage_is_503_and_service_resumes_without_restart(app, site, database_url, db_proxy, gunicorn):
    """Cut the database: 503 + Retry-After everywhere, no 500; restore it: 201 again from the same processes."""
    proxied = (
        make_url(database_url).set(host="127.0.0.1", port=db_proxy.port).update_query_dict({"connect_timeout": "2"})
    )
    server = gunicorn(proxied.render_as_string(hide_password=False))
    headers = {"Origin": site.origin}
    assert request(server.port, "POST", "/v1/responses", _answer(site), headers)[0] == 201
    assert request(server.port, "GET", "/healthz")[0] == 200
    pids = (server.pid, sorted(server.worker_pids()))

    db_proxy.stop()
    seen = []
    for _ in range(10):  # both workers, pooled connections and new ones
        for method, path, body, extra in (
            ("POST", "/v1/responses", _answer(site), headers),
            ("POST", "/v1/events", _event(site), headers),
            ("GET", f"/v1/sites/{site.public_key}/config", None, headers),
            ("GET", "/v1/responses", None, {"Authorization": f"Bearer {site.secret}"}),
        ):
            status, response_headers, data = request(server.port, method, path, body, extra)
            seen.append(status)
            assert status == 503, (method, path, status, data[:300])
            assert int(response_headers["retry-after"]) > 0
            assert b'"unavailable"' in data
    status, response_headers, data = request(server.port, "GET", "/healthz")
    assert status == 503 and b'"unavailable"' in data and int(response_headers["retry-after"]) > 0

    db_proxy.start()
    _wait_for(lambda: request(server.port, "GET", "/healthz")[0] == 200, 15, "/healthz to recover")
    statuses = [request(server.port, "POST", "/v1/responses", _answer(site), headers)[0] for _ in range(10)]
    assert statuses == [201] * 10
    assert (server.pid, sorted(server.worker_pids())) == pids, "the server was restarted"
    print(
        f"\noutage: {len(seen)} requests during the outage, all 503 with Retry-After; recovered without restart",
        flush=True,
    )
