"""Alerts end to end: rules over seeded answers, signed webhooks to a real local
HTTP receiver, retries with backoff driven by an explicit ``now``, the API, the
CLI and the in-process scheduler."""

import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from collector.alerts import service as alerts
from collector import create_app
from collector.tenancy.keys import create_api_key
from collector.config import TestConfig
from collector.extensions import db
from collector.models import AlertDelivery, AlertRule, Journey, Response, Site
from tests.conftest import ApiClient

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
GOOD = [0.4, 0.5, 0.6, 0.7, 0.3]
BAD = [-0.5, -0.3, -0.4, -0.2, -0.6]


class Receiver:
    """A webhook endpoint on 127.0.0.1 that checks each request's HMAC signature.

    ``statuses`` are answered in turn (then 200); a bad signature gets 401.
    """

    def __init__(self) -> None:
        self.secret: str | None = None
        self.statuses: list[int] = []
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signed = self.headers.get("X-Stepsense-Timestamp", "").encode() + b"." + body
                expected = "sha256=" + hmac.new((receiver.secret or "").encode(), signed, hashlib.sha256).hexdigest()
                verified = hmac.compare_digest(self.headers.get("X-Stepsense-Signature", ""), expected)
                receiver.requests.append({"headers": dict(self.headers), "body": body, "verified": verified,
                                          "json": json.loads(body)})
                status = 401 if not verified else (receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def journey(api):
    response = api.post("/v1/journeys", json={"key": "checkout", "steps": [{"key": "cart"}, {"key": "payment"}]})
    assert response.status_code == 201, response.json
    return "checkout"


def seed(app, site_id: int, step: str, start: datetime, emotions: list[float], *, hours: float = 1,
         trigger: str = "inline") -> None:
    """Insert answers at ``step`` of the checkout journey, spread evenly over [start, start + hours)."""
    with app.app_context():
        journey = db.session.scalar(sa.select(Journey).where(Journey.site_id == site_id, Journey.key == "checkout"))
        step_id = next(s.id for s in journey.steps if s.key == step)
        spacing = timedelta(hours=hours) / len(emotions)
        db.session.add_all([
            Response(site_id=site_id, journey_id=journey.id, step_id=step_id, client_id=str(uuid.uuid4()),
                     kind="csat", score=3, emotion=emotion, scorer_version="test", trigger=trigger,
                     created_at=start + spacing * index)
            for index, emotion in enumerate(emotions)
        ])
        db.session.commit()


def make_rule(api, receiver, **fields) -> dict:
    body = {"journey": "checkout", "step": "payment", "kind": "emotion_drop", "webhook_url": receiver.url,
            "window_hours": 1, "min_n": 20, **fields}
    response = api.post("/v1/alerts/rules", json=body)
    assert response.status_code == 201, response.json
    receiver.secret = response.json["secret"]
    return response.json


def evaluate(app, now: datetime) -> list[int]:
    with app.app_context():
        return [delivery.id for delivery in alerts.evaluate_rules(db.session, now, "https://cx.example.com")]


def deliver(app, now: datetime) -> list[dict]:
    with app.app_context():
        return [{"id": d.id, "status": d.status, "attempts": d.attempts, "next": d.next_attempt_at}
                for d in alerts.deliver_pending(db.session, now)]


def test_a_drop_fires_exactly_once_and_the_receiver_verifies_the_signature(app, api, site, journey, receiver, rows):
    make_rule(api, receiver, name="Payment mood")
    seed(app, site.id, "payment", T0 - timedelta(hours=2), GOOD * 8)
    seed(app, site.id, "payment", T0 - timedelta(hours=1), BAD * 8)

    assert len(evaluate(app, T0)) == 1
    assert evaluate(app, T0 + timedelta(minutes=5)) == []  # still true: no second firing
    assert [d["status"] for d in deliver(app, T0 + timedelta(minutes=5))] == ["delivered"]
    assert deliver(app, T0 + timedelta(minutes=6)) == []

    (request,) = receiver.requests
    assert request["verified"]
    assert request["headers"]["Content-Type"] == "application/json"
    (delivery,) = rows(sa.select(AlertDelivery))
    assert request["headers"]["X-Stepsense-Delivery"] == str(delivery.id)
    assert abs(int(request["headers"]["X-Stepsense-Timestamp"]) - time.time()) < 60  # when sent, not the run's clock
    payload = request["json"]
    assert set(payload) >= {"rule", "journey", "step", "kind", "window", "value", "baseline", "p_value", "n",
                            "fired_at", "dashboard_url"}
    assert payload["rule"]["name"] == "Payment mood"
    assert (payload["journey"], payload["step"], payload["kind"], payload["n"]) == ("checkout", "payment", "emotion_drop", 40)
    assert payload["value"] == pytest.approx(-0.4) and payload["baseline"] == pytest.approx(0.5)
    assert payload["p_value"] < 0.05
    assert payload["window"] == {"hours": 1, "from": "2026-11-20T11:00:00Z", "to": "2026-11-20T12:00:00Z",
                                 "baseline_from": "2026-11-20T10:00:00Z", "baseline_to": "2026-11-20T11:00:00Z"}
    assert payload["fired_at"] == "2026-11-20T12:00:00Z"
    assert payload["dashboard_url"] == "https://cx.example.com/dashboard/?journey=checkout"
    (rule,) = rows(sa.select(AlertRule))
    assert rule.last_state == "firing" and rule.firing_steps == ["payment"]


def test_a_rule_fires_again_only_after_recovering(app, api, site, journey, receiver):
    """Fires on each transition into the condition, not on every run while it holds."""
    make_rule(api, receiver)
    for hour, values in ((-2, GOOD), (-1, BAD), (0, GOOD), (1, BAD)):
        seed(app, site.id, "payment", T0 + timedelta(hours=hour), values * 6)
    assert len(evaluate(app, T0)) == 1
    assert evaluate(app, T0) == []
    assert evaluate(app, T0 + timedelta(hours=1)) == []  # recovered: state ok
    assert len(evaluate(app, T0 + timedelta(hours=2))) == 1
    assert [d["status"] for d in deliver(app, T0 + timedelta(hours=2))] == ["delivered", "delivered"]
    assert [r["verified"] for r in receiver.requests] == [True, True]


def test_no_fire_on_noise(app, api, site, journey, receiver, rows):
    """The same spread of values in both periods is no drop."""
    make_rule(api, receiver)
    noise = [0.9, -0.8, 0.1, -0.2, 0.5, -0.6, 0.3, 0.0]
    seed(app, site.id, "payment", T0 - timedelta(hours=2), noise * 4)
    seed(app, site.id, "payment", T0 - timedelta(hours=1), list(reversed(noise)) * 4)
    assert evaluate(app, T0) == []
    (rule,) = rows(sa.select(AlertRule))
    assert rule.last_state == "ok" and rule.firing_steps == []


def test_no_fire_below_min_n(app, api, site, journey, receiver, rows):
    """A big drop on too few answers does not fire, and leaves the state unknown."""
    make_rule(api, receiver, min_n=20)
    seed(app, site.id, "payment", T0 - timedelta(hours=2), GOOD * 8)
    seed(app, site.id, "payment", T0 - timedelta(hours=1), BAD * 3)
    assert evaluate(app, T0) == []
    (rule,) = rows(sa.select(AlertRule))
    assert rule.last_state is None
    assert receiver.requests == []


def test_rule_without_step_watches_each_step(app, api, site, journey, receiver):
    make_rule(api, receiver, step=None)
    for step, before, after in (("cart", GOOD, GOOD), ("payment", GOOD, BAD)):
        seed(app, site.id, step, T0 - timedelta(hours=2), before * 8)
        seed(app, site.id, step, T0 - timedelta(hours=1), after * 8)
    assert len(evaluate(app, T0)) == 1
    deliver(app, T0)
    assert [r["json"]["step"] for r in receiver.requests] == ["payment"]
    assert api.get("/v1/alerts/rules").json["items"][0]["firing_steps"] == ["payment"]


def test_exit_share_rule(app, api, site, journey, receiver):
    """Fires when the share of exit-intent answers at the step passes the threshold."""
    make_rule(api, receiver, kind="exit_share_above", threshold=0.3)
    seed(app, site.id, "payment", T0 - timedelta(hours=2), [0.0] * 20)
    seed(app, site.id, "payment", T0 - timedelta(hours=1), [0.0] * 12)
    seed(app, site.id, "payment", T0 - timedelta(hours=1), [-0.5] * 12, trigger="exit_intent")
    seed(app, site.id, "cart", T0 - timedelta(hours=1), [-0.5] * 30, trigger="exit_intent")  # another step
    assert len(evaluate(app, T0)) == 1
    deliver(app, T0)
    (request,) = receiver.requests
    assert request["verified"]
    payload = request["json"]
    assert (payload["kind"], payload["step"], payload["n"]) == ("exit_share_above", "payment", 24)
    assert payload["value"] == 0.5 and payload["baseline"] == 0.0 and payload["threshold"] == 0.3
    assert payload["p_value"] is None


def test_exit_share_below_threshold_or_min_n_does_not_fire(app, api, site, journey, receiver):
    make_rule(api, receiver, kind="exit_share_above", threshold=0.5)
    seed(app, site.id, "payment", T0 - timedelta(hours=1), [0.0] * 20)
    seed(app, site.id, "payment", T0 - timedelta(hours=1), [0.0] * 10, trigger="exit_intent")
    make_rule(api, receiver, kind="exit_share_above", threshold=0.1, min_n=50)
    assert evaluate(app, T0) == []


def test_failing_receiver_is_retried_with_backoff_until_it_recovers(app, api, site, journey, receiver, rows):
    make_rule(api, receiver)
    seed(app, site.id, "payment", T0 - timedelta(hours=2), GOOD * 8)
    seed(app, site.id, "payment", T0 - timedelta(hours=1), BAD * 8)
    receiver.statuses = [500, 500, 503]
    evaluate(app, T0)

    (first,) = deliver(app, T0)
    assert (first["status"], first["attempts"]) == ("pending", 1)
    assert deliver(app, T0 + timedelta(seconds=59)) == []  # not due yet
    (second,) = deliver(app, T0 + timedelta(minutes=1))
    assert second["attempts"] == 2
    assert deliver(app, T0 + timedelta(minutes=2)) == []
    (third,) = deliver(app, T0 + timedelta(minutes=3))  # 1 + 2 minutes
    assert third["attempts"] == 3
    (delivery,) = rows(sa.select(AlertDelivery))
    assert (delivery.status, delivery.response_code, delivery.last_error) == ("pending", 503, "HTTP 503")
    assert alerts.as_utc(delivery.next_attempt_at) == T0 + timedelta(minutes=7)  # then 4 minutes
    assert deliver(app, T0 + timedelta(minutes=6)) == []
    (fourth,) = deliver(app, T0 + timedelta(minutes=7))
    assert (fourth["status"], fourth["attempts"]) == ("delivered", 4)

    assert len(receiver.requests) == 4
    assert all(r["verified"] for r in receiver.requests)
    assert len({r["headers"]["X-Stepsense-Delivery"] for r in receiver.requests}) == 1
    assert len({r["body"] for r in receiver.requests}) == 1  # same body, same signature, on every retry
    (delivery,) = rows(sa.select(AlertDelivery))
    assert (delivery.response_code, delivery.last_error, delivery.next_attempt_at) == (200, None, None)


def test_delivery_fails_after_max_attempts(app, api, site, journey, receiver, rows):
    make_rule(api, receiver)
    seed(app, site.id, "payment", T0 - timedelta(hours=2), GOOD * 8)
    seed(app, site.id, "payment", T0 - timedelta(hours=1), BAD * 8)
    receiver.statuses = [500] * 20
    evaluate(app, T0)
    now, waits = T0, []
    for _ in range(alerts.MAX_ATTEMPTS):
        (result,) = deliver(app, now)
        if result["next"] is not None:
            waits.append(alerts.as_utc(result["next"]) - now)
            now = alerts.as_utc(result["next"])
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 64)]
    assert deliver(app, now + timedelta(days=1)) == []
    (delivery,) = rows(sa.select(AlertDelivery))
    assert (delivery.status, delivery.attempts) == ("failed", alerts.MAX_ATTEMPTS)
    assert len(receiver.requests) == alerts.MAX_ATTEMPTS


