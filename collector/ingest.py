"""Storing what the widget sends: answers (scored on the way in) and events.

Both paths are idempotent: each record carries a client-generated
``client_id``, unique per site, and a resend of a stored one is skipped.
"""

import functools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from collector import funnel, rollups
from collector.database import Bind, dialect_name, insert_ignoring_conflicts
from collector.emotion import score_response
from collector.errors import abort
from collector.models import Event, Journey, Response, Step, utcnow
from collector.redact import redact
from collector.sites import SiteSnapshot


@dataclass(frozen=True)
class IngestResult:
    received: int
    stored: int

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
    foreign keys and the ingest runs once more with fresh ids
    (``retry_with_fresh_steps``). SQLite may give a new row the id of a
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


def retry_with_fresh_steps(store: Callable[..., "IngestResult"]) -> Callable[..., "IngestResult"]:
    """Run ``store(bind, site, items)``; if a cached journey or step was deleted
    meanwhile (a foreign-key violation), forget the site's cached steps and run
    it once more, which re-registers or rejects them as an uncached ingest would."""

    @functools.wraps(store)
    def wrapper(bind: Bind | Engine, site: SiteSnapshot, items: Sequence[dict[str, Any]]) -> IngestResult:
        try:
            return store(bind, site, items)
        except sa.exc.IntegrityError as error:
            if isinstance(bind, Session):
                bind.rollback()
            foreign_key_violation = getattr(error.orig, "sqlstate", None) == "23503"
            if not (foreign_key_violation and step_cache.forget(site.id)):
                raise
        return store(bind, site, items)

    return wrapper


def resolve_steps(session: Bind, site: SiteSnapshot, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
    """Map (journey key, step key) to (journey id, step id).

    Unknown journeys and steps are created when the site auto-registers them
    (appended after the journey's last step), and rejected with 422 otherwise.
    """
    wanted = list(dict.fromkeys(pairs))  # unique, in order of first sight
    cached = step_cache.enabled(session)
    if cached and (found := step_cache.get(site.id, wanted)) is not None:
        return found
    journey_keys = {journey for journey, _ in wanted}
    found = {
        (row.journey, row.step): (row.journey_id, row.step_id)
        for row in session.execute(_STEPS_OF_JOURNEYS, {"site_id": site.id, "journey_keys": list(journey_keys)})
    }
    missing = [pair for pair in wanted if pair not in found]
    if missing and not site.auto_register:
        abort(
            422,
            "Unknown journey or step, and this site does not register them automatically.",
            details={"step": [f"{journey}/{step}" for journey, step in missing]},
        )
    for journey_key, step_key in missing:
        found[(journey_key, step_key)] = _register_step(session, site.id, journey_key, step_key)
    if cached:
        step_cache.put(site.id, found)
    return found


def _register_step(session: Bind, site_id: int, journey_key: str, step_key: str) -> tuple[int, int]:
    """Create a journey/step pair idempotently, safe against concurrent workers."""
    insert_ignoring_conflicts(
        session, Journey.__table__,
        [{"site_id": site_id, "key": journey_key, "name": journey_key, "created_at": utcnow()}],
        ["site_id", "key"], [Journey.id],
    )
    journey_id = session.scalar(sa.select(Journey.id).where(Journey.site_id == site_id, Journey.key == journey_key))
    next_position = session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Step.position) + 1, 0)).where(Step.journey_id == journey_id)
    )
    insert_ignoring_conflicts(
        session, Step.__table__,
        [{"journey_id": journey_id, "key": step_key, "name": step_key, "position": next_position}],
        ["journey_id", "key"], [Step.id],
    )
    step_id = session.scalar(sa.select(Step.id).where(Step.journey_id == journey_id, Step.key == step_key))
    return journey_id, step_id


def _unique_by_client_id(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for item in items:
        seen.setdefault(str(item["client_id"]), item)
    return list(seen.values())


def _context_row(site: SiteSnapshot, steps: dict, item: dict[str, Any], now) -> dict[str, Any]:
    """The columns answers and events share: where, when and to whom."""
    journey_id, step_id = steps[(item["journey"], item["step"])]
    return {
        "site_id": site.id,
        "journey_id": journey_id,
        "step_id": step_id,
        "client_id": str(item["client_id"]),
        "visitor_id": item.get("visitor_id"),
        "session_id": item.get("session_id"),
        "url_path": clean_path(item.get("url_path")),
        "device": item.get("device"),
        "locale": item.get("locale"),
        "variant": item.get("variant"),
        "created_at": now,
    }


@retry_with_fresh_steps
def store_responses(engine: Engine, site: SiteSnapshot, items: Sequence[dict[str, Any]]) -> IngestResult:
    """Validate references, redact, score and store answers in one transaction.

    Runs on a Core connection of its own (``engine.begin()``), not the ORM
    session: fewer layers per statement on the hottest write path. Answers
    with a filled honeypot (``hp``) are bots': acknowledged as stored, so the
    bot learns nothing, but never written.
    """
    received = len(items)
    trapped = sum(1 for item in _unique_by_client_id(items) if item.get("hp"))
    items = [item for item in items if not item.get("hp")]
    with engine.begin() as conn:
        steps = resolve_steps(conn, site, ((item["journey"], item["step"]) for item in items))
        now = utcnow()
        rows = []
        for item in _unique_by_client_id(items):
            comment = redact(item["comment"].strip()) if (item.get("comment") or "").strip() else None
            scored = score_response(item["kind"], item.get("score"), comment)
            rows.append({
                **_context_row(site, steps, item, now),
                "kind": item["kind"],
                "score": item.get("score"),
                "comment": comment,
                "polarity": scored.polarity,
                "subjectivity": scored.subjectivity,
                "sentiment_label": scored.sentiment_label,
                "emotion": scored.emotion,
                "scorer_version": scored.scorer_version,
                "trigger": item.get("trigger") or "inline",
                "attributes": item.get("attributes") or None,
            })
        inserted = insert_ignoring_conflicts(conn, Response.__table__, rows, ["site_id", "client_id"], [Response.client_id, Response.id])
        new = {row.client_id for row in inserted}
        funnel.update_sessions(conn, site.id, [row for row in rows if row["client_id"] in new], [row.id for row in inserted], answers=True)
        rollups.add_responses(conn, (row for row in rows if row["client_id"] in new))
    return IngestResult(received=received, stored=len(inserted) + trapped)


@retry_with_fresh_steps
def store_events(session: Session, site: SiteSnapshot, items: Sequence[dict[str, Any]]) -> IngestResult:
    """Store widget events; commit once."""
    steps = resolve_steps(session, site, ((item["journey"], item["step"]) for item in items))
    now = utcnow()
    rows = []
    for item in _unique_by_client_id(items):
        rows.append({
            **_context_row(site, steps, item, now),
            "type": item["type"],
            "kind": item.get("kind"),
            "name": item.get("name"),
            "props": item.get("props") or None,
        })
    inserted = insert_ignoring_conflicts(session, Event.__table__, rows, ["site_id", "client_id"], [Event.client_id, Event.id])
    new = {row.client_id for row in inserted}
    # Before the curve rollups: every writer takes the funnel's session locks first.
    funnel.update_sessions(session, site.id, [row for row in rows if row["client_id"] in new], [row.id for row in inserted])
    rollups.add_events(session, (row for row in rows if row["client_id"] in new))
    session.commit()
    return IngestResult(received=len(items), stored=len(inserted))
