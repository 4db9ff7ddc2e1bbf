"""Alerts end to end: rules over seeded answers, signed webhooks to a real local
HTTP receiver, retries with backoff driven by an explicit ``now``, the API, the
CLI and the in-process scheduler; and hostile receivers and resolvers against
the SSRF guard, the per-attempt deadline and the test limits (DNS is faked by
monkeypatching ``socket.getaddrinfo``; every receiver is a real local server)."""

import ipaddress
import json
import os
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from collector import alerts, create_app
from collector.alerts import webhooks
from collector.common.time import as_utc, utcnow
from collector.config import TestConfig
from collector.extensions import db
from collector.models import AlertDelivery, AlertRule, Journey, Response, Site
from collector.tenancy.keys import create_api_key
from tests.alerts.helpers import BAD, GOOD, T0, deliver, evaluate, make_certificates, make_rule
from tests.helpers import ApiClient, Receiver, answer, csrf, sign_in


@pytest.fixture
def journey(api):
    response = api.post("/v1/journeys", json={"key": "checkout", "steps": [{"key": "cart"}, {"key": "payment"}]})
    assert response.status_code == 201, response.json
    return "checkout"


def seed(
    app, site_id: int, step: str, start: datetime, emotions: list[float], *, hours: float = 1, trigger: str = "inline"
) -> None:
    """Insert answers at ``step`` of the checkout journey, spread evenly over [start, start + hours)."""
    with app.app_context():
        journey = db.session.scalar(sa.select(Journey).where(Journey.site_id == site_id, Journey.key == "checkout"))
        step_id = next(s.id for s in journey.steps if s.key == step)
        spacing = timedelta(hours=hours) / len(emotions)
        db.session.add_all(
            [
                Response(
                    site_id=site_id,
                    journey_id=journey.id,
                    step_id=step_id,
                    client_id=str(uuid.uuid4()),
                    kind="csat",
                    score=3,
                    emotion=emotion,
                    scorer_version="test",
                    trigger=trigger,
                    created_at=start + spacing * index,
                )
                for index, emotion in enumerate(emotions)
            ]
        )
        db.session.commit()


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
    assert set(payload) >= {
        "rule",
        "journey",
        "step",
        "kind",
        "window",
        "value",
        "baseline",
        "p_value",
        "n",
        "fired_at",
        "dashboard_url",
    }
    assert payload["rule"]["name"] == "Payment mood"
    assert (payload["journey"], payload["step"], payload["kind"], payload["n"]) == (
        "checkout",
        "payment",
        "emotion_drop",
        40,
    )
    assert payload["value"] == pytest.approx(-0.4) and payload["baseline"] == pytest.approx(0.5)
    assert payload["p_value"] < 0.05
    assert payload["window"] == {
        "hours": 1,
        "from": "2026-11-20T11:00:00Z",
        "to": "2026-11-20T12:00:00Z",
        "baseline_from": "2026-11-20T10:00:00Z",
        "baseline_to": "2026-11-20T11:00:00Z",
    }
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
    assert as_utc(delivery.next_attempt_at) == T0 + timedelta(minutes=7)  # then 4 minutes
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
            waits.append(as_utc(result["next"]) - now)
            now = as_utc(result["next"])
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
    assert (delivery.response_code, delivery.last_error) == (None, "connection refused")


# --- API ---------------------------------------------------------------------


def test_rule_crud_and_secret_shown_once(api, journey, receiver):
    created = make_rule(api, receiver, name="Drop at payment")
    assert created["secret"].startswith("whsec_")
    assert (created["journey"], created["step"], created["kind"], created["alpha"], created["active"]) == (
        "checkout",
        "payment",
        "emotion_drop",
        0.05,
        True,
    )
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


