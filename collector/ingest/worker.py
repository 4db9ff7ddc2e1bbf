"""``stepsense ingest worker``: drains the ingest log into the database.

Any number of worker processes, on any hosts, share one durable pull consumer
(``workers``) of the stream. Each loop fetches up to ``batch`` messages,
writes all of their items in ONE transaction through the direct path's code
(``store.write_batches``: rows, the funnel and every rollup), and acknowledges
them only after the commit. So:

* a worker killed before its commit leaves the messages unacknowledged; the
  broker redelivers them after ``ack_wait`` and another worker stores them;
* a worker killed between commit and acknowledgement gets them redelivered
  too, and stores nothing twice: the rows' (site, client_id) key skips them,
  and rollups are only added for rows actually inserted;
* the database down (or SQLite busy): nothing is acknowledged, the batch is
  handed back with a delay (``nak``), and the worker backs off with jitter,
  up to ``MAX_BACKOFF`` seconds, until a write succeeds again;
* a message no worker can ever store (undecodable, an unknown site, an
  unknown step the site doesn't register or a registration limit, a row the
  database refuses on its own) is published to ``<stream>.dead`` with the
  reason in the ``Stepsense-Reason`` header and terminated, so it neither
  blocks the log nor is lost; ``stepsense ingest status`` lists them.
"""

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import nats.errors
import sqlalchemy as sa
from flask import Flask

from collector.common.metrics import QUEUE_WORKER_ITEMS, QUEUE_WORKER_RETRIES
from collector.extensions import db
from collector.ingest import log_format, queue, store
from collector.models import Event, Response, Site
from collector.tenancy.sites import SiteSnapshot

log = logging.getLogger(__name__)

MIN_BACKOFF = 0.5
MAX_BACKOFF = 10.0
TABLES = {"answer": Response.__table__, "event": Event.__table__}


class DatabaseDown(Exception):
    """The write failed for a reason that passes (connection lost, database locked)."""


def is_transient(error: BaseException) -> bool:
    """An error that a later try of the same write may not get: the database is down,
    restarting, or (SQLite) locked by another writer."""
    if isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError | sa.exc.TimeoutError):
        return True
    return bool(getattr(error, "connection_invalidated", False))


@dataclass
class Outcome:
    """What one fetched batch came to: items stored, duplicates, and messages for the dead letters."""

    stored: int = 0
    duplicates: int = 0
    dead: list[tuple[int, str]] = field(default_factory=list)  # (index of the message, reason)


@dataclass
class Stats:
    batches: int = 0
    stored: int = 0
    duplicates: int = 0
    dead: int = 0
    backoffs: int = 0


def write_items(app: Flask, items: Sequence[log_format.Item | None]) -> Outcome:
    """Store decoded items (None for a message already found poisonous) in one transaction.

    Raises DatabaseDown when the database can't take the write now. When the
    transaction fails for another reason, each item is written alone, so the
    one the database refuses is dead-lettered and the others are stored.
    """
    with app.app_context():
        try:
            return _write(db.engine, items)
        except DatabaseDown:
            raise
        except Exception as error:
            if is_transient(error):
                raise DatabaseDown(str(error)) from error
            if sum(item is not None for item in items) <= 1:
                index = next(i for i, item in enumerate(items) if item is not None)
                return Outcome(
                    dead=[(index, f"refused by the database: {error.__class__.__name__}: {_one_line(error)}")]
                )
            log.warning("batch refused (%s); writing its items one by one", error.__class__.__name__)
            outcome = Outcome()
            for index, item in enumerate(items):
                if item is None:
                    continue
                alone = write_items(app, [None] * index + [item])
                outcome.stored += alone.stored
                outcome.duplicates += alone.duplicates
                outcome.dead += alone.dead
            return outcome


