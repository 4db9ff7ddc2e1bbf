"""Storing what the widget sends: answers (scored on the way in) and events.

Both paths are idempotent: each record carries a client-generated
``client_id``, unique per site, and a resend of a stored one is skipped.

Which step ids the items name, and the auto-registration of unknown ones,
live in ``collector.ingest.steps``.
"""

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import Connection, Engine

from collector.analytics import friction, funnel_rollups, rollups, session_locks, theme_store
from collector.analytics.emotion import score_response
from collector.common.database import insert_ignoring_conflicts, one_writer_at_a_time
from collector.common.errors import Invalid
from collector.common.group_commit import GroupCommit, Job
from collector.common.metrics import ROLLUP_WRITE
from collector.common.time import utcnow
from collector.ingest.redact import redact
from collector.ingest.steps import RegistrationLimits, register_steps, resolve_steps, step_cache
from collector.models import Event, Response, TrappedClientId
from collector.tenancy.sites import SiteSnapshot

# Days the client_id of a record that filled the honeypot is remembered: the widget
# resends an undelivered record for at most 7 days (MAX_AGE_MS of the ingest schemas).
TRAP_MEMORY_DAYS = 8
NOT_REGISTERED = "Unknown journey or step, and this site does not register them automatically."


@dataclass(frozen=True)
class IngestResult:
    received: int
    stored: int
    unknown_steps: list[tuple[str, str]] = field(default_factory=list)
    # Why the unknown steps were not registered (NOT_REGISTERED or a limit that was reached).
    refusal: str | None = None

    @property
    def duplicates(self) -> int:
        return self.received - self.stored


def clean_path(url_path: str | None) -> str | None:
    """Keep only the path: query strings and fragments often carry e-mails or tokens."""
    if not url_path:
        return None
    return urlsplit(url_path).path[:512] or "/"