@pytest.mark.parametrize(
    "body, field",
    [
        ({"webhook_url": "ftp://example.com/hook"}, "webhook_url"),
        ({"webhook_url": "file:///etc/passwd"}, "webhook_url"),
        ({"webhook_url": "javascript:alert(1)"}, "webhook_url"),
        ({"kind": "abandonment_above"}, "kind"),
        ({"window_hours": 0}, "window_hours"),
        ({"kind": "exit_share_above", "threshold": 1.5}, "threshold"),
        ({"kind": "exit_share_above"}, "threshold"),
    ],
)
def test_bad_rules_are_rejected(api, journey, receiver, body, field):
    response = api.post(
        "/v1/alerts/rules", json={"journey": "checkout", "kind": "emotion_drop", "webhook_url": receiver.url, **body}
    )
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_error"
    assert field in response.json["error"]["details"]


def test_unknown_journey_or_step_is_404(api, journey, receiver):
    for body in ({"journey": "nope"}, {"step": "nope"}):
        response = api.post(
            "/v1/alerts/rules",
            json={"journey": "checkout", "kind": "emotion_drop", "webhook_url": receiver.url, **body},
        )
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_read_scope_lists_but_cannot_change(app, client, site, api, journey, receiver):
    rule_id = make_rule(api, receiver)["id"]
    with app.app_context():
        _, secret = create_api_key(db.session, db.session.get(Site, site.id), ["read"])
        db.session.commit()
    reader = ApiClient(client, secret)
    assert reader.get("/v1/alerts/rules").status_code == 200
    assert reader.get("/v1/alerts/deliveries").status_code == 200
    for response in (
        reader.post("/v1/alerts/rules", json={}),
        reader.patch(f"/v1/alerts/rules/{rule_id}", json={}),
        reader.delete(f"/v1/alerts/rules/{rule_id}"),
        reader.post(f"/v1/alerts/rules/{rule_id}/test"),
    ):
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    assert reader.get("/v1/alerts/rules", key="").status_code == 401


def test_other_sites_rules_and_deliveries_are_invisible(app, client, make_site, api, journey, receiver):
    rule_id = make_rule(api, receiver)["id"]
    assert api.post(f"/v1/alerts/rules/{rule_id}/test").status_code == 200
    other = ApiClient(client, make_site(name="Other").secret)
    assert other.get("/v1/alerts/rules").json["items"] == []
    assert other.get("/v1/alerts/deliveries").json["items"] == []
    assert other.get("/v1/alerts/deliveries", rule_id=rule_id).json["items"] == []
    for response in (
        other.get(f"/v1/alerts/rules/{rule_id}"),
        other.patch(f"/v1/alerts/rules/{rule_id}", json={"name": "x"}),
        other.delete(f"/v1/alerts/rules/{rule_id}"),
        other.post(f"/v1/alerts/rules/{rule_id}/test"),
    ):
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
    assert request["json"]["journey"] == "checkout" and request["json"]["dashboard_url"].endswith(
        "/dashboard/?journey=checkout"
    )

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
    now = datetime.now(UTC)
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
    rule_id = make_rule(api, receiver)["id"]
    sign_in(client, site.secret)
    assert client.post(f"/dashboard/alerts/{rule_id}/test", data={}).status_code == 400
    assert receiver.requests == []
    response = client.post(
        f"/dashboard/alerts/{rule_id}/test", data={"csrf_token": csrf(client)}, follow_redirects=True
    )
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
    rule_id = make_rule(api, receiver, name="Mine")["id"]
    other = app.test_client()
    sign_in(other, make_site(name="Other").secret)
    assert "Mine" not in other.get("/dashboard/alerts").get_data(as_text=True)
    assert other.post(f"/dashboard/alerts/{rule_id}/test", data={"csrf_token": csrf(other)}).status_code == 404
    assert receiver.requests == []


def test_webhooks_to_private_addresses_are_refused_by_default(app, api, journey, receiver, monkeypatch):
    """SSRF guard: with the production defaults (no ALERTS_ALLOW_PRIVATE_TARGETS, no
    allowed networks) a webhook to the server's own network never leaves."""
    from collector.config import Config

    for name in ("ALERTS_ALLOW_PRIVATE_TARGETS", "ALERTS_ALLOWED_PRIVATE_NETWORKS"):
        if name in os.environ:
            pytest.skip(f"{name} is set in this environment")
    assert (Config.ALERTS_ALLOW_PRIVATE_TARGETS, Config.ALERTS_ALLOWED_PRIVATE_NETWORKS) == (False, "")
    guard_on(app)
    fake_dns(monkeypatch, {"localhost": lambda: "127.0.0.1"})
    for url in (receiver.url, f"http://localhost:{receiver.port}/hook", f"http://[::1]:{receiver.port}/hook"):
        rule_id = make_rule(api, receiver, webhook_url=url)["id"]
        delivery = api.post(f"/v1/alerts/rules/{rule_id}/test").json
        assert (delivery["status"], delivery["last_error"]) == ("failed", "refused: not a public address")
    assert receiver.requests == []


