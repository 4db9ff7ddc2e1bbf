"""The replicated ingest log on a real nats-server: acknowledged only once the broker
has the items, stored once by a worker, resends and redeliveries stored once."""

import json

import sqlalchemy as sa

from collector.analytics.maintenance import compare_funnel, compare_rollups
from collector.extensions import db
from collector.ingest import log_format, queue
from collector.ingest.worker import Worker
from collector.models import Event, Response, StepRollup
from tests.helpers import answer
from tests.scale.servers import eventually


def _count(rows, model) -> int:
    return rows(sa.select(sa.func.count()).select_from(model))[0]


def test_a_queued_answer_is_accepted_with_202_and_stored_by_a_worker(send, site, rows, drain, status):
    """202 once the log has it; nothing in the database until a worker stores it, then once."""
    reply = send(answer(site, comment="Checkout was painless"), site)
    assert reply.status_code == 202
    assert reply.get_json() == {"received": 1, "queued": 1, "duplicates": 0}
    assert _count(rows, Response) == 0
    assert status().lag == 1

    stats = drain()
    assert (stats.stored, stats.duplicates, stats.dead) == (1, 0, 0)
    stored = rows(sa.select(Response))
    assert len(stored) == 1 and stored[0].comment == "Checkout was painless" and stored[0].sentiment_label == "positive"
    assert sum(rows(sa.select(StepRollup.n))) == 1
    assert status().lag == 0


def test_a_batch_and_its_events_are_stored_with_their_rollups(send, site, rows, drain, app):
    body = {"responses": [answer(site, score=score) for score in (1, 2, 5)]}
    assert send(body, site).get_json() == {"received": 3, "queued": 3, "duplicates": 0}
    event = {
        "site_key": site.public_key,
        "journey": "checkout",
        "step": "payment",
        "type": "impression",
        "client_id": "0b7f0f38-4d7c-4a2b-9f39-1d2b0f3e0a11",
        "session_id": "s1",
    }
    assert send({"events": [event]}, site, path="/v1/events").status_code == 202
    drain()
    assert sorted(rows(sa.select(Response.score))) == [1, 2, 5]
    assert _count(rows, Event) == 1
    with app.app_context():
        assert compare_rollups(db.session) == [] and compare_funnel(db.session) == []


def test_a_resent_answer_is_a_duplicate_in_the_log_and_stored_once(send, site, rows, drain):
    item = answer(site)
    assert send(item, site).status_code == 202
    again = send(item, site)
    assert again.status_code == 200
    assert again.get_json() == {"received": 1, "queued": 0, "duplicates": 1}
    drain()
    assert _count(rows, Response) == 1
    # Past the log's window the database's key still holds: a resend after storing stores nothing.
    assert send({"responses": [item]}, site).status_code == 200
    assert drain().stored == 0
    assert _count(rows, Response) == 1


def test_a_worker_dying_between_commit_and_ack_gets_a_redelivery_that_stores_nothing_twice(
    send, site, rows, app, settings, drain
):
    for _ in range(5):
        send(answer(site), site)

    class DiesBeforeAck(Worker):
        async def _handle(self, js, msgs):
            import asyncio

            from collector.ingest.worker import write_items

            await asyncio.to_thread(write_items, self.app, [log_format.decode(m.data) for m in msgs])  # committed
            self.stop.set()  # ... and gone before acknowledging

    DiesBeforeAck(app, settings, batch=100, ack_wait=1, fetch_timeout=0.3).run()
    assert _count(rows, Response) == 5
    stats = drain(idle_exit=3, ack_wait=1)  # the broker redelivers after ack_wait
    assert (stats.stored, stats.duplicates) == (0, 5)
    assert _count(rows, Response) == 5
    assert sum(rows(sa.select(StepRollup.n))) == 5
    with app.app_context():
        assert compare_rollups(db.session) == [] and compare_funnel(db.session) == []