def _unique_by_client_id(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for item in items:
        seen.setdefault(str(item["client_id"]), item)
    return list(seen.values())


def _context_row(site: SiteSnapshot, item: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The columns answers and events share: where, when and to whom (ids of the
    journey and step are filled in when the batch is written).

    ``now`` is when the request arrived; an item the widget held in its queue
    says how long ago it happened (``age_ms``), so sessions keep their order
    and durations even when delivered late.
    """
    if item.get("age_ms"):
        now -= timedelta(milliseconds=item["age_ms"])
    return {
        "site_id": site.id,
        "client_id": str(item["client_id"]),
        "visitor_id": item.get("visitor_id"),
        "session_id": item.get("session_id"),
        "url_path": clean_path(item.get("url_path")),
        "device": item.get("device"),
        "locale": item.get("locale"),
        "variant": item.get("variant"),
        "visitor_type": item.get("visitor_type"),
        "created_at": now,
    }


class Batch(Job):
    """One request's records, ready to insert but for their journey and step ids;
    its outcome is set once the group it was written in commits.

    ``trapped`` holds the (journey key, step key) and client_id of records that
    filled the honeypot: not stored, only remembered, and answered as a real
    record would be.
    """

    def __init__(
        self,
        site: SiteSnapshot,
        table: sa.Table,
        received: int,
        records: list[tuple[tuple[str, str], dict[str, Any]]],
        trapped: Sequence[tuple[tuple[str, str], str]] = (),
    ) -> None:
        super().__init__()
        self.site, self.table, self.records = site, table, records  # ((journey key, step key), row)
        self.received, self.trapped = received, list(trapped)


def store_responses(engine: Engine, site: SiteSnapshot, items: Sequence[dict[str, Any]]) -> IngestResult:
    """Redact, score and store answers; return once they are committed."""
    return _submit(engine, prepare_responses(site, items))


def store_events(engine: Engine, site: SiteSnapshot, items: Sequence[dict[str, Any]]) -> IngestResult:
    """Store widget events; return once they are committed."""
    return _submit(engine, prepare_events(site, items))


def prepare_responses(site: SiteSnapshot, items: Sequence[dict[str, Any]]) -> Batch:
    """The rows to store for validated answers: redacted and scored.

    Answers with a filled honeypot (``hp``) are bots': answered as if stored,
    so the bot learns nothing, but never written (see ``_remember_trapped``).
    """
    now = utcnow()
    records, trapped = [], []
    for item in _unique_by_client_id(items):
        if item.get("hp"):
            trapped.append(((item["journey"], item["step"]), str(item["client_id"])))
            continue
        comment = redact(item["comment"].strip()) if (item.get("comment") or "").strip() else None
        scored = score_response(item["kind"], item.get("score"), comment, item.get("locale"))
        records.append(
            (
                (item["journey"], item["step"]),
                {
                    **_context_row(site, item, now),
                    "kind": item["kind"],
                    "score": item.get("score"),
                    "comment": comment,
                    "polarity": scored.polarity,
                    "subjectivity": scored.subjectivity,
                    "sentiment_label": scored.sentiment_label,
                    "language": scored.language,
                    "emotion": scored.emotion,
                    "scorer_version": scored.scorer_version,
                    "trigger": item.get("trigger") or "inline",
                    "attributes": item.get("attributes") or None,
                },
            )
        )
    return Batch(site, Response.__table__, len(items), records, trapped)


def prepare_events(site: SiteSnapshot, items: Sequence[dict[str, Any]]) -> Batch:
    """The rows to store for validated widget events; a filled honeypot as for answers."""
    now = utcnow()
    unique = _unique_by_client_id(items)
    records = [
        (
            (item["journey"], item["step"]),
            {
                **_context_row(site, item, now),
                "type": item["type"],
                "kind": item.get("kind"),
                "name": item.get("name"),
                "props": item.get("props") or None,
            },
        )
        for item in unique
        if not item.get("hp")
    ]
    trapped = [((item["journey"], item["step"]), str(item["client_id"])) for item in unique if item.get("hp")]
    return Batch(site, Event.__table__, len(items), records, trapped)


# --- Writing: many requests' batches in one transaction --------------------------------------------


def _submit(engine: Engine, batch: Batch) -> IngestResult:
    """Hand the batch to the app's group commit; 422 if it names unknown steps."""
    extensions = current_app.extensions
    committer = extensions.get("stepsense.group_commit") or extensions.setdefault(
        "stepsense.group_commit", GroupCommit(functools.partial(_write_group, engine))
    )
    result = committer.submit((batch.site.id, batch.table.name), batch)
    if result.unknown_steps:
        raise Invalid(
            result.refusal or NOT_REGISTERED,
            details={"step": [f"{journey}/{step}" for journey, step in result.unknown_steps]},
        )
    return result


# The metric label of each ingest table.
KIND_OF_TABLE = {"responses": "answer", "events": "event"}


def _write_group(engine: Engine, key: tuple[int, str], batches: list[Batch], fresh_steps: bool = False) -> None:
    """Store batches of one site and table in one transaction, then finish each.

    If that transaction fails, each batch is tried in a transaction of its own,
    so a batch that cannot be stored fails alone. When the failure is a foreign
    key that a cached step id no longer satisfies (its journey or step was
    deleted), the site's cached steps are forgotten and the group tried again.
    """
    try:
        with (
            ROLLUP_WRITE.labels(KIND_OF_TABLE[key[1]]).time(),
            one_writer_at_a_time(engine),
            engine.begin() as conn,
        ):
            results = _insert(conn, batches)
    except sa.exc.IntegrityError as error:
        stale_step = getattr(error.orig, "sqlstate", None) == "23503"
        if stale_step and not fresh_steps and step_cache.forget(key[0]):
            return _write_group(engine, key, batches, fresh_steps=True)
        if len(batches) == 1:
            raise
        return _write_alone(engine, key, batches)
    except Exception:
        if len(batches) == 1:
            raise
        return _write_alone(engine, key, batches)
    for batch, result in zip(batches, results):
        batch.finish(result)


def _write_alone(engine: Engine, key: tuple[int, str], batches: list[Batch]) -> None:
    for batch in batches:
        try:
            _write_group(engine, key, [batch])
        except Exception as error:
            batch.fail(error)


def _insert(conn: Connection, batches: list[Batch]) -> list[IngestResult]:
    """Insert the rows of every batch (skipping client_ids already stored), bring
    the funnel and curve rollups up to date, and count what each batch stored.

    A client_id sent by two batches of the group belongs to the first.
    """
    site, table = batches[0].site, batches[0].table
    steps, unknown = _steps_of_batches(conn, site, batches)
    owner: dict[str, Batch] = {}
    rows, trapped = [], []
    for batch in batches:
        if batch in unknown:
            continue
        for pair, row in batch.records:
            if owner.setdefault(row["client_id"], batch) is batch:
                journey_id, step_id = steps[pair]
                rows.append({**row, "journey_id": journey_id, "step_id": step_id})
        trapped += [client_id for _, client_id in batch.trapped if owner.setdefault(client_id, batch) is batch]
    inserted = insert_ignoring_conflicts(conn, table, rows, ["site_id", "client_id"], [table.c.client_id, table.c.id])
    new = {row.client_id for row in inserted}
    new_rows = [row for row in rows if row["client_id"] in new]
    answers = table is Response.__table__
    # Before the curve rollups, and for the funnel and friction at once: one statement, not one each.
    session_locks.lock_sessions(conn, {(row["journey_id"], row["session_id"]) for row in new_rows if row["session_id"]})
    funnel_rollups.update_sessions(conn, site.id, new_rows, [row.id for row in inserted], answers=answers)
    (rollups.add_responses if answers else rollups.add_events)(conn, new_rows)
    theme_store.assign_at_ingest(conn, new_rows if answers else [], {row.client_id: row.id for row in inserted})
    friction.update_sessions(conn, site.id, new_rows, answers=answers)
    new |= _remember_trapped(conn, site.id, table, trapped)
    stored: dict[Batch, int] = {}
    for client_id in new:
        stored[owner[client_id]] = stored.get(owner[client_id], 0) + 1
    return [
        IngestResult(received=batch.received, stored=0, unknown_steps=unknown[batch][0], refusal=unknown[batch][1])
        if batch in unknown
        else IngestResult(received=batch.received, stored=stored.get(batch, 0))
        for batch in batches
    ]


def write_batches(conn: Connection, batches: Sequence[Batch]) -> list[IngestResult]:
    """Insert the batches, of any sites and tables, in ``conn``'s transaction, with every
    rollup brought up to date in it; the result of each batch, in order.

    The ingest workers' write (collector/ingest/worker.py): a fetched batch of
    queued items is committed in one transaction, acknowledged after it.
    """
    groups: dict[tuple[int, str], list[Batch]] = {}
    for batch in batches:
        groups.setdefault((batch.site.id, batch.table.name), []).append(batch)
    results: dict[Batch, IngestResult] = {}
    for (_, table), group in sorted(groups.items()):
        with ROLLUP_WRITE.labels(KIND_OF_TABLE[table]).time():
            results.update(zip(group, _insert(conn, group)))
    return [results[batch] for batch in batches]


def _steps_of_batches(
    conn: Connection, site: SiteSnapshot, batches: list[Batch]
) -> tuple[dict[tuple[str, str], tuple[int, int]], dict[Batch, tuple[list[tuple[str, str]], str]]]:
    """The ids of the batches' steps, registering unknown ones if the site does; and
    the batches refused, with their unknown steps and why.

    A batch is registered whole or not at all: when one of its steps would pass a
    limit, none of its new journeys and steps is created, so a refused request
    leaves nothing behind. The steps of trapped records are checked as if they
    were to be created, so a bot gets the 422 a real client would, but they never
    are.
    """

    def pairs(batch: Batch) -> Iterable[tuple[str, str]]:
        return (pair for pair, _ in (*batch.records, *batch.trapped))

    steps = resolve_steps(conn, site, (pair for batch in batches for pair in pairs(batch)))
    unknown: dict[Batch, tuple[list[tuple[str, str]], str]] = {}
    for batch in batches:
        missing = [pair for pair in dict.fromkeys(pairs(batch)) if pair not in steps]
        if not missing:
            continue
        if not site.auto_register:
            unknown[batch] = (missing, NOT_REGISTERED)
            continue
        real = {pair for pair, _ in batch.records}
        limits = RegistrationLimits.from_config(current_app.config)
        registered, refusal = register_steps(
            conn,
            site.id,
            [pair for pair in missing if pair in real],
            limits,
            only_checked=[pair for pair in missing if pair not in real],
        )
        if refusal:
            unknown[batch] = (refusal.steps, refusal.message)
        else:
            steps.update(registered)
            if step_cache.enabled(conn):
                step_cache.put(site.id, registered)
    return steps, unknown


def _remember_trapped(conn: Connection, site_id: int, table: sa.Table, client_ids: list[str]) -> set[str]:
    """Remember the client_ids of records that filled the honeypot; return those a real
    record would have been stored for: neither trapped before nor a stored record's.

    So a caught bot is answered exactly as a real client (201 stored the first time,
    200 duplicates on a resend). The memory is pruned by ``stepsense retention run``
    after TRAP_MEMORY_DAYS.
    """
    if not client_ids:
        return set()
    now = utcnow()
    inserted = insert_ignoring_conflicts(
        conn,
        TrappedClientId.__table__,
        [
            {"site_id": site_id, "record": table.name, "client_id": client_id, "created_at": now}
            for client_id in client_ids
        ],
        ["site_id", "record", "client_id"],
        [TrappedClientId.client_id],
    )
    fresh = {row.client_id for row in inserted}
    if fresh:
        fresh -= set(
            conn.scalars(sa.select(table.c.client_id).where(table.c.site_id == site_id, table.c.client_id.in_(fresh)))
        )
    return fresh
