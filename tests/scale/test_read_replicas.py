"""Read replicas against a real streaming replica (pg_basebackup) that the test starts:
curves, listings and exports read from it; writes and read-after-write stay on the
primary; a replica that lags too much or is down is skipped."""

import time

import pytest
from flask_migrate import upgrade

from collector.extensions import db
from collector.tenancy.sites import create_site, site_cache
from tests.helpers import ApiClient, answer, app_for
from tests.scale.servers import eventually


@pytest.fixture
def cluster_app(pg_primary, pg_replica, request):
    name = "replicas"
    pg_primary.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    pg_primary.psql(f"CREATE DATABASE {name}")
    max_lag = getattr(request, "param", 60)
    app = app_for(pg_primary.url(name), DATABASE_READ_URL=pg_replica.url(name), REPLICA_MAX_LAG_SECONDS=max_lag)
    with app.app_context():
        upgrade()
        site, secret = create_site(db.session, "Shop", ["https://shop.example.com"])
        db.session.commit()
        info = type("Site", (), {"public_key": site.public_key, "origin": "https://shop.example.com", "secret": secret})
    site_cache.clear()
    assert eventually(lambda: _has_database(pg_replica, name), timeout=30)
    yield app, info
    pg_replica.psql("SELECT pg_wal_replay_resume()") if _up(pg_replica) else pg_replica.start()
    with app.app_context():
        db.engine.dispose()
        app.extensions["stepsense.replicas"].dispose()


def _up(cluster) -> bool:
    try:
        cluster.psql("SELECT 1")
        return True
    except Exception:
        return False


def _has_database(cluster, name: str) -> bool:
    try:
        return cluster.psql(f"SELECT count(*) FROM pg_database WHERE datname = '{name}'") == "1"
    except Exception:
        return False


def _send(client, site, n: int) -> None:
    for score in range(1, n + 1):
        reply = client.post("/v1/responses", json=answer(site, score=(score % 5) + 1), headers={"Origin": site.origin})
        assert reply.status_code == 201


def _curve_responses(api: ApiClient) -> int:
    reply = api.get("/v1/journeys/checkout/curve")
    assert reply.status_code == 200
    return sum(step["responses"] for step in reply.get_json()["steps"])


def test_curves_listings_and_exports_read_from_the_replica_and_writes_stay_on_the_primary(cluster_app, pg_replica):
    app, site = cluster_app
    client = app.test_client()
    api = ApiClient(client, site.secret)
    _send(client, site, 3)
    assert eventually(lambda: _curve_responses(api) == 3, timeout=30)  # the replica caught up

    pg_replica.psql("SELECT pg_wal_replay_pause()")  # from now on the replica stays where it is
    _send(client, site, 2)  # stored on the primary
    # Reads the replica serves show its state, not the primary's:
    assert _curve_responses(api) == 3
    assert len(api.get("/v1/responses").get_json()["items"]) == 3
    assert api.get("/v1/journeys/checkout/export", format="csv").get_data(as_text=True).count("\n") == 1 + 3
    # A write, and reading it back, on the primary:
    assert api.post("/v1/journeys", json={"key": "returns", "steps": [{"key": "form"}]}).status_code == 201
    assert api.get("/v1/journeys/returns").status_code == 200

    pg_replica.psql("SELECT pg_wal_replay_resume()")
    assert eventually(lambda: _curve_responses(api) == 5, timeout=30)  # converges to the primary's


@pytest.mark.parametrize("cluster_app", [0.5], indirect=True)
def test_a_replica_lagging_more_than_the_maximum_is_skipped(cluster_app, pg_replica):
    app, site = cluster_app
    client = app.test_client()
    api = ApiClient(client, site.secret)
    _send(client, site, 1)
    assert eventually(lambda: _curve_responses(api) == 1, timeout=30)
    pg_replica.psql("SELECT pg_wal_replay_pause()")
    _send(client, site, 2)
    time.sleep(1.2)  # past REPLICA_MAX_LAG_SECONDS, and past the replicas' health-check interval
    assert _curve_responses(api) == 3  # from the primary: the replica is too far behind
    with app.app_context():
        (replica,) = app.extensions["stepsense.replicas"].status()
    assert replica["usable"] is False and replica["lag_seconds"] > 0.5


def test_a_replica_that_is_down_is_skipped(cluster_app, pg_replica):
    app, site = cluster_app
    client = app.test_client()
    api = ApiClient(client, site.secret)
    _send(client, site, 2)
    pg_replica.stop("immediate")
    try:
        time.sleep(1.1)  # past the health-check interval
        assert _curve_responses(api) == 2  # from the primary, no error
        assert api.get("/v1/responses").status_code == 200
    finally:
        pg_replica.start()