def _write(engine: sa.Engine, items: Sequence[log_format.Item | None], fresh_steps: bool = False) -> Outcome:
    """One transaction: the items of each site and kind as one batch (one INSERT, one
    pass of the rollups); a batch refused for an unknown step is written again item
    by item in the same transaction, so only the items naming such a step are refused."""
    outcome = Outcome()
    try:
        with engine.begin() as conn:
            sites = _sites(conn, {item.site_id for item in items if item is not None})
            groups: dict[tuple[int, str], list[int]] = {}
            seen: set[tuple[int, str, str]] = set()
            for index, item in enumerate(items):
                if item is None:
                    continue
                if item.site_id not in sites:
                    outcome.dead.append((index, f"unknown site {item.site_id} (deleted?)"))
                    continue
                if (item.site_id, item.kind, item.client_id) in seen:  # the same item twice in one fetch
                    _count(outcome, item.kind, 0, 1)
                    continue
                seen.add((item.site_id, item.kind, item.client_id))
                groups.setdefault((item.site_id, item.kind), []).append(index)
            keys = list(groups)
            results = store.write_batches(
                conn,
                [_batch(sites[site_id], kind, [items[i] for i in groups[(site_id, kind)]]) for site_id, kind in keys],
            )
            for key, result in zip(keys, results):
                indexes = groups[key]
                if not result.unknown_steps:
                    _count(outcome, key[1], result.stored, len(indexes) - result.stored)
                    continue
                alone = store.write_batches(conn, [_batch(sites[key[0]], key[1], [items[i]]) for i in indexes])
                for index, one in zip(indexes, alone):
                    if one.unknown_steps:
                        steps = ", ".join(f"{journey}/{step}" for journey, step in one.unknown_steps)
                        outcome.dead.append((index, f"{one.refusal or store.NOT_REGISTERED} ({steps})"))
                    else:
                        _count(outcome, key[1], one.stored, 1 - one.stored)
    except sa.exc.IntegrityError as error:
        # A cached step id whose journey or step was deleted (PostgreSQL): forget the sites' steps, once.
        if getattr(error.orig, "sqlstate", None) == "23503" and not fresh_steps:
            forgotten = [store.step_cache.forget(site_id) for site_id in {i.site_id for i in items if i is not None}]
            if any(forgotten):
                return _write(engine, items, fresh_steps=True)
        raise
    return outcome


def _batch(site: SiteSnapshot, kind: str, items: Sequence[log_format.Item]) -> store.Batch:
    records = [(item.pair, item.row) for item in items if item.row is not None]
    trapped = [(item.pair, item.trapped) for item in items if item.row is None]
    return store.Batch(site, TABLES[kind], len(items), records, trapped)


def _count(outcome: Outcome, kind: str, stored: int, duplicates: int) -> None:
    outcome.stored += stored
    outcome.duplicates += duplicates
    QUEUE_WORKER_ITEMS.labels(kind, "stored").inc(stored)
    QUEUE_WORKER_ITEMS.labels(kind, "duplicate").inc(duplicates)


def _sites(conn: sa.Connection, site_ids: set[int]) -> dict[int, SiteSnapshot]:
    if not site_ids:
        return {}
    rows = conn.execute(
        sa.select(Site.id, Site.public_key, Site.origins, Site.auto_register).where(Site.id.in_(sorted(site_ids)))
    )
    return {
        row.id: SiteSnapshot(row.id, row.public_key, frozenset(row.origins or ()), row.auto_register) for row in rows
    }


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:400]


