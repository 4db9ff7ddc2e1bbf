"""The answer path's shortcuts keep ingest's behaviour: the per-process step
cache (PostgreSQL only), the retry when a cached step was deleted, and a dead
pooled connection (no pool_pre_ping) answering 503 once and then recovering."""

import os

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from collector.analytics.maintenance import compare_rollups
from collector.extensions import db
from collector.ingest import store as ingest
from collector.models import Journey, Response
from tests.helpers import answer

ON_POSTGRESQL = bool(os.environ.get("TEST_DATABASE_URL"))


@pytest.fixture
def cached(app):
    """The production setting: sites and steps cached for 10 s per process."""
    app.config["SITE_CACHE_SECONDS"] = 10
    ingest.step_cache.clear()
    yield app
    ingest.step_cache.clear()


@pytest.fixture
def step_queries(cached):
    """How many journey/step look-ups ingest ran."""
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "FROM journeys JOIN steps" in statement:
            seen.append(statement)

    with cached.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", count)


def test_a_known_step_costs_no_query_on_postgresql(send, site, step_queries):
    assert send(answer(site), site).status_code == 201
    first = len(step_queries)
    assert first == 2  # the look-up, and the same again under the site's lock to register the step
    for _ in range(3):
        assert send(answer(site), site).status_code == 201
    # PostgreSQL never reuses ids, so cached ids are safe; SQLite may reuse a
    # deleted row's id, so it always looks steps up (an in-process call).
    assert len(step_queries) == (first if ON_POSTGRESQL else first + 3)


def test_cached_steps_of_a_deleted_journey_are_registered_again(send, site, api, cached, rows):
    assert send(answer(site), site).status_code == 201
    old_journey = rows(sa.select(Journey.id))[0]
    assert api.delete("/v1/journeys/checkout").status_code == 204

    reply = send(answer(site, score=2), site)
    assert reply.status_code == 201 and reply.json["stored"] == 1
    (journey,) = rows(sa.select(Journey.id))
    # SQLite gives the new journey the deleted one's id (rowid = max + 1),
    # which is why it never caches step ids.
    assert journey != old_journey if ON_POSTGRESQL else journey == old_journey
    assert rows(sa.select(Response.journey_id)) == [journey]
    with cached.app_context():
        assert compare_rollups(db.session) == []


def test_cached_steps_of_a_deleted_journey_are_rejected_without_auto_register(send, make_site, client, cached, rows):
    site = make_site(auto_register=False)
    headers = {"Authorization": f"Bearer {site.secret}"}
    created = client.post("/v1/journeys", json={"key": "checkout", "steps": [{"key": "payment"}]}, headers=headers)
    assert created.status_code == 201
    assert send(answer(site), site).status_code == 201
    assert client.delete("/v1/journeys/checkout", headers=headers).status_code == 204

    reply = send(answer(site), site)
    assert reply.status_code == 422 and reply.json["error"]["code"] == "validation_error"
    assert rows(sa.select(Response.id)) == []
    assert rows(sa.select(Journey.id)) == []


@pytest.mark.skipif(not ON_POSTGRESQL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_a_dead_pooled_connection_is_one_503_then_the_next_request_reconnects(send, site, database_url):
    assert send(answer(site), site).status_code == 201  # leaves connections in the pool
    url = make_url(database_url)
    with psycopg.connect(
        host=url.host, port=url.port or 5432, user=url.username, dbname=url.database, autocommit=True
    ) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert killed >= 1

    first = send(answer(site), site)
    if first.status_code != 201:
        assert first.status_code == 503 and int(first.headers["Retry-After"]) > 0
        assert first.json["error"]["code"] == "unavailable"
    assert [send(answer(site), site).status_code for _ in range(3)] == [201, 201, 201]