def test_the_signature_covers_the_timestamp():
    """A receiver that refuses old timestamps can't be fooled by a replay with a fresh one."""
    body = b'{"rule":"payment mood"}'
    assert alerts.sign("s3cret", "1764000000", body) == alerts.sign("s3cret", "1764000000", body)
    assert alerts.sign("s3cret", "1764000000", body) != alerts.sign("s3cret", "1764009999", body)
    assert alerts.sign("s3cret", "1764000000", body) != alerts.sign("other", "1764000000", body)


# --- Hostile receivers, rebinding resolvers and the SSRF guard ------------------


class Trickler:
    """A receiver that reads the whole request, then sends its status line and
    headers one byte every ``pause`` seconds: the full answer would take
    ``seconds`` (over a minute)."""

    ANSWER = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"z" * 120 + b"\r\nContent-Length: 0\r\n\r\n"

    def __init__(self, pause: float = 0.5) -> None:
        self.pause = pause
        self.secret: str | None = None
        self.connections = 0
        self.received = threading.Event()
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"

    @property
    def seconds(self) -> float:
        return len(self.ANSWER) * self.pause

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
            )
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                body += chunk
            self.received.set()
            for byte in self.ANSWER:
                if self.stopped.wait(self.pause):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    def close(self) -> None:
        self.stopped.set()
        self.listener.close()


