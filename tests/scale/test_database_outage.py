"""PostgreSQL down with the ingest log: answers keep being accepted (2xx), /healthz says
degraded with the log's lag, the worker backs off and catches up by itself once the
database is back. A real PostgreSQL cluster of the test's own, stopped and started."""

import threading

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from collector.analytics.maintenance import compare_funnel, compare_rollups
from collector.extensions import db
from collector.ingest import queue
from collector.ingest.worker import Worker
from collector.models import Response
from collector.tenancy.sites import create_site, site_cache
from tests.helpers import answer, app_for
from tests.scale.servers import eventually


@pytest.fixture
def pg_app(pg_primary, queue_config):
    pg_primary.psql("DROP DATABASE IF EXISTS outage WITH (FORCE)")
    pg_primary.psql("CREATE DATABASE outage")
    app = app_for(pg_primary.url("outage"), **queue_config)
    with app.app_context():
        upgrade()
    site_cache.clear()
    yield app
    queue.close_publishers()
    with app.app_context():
        db.engine.dispose()
    if not eventually(lambda: _up(pg_primary), timeout=30):
        pg_primary.start()


def _up(cluster) -> bool:
    try:
        cluster.psql("SELECT 1")
        return True
    except Exception:
        return False


def _stored(app) -> int:
    with app.app_context():
        try:
            return db.session.scalar(sa.select(sa.func.count()).select_from(Response))
        finally:
            db.session.remove()


def test_with_postgresql_down_ingest_accepts_healthz_is_degraded_and_the_worker_catches_up(pg_app, pg_primary):
    with pg_app.app_context():
        site, _ = create_site(db.session, "Shop", ["https://shop.example.com"])
        db.session.commit()
        info = type("S", (), {"public_key": site.public_key, "origin": "https://shop.example.com"})
    client = pg_app.test_client()
    headers = {"Content-Type": "text/plain", "Origin": info.origin}
    assert client.post("/v1/responses", json=answer(info), headers=headers).status_code == 202  # the site is now cached

    pg_primary.stop("immediate")
    accepted = [
        client.post("/v1/responses", json=answer(info, score=s), headers=headers).status_code for s in (1, 2, 3)
    ]
    assert accepted == [202, 202, 202]
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.get_json()["status"] == "degraded"
    assert health.get_json()["database"] == "unreachable"
    assert health.get_json()["queue"]["lag"] == 4

    worker = Worker(pg_app, queue.QueueSettings.from_config(pg_app.config), batch=50, fetch_timeout=0.3)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        assert eventually(lambda: worker.stats.backoffs >= 2, timeout=30)  # tried, handed the batch back, waits
        assert worker.stats.stored == 0
        pg_primary.start()
        assert eventually(lambda: worker.stats.stored == 4, timeout=60)  # resumed by itself
    finally:
        worker.stop.set()
        thread.join(30)
    assert _stored(pg_app) == 4
    assert client.get("/healthz").get_json() == {
        "status": "ok",
        "database": "ok",
        "queue": {"status": "ok", "lag": 0, "lag_seconds": 0.0, "dead_letters": 0},
    }
    with pg_app.app_context():
        assert compare_rollups(db.session) == [] and compare_funnel(db.session) == []
