"""The CX dashboard: sign-in, CSRF, escaping, tenant isolation, filters and management."""

import re

import pytest
import sqlalchemy as sa

from collector.extensions import db
from collector.models import ApiKey, Journey, Prompt, Site
from collector.tenancy.sites import issue_key, revoke_key
from tests.helpers import ApiClient, answer, csrf, sign_in

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"


def new_key(app, site_id: int, scopes: list[str]) -> tuple[int, str]:
    with app.app_context():
        key, secret = issue_key(db.session, db.session.get(Site, site_id), scopes)
        return key.id, secret


def make_journey(client, site, key: str = "checkout", steps=("cart", "shipping", "payment")):
    response = client.post(
        "/v1/journeys",
        json={"key": key, "steps": [{"key": s, "name": s.title()} for s in steps]},
        headers={"Authorization": f"Bearer {site.secret}"},
    )
    assert response.status_code == 201, response.get_json()


def responses_by_step(html: str) -> dict[str, int]:
    """The Responses column of the KPI table, by step key."""
    found = re.findall(r'<tr data-step="([^"]+)">.*?<td class="num responses">(\d+)</td>', html, re.S)
    return {step: int(n) for step, n in found}


@pytest.fixture
def signed_in(client, site):
    assert sign_in(client, site.secret).status_code == 302
    return client


