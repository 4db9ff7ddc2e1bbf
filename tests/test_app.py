"""App-wide behaviour: health, OpenAPI and docs, the one error format, migrations, rate limits."""

import pytest
import sqlalchemy as sa

from collector.extensions import db
from tests.helpers import answer, app_for


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database():
    app = app_for("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"
    assert response.headers["Retry-After"]


def test_ingest_answers_503_when_the_database_is_down():
    app = app_for("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    response = app.test_client().post(
        "/v1/responses",
        json={
            "site_key": "pk_x",
            "journey": "j",
            "step": "s",
            "kind": "csat",
            "score": 3,
            "client_id": "1b6f7e2c-1d1e-4a57-9a53-000000000001",
        },
    )
    assert response.status_code == 503
    assert response.json["error"]["code"] == "unavailable"
    assert int(response.headers["Retry-After"]) > 0


def test_openapi_documents_every_endpoint_and_the_error_shape(client):
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in (
        "/v1/responses",
        "/v1/events",
        "/v1/sites/{public_key}/config",
        "/v1/journeys",
        "/v1/journeys/{key}",
        "/v1/journeys/{key}/curve",
        "/v1/visitors/{visitor_id}",
        "/healthz",
    ):
        assert path in spec["paths"], path
    assert spec["paths"]["/v1/journeys"]["get"]["security"] == [{"bearerAuth": []}]
    assert "error" in spec["components"]["schemas"]["Error"]["properties"]
    ingest_body = spec["paths"]["/v1/responses"]["post"]["requestBody"]["content"]
    assert {"application/json", "text/plain"} <= set(ingest_body)


def test_plain_docs_page_lists_endpoints(client):
    page = client.get("/docs/plain")
    assert page.status_code == 200
    assert b"/v1/journeys/{key}/curve" in page.data
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_unknown_paths_and_methods_use_the_error_format(client):
    missing = client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "not_found"
    wrong_method = client.put("/v1/responses")
    assert wrong_method.status_code == 405
    assert wrong_method.json["error"]["code"] == "method_not_allowed"


def test_migrations_build_every_table(app):
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
    assert {"sites", "api_keys", "journeys", "steps", "prompts", "responses", "events", "alembic_version"} <= tables


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite only")
    with app.app_context():
        assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_public_endpoints_are_rate_limited_per_ip(database_url, make_site):
    site = make_site()
    app = app_for(database_url, RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC_PER_IP="3/minute")
    client = app.test_client()
    statuses = [client.post("/v1/responses", json=answer(site)).status_code for _ in range(5)]
    assert statuses == [201, 201, 201, 429, 429]
    limited = client.post("/v1/responses", json=answer(site))
    assert limited.json["error"]["code"] == "rate_limited"
    assert "Retry-After" in limited.headers


def test_public_endpoints_are_rate_limited_per_site_key(database_url, make_site):
    busy, quiet = make_site("Busy"), make_site("Quiet")
    app = app_for(database_url, RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC_PER_SITE="2/minute")
    client = app.test_client()
    assert [client.post("/v1/responses", json=answer(busy)).status_code for _ in range(3)] == [201, 201, 429]
    assert client.post("/v1/responses", json=answer(quiet)).status_code == 201
