"""``stepsense sentiment`` and ``stepsense rescore``: the scorer on text, and on stored answers."""

import json

import click
from flask.cli import with_appcontext


@click.command("sentiment")
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
def sentiment_command(source) -> None:
    """Score one text per line (FILE, or stdin) and print one JSON object per line."""
    from collector.sentiment import score_lines

    for scored in score_lines(source):
        click.echo(json.dumps(scored, ensure_ascii=False))


@click.command("rescore")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@with_appcontext
def rescore_command(batch_size: int) -> None:
    """Re-score answers scored by an older scorer version (resumable; ingest keeps running)."""
    from collector.analytics.emotion import SCORING_VERSION
    from collector.extensions import db
    from collector.privacy import rescore

    total = rescore.count_stale(db.session)
    if not total:
        click.echo(f"Every answer is scored with {SCORING_VERSION}.")
        return
    with click.progressbar(length=total, label=f"Re-scoring to {SCORING_VERSION}") as bar:
        done = rescore.rescore(db.session, batch_size, progress=bar.update)
    click.echo(f"Re-scored {done} answers; rollups updated.")