def test_unreachable_receiver_is_a_failed_attempt(app, api, site, journey, receiver, rows):
    make_rule(api, receiver)
    receiver.close()  # nothing listens on the port now
    seed(app, site.id, "payment", T0 - timedelta(hours=2), GOOD * 8)
    seed(app, site.id, "payment", T0 - timedelta(hours=1), BAD * 8)
    evaluate(app, T0)
    (result,) = deliver(app, T0)
    assert (result["status"], result["attempts"]) == ("pending", 1)
    (delivery,) = rows(sa.select(AlertDelivery))
    assert delivery.response_code is None and "URLError" in delivery.last_error


# --- API ---------------------------------------------------------------------

def test_rule_crud_and_secret_shown_once(api, journey, receiver):
    created = make_rule(api, receiver, name="Drop at payment")
    assert created["secret"].startswith("whsec_")
    assert (created["journey"], created["step"], created["kind"], created["alpha"], created["active"]) == (
        "checkout", "payment", "emotion_drop", 0.05, True)
    rule_id = created["id"]
    listed = api.get("/v1/alerts/rules").json["items"]
    assert [r["id"] for r in listed] == [rule_id] and "secret" not in listed[0]
    assert "secret" not in api.get(f"/v1/alerts/rules/{rule_id}").json
    assert created["secret"] not in json.dumps(api.get("/v1/alerts/rules").json)

    patched = api.patch(f"/v1/alerts/rules/{rule_id}", json={"name": "Renamed", "step": None, "active": False})
    assert patched.status_code == 200, patched.json
    assert (patched.json["name"], patched.json["step"], patched.json["active"]) == ("Renamed", None, False)
    assert "secret" not in patched.json

    assert api.delete(f"/v1/alerts/rules/{rule_id}").status_code == 204
    missing = api.get(f"/v1/alerts/rules/{rule_id}")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"


