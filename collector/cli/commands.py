"""The ``stepsense`` command: Flask's CLI for this app plus Stepsense's own commands."""

import json
import os
import sys
import threading
import webbrowser

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from collector.tenancy.keys import SCOPES


def main() -> None:
    """Entry point of the ``stepsense`` console script."""
    from collector import create_app

    FlaskGroup(create_app=create_app, help="Stepsense collector: serve, migrate, manage sites and keys.").main(prog_name="stepsense")


def _echo_json(value: dict) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


@click.group("sites", help="Create and list sites (tenants).")
def sites_group() -> None:
    pass


@sites_group.command("create")
@click.option("--name", required=True, help="Shown in the dashboard.")
@click.option("--origin", "origins", multiple=True, required=True, help="An origin allowed to embed the widget, e.g. https://shop.example.com; repeat for more.")
@with_appcontext
def sites_create(name: str, origins: tuple[str, ...]) -> None:
    """Create a site; prints its public key and an admin secret key (shown only once)."""
    from collector.extensions import db
    from collector.tenancy.sites import create_site

    try:
        site, secret = create_site(db.session, name, list(origins))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--origin") from None
    db.session.commit()
    _echo_json({"id": site.id, "name": site.name, "public_key": site.public_key, "origins": site.origins, "secret_key": secret})


@sites_group.command("list")
@with_appcontext
def sites_list() -> None:
    """List sites (never their keys' secrets)."""
    import sqlalchemy as sa

    from collector.extensions import db
    from collector.models import Site

    for site in db.session.scalars(sa.select(Site).order_by(Site.id)):
        click.echo(json.dumps({"id": site.id, "name": site.name, "public_key": site.public_key, "origins": site.origins}))


@click.group("keys", help="Manage API keys.")
def keys_group() -> None:
    pass


@keys_group.command("create")
@click.option("--site", "site_id", type=int, required=True, help="Site id, as printed by 'sites create'.")
@click.option("--scopes", default="read", show_default=True, help=f"Comma-separated: {', '.join(SCOPES)}.")
@click.option("--name", default="", help="A label to recognise the key by.")
@with_appcontext
def keys_create(site_id: int, scopes: str, name: str) -> None:
    """Create an API key; prints its secret once."""
    from collector.tenancy.keys import create_api_key
    from collector.extensions import db
    from collector.models import Site

    site = db.session.get(Site, site_id)
    if site is None:
        raise click.BadParameter(f"no site {site_id}", param_hint="--site")
    try:
        key, secret = create_api_key(db.session, site, [s.strip() for s in scopes.split(",") if s.strip()], name)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--scopes") from None
    db.session.commit()
    _echo_json({"id": key.id, "site": site.id, "scopes": key.scopes, "prefix": key.prefix, "secret_key": secret})


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", default=2, show_default=True, type=int, help="Processes; about one per core.")
@click.option("--worker-class", default="gthread", show_default=True,
              type=click.Choice(["gthread", "sync"]), help="gthread keeps browser connections alive and overlaps database round trips.")
@click.option("--threads", default=2, show_default=True, type=int,
              help="Threads per worker (gthread). More mostly adds writers waiting for SQLite's write lock.")
@click.option("--keep-alive", default=5, show_default=True, type=int, help="Seconds an idle keep-alive connection stays open.")
def serve(bind: str, workers: int, worker_class: str, threads: int, keep_alive: int) -> None:
    """Run the app under gunicorn (replaces this process); the defaults are bench/ingest.py's."""
    args = [
        sys.executable, "-m", "gunicorn",
        "--bind", bind, "--workers", str(workers), "--worker-class", worker_class, "--threads", str(threads),
        "--keep-alive", str(keep_alive), "--access-logfile", "-", "collector:create_app()",
    ]
    os.execvp(args[0], args)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--responses", "count", default=3000, show_default=True, type=int, help="Synthetic answers to seed on first run.")
@click.option("--no-serve", is_flag=True, help="Seed only.")
@click.option("--no-browser", is_flag=True, help="Don't open the demo shop in a browser.")
@with_appcontext
def demo(host: str, port: int, count: int, no_serve: bool, no_browser: bool) -> None:
    """Migrate, seed a demo shop site with a checkout journey (once), then serve it."""
    from flask import current_app
    from flask_migrate import upgrade
    from werkzeug.serving import run_simple

    from collector.demo import seed as demo_data
    from collector.extensions import db

    upgrade()
    base_url = f"http://{host}:{port}"
    site, created = demo_data.ensure_demo_site(db.session, [base_url, f"http://localhost:{port}"])
    if created:
        with click.progressbar(length=count, label="Seeding demo answers") as bar:
            demo_data.seed_responses(db.session, site, count, progress=bar.update)
    secret = demo_data.fresh_demo_key(db.session, site)
    click.echo(demo_data.banner(base_url, site, secret))
    if not no_serve:
        if not no_browser:
            # Opens the shop in the desktop's browser; a no-op on a machine without one.
            threading.Timer(1.0, webbrowser.open, [f"{base_url}/demo/"]).start()
        # Flask refuses app.run() inside its own CLI, so start werkzeug directly.
        run_simple(host, port, current_app._get_current_object(), threaded=True)


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
    from collector.privacy import rescore
    from collector.analytics.emotion import SCORING_VERSION
    from collector.extensions import db

    total = rescore.count_stale(db.session)
    if not total:
        click.echo(f"Every answer is scored with {SCORING_VERSION}.")
        return
    with click.progressbar(length=total, label=f"Re-scoring to {SCORING_VERSION}") as bar:
        done = rescore.rescore(db.session, batch_size, progress=bar.update)
    click.echo(f"Re-scored {done} answers; rollups updated.")


def init_app(app: Flask) -> None:
    from collector.alerts.service import alerts_group
    from collector.cli.export import export_command
    from collector.privacy.retention import retention_group
    from collector.analytics.maintenance import rollups_group

    for command in (sites_group, keys_group, serve, demo, sentiment_command, rescore_command, rollups_group,
                    alerts_group, export_command, retention_group):
        app.cli.add_command(command)
