"""Retention: answers and events older than their site's ``retention_days`` are deleted.

``stepsense retention run`` deletes in batches (short transactions; ingest
keeps running) and then fixes the rollups of the site: days before the cutoff
day have no rows left, so their rollups go; the cutoff day itself is rebuilt
from the rows that remain (``collector.analytics.maintenance.rebuild_rollups``). A run
stopped half-way is finished by the next one.

Each run also forgets the client_ids of caught bots (honeypot) older than
``TRAP_MEMORY_DAYS``, which bounds that table.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.analytics import friction, maintenance, theme_rollups
from collector.common.time import utcnow
from collector.ingest.store import TRAP_MEMORY_DAYS
from collector.models import Event, Response, Site, StepRollup, TrappedClientId


@dataclass
class Purged:
    site_id: int
    cutoff: datetime
    responses: int = 0
    events: int = 0


def _delete_older(
    session: Session, model, site_id: int, cutoff: datetime, batch_size: int, progress: Callable[[int], None]
) -> int:
    deleted = 0
    while True:
        ids = list(
            session.scalars(
                sa.select(model.id).where(model.site_id == site_id, model.created_at < cutoff).limit(batch_size)
            )
        )
        if not ids:
            return deleted
        session.execute(sa.delete(model).where(model.id.in_(ids)))
        session.commit()
        deleted += len(ids)
        progress(len(ids))


def purge_site(
    session: Session,
    site: Site,
    now: datetime | None = None,
    batch_size: int = 1000,
    progress: Callable[[int], None] = lambda n: None,
) -> Purged:
    """Delete the site's answers and events older than its retention; rollups stay exact."""
    cutoff = (now or utcnow()) - timedelta(days=site.retention_days)
    result = Purged(site.id, cutoff)
    sessions = friction.sessions_before(session, site.id, cutoff)
    result.responses = _delete_older(session, Response, site.id, cutoff, batch_size, progress)
    result.events = _delete_older(session, Event, site.id, cutoff, batch_size, progress)
    session.execute(sa.delete(StepRollup).where(StepRollup.site_id == site.id, StepRollup.day < cutoff.date()))
    maintenance.drop_funnel_before(session, site.id, cutoff.date())
    theme_rollups.drop_before(session, site.id, cutoff.date())
    friction.reconcile(session, site.id, sessions)
    maintenance.rebuild_rollups(session, site_id=site.id, days=[cutoff.date()])
    session.commit()
    return result


def expired_count(session: Session, site: Site, now: datetime | None = None) -> int:
    """How many answers and events of the site are past its retention."""
    cutoff = (now or utcnow()) - timedelta(days=site.retention_days)
    return sum(
        session.scalar(
            sa.select(sa.func.count()).select_from(model).where(model.site_id == site.id, model.created_at < cutoff)
        )
        for model in (Response, Event)
    )


def forget_trapped(session: Session, now: datetime | None = None) -> int:
    """Delete the honeypot's client_ids older than TRAP_MEMORY_DAYS (the widget
    resends nothing that old); returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=TRAP_MEMORY_DAYS)
    deleted = session.execute(sa.delete(TrappedClientId).where(TrappedClientId.created_at < cutoff)).rowcount
    session.commit()
    return deleted
