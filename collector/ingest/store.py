"""Storing what the widget sends: answers (scored on the way in) and events.

Both paths are idempotent: each record carries a client-generated
``client_id``, unique per site, and a resend of a stored one is skipped.

A site that auto-registers gets unknown journeys and steps created on the
fly, within limits (``RegistrationLimits``) that keep a bot making up names
from bloating the config every page view downloads.
"""

import functools
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from threading import Lock
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import Connection, Engine

from collector.analytics import funnel, rollups
from collector.common.database import Bind, dialect_name, insert_ignoring_conflicts
from collector.common.group_commit import GroupCommit, Job
from collector.analytics.emotion import score_response
from collector.common.errors import Invalid
from collector.common.metrics import ROLLUP_WRITE
from collector.models import Event, Journey, Response, Site, Step, TrappedClientId
from collector.common.time import utcnow
from collector.ingest.redact import redact
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


# Built once: every answer runs this query, and building it costs more than running it.
_STEPS_OF_JOURNEYS = (
    sa.select(Journey.key.label("journey"), Step.key.label("step"), Journey.id.label("journey_id"), Step.id.label("step_id"))
    .join(Step, Step.journey_id == Journey.id)
    .where(Journey.site_id == sa.bindparam("site_id"), Journey.key.in_(sa.bindparam("journey_keys", expanding=True)))
)


class _StepCache:
    """(site id, journey key, step key) → (journey id, step id), per process, for
    SITE_CACHE_SECONDS like the site cache (0 disables it): a known step then
    costs no query.

    Used on PostgreSQL only. Keys of journeys and steps never change, so an
    entry goes stale only when its journey or step is deleted; PostgreSQL
    never reuses those ids (sequences), so a stale entry fails the new row's
    foreign keys and the group is written once more with fresh ids
    (``_write_group``). SQLite may give a new row the id of a
    deleted one (rowid = max + 1), so a stale entry could name another step
    without any error; there the lookup is an in-process call anyway.
    """

    def __init__(self) -> None:
        self._lock = Lock()
        self._entries: dict[tuple[int, str, str], tuple[float, tuple[int, int]]] = {}

    @staticmethod
    def enabled(bind: Bind) -> bool:
        return current_app.config["SITE_CACHE_SECONDS"] > 0 and dialect_name(bind) == "postgresql"

    def get(self, site_id: int, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]] | None:
        """The ids of every pair, or None unless all of them are cached and fresh."""
        oldest = time.monotonic() - current_app.config["SITE_CACHE_SECONDS"]
        found = {}
        for pair in pairs:
            hit = self._entries.get((site_id, *pair))
            if hit is None or hit[0] <= oldest:
                return None
            found[pair] = hit[1]
        return found

    def put(self, site_id: int, found: dict[tuple[str, str], tuple[int, int]]) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._entries) > 10_000:  # bound memory against floods of made-up keys
                self._entries.clear()
            for (journey_key, step_key), ids in found.items():
                self._entries[(site_id, journey_key, step_key)] = (now, ids)

    def forget(self, site_id: int) -> bool:
        """Drop a site's entries; True if there were any."""
        with self._lock:
            stale = [key for key in self._entries if key[0] == site_id]
            for key in stale:
                del self._entries[key]
        return bool(stale)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


step_cache = _StepCache()


