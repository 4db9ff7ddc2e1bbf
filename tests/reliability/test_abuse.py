"""Abuse limits: rate limits in the real Redis (shared by gunicorn's workers),
body size, batch and comment caps, origin checks and the honeypot."""

import json
import uuid

import pytest
import redis
import sqlalchemy as sa

from collector.api.ingest.schemas import MAX_BATCH, MAX_COMMENT, MAX_EVENT_BATCH
from collector.extensions import limiter
from collector.models import Event, Journey, Response
from tests.helpers import answer, app_for
from tests.reliability.helpers import request

REDIS_URL = "redis://127.0.0.1:6379"


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in the machine's Redis; its keys are deleted after."""
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis at {REDIS_URL} is required: {error}")
    prefix = f"stepsense-test-{uuid.uuid4().hex[:12]}"
    # The limiter is a process-wide extension that keeps the first app's key
    # prefix; production has one app per process, tests make one per test.
    saved, limiter._key_prefix = limiter._key_prefix, ""
    yield prefix
    limiter._key_prefix = saved
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)


def _redis_keys(prefix: str) -> list[bytes]:
    return list(redis.Redis.from_url(REDIS_URL).scan_iter(f"*{prefix}*"))


def _limited_app(database_url, prefix, **limits):
    return app_for(
        database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix, **limits
    )


