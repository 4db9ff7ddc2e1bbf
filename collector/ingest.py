"""Storing what the widget sends: answers (scored on the way in) and events.

Both paths are idempotent: each record carries a client-generated
``client_id``, unique per site, and a resend of a stored one is skipped.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector import funnel, rollups
from collector.database import insert_ignoring_conflicts
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


def resolve_steps(session: Session, site: SiteSnapshot, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
    """Map (journey key, step key) to (journey id, step id).

    Unknown journeys and steps are created when the site auto-registers them
    (appended after the journey's last step), and rejected with 422 otherwise.
    """
    wanted = list(dict.fromkeys(pairs))  # unique, in order of first sight
    journey_keys = {journey for journey, _ in wanted}
    found = {
        (row.journey, row.step): (row.journey_id, row.step_id)
        for row in session.execute(_STEPS_OF_JOURNEYS, {"site_id": site.id, "journey_keys": list(journey_keys)})
    }
    missing = [pair for pair in wanted if pair not in found]
    if not missing:
        return found
    if not site.auto_register:
        abort(
            422,
            "Unknown journey or step, and this site does not register them automatically.",
            details={"step": [f"{journey}/{step}" for journey, step in missing]},
        )
    for journey_key, step_key in missing:
        found[(journey_key, step_key)] = _register_step(session, site.id, journey_key, step_key)
    return found


def _register_step(session: Session, site_id: int, journey_key: str, step_key: str) -> tuple[int, int]:
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


def store_responses(session: Session, site: SiteSnapshot, items: Sequence[dict[str, Any]]) -> IngestResult:
    """Validate references, redact, score and store answers; commit once.

    Answers with a filled honeypot (``hp``) are bots': acknowledged as stored,
    so the bot learns nothing, but never written.
    """
    received = len(items)
    trapped = sum(1 for item in _unique_by_client_id(items) if item.get("hp"))
    items = [item for item in items if not item.get("hp")]
    steps = resolve_steps(session, site, ((item["journey"], item["step"]) for item in items))
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
    inserted = insert_ignoring_conflicts(session, Response.__table__, rows, ["site_id", "client_id"], [Response.client_id, Response.id])
    new = {row.client_id for row in inserted}
    funnel.update_sessions(session, site.id, [row for row in rows if row["client_id"] in new], [row.id for row in inserted], answers=True)
    rollups.add_responses(session, (row for row in rows if row["client_id"] in new))
    session.commit()
    return IngestResult(received=received, stored=len(inserted) + trapped)


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
