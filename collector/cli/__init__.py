"""The ``stepsense`` command: Flask's CLI for this app plus one command group per area.

May import every service package, models and common; nothing imports this
package but the app factory, which registers the commands.
"""

from flask import Flask
from flask.cli import FlaskGroup

from collector.cli.alerts import alerts_group
from collector.cli.demo import demo
from collector.cli.doctor import doctor
from collector.cli.export import export_command
from collector.cli.ingest import ingest_group
from collector.cli.keys import keys_group
from collector.cli.retention import retention_group
from collector.cli.rollups import rollups_group
from collector.cli.scoring import rescore_command, sentiment_command
from collector.cli.serve import serve
from collector.cli.sites import sites_group
from collector.cli.themes import themes_group


def main() -> None:
    """Entry point of the ``stepsense`` console script."""
    from collector import create_app

    FlaskGroup(create_app=create_app, help="Stepsense collector: serve, migrate, manage sites and keys.").main(
        prog_name="stepsense"
    )


def init_app(app: Flask) -> None:
    """Register every command group on the app's CLI."""

    for command in (
        sites_group,
        keys_group,
        serve,
        demo,
        sentiment_command,
        rescore_command,
        rollups_group,
        alerts_group,
        export_command,
        retention_group,
        doctor,
        themes_group,
        ingest_group,
    ):
        app.cli.add_command(command)
