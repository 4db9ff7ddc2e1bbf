"""A site's change reaches every worker of every host within a second (Redis pub/sub),
not after their SITE_CACHE_SECONDS: a real gunicorn (another "host") caching sites
for a minute, the change made through this process's API."""

import time

import pytest
import redis

from tests.helpers import answer
from tests.scale.servers import Gunicorn, http

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_url():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return REDIS_URL


@pytest.fixture
def other_host(database_url, tmp_path, redis_url):
    if database_url == "sqlite://":
        pytest.skip("needs a database two processes share")
    server = Gunicorn(
        database_url, tmp_path / "gunicorn.log", workers=2, SITE_CACHE_SECONDS="60", CACHE_INVALIDATION_URL=redis_url
    ).start()
    yield server
    server.stop()


@pytest.fixture
def app(database_url, redis_url):
    from collector.extensions import db
    from collector.tenancy.sites import site_cache
    from tests.helpers import app_for

    app = app_for(database_url, CACHE_INVALIDATION_URL=redis_url)
    site_cache.clear()
    yield app
    with app.app_context():
        db.engine.dispose()


def _status_from(server: Gunicorn, site, origin: str) -> int:
    return http(server.port, "POST", "/v1/responses", answer(site), {"Origin": origin})[0]


def test_changed_origins_take_effect_on_every_worker_of_another_host_within_a_second(api, site, other_host):
    new_origin = "https://new-shop.example.com"
    # Every worker of the other host has the site cached, for a minute.
    assert [_status_from(other_host, site, site.origin) for _ in range(12)] == [201] * 12
    assert _status_from(other_host, site, new_origin) == 403

    assert api.patch("/v1/site", json={"origins": [new_origin]}).status_code == 200
    changed = time.monotonic()
    while _status_from(other_host, site, new_origin) != 201:
        assert time.monotonic() - changed < 1.0, "the other host still refuses the new origin after 1 s"
    took = time.monotonic() - changed
    # Fresh connections land on either worker: all of them have dropped the old snapshot.
    assert [_status_from(other_host, site, new_origin) for _ in range(12)] == [201] * 12
    assert [_status_from(other_host, site, site.origin) for _ in range(4)] == [403] * 4
    assert took < 1.0