class Worker:
    """One consumer of the log. ``run`` blocks until ``stop`` is set (or ``max_batches``)."""

    def __init__(
        self,
        app: Flask,
        settings: queue.QueueSettings,
        batch: int = 500,
        ack_wait: float = 30.0,
        fetch_timeout: float = 1.0,
        concurrency: int | None = None,
    ) -> None:
        self.app, self.settings, self.batch = app, settings, batch
        self.ack_wait, self.fetch_timeout = ack_wait, fetch_timeout
        # Batches in transactions of their own at once. PostgreSQL: one is prepared and
        # sent while the server writes the other (+7–14 % at --batch 2000, bench/INGEST.md,
        # round 4); SQLite has one writer, a second would only wait for the lock.
        if concurrency is None:
            with app.app_context():
                concurrency = 2 if db.engine.dialect.name == "postgresql" else 1
        self.concurrency = max(1, concurrency)
        self.stats = Stats()
        self.stop = threading.Event()
        self._backoff = 0.0
        self._resume_at = 0.0  # after a database failure, no new batch is started before this

    def run(
        self,
        max_batches: int | None = None,
        idle_exit: float | None = None,
        on_batch: Callable[[Stats], None] | None = None,
    ) -> Stats:
        """Drain the log; with ``idle_exit``, return after that many seconds without a message.

        The event loop runs in a thread of its own: a caller whose thread already
        has a loop (Playwright's sync API in a test session, a notebook) can run a
        worker too, and the calling thread stays free for signal handlers.
        """
        failures: list[BaseException] = []

        def drain() -> None:
            try:
                asyncio.run(self._main(max_batches, idle_exit, on_batch))
            except BaseException as error:  # handed to the caller below
                failures.append(error)

        thread = threading.Thread(target=drain, name="stepsense-ingest-worker")
        thread.start()
        while thread.is_alive():
            thread.join(0.5)
        if failures:
            raise failures[0]
        return self.stats

    async def _main(self, max_batches: int | None, idle_exit: float | None, on_batch) -> None:
        nc = js = sub = None
        prefetch: asyncio.Future | None = None
        writing: set[asyncio.Task] = set()
        idle_since = time.monotonic()
        while not self.stop.is_set():
            if (pause := self._resume_at - time.monotonic()) > 0:
                await asyncio.sleep(pause)  # the database failed: let it recover before the next batch
                continue
            try:
                if sub is None:
                    nc, js, sub = await self._subscribe()
                    self._backoff = 0.0
                msgs = await (prefetch or sub.fetch(self.batch, timeout=self.fetch_timeout))
            except (TimeoutError, nats.errors.TimeoutError):
                prefetch = None
                if idle_exit is not None and not writing and time.monotonic() - idle_since > idle_exit:
                    break
                continue
            except (OSError, nats.errors.Error) as error:
                # The broker is down or its leader moved: the client reconnects by itself.
                prefetch = None
                log.warning("ingest log unreachable (%s); retrying", error.__class__.__name__)
                if nc is not None and nc.is_closed:
                    nc = js = sub = None
                await self._sleep_backoff("broker")
                continue
            idle_since = time.monotonic()
            task = asyncio.create_task(self._handle(js, msgs))
            writing.add(task)
            task.add_done_callback(writing.discard)
            if on_batch:
                task.add_done_callback(lambda _: on_batch(self.stats))
            if len(writing) >= self.concurrency:
                await asyncio.wait(writing, return_when=asyncio.FIRST_COMPLETED)
            if max_batches is not None and self.stats.batches + len(writing) >= max_batches:
                break
            # The next batch comes over the network while this one is written.
            prefetch = asyncio.ensure_future(sub.fetch(self.batch, timeout=self.fetch_timeout))
        if writing:
            await asyncio.wait(writing)
        await self._hand_back(prefetch)
        if nc is not None:
            await queue._close_quietly(nc)

    @staticmethod
    async def _hand_back(prefetch: asyncio.Future | None) -> None:
        """Messages fetched ahead but not written go back to the log at once (not after ack_wait)."""
        if prefetch is None:
            return
        try:
            msgs = await asyncio.wait_for(prefetch, 5)
        except Exception:
            return
        await asyncio.gather(*(msg.nak() for msg in msgs), return_exceptions=True)

    async def _subscribe(self):
        nc = await queue.connect(self.settings, name="stepsense-worker")
        try:
            js = nc.jetstream(timeout=self.settings.timeout)
            await queue.ensure_streams(js, self.settings)
            sub = await js.pull_subscribe(
                self.settings.subjects,
                durable=queue.CONSUMER,
                stream=self.settings.stream,
                config=queue.consumer_config(self.settings, self.ack_wait),
            )
        except BaseException:
            await queue._close_quietly(nc)
            raise
        return nc, js, sub

    async def _handle(self, js: Any, msgs: list) -> None:
        items: list[log_format.Item | None] = []
        dead: list[tuple[int, str]] = []
        for index, msg in enumerate(msgs):
            try:
                items.append(log_format.decode(msg.data))
            except log_format.Poison as poison:
                items.append(None)
                dead.append((index, str(poison)))
        try:
            outcome = await asyncio.to_thread(write_items, self.app, items) if any(items) else Outcome()
        except DatabaseDown as error:
            log.warning("database unavailable (%s); %d messages handed back", _one_line(error)[:120], len(msgs))
            QUEUE_WORKER_RETRIES.labels("database").inc()
            delay = self._next_backoff()
            self._resume_at = max(self._resume_at, time.monotonic() + delay)
            await asyncio.gather(*(msg.nak(delay=delay) for msg in msgs), return_exceptions=True)
            self.stats.backoffs += 1
            return
        self._backoff = 0.0
        dead += outcome.dead
        dead_indexes = set()
        for index, reason in dead:
            if await self._dead_letter(js, msgs[index], reason):
                dead_indexes.add(index)
        # After the commit: acknowledge every message stored, found a duplicate or dead-lettered.
        # One after the other, not gathered: an ack only queues bytes for the connection's
        # flusher, and a task per message cost 4x the CPU (21 vs 6 µs per ack; INGEST.md, round 5).
        # An ack that fails (connection lost) is a redelivery, which stores nothing twice.
        for index, msg in enumerate(msgs):
            if index not in dead_indexes:
                with contextlib.suppress(Exception):
                    await msg.ack()
        self.stats.batches += 1
        self.stats.stored += outcome.stored
        self.stats.duplicates += outcome.duplicates
        self.stats.dead += len(dead_indexes)

    async def _dead_letter(self, js: Any, msg: Any, reason: str) -> bool:
        """Publish the message to the dead letters with its reason and terminate it;
        False (the message stays, to be redelivered) if the broker didn't take it."""
        headers = msg.headers or {}
        original = headers.get("Nats-Msg-Id") or f"seq:{msg.metadata.sequence.stream}"
        try:
            await js.publish(
                self.settings.dead_subject,
                msg.data,
                timeout=self.settings.timeout,
                headers={
                    queue.REASON_HEADER: _one_line(reason),
                    "Stepsense-Message-Id": original,
                    "Stepsense-Subject": msg.subject,
                    "Nats-Msg-Id": f"dead:{original}",
                },
            )
            await msg.term()
        except (OSError, nats.errors.Error) as error:
            log.warning("could not dead-letter a message (%s); it stays in the log", error.__class__.__name__)
            return False
        kind = msg.subject.split(".")[-2] if msg.subject.count(".") >= 3 else "unknown"
        QUEUE_WORKER_ITEMS.labels(kind, "dead").inc()
        log.warning("dead letter %s: %s", original, _one_line(reason))
        return True

    def _next_backoff(self) -> float:
        """Exponential, with full jitter so workers don't hammer a recovering database together."""
        self._backoff = min(MAX_BACKOFF, max(MIN_BACKOFF, self._backoff * 2))
        return random.uniform(MIN_BACKOFF / 2, self._backoff)

    async def _sleep_backoff(self, reason: str) -> None:
        QUEUE_WORKER_RETRIES.labels(reason).inc()
        self.stats.backoffs += 1
        await asyncio.sleep(self._next_backoff())
