"""``stepsense retention``: delete what is past each site's retention."""

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from collector.ingest.store import TRAP_MEMORY_DAYS
from collector.models import Site
from collector.privacy.retention import expired_count, forget_trapped, purge_site


@click.group("retention", help="Delete answers and events past each site's retention.")
def retention_group() -> None:
    pass


@retention_group.command("run")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@with_appcontext
def run_command(batch_size: int) -> None:
    """Delete what is older than each site's retention_days, with progress; rollups are kept exact."""
    from collector.extensions import db

    forgotten = forget_trapped(db.session)
    click.echo(
        f"Forgot {forgotten} honeypot client_id{'' if forgotten == 1 else 's'} older than {TRAP_MEMORY_DAYS} days."
    )
    sites = list(db.session.scalars(sa.select(Site).where(Site.retention_days.is_not(None)).order_by(Site.id)))
    if not sites:
        click.echo("No site has a retention period.")
        return
    for site in sites:
        total = expired_count(db.session, site)
        with click.progressbar(length=total, label=f"Site {site.id} ({site.name}), {site.retention_days} days") as bar:
            result = purge_site(db.session, site, batch_size=batch_size, progress=bar.update)
        click.echo(
            f"Site {site.id}: deleted {result.responses} answers and {result.events} events "
            f"older than {result.cutoff:%Y-%m-%d %H:%M} UTC; rollups rebuilt."
        )
