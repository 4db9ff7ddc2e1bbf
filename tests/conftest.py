"""Shared fixtures: a freshly migrated database per test, the app, sites, an API client
and a webhook receiver. Helpers that test modules import live in tests/helpers.py.

Every test gets its own database, built by the Alembic migrations: a copy of
a migrated SQLite file, or, when TEST_DATABASE_URL is set, a PostgreSQL
database cloned from a migrated template. Tests can therefore run in
parallel (pytest -n auto) and never see each other's rows.
"""

import os
import shutil
import uuid
from typing import Any

import psycopg
import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from collector.extensions import db
from collector.tenancy.sites import create_site, site_cache
from tests.helpers import ApiClient, Receiver, SiteInfo, app_for

PG_URL = os.environ.get("TEST_DATABASE_URL")


def _pg_admin():
    url = make_url(PG_URL)
    return psycopg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        dbname=url.database or "postgres",
        autocommit=True,
    )


class DatabaseFactory:
    """Makes and drops per-test databases from one migrated template."""

    def __init__(self, workdir: str) -> None:
        self.workdir = workdir
        self.tag = uuid.uuid4().hex[:10]
        if PG_URL:
            self.template = f"stepsense_tpl_{self.tag}"
            with _pg_admin() as conn:
                conn.execute(f'CREATE DATABASE "{self.template}"')
            self._migrate(self._pg_url(self.template))
        else:
            self.template = os.path.join(workdir, "template.sqlite3")
            self._migrate(f"sqlite:///{self.template}")

    def _pg_url(self, name: str) -> str:
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    @staticmethod
    def _migrate(url: str) -> None:
        app = app_for(url)
        with app.app_context():
            upgrade()
            db.engine.dispose()

    def create(self) -> str:
        name = f"stepsense_t_{uuid.uuid4().hex[:12]}"
        if PG_URL:
            with _pg_admin() as conn:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            return self._pg_url(name)
        path = os.path.join(self.workdir, f"{name}.sqlite3")
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        if PG_URL:
            with _pg_admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
        else:
            for suffix in ("", "-wal", "-shm"):
                path = make_url(url).database + suffix
                if os.path.exists(path):
                    os.remove(path)

    def close(self) -> None:
        if PG_URL:
            self.drop(self._pg_url(self.template))


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    factory = DatabaseFactory(str(tmp_path_factory.mktemp("db")))
    yield factory
    factory.close()


@pytest.fixture
def database_url(databases):
    url = databases.create()
    yield url
    databases.drop(url)


@pytest.fixture
def app(database_url):
    """The app on a fresh database. No app context stays pushed, so each test
    request gets its own, as in production; read the database with ``rows``."""
    app = app_for(database_url)
    site_cache.clear()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def rows(app):
    """``rows(select(...))``: run a query in a fresh app context, return all rows."""

    def run(statement) -> list:
        with app.app_context():
            result = db.session.execute(statement)
            return list(result.scalars() if len(statement.column_descriptions) == 1 else result.all())

    return run


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    """A test runner for the app's Click commands."""
    return app.test_cli_runner()


@pytest.fixture
def make_site(app):
    """Create a site with an admin key: ``make_site(name=…, origins=[…])``."""

    def make(name: str = "Shop", origins: list[str] | None = None, **settings: Any) -> SiteInfo:
        origins = origins or [f"https://{name.lower().replace(' ', '-')}.example.com"]
        with app.app_context():
            site, secret = create_site(db.session, name, origins)
            for field, value in settings.items():
                setattr(site, field, value)
            db.session.commit()
            site_cache.clear()
            return SiteInfo(site.id, site.public_key, secret, site.origins[0])

    return make


@pytest.fixture
def site(make_site) -> SiteInfo:
    return make_site()


@pytest.fixture
def api(client, site) -> ApiClient:
    return ApiClient(client, site.secret)


@pytest.fixture
def send(client):
    """POST answers as the widget does: text/plain JSON from the site's origin."""
    import json as jsonlib

    def send(body: Any, site: SiteInfo | None = None, path: str = "/v1/responses", origin: str | None = None):
        headers = {"Content-Type": "text/plain;charset=UTF-8"}
        if origin or site:
            headers["Origin"] = origin or site.origin
        return client.post(path, data=jsonlib.dumps(body), headers=headers)

    return send


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.1 (see ``tests.helpers.Receiver``), closed after the test."""
    receiver = Receiver()
    yield receiver
    receiver.close()