def test_own_secret_is_kept(api, journey, receiver):
    created = make_rule(api, receiver, secret="s" * 32)
    assert created["secret"] == "s" * 32


@pytest.mark.parametrize("body, field", [
    ({"webhook_url": "ftp://example.com/hook"}, "webhook_url"),
    ({"webhook_url": "file:///etc/passwd"}, "webhook_url"),
    ({"webhook_url": "javascript:alert(1)"}, "webhook_url"),
    ({"kind": "abandonment_above"}, "kind"),
    ({"window_hours": 0}, "window_hours"),
    ({"kind": "exit_share_above", "threshold": 1.5}, "threshold"),
    ({"kind": "exit_share_above"}, "threshold"),
])
def test_bad_rules_are_rejected(api, journey, receiver, body, field):
    response = api.post("/v1/alerts/rules", json={"journey": "checkout", "kind": "emotion_drop",
                                                  "webhook_url": receiver.url, **body})
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_error"
    assert field in response.json["error"]["details"]


def test_unknown_journey_or_step_is_404(api, journey, receiver):
    for body in ({"journey": "nope"}, {"step": "nope"}):
        response = api.post("/v1/alerts/rules", json={"journey": "checkout", "kind": "emotion_drop",
                                                      "webhook_url": receiver.url, **body})
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_read_scope_lists_but_cannot_change(app, client, site, api, journey, receiver):
    rule_id = make_rule(api, receiver)["id"]
    with app.app_context():
        _, secret = create_api_key(db.session, db.session.get(Site, site.id), ["read"])
        db.session.commit()
    reader = ApiClient(client, secret)
    assert reader.get("/v1/alerts/rules").status_code == 200
    assert reader.get("/v1/alerts/deliveries").status_code == 200
    for response in (reader.post("/v1/alerts/rules", json={}), reader.patch(f"/v1/alerts/rules/{rule_id}", json={}),
                     reader.delete(f"/v1/alerts/rules/{rule_id}"), reader.post(f"/v1/alerts/rules/{rule_id}/test")):
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    assert reader.get("/v1/alerts/rules", key="").status_code == 401