def fake_dns(monkeypatch, answers: dict[str, Callable[[], str]]) -> list[tuple[str, str]]:
    """Make ``socket.getaddrinfo`` answer ``answers[host]()`` for the named hosts
    (other hosts resolve as usual); returns the log of (host, address) lookups."""
    real = socket.getaddrinfo
    lookups: list[tuple[str, str]] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            address = answers[host]()
            lookups.append((host, address))
            return real(address, port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def guard_on(app, allowed: str = "") -> None:
    """The production SSRF guard, optionally with some non-public networks allowed."""
    app.config.update(ALERTS_ALLOW_PRIVATE_TARGETS=False, ALERTS_ALLOWED_PRIVATE_NETWORKS=allowed)


def test_a_trickling_receiver_is_cut_at_the_deadline_and_blocks_no_one(app, api, make_site, journey, send):
    """A receiver sending its headers one byte at a time can't hold a test past the
    total deadline, nor the database: another site's answer is stored meanwhile,
    and a second test of the same site is turned away (429) while the first runs."""
    trickler = Trickler()
    other = make_site(name="Other")
    result = {}
    try:
        rule_id = make_rule(api, trickler)["id"]

        def run_test():
            started = time.monotonic()
            result["response"] = ApiClient(app.test_client(), api.key).post(f"/v1/alerts/rules/{rule_id}/test")
            result["seconds"] = time.monotonic() - started

        thread = threading.Thread(target=run_test)
        thread.start()
        assert trickler.received.wait(30)
        stored = send(answer(other), other)
        assert stored.status_code == 201, stored.get_data(as_text=True)
        busy = api.post(f"/v1/alerts/rules/{rule_id}/test")
        assert busy.status_code == 429 and busy.json["error"]["code"] == "rate_limited"
        assert 1 <= int(busy.headers["Retry-After"]) <= 60
        thread.join(60)
        assert not thread.is_alive()
    finally:
        trickler.close()
    response = result["response"]
    assert response.status_code == 200, response.json
    assert response.json["status"] == "failed" and response.json["last_error"].startswith("timed out")
    assert result["seconds"] < trickler.seconds / 2  # cut long before the trickle would have ended
    assert trickler.connections == 1


def test_the_deliverer_holds_no_lock_while_a_receiver_trickles(app, api, site, make_site, journey, send, rows):
    """Background deliveries have the same total deadline and hold no database lock
    while posting: ingest goes on, and a second run skips the delivery in flight."""
    trickler = Trickler()
    other = make_site(name="Other")
    result = {}
    try:
        make_rule(api, trickler)
        seed(app, site.id, "payment", T0 - timedelta(hours=2), GOOD * 8)
        seed(app, site.id, "payment", T0 - timedelta(hours=1), BAD * 8)
        evaluate(app, T0)
        thread = threading.Thread(target=lambda: result.update(done=deliver(app, T0)))
        thread.start()
        assert trickler.received.wait(30)
        assert send(answer(other), other).status_code == 201
        assert deliver(app, T0) == []  # claimed by the first run: not due for another
        thread.join(60)
        assert not thread.is_alive()
    finally:
        trickler.close()
    (done,) = result["done"]
    assert (done["status"], done["attempts"]) == ("pending", 1)
    assert as_utc(done["next"]) == T0 + timedelta(minutes=1)
    (delivery,) = rows(sa.select(AlertDelivery))
    assert delivery.last_error.startswith("timed out") and delivery.response_code is None
    assert trickler.connections == 1


def test_a_resolver_that_never_answers_is_cut_at_the_deadline(app, api, journey, receiver, monkeypatch):
    """DNS is part of the attempt: a lookup that hangs ends the test with a timeout."""
    release = threading.Event()

    def stuck() -> str:
        release.wait(20)
        return "127.0.0.1"

    fake_dns(monkeypatch, {"hooks.slow.test": stuck})
    rule_id = make_rule(api, receiver, webhook_url=f"http://hooks.slow.test:{receiver.port}/hook")["id"]
    try:
        response = api.post(f"/v1/alerts/rules/{rule_id}/test")
    finally:
        release.set()
    assert (response.json["status"], response.json["last_error"]) == ("failed", "timed out after 5 s")
    assert receiver.requests == []


def test_a_rebinding_resolver_cannot_steer_the_webhook_to_loopback(app, api, journey, monkeypatch):
    """The host is resolved once per attempt and the checked address is the one
    connected to: a second lookup answering 127.0.0.1 is never made, let alone used.
    127.0.0.2 stands in for a public host (the one network the operator allowed)."""
    public = Receiver(host="127.0.0.2")
    internal = Receiver(host="127.0.0.1", port=public.port)
    try:
        guard_on(app, "127.0.0.2/32")
        lookups = fake_dns(monkeypatch, {"hooks.rebind.test": lambda: "127.0.0.1" if lookups else "127.0.0.2"})
        url = f"http://hooks.rebind.test:{public.port}/hook"
        rule_id = make_rule(api, public, webhook_url=url)["id"]

        first = api.post(f"/v1/alerts/rules/{rule_id}/test").json
        assert (first["status"], first["response_code"]) == ("delivered", 200)
        (request,) = public.requests
        assert request["verified"] and request["headers"]["Host"] == f"hooks.rebind.test:{public.port}"
        assert internal.requests == []
        assert lookups == [("hooks.rebind.test", "127.0.0.2")]

        second = api.post(f"/v1/alerts/rules/{rule_id}/test").json  # now the name answers 127.0.0.1: checked anew
        assert (second["status"], second["last_error"]) == ("failed", "refused: not a public address")
        assert internal.requests == [] and len(public.requests) == 1
    finally:
        public.close()
        internal.close()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "0.1.2.3",
        "224.0.0.251",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "198.18.0.1",
        "192.0.0.8",
        "192.0.2.1",
        "::1",
        "::",
        "fe80::1",
        "fec0::1",
        "fd12:3456::1",
        "ff02::1",
        "2001:db8::1",
        "100::1",
        "::127.0.0.1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:8.8.8.8",
        "64:ff9b::7f00:1",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b::a00:1",
        "64:ff9b:1::808:808",
        "2002:7f00:1::1",
        "2002:a9fe:a9fe::1",
        "2002:808:808::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    ],
)
def test_special_addresses_are_not_public(address):
    """Loopback, private, shared (CGNAT), this-network, link-local, multicast and
    reserved addresses, and IPv6 forms that lead to IPv4 (mapped, NAT64, 6to4,
    Teredo) are refused; NAT64 of a public IPv4 is the one embedding allowed."""
    assert not webhooks.is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4001::200e", "64:ff9b::808:808"]
)
def test_public_addresses_pass(address):
    """Ordinary public IPv4 and IPv6 hosts, and NAT64 of a public IPv4, may receive webhooks."""
    assert webhooks.is_public_address(ipaddress.ip_address(address))


