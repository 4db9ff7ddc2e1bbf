"""What the alert tests share: the clock they evaluate at, a rule made through
the API, and one evaluation or delivery run."""

from datetime import UTC, datetime

from collector import alerts
from collector.extensions import db

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def make_rule(api, receiver, **fields) -> dict:
    body = {
        "journey": "checkout",
        "step": "payment",
        "kind": "emotion_drop",
        "webhook_url": receiver.url,
        "window_hours": 1,
        "min_n": 20,
        **fields,
    }
    response = api.post("/v1/alerts/rules", json=body)
    assert response.status_code == 201, response.json
    receiver.secret = response.json["secret"]
    return response.json


def evaluate(app, now: datetime) -> list[int]:
    with app.app_context():
        return [delivery.id for delivery in alerts.evaluate_rules(db.session, now, "https://cx.example.com")]


def deliver(app, now: datetime) -> list[dict]:
    with app.app_context():
        return [
            {"id": d.id, "status": d.status, "attempts": d.attempts, "next": d.next_attempt_at}
            for d in alerts.deliver_pending(db.session, now)
        ]
