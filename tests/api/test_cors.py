"""CORS: browsers may call the public endpoints only from a site's own origins."""

from tests.helpers import answer


def test_answer_from_allowed_origin_gets_cors_headers(send, site):
    response = send(answer(site), site)
    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == site.origin
    assert "Origin" in response.headers["Vary"]


def test_answer_from_other_origin_is_refused_and_not_stored(send, site, api):
    response = send(answer(site), site, origin="https://evil.example.net")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert api.get("/v1/responses").json["items"] == []


def test_one_sites_origin_cannot_post_for_another_site(send, make_site):
    a, b = make_site("A"), make_site("B")
    response = send(answer(b), origin=a.origin)
    assert response.status_code == 403


def test_preflight_is_answered_only_for_known_origins(client, site):
    allowed = client.options(
        "/v1/responses",
        headers={
            "Origin": site.origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert allowed.headers["Access-Control-Allow-Origin"] == site.origin
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    refused = client.options(
        "/v1/responses", headers={"Origin": "https://evil.example.net", "Access-Control-Request-Method": "POST"}
    )
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_requests_without_origin_are_server_side_and_allowed(send, site):
    assert send(answer(site)).status_code == 201


def test_config_has_cors_and_caching_headers(client, site):
    response = client.get(f"/v1/sites/{site.public_key}/config", headers={"Origin": site.origin})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == site.origin
    assert "max-age=60" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    again = client.get(f"/v1/sites/{site.public_key}/config", headers={"Origin": site.origin, "If-None-Match": etag})
    assert again.status_code == 304


def test_config_refuses_other_origins(client, site):
    response = client.get(f"/v1/sites/{site.public_key}/config", headers={"Origin": "https://evil.example.net"})
    assert response.status_code == 403