def resolve_steps(conn: Connection, site: SiteSnapshot, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
    """Map the known (journey key, step key) pairs to (journey id, step id); unknown ones are left out."""
    wanted = list(dict.fromkeys(pairs))  # unique, in order of first sight
    cached = step_cache.enabled(conn)
    if cached and (found := step_cache.get(site.id, wanted)) is not None:
        return found
    found = _known_steps(conn, site.id, {journey for journey, _ in wanted})
    if cached:
        step_cache.put(site.id, found)
    return found


def _known_steps(conn: Connection, site_id: int, journey_keys: Iterable[str]) -> dict[tuple[str, str], tuple[int, int]]:
    return {
        (row.journey, row.step): (row.journey_id, row.step_id)
        for row in conn.execute(_STEPS_OF_JOURNEYS, {"site_id": site_id, "journey_keys": list(journey_keys)})
    }


@dataclass(frozen=True)
class RegistrationLimits:
    """How far auto-registration may grow a site: journeys it made in all, and in the
    last hour, and steps it made per journey. Journeys and steps the CX team made
    don't count."""

    journeys: int
    steps: int
    journeys_per_hour: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "RegistrationLimits":
        return cls(config["AUTO_REGISTER_MAX_JOURNEYS"], config["AUTO_REGISTER_MAX_STEPS"],
                   config["AUTO_REGISTER_JOURNEYS_PER_HOUR"])


class Refusal(NamedTuple):
    """Why unknown steps were not registered, and which of them passed the limit."""

    message: str
    steps: list[tuple[str, str]]


def register_steps(conn: Connection, site_id: int, pairs: Sequence[tuple[str, str]], limits: RegistrationLimits,
                   only_checked: Sequence[tuple[str, str]] = ()) -> tuple[dict[tuple[str, str], tuple[int, int]], Refusal | None]:
    """Create the journeys and steps of ``pairs`` that don't exist: all of them, or none
    if that would pass one of ``limits``. Returns the ids of the pairs, or why they
    were refused. ``only_checked`` pairs count against the limits in this call but
    are never created.

    Registrations of a site are serialised by a lock on its row (PostgreSQL; SQLite
    has one writer anyway), so concurrent workers can't together pass a limit. The
    lock is FOR NO KEY UPDATE, which doesn't block the foreign-key checks of
    inserts that name the site.
    """
    conn.execute(sa.select(Site.id).where(Site.id == site_id).with_for_update(key_share=True))
    journey_keys = list(dict.fromkeys(journey for journey, _ in (*pairs, *only_checked)))
    found = _known_steps(conn, site_id, journey_keys)
    missing = [pair for pair in dict.fromkeys(pairs) if pair not in found]
    checked = [pair for pair in dict.fromkeys((*missing, *only_checked)) if pair not in found]
    refusal = _refusal(conn, site_id, checked, limits) if checked else None
    if refusal:
        return {}, refusal
    for journey_key, step_key in missing:
        found[(journey_key, step_key)] = _register_step(conn, site_id, journey_key, step_key)
    return {pair: found[pair] for pair in pairs}, None


def _refusal(conn: Connection, site_id: int, missing: list[tuple[str, str]], limits: RegistrationLimits) -> Refusal | None:
    """Why creating ``missing`` would pass a limit, or None if it would not."""
    journey_ids = dict(conn.execute(
        sa.select(Journey.key, Journey.id).where(Journey.site_id == site_id, Journey.key.in_({j for j, _ in missing}))
    ).all())
    new_journeys = {journey for journey, _ in missing if journey not in journey_ids}
    if new_journeys:
        an_hour_ago = utcnow() - timedelta(hours=1)
        made, made_lately = conn.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((Journey.created_at >= an_hour_ago, 1), else_=0)), 0))
            .where(Journey.site_id == site_id, Journey.auto_registered.is_(True))
        ).one()
        refused = [pair for pair in missing if pair[0] in new_journeys]
        if made + len(new_journeys) > limits.journeys:
            return Refusal(f"Unknown journey, and this site already has the {limits.journeys} journeys it may "
                           "register automatically; create journeys through the API. Nothing was stored.", refused)
        if made_lately + len(new_journeys) > limits.journeys_per_hour:
            return Refusal(f"Unknown journey, and this site has registered the {limits.journeys_per_hour} new journeys "
                           "an hour it may register automatically; try again later. Nothing was stored.", refused)
    steps_made = dict(conn.execute(
        sa.select(Step.journey_id, sa.func.count())
        .where(Step.journey_id.in_(list(journey_ids.values())), Step.auto_registered.is_(True))
        .group_by(Step.journey_id)
    ).all()) if journey_ids else {}
    for journey_key, new_steps in Counter(journey for journey, _ in missing).items():
        if steps_made.get(journey_ids.get(journey_key), 0) + new_steps > limits.steps:
            return Refusal(f"Unknown step, and journey '{journey_key}' already has the {limits.steps} steps it may "
                           "register automatically; add steps through the API. Nothing was stored.",
                           [pair for pair in missing if pair[0] == journey_key])
    return None


