"""``stepsense alerts``: evaluate rules and deliver webhooks once, for cron."""

from __future__ import annotations

import json
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from collector.alerts.delivery import run
from collector.common.time import as_utc, utcnow


@click.group("alerts", help="Evaluate alert rules and deliver their webhooks.")
def alerts_group() -> None:
    pass


@alerts_group.command("run")
@click.option(
    "--now",
    "now_text",
    default=None,
    metavar="ISO8601",
    help="Evaluate as of this UTC time instead of the clock (replays, tests).",
)
@with_appcontext
def run_command(now_text: str | None) -> None:
    """Evaluate every active rule once and deliver due webhooks; run it from cron."""

    from collector.extensions import db

    try:
        now = as_utc(datetime.fromisoformat(now_text)) if now_text else utcnow()
    except ValueError:
        raise click.BadParameter("use an ISO 8601 time such as 2026-11-25T18:00:00Z", param_hint="--now") from None
    click.echo(json.dumps(run(db.session, now, current_app.config.get("PUBLIC_URL"))))
