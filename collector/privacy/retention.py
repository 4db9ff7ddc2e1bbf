"""Retention: answers and events older than their site's ``retention_days`` are deleted.

``stepsense retention run`` deletes in batches (short transactions; ingest
keeps running) and then fixes the rollups of the site: days before the cutoff
day have no rows left, so their rollups go; the cutoff day itself is rebuilt
from the rows that remain (``collector.analytics.maintenance.rebuild_rollups``). A run
stopped half-way is finished by the next one.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from collector.analytics import maintenance
from collector.models import Event, Response, Site, StepRollup
from collector.common.time import utcnow


@dataclass
class Purged:
    site_id: int
    cutoff: datetime
    responses: int = 0
    events: int = 0


def _delete_older(session: Session, model, site_id: int, cutoff: datetime, batch_size: int,
                  progress: Callable[[int], None]) -> int:
    deleted = 0
    while True:
        ids = list(session.scalars(
            sa.select(model.id).where(model.site_id == site_id, model.created_at < cutoff).limit(batch_size)
        ))
        if not ids:
            return deleted
        session.execute(sa.delete(model).where(model.id.in_(ids)))
        session.commit()
        deleted += len(ids)
        progress(len(ids))


def purge_site(session: Session, site: Site, now: datetime | None = None, batch_size: int = 1000,
               progress: Callable[[int], None] = lambda n: None) -> Purged:
    """Delete the site's answers and events older than its retention; rollups stay exact."""
    cutoff = (now or utcnow()) - timedelta(days=site.retention_days)
    result = Purged(site.id, cutoff)
    result.responses = _delete_older(session, Response, site.id, cutoff, batch_size, progress)
    result.events = _delete_older(session, Event, site.id, cutoff, batch_size, progress)
    session.execute(sa.delete(StepRollup).where(StepRollup.site_id == site.id, StepRollup.day < cutoff.date()))
    maintenance.drop_funnel_before(session, site.id, cutoff.date())
    maintenance.rebuild_rollups(session, site_id=site.id, days=[cutoff.date()])
    session.commit()
    return result


def expired_count(session: Session, site: Site, now: datetime | None = None) -> int:
    """How many answers and events of the site are past its retention."""
    cutoff = (now or utcnow()) - timedelta(days=site.retention_days)
    return sum(
        session.scalar(sa.select(sa.func.count()).select_from(model).where(model.site_id == site.id, model.created_at < cutoff))
        for model in (Response, Event)
    )


@click.group("retention", help="Delete answers and events past each site's retention.")
def retention_group() -> None:
    pass


@retention_group.command("run")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@with_appcontext
def run_command(batch_size: int) -> None:
    """Delete what is older than each site's retention_days, with progress; rollups are kept exact."""
    from collector.extensions import db

    sites = list(db.session.scalars(sa.select(Site).where(Site.retention_days.is_not(None)).order_by(Site.id)))
    if not sites:
        click.echo("No site has a retention period.")
        return
    for site in sites:
        total = expired_count(db.session, site)
        with click.progressbar(length=total, label=f"Site {site.id} ({site.name}), {site.retention_days} days") as bar:
            result = purge_site(db.session, site, batch_size=batch_size, progress=bar.update)
        click.echo(f"Site {site.id}: deleted {result.responses} answers and {result.events} events "
                   f"older than {result.cutoff:%Y-%m-%d %H:%M} UTC; rollups rebuilt.")