def test_per_ip_limit_is_kept_in_redis_and_applies_per_client_ip(database_url, make_site, redis_prefix):
    """Behind one trusted proxy each client IP has its own budget, counted in Redis."""
    site = make_site()
    app = _limited_app(database_url, redis_prefix, RATELIMIT_PUBLIC_PER_IP="3/minute", TRUSTED_PROXIES=1)
    client = app.test_client()

    def post(ip: str) -> int:
        return client.post("/v1/responses", json=answer(site), headers={"X-Forwarded-For": ip}).status_code

    assert [post("203.0.113.7") for _ in range(4)] == [201, 201, 201, 429]
    assert post("203.0.113.8") == 201  # another visitor is not punished
    assert _redis_keys(redis_prefix), "the limiter did not write to Redis"
    # Each public endpoint has its own per-IP budget: the config fetch too.
    config = [
        client.get(f"/v1/sites/{site.public_key}/config", headers={"X-Forwarded-For": "203.0.113.7"}) for _ in range(4)
    ]
    assert [response.status_code for response in config] == [200, 200, 200, 429]
    limited = config[-1]
    assert limited.json["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0


def test_a_spoofed_forwarded_for_does_not_escape_the_limit_without_a_trusted_proxy(
    database_url, make_site, redis_prefix
):
    """With TRUSTED_PROXIES=0 a client cannot pick a fresh IP per request via X-Forwarded-For."""
    site = make_site()
    client = _limited_app(database_url, redis_prefix, RATELIMIT_PUBLIC_PER_IP="2/minute").test_client()
    statuses = [
        client.post("/v1/responses", json=answer(site), headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
        for n in range(4)
    ]
    assert statuses == [201, 201, 429, 429]


def test_per_site_key_limit_is_kept_in_redis(database_url, make_site, redis_prefix):
    """A flood on one site key is cut off whatever the client IPs; other sites are unaffected."""
    busy, quiet = make_site("Busy"), make_site("Quiet")
    client = _limited_app(
        database_url, redis_prefix, RATELIMIT_PUBLIC_PER_SITE="3/minute", TRUSTED_PROXIES=1
    ).test_client()
    statuses = [
        client.post("/v1/responses", json=answer(busy), headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code
        for n in range(5)
    ]
    assert statuses == [201, 201, 201, 429, 429]
    assert (
        client.post("/v1/responses", json=answer(quiet), headers={"X-Forwarded-For": "192.0.2.99"}).status_code == 201
    )
    # A batch counts once against the site named by its items.
    batch = {"responses": [answer(busy), answer(busy)]}
    assert client.post("/v1/responses", json=batch, headers={"X-Forwarded-For": "192.0.2.50"}).status_code == 429
    assert _redis_keys(redis_prefix)


@pytest.mark.slow
def test_limit_is_shared_by_all_gunicorn_workers_through_redis(site, gunicorn, redis_prefix):
    """Two worker processes, one budget: 6/minute allows exactly 6 of 12 requests."""
    server = gunicorn(
        RATELIMIT_ENABLED="true",
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=redis_prefix,
        RATELIMIT_PUBLIC_PER_IP="6/minute",
    )
    replies = [request(server.port, "POST", "/v1/responses", answer(site)) for _ in range(12)]
    statuses = [status for status, _, _ in replies]
    assert statuses.count(201) == 6, statuses
    assert statuses.count(429) == 6, statuses
    assert _redis_keys(redis_prefix), "the workers did not count in Redis"


@pytest.mark.parametrize("path", ["/v1/responses", "/v1/events"])
def test_oversized_bodies_are_413_and_store_nothing(client, site, rows, path):
    """A body over MAX_CONTENT_LENGTH is refused before it is parsed."""
    body = json.dumps({**answer(site, comment="x" * 70_000), "type": "impression"})
    response = client.post(path, data=body, headers={"Content-Type": "text/plain"})
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"
    assert rows(sa.select(sa.func.count()).select_from(Response)) == [0]


def test_cx_endpoints_also_refuse_oversized_bodies(api):
    response = api.post("/v1/journeys", json={"key": "checkout", "name": "x" * 70_000})
    assert response.status_code == 413


@pytest.mark.parametrize(
    "path, key, cap, make",
    [
        ("/v1/responses", "responses", MAX_BATCH, lambda site: answer(site)),
        (
            "/v1/events",
            "events",
            MAX_EVENT_BATCH,
            lambda site: {**answer(site), "type": "impression"} | {"score": None},
        ),
    ],
)
def test_batches_over_the_cap_are_422_and_store_nothing(send, site, rows, path, key, cap, make):
    """One item over the batch cap rejects the whole batch."""
    items = []
    for _ in range(cap + 1):
        item = make(site)
        if key == "events":
            item.pop("score"), item.pop("kind")
        items.append(item)
    response = send({key: items}, site, path=path)
    assert response.status_code == 422
    assert key in response.json["error"]["details"]
    assert rows(sa.select(sa.func.count()).select_from(Response)) == [0]
    assert rows(sa.select(sa.func.count()).select_from(Event)) == [0]
    assert send({key: items[:cap]}, site, path=path).status_code == 201


def test_comment_cap(send, site, rows):
    assert send(answer(site, kind="comment", score=None, comment="a" * (MAX_COMMENT + 1)), site).status_code == 422
    assert send(answer(site, kind="comment", score=None, comment="a" * MAX_COMMENT), site).status_code == 201


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example.net",
        "null",
        "https://shop.example.com.evil.net",
        "http://shop.example.com",
        "https://SHOP.example.com:443",
    ],
)
def test_answers_from_other_origins_are_403_and_not_stored(send, site, rows, origin):
    """Only the exact origins of the site named by site_key may send its answers."""
    response = send(answer(site), origin=origin)
    assert response.status_code == 403
    assert rows(sa.select(sa.func.count()).select_from(Response)) == [0]


def test_another_sites_origin_cannot_send_for_this_site(send, make_site, rows):
    mine, theirs = make_site("Mine"), make_site("Theirs")
    assert send(answer(mine), origin=theirs.origin).status_code == 403
    assert rows(sa.select(sa.func.count()).select_from(Response)) == [0]


def test_a_filled_honeypot_is_acknowledged_but_not_stored(send, site, rows):
    """Bots that fill every field get the usual 201 and store nothing, not even a new journey."""
    trapped = send(answer(site, journey="bots", hp="http://spam.example"), site)
    assert trapped.status_code == 201
    assert trapped.json == {"received": 1, "stored": 1, "duplicates": 0}
    assert rows(sa.select(Response.id)) == []
    assert rows(sa.select(Journey.key)) == []

    batch = send({"responses": [answer(site, hp="spam"), answer(site, hp=""), answer(site, hp=None)]}, site)
    assert batch.status_code == 201
    assert batch.json == {"received": 3, "stored": 3, "duplicates": 0}
    assert len(rows(sa.select(Response.id))) == 2
    assert send(answer(site, hp="x" * 201), site).status_code == 422


def _exchange(send, site, body, path="/v1/responses"):
    response = send(body, site, path=path)
    return response.status_code, response.json


def _event(site, **fields):
    return {
        "site_key": site.public_key,
        "journey": "checkout",
        "step": "payment",
        "type": "impression",
        "client_id": str(uuid.uuid4()),
        **fields,
    }


@pytest.mark.parametrize("path, make", [("/v1/responses", answer), ("/v1/events", _event)])
def test_a_caught_bot_is_answered_exactly_as_a_real_client(send, site, rows, api, path, make):
    """First send 201 stored:1, a resend 200 duplicates:1, for a filled honeypot as for a
    real answer or event, singly and in batches; caught records stay invisible."""
    real, trapped = make(site), make(site, hp="http://spam.example")
    for item in (real, trapped):
        assert _exchange(send, site, item, path) == (201, {"received": 1, "stored": 1, "duplicates": 0})
        assert _exchange(send, site, item, path) == (200, {"received": 1, "stored": 0, "duplicates": 1})
    batch_key = path.rsplit("/", 1)[1]
    fresh_real, fresh_trap = make(site), make(site, hp="spam")
    assert _exchange(send, site, {batch_key: [real, trapped, fresh_real, fresh_trap]}, path) == (
        201,
        {"received": 4, "stored": 2, "duplicates": 2},
    )
    assert _exchange(send, site, {batch_key: [fresh_trap, trapped]}, path) == (
        200,
        {"received": 2, "stored": 0, "duplicates": 2},
    )
    # A filled honeypot reusing a stored record's client_id is a resend of it, as it would be without.
    assert _exchange(send, site, {**real, "hp": "x"}, path) == (200, {"received": 1, "stored": 0, "duplicates": 1})

    model = Response if path == "/v1/responses" else Event
    assert sorted(rows(sa.select(model.client_id))) == sorted([real["client_id"], fresh_real["client_id"]])
    if model is Response:
        assert {item["client_id"] for item in api.get("/v1/responses").json["items"]} == {
            real["client_id"],
            fresh_real["client_id"],
        }
