"""Which steps a site has, for the queued ingest path's 422 (collector/ingest/queue.py).

The direct path refuses an answer naming a step the site neither has nor
registers with a 422; the queued path does the same before publishing, from
a per-process cache of each site's step keys, so that a known step costs no
query. With the database down the check is left to the worker, which
dead-letters such items: ingest keeps accepting during an outage.
"""

import time
from collections.abc import Iterable
from threading import Lock

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import Engine

from collector.common.errors import Invalid
from collector.ingest.store import NOT_REGISTERED, Batch
from collector.models import Journey, Step

_STEPS_OF_SITE = (
    sa.select(Journey.key.label("journey"), Step.key.label("step"))
    .join(Step, Step.journey_id == Journey.id)
    .where(Journey.site_id == sa.bindparam("site_id"))
)


class _KnownSteps:
    """The (journey key, step key) pairs of each site, per process for SITE_CACHE_SECONDS,
    so the queued path can refuse an unknown step with a 422 as the direct path does
    without a query per request. Keys only, never ids, so safe on SQLite too."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._sites: dict[int, tuple[float, frozenset[tuple[str, str]]]] = {}

    def unknown(self, engine: Engine, site_id: int, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """The pairs the site doesn't have; looked up again before saying so."""
        wanted = list(dict.fromkeys(pairs))
        hit = self._sites.get(site_id)
        fresh = hit and time.monotonic() - hit[0] < current_app.config["SITE_CACHE_SECONDS"]
        if fresh and all(pair in hit[1] for pair in wanted):
            return []
        with engine.connect() as conn:
            known = frozenset((row.journey, row.step) for row in conn.execute(_STEPS_OF_SITE, {"site_id": site_id}))
        with self._lock:
            if len(self._sites) > 10_000:  # bound memory against floods of made-up site keys
                self._sites.clear()
            self._sites[site_id] = (time.monotonic(), known)
        return [pair for pair in wanted if pair not in known]

    def forget(self, site_id: int) -> None:
        with self._lock:
            self._sites.pop(site_id, None)

    def clear(self) -> None:
        with self._lock:
            self._sites.clear()


site_steps = _KnownSteps()


def check_steps(engine: Engine, batch: Batch) -> None:
    """Refuse (Invalid, a 422) a batch naming steps its site neither has nor registers,
    as the direct path does. With the database unreachable the check is left to the
    worker, which dead-letters such items: ingest keeps accepting during an outage."""
    if batch.site.auto_register:
        return
    try:
        missing = site_steps.unknown(engine, batch.site.id, (pair for pair, _ in (*batch.records, *batch.trapped)))
    except sa.exc.DBAPIError:
        return
    if missing:
        raise Invalid(NOT_REGISTERED, details={"step": [f"{journey}/{step}" for journey, step in missing]})
