"""``stepsense demo``: a seeded demo shop with the widget and the dashboard."""

import threading
import webbrowser

import click
from flask.cli import with_appcontext


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--responses", "count", default=3000, show_default=True, type=int, help="Synthetic answers to seed on first run."
)
@click.option("--no-serve", is_flag=True, help="Seed only.")
@click.option("--no-browser", is_flag=True, help="Don't open the demo shop in a browser.")
@with_appcontext
def demo(host: str, port: int, count: int, no_serve: bool, no_browser: bool) -> None:
    """Migrate, seed a demo shop site with a checkout journey (once), then serve it."""
    from flask import current_app
    from flask_migrate import upgrade
    from werkzeug.serving import run_simple

    from collector.demo import seed as demo_data
    from collector.demo import shop
    from collector.extensions import db

    shop.init_app(current_app)
    upgrade()
    base_url = f"http://{host}:{port}"
    site, created = demo_data.ensure_demo_site(db.session, [base_url, f"http://localhost:{port}"])
    if created:
        with click.progressbar(length=count, label="Seeding demo answers") as bar:
            demo_data.seed_responses(db.session, site, count, progress=bar.update)
        click.echo("Finding the themes of the demo's comments …")
        demo_data.seed_themes(db.session, site)
    secret = demo_data.fresh_demo_key(db.session, site)
    click.echo(demo_data.banner(base_url, site, secret))
    if not no_serve:
        if not no_browser:
            # Opens the shop in the desktop's browser; a no-op on a machine without one.
            threading.Timer(1.0, webbrowser.open, [f"{base_url}/demo/"]).start()
        # Flask refuses app.run() inside its own CLI, so start werkzeug directly.
        run_simple(host, port, current_app._get_current_object(), threaded=True)
