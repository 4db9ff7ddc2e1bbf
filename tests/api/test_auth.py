"""API keys: Bearer auth, scopes, rotation and revocation."""

import pytest

from tests.helpers import ApiClient, app_for

CX_ENDPOINTS = [
    ("get", "/v1/journeys"),
    ("post", "/v1/journeys"),
    ("get", "/v1/responses"),
    ("get", "/v1/journeys/checkout/curve"),
    ("delete", "/v1/visitors/v1"),
    ("get", "/v1/site"),
    ("get", "/v1/keys"),
]


@pytest.mark.parametrize("method, path", CX_ENDPOINTS)
@pytest.mark.parametrize("header", [None, "Bearer", "Bearer sk_wrong", "Basic abc", "Bearer pk_public"])
def test_missing_or_bad_key_is_401(client, site, method, path, header):
    headers = {"Authorization": header} if header else {}
    response = getattr(client, method)(path, headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_read_key_cannot_write(api, client):
    secret = api.post("/v1/keys", json={"scopes": ["read"], "name": "analyst"}).json["secret_key"]
    reader = ApiClient(client, secret)
    assert reader.get("/v1/journeys").status_code == 200
    response = reader.post("/v1/journeys", json={"key": "j"})
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert reader.delete("/v1/visitors/v1").status_code == 403
    assert reader.get("/v1/keys").status_code == 403
    assert api.get("/v1/journeys").json["items"] == []


def test_write_key_can_read_but_not_manage_keys(api, client):
    writer = ApiClient(client, api.post("/v1/keys", json={"scopes": ["write"]}).json["secret_key"])
    assert writer.post("/v1/journeys", json={"key": "j"}).status_code == 201
    assert writer.get("/v1/journeys").status_code == 200
    assert writer.post("/v1/keys", json={"scopes": ["admin"]}).status_code == 403
    assert writer.patch("/v1/site", json={"origins": ["https://evil.example"]}).status_code == 403


def test_keys_are_listed_without_secrets(api):
    created = api.post("/v1/keys", json={"scopes": ["read"], "name": "bi"}).json
    assert created["secret_key"].startswith("sk_")
    listing = api.get("/v1/keys").json["items"]
    assert {k["name"] for k in listing} == {"admin", "bi"}
    assert all("secret_key" not in k and created["secret_key"] not in str(k) for k in listing)
    assert any(created["secret_key"].startswith(k["prefix"]) for k in listing)


def test_revoked_key_stops_working(api, client):
    created = api.post("/v1/keys", json={"scopes": ["read"]}).json
    reader = ApiClient(client, created["secret_key"])
    assert api.delete(f"/v1/keys/{created['id']}").status_code == 204
    assert reader.get("/v1/journeys").status_code == 401


def test_rotation_replaces_the_secret(api, client):
    created = api.post("/v1/keys", json={"scopes": ["read", "write"]}).json
    rotated = api.post(f"/v1/keys/{created['id']}/rotate").json
    assert rotated["scopes"] == ["read", "write"]
    assert ApiClient(client, created["secret_key"]).get("/v1/journeys").status_code == 401
    assert ApiClient(client, rotated["secret_key"]).get("/v1/journeys").status_code == 200
    assert api.post(f"/v1/keys/{created['id']}/rotate").status_code == 409


def test_keys_of_other_sites_are_404(api, make_site, client):
    other = ApiClient(client, make_site("Other").secret)
    key_id = api.post("/v1/keys", json={"scopes": ["read"]}).json["id"]
    assert other.delete(f"/v1/keys/{key_id}").status_code == 404
    assert other.post(f"/v1/keys/{key_id}/rotate").status_code == 404


def test_secrets_are_stored_only_hashed(api, rows):
    import sqlalchemy as sa

    from collector.models import ApiKey

    secret = api.post("/v1/keys", json={"scopes": ["read"]}).json["secret_key"]
    for key in rows(sa.select(ApiKey)):
        assert secret not in (key.key_hash, key.prefix, key.name)
        assert len(key.key_hash) == 64


def test_site_settings_update_and_embed_snippet(api, client, site):
    got = api.get("/v1/site").json
    assert got["public_key"] == site.public_key
    assert f'data-site="{site.public_key}"' in got["embed_snippet"]
    patched = api.patch(
        "/v1/site",
        json={
            "origins": ["https://Shop.Example.com/", "http://localhost:3000"],
            "settings": {"sampling": 0.5, "theme": {"accent": "#ff0000"}},
        },
    )
    assert patched.status_code == 200
    assert patched.json["origins"] == ["http://localhost:3000", "https://shop.example.com"]
    assert patched.json["settings"]["theme"] == {**got["settings"]["theme"], "accent": "#ff0000"}
    config = client.get(f"/v1/sites/{site.public_key}/config").json
    assert config["settings"]["sampling"] == 0.5
    bad = api.patch("/v1/site", json={"origins": ["javascript:alert(1)"], "settings": {"sampling": 2}})
    assert bad.status_code == 422
    assert api.get("/v1/site").json["settings"]["sampling"] == 0.5


def test_cx_api_is_rate_limited_per_key(database_url, site):
    """Every CX endpoint draws on one budget per API key (RATELIMIT_API_PER_KEY), not
    per address: past it, 429 in the one error shape with Retry-After, and nothing is done."""
    import sqlalchemy as sa

    from collector.extensions import db
    from collector.models import Journey

    app = app_for(
        database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_API_PER_KEY="3/minute"
    )
    client = app.test_client()
    admin = ApiClient(client, site.secret)
    reader_secret = admin.post("/v1/keys", json={"scopes": ["read"]}).json["secret_key"]
    assert admin.get("/v1/journeys").status_code == 200
    assert admin.get("/v1/site").status_code == 200

    for refused in (admin.get("/v1/responses"), admin.post("/v1/journeys", json={"key": "late"})):
        assert refused.status_code == 429
        assert refused.json["error"]["code"] == "rate_limited"
        assert set(refused.json) == {"error"} and set(refused.json["error"]) == {"code", "message", "details"}
        assert int(refused.headers["Retry-After"]) > 0
    with app.app_context():
        assert db.session.scalars(sa.select(Journey.key)).all() == []
    # Another key from the same client has its own budget; bad keys are 401, not counted.
    reader = ApiClient(client, reader_secret)
    assert reader.get("/v1/journeys").status_code == 200
    assert ApiClient(client, "sk_unknown-key-of-nobody").get("/v1/journeys").status_code == 401
