"""Prometheus metrics at /metrics: off by default, guarded by a token, and
counting what really happened."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from collector.extensions import db
from tests.helpers import answer, app_for


def samples(text: str) -> dict[tuple, float]:
    """``{(name, frozenset(labels)): value}`` of a scrape."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(scrape: dict, name: str, **labels) -> float:
    return scrape.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def app(database_url):
    """The app with metrics on, behind a token (overrides conftest's ``app``)."""
    app = app_for(database_url, METRICS_ENABLED=True, METRICS_TOKEN="scrape-me")
    yield app
    with app.app_context():
        db.engine.dispose()


def scrape(client) -> dict:
    response = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert response.status_code == 200
    return samples(response.get_data(as_text=True))


def test_metrics_are_off_by_default(database_url):
    response = app_for(database_url).test_client().get("/metrics")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_a_scrape_needs_the_token(client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_requests_and_ingest_outcomes_are_counted(client, site):
    before = scrape(client)
    body = answer(site, client_id="6f1c1b2e-0000-4000-8000-000000000001")
    first = client.post("/v1/responses", json=body)
    assert first.status_code == 201, first.json
    assert client.post("/v1/responses", json=body).status_code == 200  # a resend: a duplicate
    assert (
        client.post(
            "/v1/responses", json={**body, "score": 99, "client_id": "6f1c1b2e-0000-4000-8000-000000000002"}
        ).status_code
        == 422
    )
    after = scrape(client)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("stepsense_ingest_items_total", kind="answer", outcome="stored") == 1
    assert grew("stepsense_ingest_items_total", kind="answer", outcome="duplicate") == 1
    assert grew("stepsense_ingest_refused_total", kind="answer", reason="validation_error") == 1
    assert grew("stepsense_http_requests_total", endpoint="/v1/responses", method="POST", status="201") == 1
    assert grew("stepsense_http_requests_total", endpoint="/v1/responses", method="POST", status="422") == 1
    assert grew("stepsense_http_request_duration_seconds_count", endpoint="/v1/responses") == 3
    assert grew("stepsense_rollup_write_seconds_count", kind="answer") >= 1


def test_alert_deliveries_are_counted_by_outcome(client, api, receiver):
    """A delivered test and one to a receiver that answers 500 land in their own series."""
    api.post("/v1/journeys", json={"key": "checkout", "steps": [{"key": "payment"}]})
    rule = api.post(
        "/v1/alerts/rules",
        json={"name": "Payment", "journey": "checkout", "kind": "emotion_drop", "webhook_url": receiver.url},
    ).json
    receiver.secret = rule["secret"]  # the receiver answers 401 to a request it cannot verify
    before = scrape(client)
    assert api.post(f"/v1/alerts/rules/{rule['id']}/test").json["status"] == "delivered"
    after = scrape(client)
    assert (
        value(after, "stepsense_alert_deliveries_total", outcome="delivered")
        - value(before, "stepsense_alert_deliveries_total", outcome="delivered")
        == 1
    )
