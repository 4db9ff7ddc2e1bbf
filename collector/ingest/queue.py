"""The replicated ingest log: public ingest publishes to NATS JetStream, workers write.

On when ``INGEST_QUEUE_URL`` is set (off by default; docs/scaling.md). A
request's answers or events are validated, redacted and scored as on the
direct path (``store.prepare_responses``/``prepare_events``), then each item
becomes one message on ``<stream>.in.<kind>.<site id>``. The client is
answered only once the broker has acknowledged every message (the PubAck: the
message is stored on a quorum of the stream's replicas), so an acknowledged
answer is never only in this process's memory.

Exactly once: each message carries ``Nats-Msg-Id`` = ``<site id>:<client_id>``
(``<site id>:event:<client_id>`` for events), which JetStream de-duplicates
within ``INGEST_QUEUE_DUPLICATE_WINDOW``; after that the database's unique
(site, client_id) key drops a resend, and a worker redelivered a message it had
already committed stores nothing twice for the same reason.

Each process keeps one long-lived connection in a background event-loop
thread (nats-py is asyncio; the gunicorn workers are threads), made lazily and
anew after a fork. The streams are created or brought to the configured
replicas idempotently by whoever connects first: ``<stream>`` (work-queue
retention: a message is deleted once a worker acknowledged it) and
``<stream>_dead`` for the dead letters, subject ``<stream>.dead``.
"""

import asyncio
import collections
import concurrent.futures
import contextlib
import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import nats
import nats.errors
import nats.js.errors
from nats.js import api

from collector.common.errors import Unavailable
from collector.ingest import nats_wire

log = logging.getLogger(__name__)

# Seconds after a failed connection during which publishes fail at once (503)
# instead of each waiting for a connect timeout.
RECONNECT_COOLDOWN = 1.0
NO_RESPONDERS_PAUSE = 0.2  # seconds before the one retry of a publish nobody answered
CONSUMER = "workers"
REASON_HEADER = "Stepsense-Reason"
DEAD_LETTER_MAX_AGE = 30 * 86400


@dataclass(frozen=True)
class QueueSettings:
    """Where the log lives and how it is replicated (from the app's config)."""

    urls: tuple[str, ...]
    stream: str = "stepsense"
    replicas: int = 1
    timeout: float = 2.0
    duplicate_window: int = 600

    @classmethod
    def from_config(cls, config: Any) -> "QueueSettings | None":
        """None when ``INGEST_QUEUE_URL`` is unset: the direct path."""
        urls = tuple(url.strip() for url in (config.get("INGEST_QUEUE_URL") or "").split(",") if url.strip())
        if not urls:
            return None
        return cls(
            urls,
            config.get("INGEST_QUEUE_STREAM") or "stepsense",
            int(config.get("INGEST_QUEUE_REPLICAS") or 1),
            float(config.get("INGEST_QUEUE_TIMEOUT") or 2),
            int(config.get("INGEST_QUEUE_DUPLICATE_WINDOW") or 600),
        )

    @property
    def subjects(self) -> str:
        return f"{self.stream}.in.>"

    @property
    def dead_subject(self) -> str:
        return f"{self.stream}.dead"

    @property
    def dead_stream(self) -> str:
        return f"{self.stream}_dead"


# --- Messages -------------------------------------------------------------------------------------


def subject(settings: QueueSettings, kind: str, site_id: int) -> str:
    return f"{settings.stream}.in.{kind}.{site_id}"


def message_id(kind: str, site_id: int, client_id: str) -> str:
    """JetStream's de-duplication key: the site and the client's id of the item."""
    return f"{site_id}:{client_id}" if kind == "answer" else f"{site_id}:{kind}:{client_id}"