def test_nat64_and_mapped_forms_of_loopback_are_refused_end_to_end(app, api, journey, receiver, monkeypatch):
    """A name resolving to loopback through NAT64 or IPv4-mapped IPv6 gets no
    connection, even with 127.0.0.1 itself allowed (the allow list is not
    reached through another address form)."""
    guard_on(app, "127.0.0.1/32")
    forms = iter(["64:ff9b::7f00:1", "::ffff:127.0.0.1", "2002:7f00:1::1"])
    fake_dns(monkeypatch, {"hooks.evil.test": lambda: next(forms)})
    rule_id = make_rule(api, receiver, webhook_url=f"http://hooks.evil.test:{receiver.port}/hook")["id"]
    for _ in range(3):
        delivery = api.post(f"/v1/alerts/rules/{rule_id}/test").json
        assert (delivery["status"], delivery["last_error"]) == ("failed", "refused: not a public address")
    assert receiver.requests == []


def test_last_error_never_names_an_address(app, client, site, api, journey, receiver, monkeypatch):
    """What an internal name resolves to stays on the server: the delivery log, the
    API and the dashboard say only that the address isn't public."""
    guard_on(app)
    fake_dns(monkeypatch, {"metadata.internal": lambda: "10.1.2.3"})
    rule_id = make_rule(api, receiver, webhook_url="http://metadata.internal/latest")["id"]
    refused = api.post(f"/v1/alerts/rules/{rule_id}/test").json
    assert refused["last_error"] == "refused: not a public address"

    guard_on(app, "127.0.0.1/32")
    receiver.close()  # nothing listens on its port now
    closed = make_rule(api, receiver)["id"]
    failed = api.post(f"/v1/alerts/rules/{closed}/test").json
    assert failed["last_error"] == "connection refused"

    listed = json.dumps(api.get("/v1/alerts/deliveries").json)
    sign_in(client, site.secret)
    html = client.get("/dashboard/alerts").get_data(as_text=True)
    for text in (listed, html):
        assert "10.1.2.3" not in text and "refused: not a public address" in text
    assert "127.0.0.1" not in failed["last_error"]


@pytest.fixture
def tls(tmp_path):
    """A throwaway CA and a certificate for hooks.pinned.test signed by it."""
    return make_certificates(tmp_path, "hooks.pinned.test")