def test_dashboard_redirects_to_sign_in_when_signed_out(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard/sign-in")


def test_sign_in_with_good_key_keeps_only_key_id(client, site, rows):
    """A good key signs in; the session holds its id and never the secret."""
    response = sign_in(client, site.secret)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard/")
    with client.session_transaction() as session:
        key_id = session["key_id"]
        assert site.secret not in repr(dict(session))
    assert key_id == rows(sa.select(ApiKey.id).where(ApiKey.site_id == site.id))[0]
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert "Shop" in page.get_data(as_text=True)


def test_sign_in_with_read_only_key(app, client, site):
    _, secret = new_key(app, site.id, ["read"])
    assert sign_in(client, secret).status_code == 302
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.parametrize("secret", ["sk_wrong-key-that-does-not-exist-anywhere", "pk_public", ""])
def test_sign_in_with_bad_key(client, site, secret):
    response = sign_in(client, secret)
    assert response.status_code == 401
    assert "unknown, revoked" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "key_id" not in session
    assert client.get("/dashboard/").status_code == 302


def test_sign_in_with_revoked_key(app, client, site):
    key_id, secret = new_key(app, site.id, ["read"])
    with app.app_context():
        revoke_key(db.session, db.session.get(Site, site.id), key_id)
    assert sign_in(client, secret).status_code == 401


def test_revoking_the_key_ends_the_session(app, client, site):
    """The key is checked on every request: revoked keys sign the user out."""
    key_id, secret = new_key(app, site.id, ["read"])
    sign_in(client, secret)
    assert client.get("/dashboard/").status_code == 200
    with app.app_context():
        revoke_key(db.session, db.session.get(Site, site.id), key_id)
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard/sign-in")
    with client.session_transaction() as session:
        assert "key_id" not in session
    assert client.get("/dashboard/?partial=1").status_code == 401


def test_sign_out(signed_in):
    response = signed_in.post("/dashboard/sign-out", data={"csrf_token": csrf(signed_in)})
    assert response.status_code == 302
    assert signed_in.get("/dashboard/").status_code == 302


def _saved_cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_cookie_saved_before_sign_out_no_longer_opens_the_dashboard(app, client, site):
    """Sign-out ends the session on the server: replaying the old cookie is signed out."""
    sign_in(client, site.secret)
    saved = _saved_cookie(client)
    assert client.post("/dashboard/sign-out", data={"csrf_token": csrf(client)}).status_code == 302
    client.set_cookie("session", saved)
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard/sign-in")
    client.set_cookie("session", saved)
    assert client.get("/dashboard/?partial=1").status_code == 401
    assert sign_in(client, site.secret).status_code == 302  # signing in again works
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.parametrize("action", ["rotate", "revoke"])
def test_rotating_or_revoking_the_key_ends_saved_sessions(app, client, site, action):
    key_id, secret = new_key(app, site.id, ["read"])
    sign_in(client, secret)
    saved = _saved_cookie(client)
    headers = {"Authorization": f"Bearer {site.secret}"}
    if action == "rotate":
        assert client.post(f"/v1/keys/{key_id}/rotate", headers=headers).status_code == 201
    else:
        assert client.delete(f"/v1/keys/{key_id}", headers=headers).status_code == 204
    client.set_cookie("session", saved)
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.parametrize(
    "path, data",
    [
        ("/dashboard/sign-out", {}),
        ("/dashboard/journeys", {"key": "signup", "steps": "form"}),
    ],
)
@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_post_without_valid_csrf_token_is_rejected(signed_in, rows, path, data, token):
    if token is not None:
        data = {**data, "csrf_token": token}
    response = signed_in.post(path, data=data)
    assert response.status_code == 400
    assert rows(sa.select(Journey.key).where(Journey.key == "signup")) == []
    with signed_in.session_transaction() as session:
        assert "key_id" in session  # not signed out


def test_sign_in_form_needs_csrf_token(client, site):
    """Login CSRF: a cross-site form cannot sign the browser in to an attacker's key."""
    response = client.post("/dashboard/sign-in", data={"key": site.secret})
    assert response.status_code == 400


def test_session_cookie_flags(client, site):
    client.get("/dashboard/sign-in")
    response = client.post("/dashboard/sign-in", data={"key": site.secret, "csrf_token": csrf(client)})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = client.application.test_client()
    secure.get("/dashboard/sign-in", base_url="https://localhost")
    response = secure.post(
        "/dashboard/sign-in", base_url="https://localhost", data={"key": site.secret, "csrf_token": csrf(secure)}
    )
    assert "Secure" in response.headers["Set-Cookie"]


def test_pages_have_csp_and_no_inline_script(signed_in, site, send):
    send(answer(site, kind="comment", score=None, comment="Fine"), site)
    for path in ("/dashboard/", "/dashboard/manage", "/dashboard/sign-in"):
        response = signed_in.get(path)
        assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'self' only
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        for tag in re.findall(r"<script[^>]*>", response.get_data(as_text=True)):
            assert 'src="/static/dashboard.js"' in tag


def test_comments_with_html_are_escaped(signed_in, site, send):
    """Script and HTML in comments render as text, in the page and in the refresh fragment."""
    make_journey(signed_in, site)
    send(answer(site, kind="comment", score=None, comment=XSS_SCRIPT), site)
    send(answer(site, kind="comment", score=None, comment=XSS_IMG, step="cart"), site)
    for path in ("/dashboard/?journey=checkout", "/dashboard/?journey=checkout&partial=1"):
        html = signed_in.get(path).get_data(as_text=True)
        assert XSS_SCRIPT not in html and XSS_IMG not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_journey_and_step_names_with_html_are_escaped_in_the_svg(signed_in, site):
    response = signed_in.post(
        "/v1/journeys",
        headers={"Authorization": f"Bearer {site.secret}"},
        json={"key": "j", "name": "<b>J</b>", "steps": [{"key": "s", "name": '<svg onload="x()">'}]},
    )
    assert response.status_code == 201
    html = signed_in.get("/dashboard/?journey=j").get_data(as_text=True)
    assert "<svg onload" not in html and "<b>J</b>" not in html
    assert "&lt;svg onload=&#34;x()&#34;&gt;" in html


def test_tenant_isolation(client, make_site, send):
    """A key of site A never shows site B's journeys or comments."""
    site_a, site_b = make_site(name="Alpha"), make_site(name="Beta")
    send(answer(site_a, journey="alpha-flow", kind="comment", score=None, comment="alpha comment"), site_a)
    send(answer(site_b, journey="beta-flow", kind="comment", score=None, comment="beta secret comment"), site_b)
    sign_in(client, site_a.secret)
    for path in (
        "/dashboard/",
        "/dashboard/?journey=beta-flow",
        "/dashboard/?journey=beta-flow&partial=1",
        "/dashboard/manage",
    ):
        html = client.get(path).get_data(as_text=True)
        assert "beta-flow" not in html and "beta secret comment" not in html
        assert site_b.public_key not in html
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "alpha comment" in html and site_a.public_key in html
    response = client.post("/dashboard/journeys/beta-flow/steps", data={"key": "x", "csrf_token": csrf(client)})
    assert response.status_code == 404


def test_curve_svg_has_one_point_per_step(signed_in, site, send):
    make_journey(signed_in, site, steps=("cart", "shipping", "payment", "done"))
    send(answer(site, step="cart", score=5), site)
    send(answer(site, step="payment", score=2), site)
    html = signed_in.get("/dashboard/?journey=checkout").get_data(as_text=True)
    svg = re.search(r'<svg class="curve".*?</svg>', html, re.S).group(0)
    assert len(re.findall(r'<circle class="point', svg)) == 4
    assert len(re.findall(r'<circle class="point empty"', svg)) == 2  # no answers yet
    for name in ("Cart", "Shipping", "Payment", "Done"):
        assert f">{name}</text>" in svg
    assert "n=1" in svg and "n=0" in svg


def test_pain_point_flag_is_marked(signed_in, site, send):
    """Flags the curve reports are drawn on the chart and named in the table."""
    make_journey(signed_in, site)
    for step, score in (("cart", 5), ("shipping", 5), ("payment", 1)):
        send({"responses": [answer(site, step=step, score=score if i % 5 else 3) for i in range(40)]}, site)
    html = signed_in.get("/dashboard/?journey=checkout").get_data(as_text=True)
    svg = re.search(r'<svg class="curve".*?</svg>', html, re.S).group(0)
    assert svg.count('<path class="flag"') == 1
    assert "pain point" in svg
    assert '<span class="flag-label">pain point</span>' in html


def test_filters_change_the_numbers(signed_in, site, send):
    make_journey(signed_in, site)
    for device, score in (("desktop", 5), ("desktop", 5), ("mobile", 1)):
        send(answer(site, step="payment", score=score, device=device, variant="B" if device == "mobile" else "A"), site)
    send(answer(site, step="cart", score=3, device="mobile", variant="B"), site)

    def numbers(**args):
        return responses_by_step(
            signed_in.get("/dashboard/", query_string={"journey": "checkout", **args}).get_data(as_text=True)
        )

    assert numbers() == {"cart": 1, "shipping": 0, "payment": 3}
    assert numbers(device="mobile") == {"cart": 1, "shipping": 0, "payment": 1}
    assert numbers(variant="A") == {"cart": 0, "shipping": 0, "payment": 2}
    assert numbers(**{"from": "2000-01-01", "to": "2000-01-31"}) == {"cart": 0, "shipping": 0, "payment": 0}
    assert numbers(**{"from": "2000-01-01"}) == numbers()
    html = signed_in.get("/dashboard/?journey=checkout&device=mobile").get_data(as_text=True)
    assert '<option value="mobile" selected>' in html


def test_comment_filters(signed_in, site, send):
    send(answer(site, step="cart", kind="comment", score=None, comment="I love this, wonderful and great"), site)
    send(answer(site, step="payment", kind="comment", score=None, comment="Terrible, awful, broken and slow"), site)
    html = signed_in.get("/dashboard/?journey=checkout&step=cart").get_data(as_text=True)
    assert "wonderful" in html and "awful" not in html
    html = signed_in.get("/dashboard/?journey=checkout&sentiment=negative").get_data(as_text=True)
    assert "awful" in html and "wonderful" not in html


def test_embed_snippet_shown_escaped(signed_in, site):
    html = signed_in.get("/dashboard/").get_data(as_text=True)
    assert f"data-site=&#34;{site.public_key}&#34;" in html
    assert "&lt;script async src=" in html


def test_add_journey_step_and_prompt(signed_in, rows):
    token = csrf(signed_in)
    response = signed_in.post(
        "/dashboard/journeys",
        data={"key": "signup", "name": "Sign-up", "steps": "form | Form\nconfirm\n", "csrf_token": token},
    )
    assert response.status_code == 302
    assert rows(sa.select(Journey.name).where(Journey.key == "signup")) == ["Sign-up"]
    response = signed_in.post("/dashboard/journeys/signup/steps", data={"key": "welcome", "csrf_token": token})
    assert response.status_code == 302
    response = signed_in.post(
        "/dashboard/journeys/signup/prompts",
        data={
            "step": "form",
            "kind": "ces",
            "trigger": "inline",
            "locale": "en",
            "text": "How easy?",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert rows(sa.select(Prompt.kind)) == ["ces"]
    html = signed_in.get("/dashboard/manage").get_data(as_text=True)
    assert "Sign-up" in html and "welcome" in html and "How easy?" in html


def test_management_errors_are_shown(signed_in):
    token = csrf(signed_in)
    response = signed_in.post("/dashboard/journeys", data={"key": "bad key!", "csrf_token": token})
    assert response.status_code == 422
    assert "Use 1-64 letters" in response.get_data(as_text=True)
    signed_in.post("/dashboard/journeys", data={"key": "dup", "steps": "a", "csrf_token": token})
    response = signed_in.post("/dashboard/journeys", data={"key": "dup", "csrf_token": token})
    assert response.status_code == 409 and "already exists" in response.get_data(as_text=True)
    response = signed_in.post(
        "/dashboard/journeys/dup/prompts",
        data={"step": "a", "kind": "csat", "trigger": "after_ms", "csrf_token": token},
    )
    assert response.status_code == 422 and "delay_ms" in response.get_data(as_text=True)


def test_management_needs_write_scope(app, client, site, rows):
    _, secret = new_key(app, site.id, ["read"])
    sign_in(client, secret)
    html = client.get("/dashboard/manage").get_data(as_text=True)
    assert "needs a key with the write scope" in html and "Create journey" not in html
    response = client.post("/dashboard/journeys", data={"key": "signup", "csrf_token": csrf(client)})
    assert response.status_code == 403
    assert "only the read scope" in response.get_data(as_text=True)
    assert rows(sa.select(Journey.key)) == []


# --- Download buttons -------------------------------------------------------


def test_download_buttons_carry_the_filters(signed_in, site, send):
    from collector.exports import FORMATS

    send(answer(site, step="cart", score=5, device="mobile", variant="A"), site)
    html = signed_in.get(
        "/dashboard/?journey=checkout&device=mobile&variant=A&from=2020-01-01&step=cart&sentiment=negative"
    ).get_data(as_text=True)
    links = re.findall(r'<a class="button" href="([^"]+)" download data-format="([^"]+)"', html)
    assert [name for _, name in links] == list(FORMATS)
    for href, name in links:
        href = href.replace("&amp;", "&")
        assert href.startswith(f"/dashboard/export?format={name}&")
        for part in ("journey=checkout", "device=mobile", "variant=A", "from=2020-01-01"):
            assert part in href
        assert "step=" not in href and "sentiment=" not in href  # comment filters, not export filters


def test_download_every_format_as_the_api_does(signed_in, api, site, send):
    from collector.exports import FORMATS

    send(answer(site, step="cart", score=5, device="mobile"), site)
    send(answer(site, step="payment", score=1, device="desktop", kind="csat", comment='=HYPERLINK("x")'), site)
    for name in FORMATS:
        response = signed_in.get(f"/dashboard/export?format={name}&journey=checkout")
        assert response.status_code == 200, (name, response.get_data(as_text=True)[:300])
        assert response.headers["Content-Disposition"].startswith('attachment; filename="stepsense-checkout-')
        assert response.data
        from_api = api.get("/v1/journeys/checkout/export", format=name)
        assert from_api.status_code == 200 and from_api.data  # read: a streamed body holds its request context
        assert response.headers["Content-Type"] == from_api.headers["Content-Type"]
        if name in ("csv", "journey-table", "drawio"):
            assert response.data == from_api.data
    rows = signed_in.get("/dashboard/export?format=csv&journey=checkout&device=mobile").data.decode("utf-8-sig")
    assert len(rows.strip().splitlines()) == 2  # header + the one mobile answer
    to_end = signed_in.get("/dashboard/export?format=json&journey=checkout&from=2001-01-01&to=2001-01-02").get_json()
    assert all(not step.get("responses") for step in to_end["steps"])


def test_download_checks_filters_and_tenancy(client, make_site, send):
    site_a, site_b = make_site(name="Alpha"), make_site(name="Beta")
    send(answer(site_a, journey="alpha-flow"), site_a)
    send(answer(site_b, journey="beta-flow", comment="beta secret"), site_b)
    assert client.get("/dashboard/export?format=csv&journey=alpha-flow").status_code == 302  # signed out
    sign_in(client, site_a.secret)
    assert client.get("/dashboard/export?format=csv&journey=alpha-flow").status_code == 200
    for fmt in ("csv", "json"):
        response = client.get(f"/dashboard/export?format={fmt}&journey=beta-flow")
        assert response.status_code == 404 and b"beta secret" not in response.data
    assert client.get("/dashboard/export?format=exe&journey=alpha-flow").status_code == 400
    assert client.get("/dashboard/export?format=csv&journey=alpha-flow&device=toaster").status_code == 400
    assert (
        client.get("/dashboard/export?format=csv&journey=alpha-flow&from=2024-02-01&to=2024-01-01").status_code == 400
    )
    assert client.get("/dashboard/export?format=csv").status_code == 404


# --- Changing and deleting journeys, steps and prompts ---------------------


def add_prompt(api, journey: str = "checkout", step: str = "cart", kind: str = "csat") -> int:
    response = api.post(
        f"/v1/journeys/{journey}/steps/{step}/prompts", json={"kind": kind, "text": {"en": "How was it?"}}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def step_keys(api, journey: str = "checkout") -> list[str]:
    return [step["key"] for step in api.get(f"/v1/journeys/{journey}").get_json()["steps"]]


def flashed(response) -> str:
    return " ".join(
        re.findall(r'<p class="flash [a-z]+" role="status">(.*?)</p>', response.get_data(as_text=True), re.S)
    )


def test_rename_journey_and_step(signed_in, api, site):
    make_journey(signed_in, site)
    token = csrf(signed_in)
    response = signed_in.post(
        "/dashboard/journeys/checkout/rename", data={"name": XSS_SCRIPT, "csrf_token": token}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Journey &#39;checkout&#39; renamed to &#39;&lt;script&gt;" in flashed(response)
    assert XSS_SCRIPT not in response.get_data(as_text=True)  # the name and the flash are escaped
    assert api.get("/v1/journeys/checkout").get_json()["name"] == XSS_SCRIPT
    response = signed_in.post(
        "/dashboard/journeys/checkout/steps/shipping/rename",
        data={"name": "Delivery", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Step &#39;shipping&#39; of &#39;checkout&#39; renamed to &#39;Delivery&#39;." in flashed(response)
    steps = {step["key"]: step["name"] for step in api.get("/v1/journeys/checkout").get_json()["steps"]}
    assert steps["shipping"] == "Delivery"
    response = signed_in.post("/dashboard/journeys/checkout/rename", data={"name": " ", "csrf_token": token})
    assert response.status_code == 422 and "name:" in flashed(response)
    assert api.get("/v1/journeys/checkout").get_json()["name"] == XSS_SCRIPT


def test_move_step_up_and_down(signed_in, api, site):
    make_journey(signed_in, site)
    token = csrf(signed_in)
    response = signed_in.post(
        "/dashboard/journeys/checkout/steps/payment/move",
        data={"direction": "up", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Step &#39;payment&#39; of &#39;checkout&#39; moved up." in flashed(response)
    assert step_keys(api) == ["cart", "payment", "shipping"]
    response = signed_in.post(
        "/dashboard/journeys/checkout/steps/cart/move", data={"direction": "down", "csrf_token": token}
    )
    assert response.status_code == 302
    assert step_keys(api) == ["payment", "cart", "shipping"]
    response = signed_in.post(
        "/dashboard/journeys/checkout/steps/payment/move", data={"direction": "up", "csrf_token": token}
    )
    assert response.status_code == 422 and "already the first step" in flashed(response)
    response = signed_in.post(
        "/dashboard/journeys/checkout/steps/shipping/move", data={"direction": "down", "csrf_token": token}
    )
    assert response.status_code == 422 and "already the last step" in flashed(response)
    assert step_keys(api) == ["payment", "cart", "shipping"]
    html = signed_in.get("/dashboard/manage").get_data(as_text=True)
    assert html.count('name="direction" value="up"') == 2 and html.count('name="direction" value="down"') == 2


def test_delete_step_needs_the_confirm_box(signed_in, api, site):
    make_journey(signed_in, site)
    token = csrf(signed_in)
    response = signed_in.post("/dashboard/journeys/checkout/steps/shipping/delete", data={"csrf_token": token})
    assert response.status_code == 422 and "Tick the box" in flashed(response)
    assert step_keys(api) == ["cart", "shipping", "payment"]
    response = signed_in.post(
        "/dashboard/journeys/checkout/steps/shipping/delete",
        data={"confirm": "yes", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Step &#39;shipping&#39; deleted from &#39;checkout&#39;" in flashed(response)
    assert step_keys(api) == ["cart", "payment"]
    assert [s["position"] for s in api.get("/v1/journeys/checkout").get_json()["steps"]] == [0, 1]


def test_delete_journey_needs_its_key_typed(signed_in, api, site):
    make_journey(signed_in, site)
    token = csrf(signed_in)
    for typed in ("", "Checkout", "other"):
        response = signed_in.post(
            "/dashboard/journeys/checkout/delete", data={"confirm_key": typed, "csrf_token": token}
        )
        assert response.status_code == 422 and "Type the journey key" in flashed(response)
        assert api.get("/v1/journeys/checkout").status_code == 200
    response = signed_in.post(
        "/dashboard/journeys/checkout/delete",
        data={"confirm_key": "checkout", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Journey &#39;checkout&#39; deleted" in flashed(response)
    assert api.get("/v1/journeys/checkout").status_code == 404
    assert api.get("/v1/journeys").get_json()["items"] == []


def test_activate_deactivate_and_delete_prompt(signed_in, api, site):
    make_journey(signed_in, site)
    prompt_id = add_prompt(api)
    token = csrf(signed_in)
    path = f"/dashboard/journeys/checkout/steps/cart/prompts/{prompt_id}"
    prompts = "/v1/journeys/checkout/steps/cart/prompts"
    html = signed_in.get("/dashboard/manage").get_data(as_text=True)
    assert f'action="{path}/active"' in html and ">Deactivate</button>" in html
    response = signed_in.post(f"{path}/active", data={"active": "0", "csrf_token": token}, follow_redirects=True)
    assert f"Prompt {prompt_id} at &#39;checkout&#39; / &#39;cart&#39; deactivated." in flashed(response)
    assert "(inactive)" in response.get_data(as_text=True) and ">Activate</button>" in response.get_data(as_text=True)
    assert api.get(prompts).get_json()["items"][0]["active"] is False
    response = signed_in.post(f"{path}/active", data={"active": "1", "csrf_token": token}, follow_redirects=True)
    assert "activated." in flashed(response)
    assert api.get(prompts).get_json()["items"][0]["active"] is True
    response = signed_in.post(f"{path}/active", data={"active": "maybe", "csrf_token": token})
    assert response.status_code == 422 and "active:" in flashed(response)
    assert api.get(prompts).get_json()["items"][0]["active"] is True
    response = signed_in.post(f"{path}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert f"Prompt {prompt_id} deleted from &#39;checkout&#39; / &#39;cart&#39;." in flashed(response)
    assert api.get(prompts).get_json()["items"] == []
    assert signed_in.post(f"{path}/delete", data={"csrf_token": token}).status_code == 404


CHANGES = [
    ("/dashboard/journeys/{j}/rename", {"name": "Hijacked"}),
    ("/dashboard/journeys/{j}/delete", {"confirm_key": "{j}"}),
    ("/dashboard/journeys/{j}/steps/cart/rename", {"name": "Hijacked"}),
    ("/dashboard/journeys/{j}/steps/cart/move", {"direction": "down"}),
    ("/dashboard/journeys/{j}/steps/cart/delete", {"confirm": "yes"}),
    ("/dashboard/journeys/{j}/steps/cart/prompts/{p}/active", {"active": "0"}),
    ("/dashboard/journeys/{j}/steps/cart/prompts/{p}/delete", {}),
]


def snapshot(api, journey: str = "checkout", key: str | None = None) -> dict:
    body = api.get(f"/v1/journeys/{journey}", key=key).get_json()
    body["prompts"] = api.get(f"/v1/journeys/{journey}/steps/cart/prompts", key=key).get_json()
    return body


@pytest.mark.parametrize("path, data", CHANGES)
@pytest.mark.parametrize("token", [None, "forged-token"])
def test_changes_without_csrf_token_are_rejected(signed_in, api, site, path, data, token):
    make_journey(signed_in, site)
    prompt_id = add_prompt(api)
    before = snapshot(api)
    data = {name: value.format(j="checkout") for name, value in data.items()}
    if token is not None:
        data["csrf_token"] = token
    response = signed_in.post(path.format(j="checkout", p=prompt_id), data=data)
    assert response.status_code == 400
    assert snapshot(api) == before


@pytest.mark.parametrize("path, data", CHANGES)
def test_changes_to_another_sites_objects_are_404(client, make_site, path, data):
    site_a, site_b = make_site(name="Alpha"), make_site(name="Beta")
    b = ApiClient(client, site_b.secret)
    make_journey(client, site_b, key="beta-flow")
    prompt_id = add_prompt(b, journey="beta-flow")
    before = snapshot(b, "beta-flow")
    sign_in(client, site_a.secret)
    data = {**{name: value.format(j="beta-flow") for name, value in data.items()}, "csrf_token": csrf(client)}
    response = client.post(path.format(j="beta-flow", p=prompt_id), data=data)
    assert response.status_code == 404
    assert "Hijacked" not in response.get_data(as_text=True) and "beta-flow" in flashed(response)
    assert snapshot(b, "beta-flow") == before
    # the same prompt id under one of site A's own journeys is not found either
    make_journey(client, site_a)
    if "{p}" in path:
        response = client.post(path.format(j="checkout", p=prompt_id), data={**data, "confirm_key": "checkout"})
        assert response.status_code == 404
        assert snapshot(b, "beta-flow") == before


@pytest.mark.parametrize("path, data", CHANGES)
def test_changes_need_write_scope(app, client, api, site, path, data):
    make_journey(client, site)
    prompt_id = add_prompt(api)
    before = snapshot(api)
    _, secret = new_key(app, site.id, ["read"])
    sign_in(client, secret)
    html = client.get("/dashboard/manage").get_data(as_text=True)
    assert "Delete journey" not in html and "Deactivate" not in html and "Rename step" not in html
    data = {**{name: value.format(j="checkout") for name, value in data.items()}, "csrf_token": csrf(client)}
    response = client.post(path.format(j="checkout", p=prompt_id), data=data)
    assert response.status_code == 403
    assert "only the read scope" in flashed(response)
    assert snapshot(api) == before


def test_comment_stream_shows_each_comments_language(signed_in, site, send):
    """A CX reader sees which comments are German or French, and the browser gets the right lang."""
    make_journey(signed_in, site)
    send(
        answer(site, kind="comment", score=None, comment="Die Zahlung wurde abgelehnt, sehr ärgerlich.", locale="de"),
        site,
    )
    send(answer(site, kind="comment", score=None, comment="Checkout was quick and easy.", step="cart"), site)
    html = signed_in.get("/dashboard/?journey=checkout").get_data(as_text=True)
    assert '<span class="lang" title="Language of the comment">de</span>' in html
    assert '<p lang="de">Die Zahlung wurde abgelehnt, sehr ärgerlich.</p>' in html
    assert '<p lang="en">Checkout was quick and easy.</p>' in html


def test_dashboard_filters_by_comment_language(signed_in, site, send):
    """The language dropdown lists the journey's comment languages and filters the stream."""
    make_journey(signed_in, site)
    send(
        answer(site, kind="comment", score=None, comment="Livraison rapide et très bon service, merci !", locale="fr"),
        site,
    )
    send(
        answer(site, kind="comment", score=None, comment="Die Zahlung wurde abgelehnt, sehr ärgerlich.", locale="de"),
        site,
    )
    html = signed_in.get("/dashboard/?journey=checkout&language=fr").get_data(as_text=True)
    assert '<option value="fr" selected>fr</option>' in html and '<option value="de">de</option>' in html
    assert "Livraison rapide" in html and "Die Zahlung" not in html
