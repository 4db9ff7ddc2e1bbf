"""The ingest log's backlog and dead letters, for /healthz and ``stepsense ingest status``."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import nats.js.errors

from collector.ingest.queue import CONSUMER, REASON_HEADER, QueueSettings


@dataclass(frozen=True)
class QueueStatus:
    messages: int  # in the log: not yet acknowledged by a worker (work-queue retention)
    pending: int  # not yet delivered to a worker
    ack_pending: int  # delivered, not yet acknowledged
    redelivered: int
    lag_seconds: float  # age of the oldest message in the log
    dead_letters: int
    replicas: int
    leader: str | None

    @property
    def lag(self) -> int:
        return self.pending + self.ack_pending


async def status(js: Any, settings: QueueSettings) -> QueueStatus:
    info = await js.stream_info(settings.stream)
    try:
        consumer = await js.consumer_info(settings.stream, CONSUMER)
        pending, ack_pending, redelivered = (
            consumer.num_pending or 0,
            consumer.num_ack_pending or 0,
            consumer.num_redelivered or 0,
        )
    except nats.js.errors.NotFoundError:
        pending, ack_pending, redelivered = info.state.messages, 0, 0
    lag = 0.0
    if info.state.messages:
        try:
            oldest = await js.get_msg(settings.stream, info.state.first_seq)
            lag = max(0.0, (datetime.now(UTC) - oldest.time).total_seconds()) if oldest.time else 0.0
        except nats.js.errors.NotFoundError:
            pass
    try:
        dead = (await js.stream_info(settings.dead_stream)).state.messages
    except nats.js.errors.NotFoundError:
        dead = 0
    leader = info.cluster.leader if info.cluster else None
    return QueueStatus(
        info.state.messages, pending, ack_pending, redelivered, lag, dead, info.config.num_replicas or 1, leader
    )


async def dead_letters(js: Any, settings: QueueSettings, limit: int = 20) -> list[dict[str, Any]]:
    """The latest dead letters: when, why, and what (the item's site, step and client id)."""
    try:
        info = await js.stream_info(settings.dead_stream)
    except nats.js.errors.NotFoundError:
        return []
    found = []
    for seq in range(max(info.state.first_seq, info.state.last_seq - limit + 1), info.state.last_seq + 1):
        try:
            msg = await js.get_msg(settings.dead_stream, seq)
        except nats.js.errors.NotFoundError:
            continue
        headers = msg.headers or {}
        found.append(
            {
                "seq": seq,
                "time": msg.time.isoformat() if msg.time else None,
                "reason": headers.get(REASON_HEADER),
                "message_id": headers.get("Stepsense-Message-Id"),
                "subject": headers.get("Stepsense-Subject"),
                "data": (msg.data or b"")[:500].decode("utf-8", "replace"),
            }
        )
    return found
