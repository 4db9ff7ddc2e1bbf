"""The journey and step ids that ingested items name, cached per worker, and
the auto-registration of unknown ones.

A site that auto-registers gets unknown journeys and steps created on the
fly, within limits (``RegistrationLimits``) that keep a bot making up names
from bloating the config every page view downloads.
"""

import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from threading import Lock
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import Connection

from collector.common.database import Bind, dialect_name, insert_ignoring_conflicts
from collector.common.time import utcnow
from collector.models import Journey, Site, Step
from collector.tenancy.sites import SiteSnapshot

# Built once: every answer runs this query, and building it costs more than running it.
_STEPS_OF_JOURNEYS = (
    sa.select(
        Journey.key.label("journey"), Step.key.label("step"), Journey.id.label("journey_id"), Step.id.label("step_id")
    )
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


def resolve_steps(
    conn: Connection, site: SiteSnapshot, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, int]]:
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
        return cls(
            config["AUTO_REGISTER_MAX_JOURNEYS"],
            config["AUTO_REGISTER_MAX_STEPS"],
            config["AUTO_REGISTER_JOURNEYS_PER_HOUR"],
        )


class Refusal(NamedTuple):
    """Why unknown steps were not registered, and which of them passed the limit."""

    message: str
    steps: list[tuple[str, str]]


def register_steps(
    conn: Connection,
    site_id: int,
    pairs: Sequence[tuple[str, str]],
    limits: RegistrationLimits,
    only_checked: Sequence[tuple[str, str]] = (),
) -> tuple[dict[tuple[str, str], tuple[int, int]], Refusal | None]:
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


def _refusal(
    conn: Connection, site_id: int, missing: list[tuple[str, str]], limits: RegistrationLimits
) -> Refusal | None:
    """Why creating ``missing`` would pass a limit, or None if it would not."""
    journey_ids = dict(
        conn.execute(
            sa.select(Journey.key, Journey.id).where(
                Journey.site_id == site_id, Journey.key.in_({j for j, _ in missing})
            )
        ).all()
    )
    new_journeys = {journey for journey, _ in missing if journey not in journey_ids}
    if new_journeys:
        an_hour_ago = utcnow() - timedelta(hours=1)
        made, made_lately = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(sa.case((Journey.created_at >= an_hour_ago, 1), else_=0)), 0),
            ).where(Journey.site_id == site_id, Journey.auto_registered.is_(True))
        ).one()
        refused = [pair for pair in missing if pair[0] in new_journeys]
        if made + len(new_journeys) > limits.journeys:
            return Refusal(
                f"Unknown journey, and this site already has the {limits.journeys} journeys it may "
                "register automatically; create journeys through the API. Nothing was stored.",
                refused,
            )
        if made_lately + len(new_journeys) > limits.journeys_per_hour:
            return Refusal(
                f"Unknown journey, and this site has registered the {limits.journeys_per_hour} new journeys "
                "an hour it may register automatically; try again later. Nothing was stored.",
                refused,
            )
    steps_made = (
        dict(
            conn.execute(
                sa.select(Step.journey_id, sa.func.count())
                .where(Step.journey_id.in_(list(journey_ids.values())), Step.auto_registered.is_(True))
                .group_by(Step.journey_id)
            ).all()
        )
        if journey_ids
        else {}
    )
    for journey_key, new_steps in Counter(journey for journey, _ in missing).items():
        if steps_made.get(journey_ids.get(journey_key), 0) + new_steps > limits.steps:
            return Refusal(
                f"Unknown step, and journey '{journey_key}' already has the {limits.steps} steps it may "
                "register automatically; add steps through the API. Nothing was stored.",
                [pair for pair in missing if pair[0] == journey_key],
            )
    return None


def _register_step(session: Connection, site_id: int, journey_key: str, step_key: str) -> tuple[int, int]:
    """Create a journey/step pair idempotently, safe against concurrent workers."""
    insert_ignoring_conflicts(
        session,
        Journey.__table__,
        [
            {
                "site_id": site_id,
                "key": journey_key,
                "name": journey_key,
                "created_at": utcnow(),
                "auto_registered": True,
            }
        ],
        ["site_id", "key"],
        [Journey.id],
    )
    journey_id = session.scalar(sa.select(Journey.id).where(Journey.site_id == site_id, Journey.key == journey_key))
    next_position = session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Step.position) + 1, 0)).where(Step.journey_id == journey_id)
    )
    insert_ignoring_conflicts(
        session,
        Step.__table__,
        [
            {
                "journey_id": journey_id,
                "key": step_key,
                "name": step_key,
                "position": next_position,
                "auto_registered": True,
            }
        ],
        ["journey_id", "key"],
        [Step.id],
    )
    step_id = session.scalar(sa.select(Step.id).where(Step.journey_id == journey_id, Step.key == step_key))
    return journey_id, step_id
