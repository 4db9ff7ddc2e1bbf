"""Stepsense collector: the Flask app that serves the widget, takes its answers
and turns them into per-step emotional curves."""

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from collector.config import Config


def create_app(config: type | Mapping[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` is a config class or a mapping of overrides."""
    app = Flask(__name__, instance_relative_config=True)
    app.json.sort_keys = False  # keep fields in schema order: step, name, position, …
    app.config.from_object(Config)
    if isinstance(config, type):
        app.config.from_object(config)
    elif config:
        app.config.from_mapping(config)

    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "stepsense.sqlite3")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config.get("INGEST_QUEUE_URL") and app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # With the ingest log, answers are accepted while the database is away; a host
        # that does not answer at all must not hold a request for the OS's connect timeout.
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {"connect_timeout": 2, **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"], x_proto=1, x_host=1)

    # The app's parts are imported here, not at the top of the module: this package's
    # __init__ runs first on every import of any collector module (the models in a
    # migration, the ingest worker, a bench), and at the top these imports would make
    # `import collector.extensions` load 175 collector modules instead of 3 (5.3 s of
    # CPU instead of 1.1 s here). There is no cycle either way (tests/test_architecture.py).
    from collector import alerts, api, cli
    from collector.common import replicas
    from collector.common.database import configure_engine
    from collector.demo import shop as demo_shop
    from collector.extensions import db, limiter, migrate
    from collector.monitoring import logs, metrics
    from collector.tenancy import invalidation
    from collector.tenancy.sites import site_cache
    from collector.web import dashboard, widget
    from collector.web import pages as web

    logs.init_app(app)  # first: every later hook's log lines carry the request id
    metrics.init_app(app)
    db.init_app(app)
    replicas.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=_migrations_directory())
    limiter.init_app(app)
    api.init_app(app)
    web.init_app(app)
    for blueprint in (dashboard.bp, widget.bp):
        app.register_blueprint(blueprint)
    if app.config["DEMO_ENABLED"]:
        demo_shop.init_app(app)
    cli.init_app(app)
    alerts.init_app(app)
    invalidation.init_app(app, site_cache.forget)
    return app


def _migrations_directory() -> str:
    """The Alembic scripts: inside the package when installed from a wheel
    (setup.py copies them there), else the checkout's top-level migrations/."""
    packaged = os.path.join(os.path.dirname(__file__), "migrations")
    if os.path.isdir(packaged):
        return packaged
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def _normalise_database_url(url: str) -> str:
    """Let users paste the usual ``postgres://`` URLs; we drive them with psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
