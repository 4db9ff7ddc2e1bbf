"""``stepsense themes``: build the theme models of steps from their comments."""

import click
from flask.cli import with_appcontext


@click.group("themes", help="Themes of comments per step.")
def themes_group() -> None:
    pass


@themes_group.command("rebuild")
@click.option("--site", "site_id", type=int, help="Only this site id.")
@click.option("--journey", "journey_key", help="Only journeys with this key.")
@click.option("--step", "step_key", help="Only steps with this key.")
@click.option("--force", is_flag=True, help="Also rebuild steps whose model is current.")
@with_appcontext
def rebuild_command(site_id, journey_key, step_key, force) -> None:
    """Recompute the themes of steps from all their comments, keeping keys and curation.

    Resumable: steps whose model was built from the same comments and curation
    are skipped, so a stopped run, run again, continues where it stopped.
    """
    from collector.analytics import theme_store
    from collector.extensions import db

    steps = theme_store.steps_to_rebuild(db.session, site_id, journey_key, step_key, force=force)
    if not steps:
        click.echo("Every step's themes are current.")
        return
    total = sum(max(count, 1) for _, count in steps)
    with click.progressbar(length=total, label=f"Rebuilding themes of {len(steps)} step(s)") as bar:
        done = theme_store.rebuild(db.session, steps, progress=bar.update)
    click.echo(
        f"Rebuilt {len(done)} step(s): {sum(r.comments for r in done)} comments, {sum(r.themes for r in done)} themes."
    )