def test_other_sites_rules_and_deliveries_are_invisible(app, client, make_site, api, journey, receiver):
    rule_id = make_rule(api, receiver)["id"]
    assert api.post(f"/v1/alerts/rules/{rule_id}/test").status_code == 200
    other = ApiClient(client, make_site(name="Other").secret)
    assert other.get("/v1/alerts/rules").json["items"] == []
    assert other.get("/v1/alerts/deliveries").json["items"] == []
    assert other.get("/v1/alerts/deliveries", rule_id=rule_id).json["items"] == []
    for response in (other.get(f"/v1/alerts/rules/{rule_id}"), other.patch(f"/v1/alerts/rules/{rule_id}", json={"name": "x"}),
                     other.delete(f"/v1/alerts/rules/{rule_id}"), other.post(f"/v1/alerts/rules/{rule_id}/test")):
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert api.get(f"/v1/alerts/rules/{rule_id}").json["name"] == "emotion_drop"
    assert len(receiver.requests) == 1


def test_test_delivery_is_signed_and_listed(api, journey, receiver):
    rule_id = make_rule(api, receiver)["id"]
    response = api.post(f"/v1/alerts/rules/{rule_id}/test")
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["attempts"], response.json["response_code"]) == ("delivered", 1, 200)
    (request,) = receiver.requests
    assert request["verified"] and request["json"]["test"] is True
    assert request["json"]["journey"] == "checkout" and request["json"]["dashboard_url"].endswith("/dashboard/?journey=checkout")

    receiver.statuses = [500]
    failed = api.post(f"/v1/alerts/rules/{rule_id}/test").json
    assert (failed["status"], failed["response_code"], failed["last_error"]) == ("failed", 500, "HTTP 500")

    items = api.get("/v1/alerts/deliveries").json["items"]
    assert [item["status"] for item in items] == ["failed", "delivered"]  # newest first
    assert [item["status"] for item in api.get("/v1/alerts/deliveries", status="failed").json["items"]] == ["failed"]
    assert api.get("/v1/alerts/deliveries", status="lost").status_code == 422


