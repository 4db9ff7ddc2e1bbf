"""The request threads' own publisher (collector/ingest/nats_wire.py) on a real nats-server:
concurrent requests each get their own PubAck, a lost connection is a 503 and then a
new connection, and nothing is acknowledged that the broker did not store."""

import json
import threading

import pytest
import sqlalchemy as sa

from collector.ingest import nats_wire, queue
from collector.models import Response
from tests.helpers import answer
from tests.scale.servers import eventually

HEADERS = {"Content-Type": "text/plain;charset=UTF-8"}


def _count(rows) -> int:
    return rows(sa.select(sa.func.count()).select_from(Response))[0]


async def _delete_stream(js, name: str) -> None:
    await js.delete_stream(name)


async def _stored(js, name: str) -> int:
    return (await js.stream_info(name)).state.messages


def test_plain_nats_urls_publish_from_the_request_thread_and_tls_through_the_event_loop(settings):
    assert queue.publisher(settings)._wire is not None
    assert nats_wire.supported(["nats://a:4222", "127.0.0.1:4223"])
    assert not nats_wire.supported(["nats://a:4222", "tls://b:4222"])


def test_concurrent_requests_each_get_their_own_acknowledgement_and_every_answer_is_stored_once(
    app, site, rows, drain, status
):
    sent = [answer(site, comment=f"answer {i}") for i in range(120)]
    resent = sent[:30]  # the widget resending answers the log already holds
    replies: list[tuple[str, int, dict]] = []
    lock = threading.Lock()

    def post(bodies: list[dict]) -> None:
        client = app.test_client()
        for body in bodies:
            reply = client.post("/v1/responses", data=json.dumps(body), headers={**HEADERS, "Origin": site.origin})
            with lock:
                replies.append((body["client_id"], reply.status_code, reply.get_json()))

    first = [threading.Thread(target=post, args=(sent[i::8],)) for i in range(8)]
    for thread in first:
        thread.start()
    for thread in first:
        thread.join()
    again = [threading.Thread(target=post, args=(resent[i::4],)) for i in range(4)]
    for thread in again:
        thread.start()
    for thread in again:
        thread.join()

    assert [status for _, status, _ in replies[:120]] == [202] * 120
    assert all(body == {"received": 1, "queued": 1, "duplicates": 0} for _, _, body in replies[:120])
    assert [status for _, status, _ in replies[120:]] == [200] * 30
    assert all(body == {"received": 1, "queued": 0, "duplicates": 1} for _, _, body in replies[120:])
    assert status().messages == 120
    drain()
    assert _count(rows) == 120


def test_a_broker_that_dies_under_a_live_connection_is_a_503_then_the_publisher_reconnects(
    send, site, broker, rows, drain
):
    assert send(answer(site), site).status_code == 202  # the connection is open
    broker.stop()
    lost = send(answer(site), site)
    assert lost.status_code == 503
    assert int(lost.headers["Retry-After"]) > 0
    broker.start()
    assert eventually(lambda: send(answer(site), site).status_code == 202)
    drain()
    assert _count(rows) == 2  # the first and the one accepted after the restart; not the refused one


def test_a_failed_publish_counts_the_new_messages_the_broker_stored_before_the_failure(settings):
    """WireError.new: the new ones among those acknowledged, not the duplicate, not the refused one."""
    log = queue.subject(settings, "answer", 1)
    queue.publisher(settings).publish([(log, "held", b"{}")])  # makes the streams
    wire = nats_wire.SyncPublisher(settings.urls, settings.timeout, queue.RECONNECT_COOLDOWN)
    try:
        with pytest.raises(nats_wire.WireError, match="status 503") as failed:
            wire.publish([(log, "held", b"{}"), (log, "fresh", b"{}"), (f"{settings.stream}.nowhere", "lost", b"{}")])
    finally:
        wire.close()
    assert failed.value.new == 1


def test_a_publish_retried_after_a_503_counts_what_the_first_try_stored_as_new(settings):
    """One message to the log, one to the dead letters' subject whose stream is gone: the broker
    stores the first and answers 503 for the second; the retry, once the streams are made again,
    gets the first back as a duplicate, and the publish still reports both as new to the log."""
    publisher = queue.publisher(settings)
    log = queue.subject(settings, "answer", 1)
    publisher.publish([(log, "warm-up", b"{}")])  # connects and makes the streams
    publisher.run(_delete_stream, settings.dead_stream)

    assert publisher.publish([(log, "first", b"{}"), (settings.dead_subject, "second", b"{}")]) == 2
    assert publisher.run(_stored, settings.stream) == 2  # warm-up and first, once
    assert publisher.run(_stored, settings.dead_stream) == 1