async def ensure_streams(js: Any, settings: QueueSettings) -> None:
    """Create the log and the dead-letter stream, or bring them to the configured replicas."""
    wanted = [
        api.StreamConfig(
            name=settings.stream,
            subjects=[settings.subjects],
            retention=api.RetentionPolicy.WORK_QUEUE,
            storage=api.StorageType.FILE,
            num_replicas=settings.replicas,
            duplicate_window=float(settings.duplicate_window),
        ),
        api.StreamConfig(
            name=settings.dead_stream,
            subjects=[settings.dead_subject],
            retention=api.RetentionPolicy.LIMITS,
            storage=api.StorageType.FILE,
            num_replicas=settings.replicas,
            max_age=float(DEAD_LETTER_MAX_AGE),
            duplicate_window=float(settings.duplicate_window),
        ),
    ]
    for config in wanted:
        try:
            info = await js.stream_info(config.name)
        except nats.js.errors.NotFoundError:
            with contextlib.suppress(nats.js.errors.BadRequestError):  # made meanwhile by another process
                await js.add_stream(config)
            continue
        current = info.config
        if (
            (current.num_replicas or 1) != config.num_replicas
            or current.subjects != config.subjects
            or int(current.duplicate_window or 0) != int(config.duplicate_window)
        ):
            await js.update_stream(config)


def consumer_config(settings: QueueSettings, ack_wait: float = 30.0) -> api.ConsumerConfig:
    """The workers' shared durable pull consumer: every message until acknowledged,
    redelivered after ``ack_wait`` if its worker died, never given up on."""
    return api.ConsumerConfig(
        durable_name=CONSUMER,
        ack_policy=api.AckPolicy.EXPLICIT,
        ack_wait=ack_wait,
        max_deliver=-1,
        max_ack_pending=20_000,
        filter_subject=settings.subjects,
        deliver_policy=api.DeliverPolicy.ALL,
    )


# --- The publisher: one connection per process, in its own event-loop thread ---------------------