def test_poison_messages_go_to_the_dead_letters_with_their_reason(send, site, make_site, rows, settings, drain, runner):
    strict = make_site("Strict", auto_register=False)
    publisher = queue.publisher(settings)
    publisher.publish([(queue.subject(settings, "answer", site.id), "junk-1", b"not json")])
    unknown_step = log_format.encode(
        "answer",
        strict.id,
        ("checkout", "nowhere"),
        row={
            "client_id": "9d2b5f3e-6c1a-4f7e-8b1d-3a2c4e5f6a7b",
            "created_at": "2026-12-01T10:00:00+00:00",
            "kind": "csat",
            "score": 4,
        },
    )
    publisher.publish([(queue.subject(settings, "answer", strict.id), "step-1", unknown_step)])
    unknown_site = log_format.encode(
        "answer",
        999_999,
        ("checkout", "payment"),
        row={
            "client_id": "1d2b5f3e-6c1a-4f7e-8b1d-3a2c4e5f6a7b",
            "created_at": "2026-12-01T10:00:00+00:00",
            "kind": "csat",
        },
    )
    publisher.publish([(queue.subject(settings, "answer", 999_999), "site-1", unknown_site)])
    send(answer(site), site)

    stats = drain()
    assert (stats.stored, stats.dead) == (1, 3)
    assert _count(rows, Response) == 1
    result = runner.invoke(args=["ingest", "status", "--json"])
    assert result.exit_code == 0, result.output
    state = json.loads(result.output)
    assert state["lag"] == 0 and state["dead_letters"] == 3
    reasons = {letter["message_id"]: letter["reason"] for letter in state["dead"]}
    assert reasons["junk-1"].startswith("undecodable message")
    assert "Unknown journey or step" in reasons["step-1"] and "checkout/nowhere" in reasons["step-1"]
    assert reasons["site-1"].startswith("unknown site 999999")
    text = runner.invoke(args=["ingest", "status"]).output
    assert "dead letters" in text and "checkout/nowhere" in text


def test_an_unknown_step_is_refused_with_422_before_queueing_when_the_site_does_not_register(send, make_site, status):
    strict = make_site("Strict", auto_register=False)
    reply = send(answer(strict, step="nowhere"), strict)
    assert reply.status_code == 422
    assert reply.get_json()["error"]["details"] == {"step": ["checkout/nowhere"]}
    assert status().messages == 0


def test_with_the_broker_down_ingest_answers_503_with_retry_after_and_accepts_nothing(send, site, broker, rows, drain):
    broker.stop()
    reply = send(answer(site), site)
    assert reply.status_code == 503
    assert int(reply.headers["Retry-After"]) > 0
    assert reply.get_json()["error"]["code"] == "unavailable"
    assert _count(rows, Response) == 0
    broker.start()
    # The widget resends after Retry-After; once the broker is back the resend is accepted.
    assert eventually(lambda: send(answer(site), site).status_code == 202)
    drain()
    assert _count(rows, Response) == 1


def test_healthz_reports_the_logs_lag(client, send, site, drain):
    send(answer(site), site)
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["queue"]["status"] == "ok" and body["queue"]["lag"] == 1
    drain()
    assert client.get("/healthz").get_json()["queue"]["lag"] == 0


def test_a_worker_writing_two_batches_at_once_stores_each_answer_once(send, site, rows, drain, app):
    for score in range(1, 41):
        assert send(answer(site, score=(score % 5) + 1, session_id=f"s{score % 7}"), site).status_code == 202
    stats = drain(batch=5, concurrency=2)
    assert (stats.stored, stats.batches) == (40, 8)
    assert _count(rows, Response) == 40
    assert sum(rows(sa.select(StepRollup.n))) == 40
    with app.app_context():
        assert compare_rollups(db.session) == [] and compare_funnel(db.session) == []


def test_metrics_show_the_ingest_logs_lag(app, send, site, status):
    """An operator's Prometheus sees how many queued answers wait for a worker."""
    app.config.update(METRICS_ENABLED=True, METRICS_TOKEN="")
    for index in range(3):
        assert send(answer(site, client_id=f"7b5e0c1d-0000-4000-8000-{index:012d}"), site).status_code == 202
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert "stepsense_ingest_log_up 1.0" in text
    assert f"stepsense_ingest_log_lag_items {float(status().lag)}" in text
    assert status().lag == 3