# --- CLI and scheduler -------------------------------------------------------

def test_cli_alerts_run(app, runner, api, site, journey, receiver):
    make_rule(api, receiver)
    seed(app, site.id, "payment", T0 - timedelta(hours=2), GOOD * 8)
    seed(app, site.id, "payment", T0 - timedelta(hours=1), BAD * 8)
    result = runner.invoke(args=["alerts", "run", "--now", "2026-11-20T12:00:00Z"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"fired": 1, "attempted": 1, "delivered": 1, "failed": 0, "retrying": 0}
    again = runner.invoke(args=["alerts", "run", "--now", "2026-11-20T12:10:00Z"])
    assert json.loads(again.output)["fired"] == 0
    assert [r["verified"] for r in receiver.requests] == [True]
    assert runner.invoke(args=["alerts", "run", "--now", "yesterday"]).exit_code != 0


def test_in_process_scheduler_delivers(database_url, site, api, app, journey, receiver):
    """ALERTS_SCHEDULER_SECONDS > 0 runs evaluation and delivery in a background thread."""
    make_rule(api, receiver)
    now = datetime.now(timezone.utc)
    seed(app, site.id, "payment", now - timedelta(hours=2), GOOD * 8, hours=0.9)
    seed(app, site.id, "payment", now - timedelta(hours=1), BAD * 8, hours=0.9)
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    scheduled = create_app({**config, "SQLALCHEMY_DATABASE_URI": database_url, "ALERTS_SCHEDULER_SECONDS": 0.1})
    scheduler = scheduled.extensions["alerts_scheduler"]
    try:
        deadline = time.monotonic() + 15
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.stop()
        with scheduled.app_context():
            db.engine.dispose()
    assert [r["verified"] for r in receiver.requests] == [True]


def test_scheduler_is_off_by_default(app):
    assert "alerts_scheduler" not in app.extensions


# --- Dashboard ---------------------------------------------------------------

def test_dashboard_lists_rules_and_deliveries_escaped(app, client, site, api, journey, receiver):
    from tests.test_dashboard import sign_in

    rule = make_rule(api, receiver, name="<script>alert(1)</script>")
    seed(app, site.id, "payment", T0 - timedelta(hours=2), GOOD * 8)
    seed(app, site.id, "payment", T0 - timedelta(hours=1), BAD * 8)
    evaluate(app, T0)
    deliver(app, T0)
    assert sign_in(client, site.secret).status_code == 302
    html = client.get("/dashboard/alerts").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f'data-rule="{rule["id"]}"' in html and "firing" in html and "127.0.0.1:" in html
    assert html.count("data-delivery=") == 1 and "delivered" in html
    assert rule["secret"] not in html and "/hook" not in html  # only the webhook's host is shown
    assert 'href="/dashboard/alerts"' in client.get("/dashboard/manage").get_data(as_text=True)


def test_dashboard_test_button_needs_csrf_and_write_scope(app, client, site, api, journey, receiver):
    from tests.test_dashboard import csrf, sign_in

    rule_id = make_rule(api, receiver)["id"]
    sign_in(client, site.secret)
    assert client.post(f"/dashboard/alerts/{rule_id}/test", data={}).status_code == 400
    assert receiver.requests == []
    response = client.post(f"/dashboard/alerts/{rule_id}/test", data={"csrf_token": csrf(client)}, follow_redirects=True)
    assert response.status_code == 200 and "Test delivered" in response.get_data(as_text=True)
    assert [r["verified"] for r in receiver.requests] == [True]

    with app.app_context():
        _, secret = create_api_key(db.session, db.session.get(Site, site.id), ["read"])
        db.session.commit()
    reader = app.test_client()
    sign_in(reader, secret)
    assert reader.post(f"/dashboard/alerts/{rule_id}/test", data={"csrf_token": csrf(reader)}).status_code == 403
    assert len(receiver.requests) == 1


def test_dashboard_alerts_are_per_site(app, make_site, site, api, journey, receiver):
    from tests.test_dashboard import csrf, sign_in

    rule_id = make_rule(api, receiver, name="Mine")["id"]
    other = app.test_client()
    sign_in(other, make_site(name="Other").secret)
    assert "Mine" not in other.get("/dashboard/alerts").get_data(as_text=True)
    assert other.post(f"/dashboard/alerts/{rule_id}/test", data={"csrf_token": csrf(other)}).status_code == 404
    assert receiver.requests == []


def test_webhooks_to_private_addresses_are_refused_by_default(app):
    """SSRF guard: without ALERTS_ALLOW_PRIVATE_TARGETS a webhook to the server's own network never leaves."""
    import pytest as _pytest

    from collector.alerts.service import refuse_private_targets

    app.config["ALERTS_ALLOW_PRIVATE_TARGETS"] = False
    with app.app_context():
        for url in ("http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/x", "http://[::1]/x", "http://169.254.169.254/latest"):
            with _pytest.raises(ValueError, match="non-public"):
                refuse_private_targets(url)
        refuse_private_targets("https://93.184.216.34/hook")  # a public address passes (nothing is sent)


def test_the_signature_covers_the_timestamp():
    """A receiver that refuses old timestamps can't be fooled by a replay with a fresh one."""
    body = b'{"rule":"payment mood"}'
    assert alerts.sign("s3cret", "1764000000", body) == alerts.sign("s3cret", "1764000000", body)
    assert alerts.sign("s3cret", "1764000000", body) != alerts.sign("s3cret", "1764009999", body)
    assert alerts.sign("s3cret", "1764000000", body) != alerts.sign("other", "1764000000", body)