class _LoopThread:
    """An asyncio loop in a daemon thread, for sync callers (Flask request threads)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="stepsense-queue", daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine, timeout: float) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise


class Publisher:
    """Publishes items and waits for the broker's acknowledgements; raises Unavailable otherwise."""

    def __init__(self, settings: QueueSettings) -> None:
        self.settings = settings
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._loop: _LoopThread | None = None
        self._nc: Any = None
        self._js: Any = None
        self._connecting: asyncio.Lock | None = None
        self._failed_at = 0.0
        self._outbox: collections.deque = collections.deque()
        self._flush_scheduled = False
        self._replies: dict[str, concurrent.futures.Future] = {}
        self._tokens = itertools.count()
        self._inbox: str | None = None
        self._inbox_nc: Any = None
        # Plain nats:// servers: request threads publish on a socket of their own (nats_wire).
        self._wire = (
            nats_wire.SyncPublisher(settings.urls, settings.timeout, RECONNECT_COOLDOWN)
            if nats_wire.supported(settings.urls)
            else None
        )
        self._streams_ready = False

    def _runner(self) -> _LoopThread:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():  # no thread of the parent runs after a fork
                self._pid, self._loop, self._nc, self._js, self._connecting = (
                    os.getpid(),
                    _LoopThread(),
                    None,
                    None,
                    None,
                )
                self._outbox, self._flush_scheduled, self._replies, self._inbox = collections.deque(), False, {}, None
            return self._loop

    def run(self, coroutine_function, *args: Any, timeout: float | None = None) -> Any:
        """Run ``coroutine_function(js, *args)`` on the connection; Unavailable if the broker can't be reached."""
        timeout = self.settings.timeout if timeout is None else timeout
        runner = self._runner()
        try:
            return runner.run(self._with_connection(coroutine_function, *args), timeout + self.settings.timeout + 1)
        except (OSError, TimeoutError, nats.errors.Error) as error:
            log.warning("ingest log unavailable: %s", error.__class__.__name__)
            raise Unavailable(
                "The ingest log is unavailable; nothing was accepted. Retry shortly.", retry_after=2
            ) from error

    async def _with_connection(self, coroutine_function, *args: Any) -> Any:
        js = await self._connected()
        return await coroutine_function(js, *args)

    async def _connected(self) -> Any:
        if self._nc is not None and self._nc.is_connected:
            return self._js
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._nc is not None and self._nc.is_connected:
                return self._js
            if self._nc is not None and (self._nc.is_reconnecting or self._nc.is_connecting):
                raise nats.errors.ConnectionReconnectingError()
            if time.monotonic() - self._failed_at < RECONNECT_COOLDOWN:
                raise nats.errors.NoServersError()
            try:
                self._nc = await connect(self.settings)
                self._js = self._nc.jetstream(timeout=self.settings.timeout)
                try:
                    await ensure_streams(self._js, self.settings)
                except nats.js.errors.APIError:  # another process was creating them just then: look again
                    await ensure_streams(self._js, self.settings)
            except BaseException:
                self._failed_at = time.monotonic()
                if self._nc is not None:
                    nc, self._nc = self._nc, None
                    await _close_quietly(nc)
                raise
            return self._js

    def publish(self, messages: Sequence[tuple[str, str, bytes]]) -> int:
        """Publish (subject, message id, payload) triples; return how many were new to
        the log (the others were duplicates of messages it holds). Raises Unavailable
        unless every one was acknowledged.

        On plain nats:// servers the request thread publishes itself and reads the
        PubAcks (``_publish_wire``). Otherwise (TLS) the messages go through the
        asyncio connection (``_publish_in_loop``).
        """
        if self._wire is None:
            return self._publish_in_loop(messages)
        try:
            return self._publish_wire(self._wire, messages)
        except nats_wire.WireError as error:
            if "status 503" in str(error):  # even after the retry: check the streams again next time
                self._streams_ready = False
            log.warning("ingest log unavailable: %s", error)
            raise Unavailable(
                "The ingest log is unavailable; nothing was accepted. Retry shortly.", retry_after=2
            ) from error

    def _publish_wire(self, wire: nats_wire.SyncPublisher, messages: Sequence[tuple[str, str, bytes]]) -> int:
        """Publish on the request thread's socket (``nats_wire``), the streams made or
        checked through nats-py once per process first.

        A publish nobody answered (503: a stream just made or recovering after a
        restart, or a leader being elected) makes sure the streams exist, pauses and
        is tried once more. The message ids are the same, so what the broker stored
        the first time comes back a duplicate: it counts as new from the first try
        (``WireError.new``).
        """
        if not self._streams_ready:
            self.run(_streams_checked)
            self._streams_ready = True
        try:
            return wire.publish(messages)
        except nats_wire.WireError as error:
            if "status 503" not in str(error):
                raise
            self.run(ensure_streams, self.settings)
            time.sleep(NO_RESPONDERS_PAUSE)
            return error.new + wire.publish(messages)

    def _publish_in_loop(self, messages: Sequence[tuple[str, str, bytes]]) -> int:
        """Publish through the event-loop thread's nats-py connection.

        The request thread hands its messages to the loop thread through a queue that
        is flushed in one go, and waits for the acknowledgements on plain futures that
        the broker's replies complete: no task per message, and one wake-up of the loop
        for all the requests that publish at the same time (JetStream's publish is a
        request to the stream's subject, answered by a PubAck on the reply subject).
        """
        runner = self._runner()
        futures = [concurrent.futures.Future() for _ in messages]
        self._outbox.append((messages, futures))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            runner.loop.call_soon_threadsafe(self._flush)
        deadline = time.monotonic() + self.settings.timeout + 0.5
        new = 0
        try:
            for future in futures:
                new += not future.result(max(0.0, deadline - time.monotonic()))
        except (OSError, TimeoutError, nats.errors.Error, nats.js.errors.Error) as error:
            log.warning("ingest log unavailable: %s", error.__class__.__name__)
            raise Unavailable(
                "The ingest log is unavailable; nothing was accepted. Retry shortly.", retry_after=2
            ) from error
        finally:
            for future in futures:
                future.cancel()  # not sent yet: the loop skips it; sent: its late reply is ignored
                self._replies.pop(getattr(future, "token", None), None)
        return new

    def _flush(self) -> None:
        """In the loop: send every queued message (one task for all of them)."""
        self._flush_scheduled = False  # before draining: a message queued from now on schedules a new flush
        batch = []
        while self._outbox:
            batch.append(self._outbox.popleft())
        if batch:
            self._loop.loop.create_task(self._send(batch))

    async def _send(self, batch: list) -> None:
        futures = [future for _, group in batch for future in group]
        try:
            await self._connected()
            if self._inbox is None or self._inbox_nc is not self._nc:
                self._inbox, self._inbox_nc = self._nc.new_inbox(), self._nc
                await self._nc.subscribe(self._inbox + ".*", cb=self._on_reply)
            for messages, group in batch:
                for (to, msg_id, payload), future in zip(messages, group):
                    if future.done():  # its request gave up waiting
                        continue
                    future.token = f"{next(self._tokens):x}"
                    self._replies[future.token] = future
                    await self._nc.publish(
                        to, payload, reply=f"{self._inbox}.{future.token}", headers={"Nats-Msg-Id": msg_id}
                    )
        except BaseException as error:
            for future in futures:
                if not future.done():
                    future.set_exception(error if isinstance(error, Exception) else nats.errors.Error(str(error)))
            if not isinstance(error, Exception):
                raise

    async def _on_reply(self, msg: Any) -> None:
        future = self._replies.pop(msg.subject.rpartition(".")[2], None)
        if future is None or future.done():
            return  # its request timed out meanwhile
        status = (msg.headers or {}).get("Status")
        if status:  # e.g. 503: no stream (or no leader) responded
            future.set_exception(nats.js.errors.ServiceUnavailableError(description=f"status {status}"))
            return
        try:
            reply = json.loads(msg.data)
        except ValueError as error:
            future.set_exception(nats.errors.Error(f"bad PubAck: {error}"))
            return
        if "error" in reply:
            future.set_exception(nats.js.errors.APIError.from_error(reply["error"]))
        else:
            future.set_result(bool(reply.get("duplicate")))

    def close(self) -> None:
        if self._wire is not None:
            self._wire.close()
        self._streams_ready = False
        with self._lock:
            runner, nc = self._loop, self._nc
            self._loop, self._nc, self._js = None, None, None
        if runner is not None and self._pid == os.getpid():
            if nc is not None:
                with contextlib.suppress(Exception):  # closing a dead connection
                    runner.run(_close_quietly(nc), 2)
            runner.loop.call_soon_threadsafe(runner.loop.stop)


async def _streams_checked(_js: Any) -> None:
    """Nothing: connecting (``Publisher._connected``) made or checked the streams."""


async def connect(settings: QueueSettings, name: str = "stepsense") -> Any:
    """A connection that reconnects by itself, to any of the configured servers."""

    async def quiet(_error: Exception) -> None:
        return None

    return await nats.connect(
        servers=list(settings.urls),
        name=name,
        connect_timeout=settings.timeout,
        allow_reconnect=True,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        error_cb=quiet,
        ping_interval=10,
        max_outstanding_pings=3,
    )


async def _close_quietly(nc: Any) -> None:
    with contextlib.suppress(Exception):  # the connection is dead anyway
        await asyncio.wait_for(nc.close(), 2)


_publishers: dict[QueueSettings, Publisher] = {}
_publishers_lock = threading.Lock()


def publisher(settings: QueueSettings) -> Publisher:
    """This process's publisher for ``settings`` (one connection, kept open)."""
    with _publishers_lock:
        found = _publishers.get(settings)
        if found is None:
            found = _publishers[settings] = Publisher(settings)
        return found


def close_publishers() -> None:
    with _publishers_lock:
        found = list(_publishers.values())
        _publishers.clear()
    for one in found:
        one.close()
