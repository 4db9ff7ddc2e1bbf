"""``stepsense rollups rebuild|verify``: the curve and funnel rollups (``analytics/maintenance.py``)
and the friction family (``analytics/friction.py``) together."""

import click
from flask.cli import with_appcontext

from collector.analytics import friction
from collector.analytics.maintenance import compare_rollups, rebuild_rollups
from collector.extensions import db


@click.group("rollups")
def rollups_group() -> None:
    """Rebuild or verify the curve, funnel and friction rollups."""


@rollups_group.command("rebuild")
@click.option("--site", "site_id", type=int, help="Only this site id.")
@click.option("--journey", "journey_id", type=int, help="Only this journey id.")
@with_appcontext
def rebuild_command(site_id: int | None, journey_id: int | None) -> None:
    """Recompute rollups from the stored answers and events."""
    written = rebuild_rollups(db.session, site_id=site_id, journey_id=journey_id)
    written += friction.rebuild_friction(db.session, site_id=site_id, journey_id=journey_id)
    db.session.commit()
    click.echo(f"rebuilt {written} rollup rows")


@rollups_group.command("verify")
@click.option("--site", "site_id", type=int, help="Only this site id.")
@click.option("--journey", "journey_id", type=int, help="Only this journey id.")
@with_appcontext
def verify_command(site_id: int | None, journey_id: int | None) -> None:
    """Compare rollups with a raw recomputation; print differences, exit 1 if any."""
    differences = compare_rollups(db.session, site_id=site_id, journey_id=journey_id)
    differences += friction.compare_friction(db.session, site_id=site_id, journey_id=journey_id)
    for line in differences:
        click.echo(line)
    if differences:
        click.echo(f"{len(differences)} difference(s)", err=True)
        raise SystemExit(1)
    click.echo("rollups match the raw data")