def _register_step(session: Connection, site_id: int, journey_key: str, step_key: str) -> tuple[int, int]:
    """Create a journey/step pair idempotently, safe against concurrent workers."""
    insert_ignoring_conflicts(
        session, Journey.__table__,
        [{"site_id": site_id, "key": journey_key, "name": journey_key, "created_at": utcnow(), "auto_registered": True}],
        ["site_id", "key"], [Journey.id],
    )
    journey_id = session.scalar(sa.select(Journey.id).where(Journey.site_id == site_id, Journey.key == journey_key))
    next_position = session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Step.position) + 1, 0)).where(Step.journey_id == journey_id)
    )
    insert_ignoring_conflicts(
        session, Step.__table__,
        [{"journey_id": journey_id, "key": step_key, "name": step_key, "position": next_position, "auto_registered": True}],
        ["journey_id", "key"], [Step.id],
    )
    step_id = session.scalar(sa.select(Step.id).where(Step.journey_id == journey_id, Step.key == step_key))
    return journey_id, step_id


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
        "created_at": now,
    }


class Batch(Job):
    """One request's records, ready to insert but for their journey and step ids;
    its outcome is set once the group it was written in commits.

    ``trapped`` holds the (journey key, step key) and client_id of records that
    filled the honeypot: not stored, only remembered, and answered as a real
    record would be.
    """

    def __init__(self, site: SiteSnapshot, table: sa.Table, received: int,
                 records: list[tuple[tuple[str, str], dict[str, Any]]],
                 trapped: Sequence[tuple[tuple[str, str], str]] = ()) -> None:
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
        records.append(((item["journey"], item["step"]), {
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
        }))
    return Batch(site, Response.__table__, len(items), records, trapped)


def prepare_events(site: SiteSnapshot, items: Sequence[dict[str, Any]]) -> Batch:
    """The rows to store for validated widget events; a filled honeypot as for answers."""
    now = utcnow()
    unique = _unique_by_client_id(items)
    records = [
        ((item["journey"], item["step"]), {
            **_context_row(site, item, now),
            "type": item["type"],
            "kind": item.get("kind"),
            "name": item.get("name"),
            "props": item.get("props") or None,
        })
        for item in unique if not item.get("hp")
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
        with ROLLUP_WRITE.labels(KIND_OF_TABLE[key[1]]).time(), engine.begin() as conn:
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
        except Exception as error:  # noqa: BLE001 -- becomes this batch's request's error
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
    # Before the curve rollups: every writer takes the funnel's session locks first.
    funnel.update_sessions(conn, site.id, new_rows, [row.id for row in inserted], answers=answers)
    (rollups.add_responses if answers else rollups.add_events)(conn, new_rows)
    new |= _remember_trapped(conn, site.id, table, trapped)
    stored: dict[Batch, int] = {}
    for client_id in new:
        stored[owner[client_id]] = stored.get(owner[client_id], 0) + 1
    return [
        IngestResult(received=batch.received, stored=0, unknown_steps=unknown[batch][0], refusal=unknown[batch][1])
        if batch in unknown else IngestResult(received=batch.received, stored=stored.get(batch, 0))
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


def _steps_of_batches(conn: Connection, site: SiteSnapshot, batches: list[Batch]) -> tuple[
        dict[tuple[str, str], tuple[int, int]], dict[Batch, tuple[list[tuple[str, str]], str]]]:
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
        registered, refusal = register_steps(conn, site.id, [pair for pair in missing if pair in real], limits,
                                             only_checked=[pair for pair in missing if pair not in real])
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
        conn, TrappedClientId.__table__,
        [{"site_id": site_id, "record": table.name, "client_id": client_id, "created_at": now} for client_id in client_ids],
        ["site_id", "record", "client_id"], [TrappedClientId.client_id],
    )
    fresh = {row.client_id for row in inserted}
    if fresh:
        fresh -= set(conn.scalars(sa.select(table.c.client_id).where(table.c.site_id == site_id, table.c.client_id.in_(fresh))))
    return fresh