def test_https_webhooks_are_pinned_and_verified_against_the_url_host(app, api, journey, tls, monkeypatch):
    """Connected to the checked address, an https webhook still sends SNI and
    verifies the certificate for the URL's host name, not for the address."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls / "ca.pem"))  # the only CA the client trusts here
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls / "leaf.pem", tls / "leaf.key")
    names = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    receiver = Receiver(tls=context)
    try:
        guard_on(app, "127.0.0.1/32")
        fake_dns(monkeypatch, {"hooks.pinned.test": lambda: "127.0.0.1", "other.pinned.test": lambda: "127.0.0.1"})
        good = make_rule(api, receiver, webhook_url=f"https://hooks.pinned.test:{receiver.port}/hook")["id"]
        delivered = api.post(f"/v1/alerts/rules/{good}/test").json
        assert (delivered["status"], delivered["response_code"]) == ("delivered", 200), delivered
        (request,) = receiver.requests
        assert request["verified"] and request["headers"]["Host"] == f"hooks.pinned.test:{receiver.port}"
        assert names == ["hooks.pinned.test"]

        wrong = make_rule(api, receiver, webhook_url=f"https://other.pinned.test:{receiver.port}/hook")["id"]
        refused = api.post(f"/v1/alerts/rules/{wrong}/test").json
        assert (refused["status"], refused["last_error"]) == ("failed", "TLS certificate verification failed")
        assert len(receiver.requests) == 1
    finally:
        receiver.close()


def test_tests_are_limited_per_site(app, client, site, make_site, api, journey, receiver):
    """At most TESTS_PER_MINUTE test deliveries per site per minute, whichever key
    sends them; then 429 with Retry-After, in the API and on the dashboard.
    Another site's tests are not affected."""
    rule_id = make_rule(api, receiver)["id"]
    for _ in range(alerts.TESTS_PER_MINUTE):
        assert api.post(f"/v1/alerts/rules/{rule_id}/test").json["status"] == "delivered"
    limited = api.post(f"/v1/alerts/rules/{rule_id}/test")
    assert limited.status_code == 429 and limited.json["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60

    with app.app_context():
        _, second_key = create_api_key(db.session, db.session.get(Site, site.id), ["write"])
        db.session.commit()
    assert ApiClient(client, second_key).post(f"/v1/alerts/rules/{rule_id}/test").status_code == 429
    sign_in(client, site.secret)
    page = client.post(f"/dashboard/alerts/{rule_id}/test", data={"csrf_token": csrf(client)})
    assert page.status_code == 429 and "Too many tests" in page.get_data(as_text=True)
    assert len(receiver.requests) == alerts.TESTS_PER_MINUTE

    other = ApiClient(app.test_client(), make_site(name="Other").secret)
    assert other.post("/v1/journeys", json={"key": "checkout", "steps": [{"key": "payment"}]}).status_code == 201
    other_rule = other.post(
        "/v1/alerts/rules", json={"journey": "checkout", "kind": "emotion_drop", "webhook_url": receiver.url}
    ).json["id"]
    assert other.post(f"/v1/alerts/rules/{other_rule}/test").status_code == 200

    documented = client.get("/openapi.json").json["paths"]["/v1/alerts/rules/{rule_id}/test"]["post"]
    assert "429" in documented["responses"] and "Retry-After" in documented["description"]


def test_a_test_cut_short_by_a_dead_process_is_marked_interrupted_not_resent(app, api, journey, receiver, rows):
    """A test whose process died mid-attempt stays claimed (and blocks further tests
    of the site) only until its claim runs out; the deliverer then marks it
    failed without sending it again, and tests can be sent again."""
    rule_id = make_rule(api, receiver)["id"]
    now = utcnow()
    with app.app_context():
        rule = db.session.get(AlertRule, rule_id)
        stranded = AlertDelivery(
            rule=rule,
            fired_at=now - timedelta(seconds=90),
            status="pending",
            attempts=1,
            payload=alerts.build_payload(rule, None, now, None, test=True),
            next_attempt_at=now - timedelta(seconds=30),
        )
        db.session.add(stranded)
        db.session.commit()
        stranded_id = stranded.id
    (done,) = deliver(app, now)
    assert (done["id"], done["status"], done["attempts"]) == (stranded_id, "failed", 2)
    (delivery,) = rows(sa.select(AlertDelivery))
    assert delivery.last_error == "interrupted: the server stopped during the test"
    assert receiver.requests == []
    assert api.post(f"/v1/alerts/rules/{rule_id}/test").json["status"] == "delivered"


def test_a_malformed_allowed_network_stops_the_app_from_starting(database_url):
    """A typo in ALERTS_ALLOWED_PRIVATE_NETWORKS is an error at start, not a
    failed delivery every few minutes."""
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    with pytest.raises(ValueError, match="ALERTS_ALLOWED_PRIVATE_NETWORKS"):
        create_app(
            {**config, "SQLALCHEMY_DATABASE_URI": database_url, "ALERTS_ALLOWED_PRIVATE_NETWORKS": "10.0.5.7/33"}
        )
    app = create_app(
        {
            **config,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "ALERTS_ALLOWED_PRIVATE_NETWORKS": " 10.0.5.7/32, fd00::/8 ",
        }
    )
    with app.app_context():
        assert alerts.address_policy().allowed_networks == (
            ipaddress.ip_network("10.0.5.7/32"),
            ipaddress.ip_network("fd00::/8"),
        )
        db.engine.dispose()
