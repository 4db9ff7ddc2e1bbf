"""Journeys, steps and prompts through the CX API, scoped to the key's site."""

import pytest

from tests.helpers import ApiClient, answer

CHECKOUT = {
    "key": "checkout",
    "name": "Checkout",
    "steps": [
        {"key": "cart", "name": "Cart"},
        {"key": "shipping", "name": "Shipping"},
        {"key": "payment", "name": "Payment"},
        {"key": "confirmation", "name": "Confirmation"},
    ],
}


def step_keys(api, key="checkout") -> list[str]:
    return [step["key"] for step in api.get(f"/v1/journeys/{key}").json["steps"]]


def test_create_journey_with_ordered_steps(api):
    response = api.post("/v1/journeys", json=CHECKOUT)
    assert response.status_code == 201
    assert response.json["key"] == "checkout"
    assert [(s["key"], s["position"]) for s in response.json["steps"]] == [
        ("cart", 0),
        ("shipping", 1),
        ("payment", 2),
        ("confirmation", 3),
    ]
    assert [j["key"] for j in api.get("/v1/journeys").json["items"]] == ["checkout"]


def test_duplicate_journey_is_409(api):
    api.post("/v1/journeys", json=CHECKOUT)
    response = api.post("/v1/journeys", json=CHECKOUT)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "conflict"


def test_duplicate_step_keys_are_422(api):
    response = api.post("/v1/journeys", json={"key": "j", "steps": [{"key": "a"}, {"key": "a"}]})
    assert response.status_code == 422
    assert api.get("/v1/journeys").json["items"] == []


def test_rename_and_reorder_steps(api):
    api.post("/v1/journeys", json=CHECKOUT)
    response = api.patch(
        "/v1/journeys/checkout", json={"name": "Kasse", "step_order": ["cart", "payment", "shipping", "confirmation"]}
    )
    assert response.status_code == 200
    assert response.json["name"] == "Kasse"
    assert step_keys(api) == ["cart", "payment", "shipping", "confirmation"]


def test_reorder_must_name_every_step_once(api):
    api.post("/v1/journeys", json=CHECKOUT)
    response = api.patch("/v1/journeys/checkout", json={"step_order": ["cart", "payment"]})
    assert response.status_code == 422
    assert step_keys(api) == ["cart", "shipping", "payment", "confirmation"]


def test_add_move_and_delete_steps(api):
    api.post("/v1/journeys", json=CHECKOUT)
    assert (
        api.post("/v1/journeys/checkout/steps", json={"key": "login", "name": "Log in", "position": 1}).status_code
        == 201
    )
    assert step_keys(api) == ["cart", "login", "shipping", "payment", "confirmation"]
    assert api.post("/v1/journeys/checkout/steps", json={"key": "login"}).status_code == 409
    assert api.patch("/v1/journeys/checkout/steps/login", json={"position": 4}).json["position"] == 4
    assert step_keys(api) == ["cart", "shipping", "payment", "confirmation", "login"]
    assert api.delete("/v1/journeys/checkout/steps/shipping").status_code == 204
    journey = api.get("/v1/journeys/checkout").json
    assert [(s["key"], s["position"]) for s in journey["steps"]] == [
        ("cart", 0),
        ("payment", 1),
        ("confirmation", 2),
        ("login", 3),
    ]


def test_prompts_crud_and_widget_config(api, client, site):
    api.post("/v1/journeys", json=CHECKOUT)
    prompt = {
        "kind": "ces",
        "trigger": "inline",
        "text": {"en": "How easy was paying?", "de": "Wie einfach?"},
        "follow_up": {"max_score": 3, "text": {"en": "What made it hard?"}},
    }
    created = api.post("/v1/journeys/checkout/steps/payment/prompts", json=prompt)
    assert created.status_code == 201
    prompt_id = created.json["id"]
    exit_prompt = api.post(
        "/v1/journeys/checkout/steps/payment/prompts",
        json={"kind": "comment", "trigger": "exit_intent", "text": {"en": "Why leave?"}},
    )
    assert exit_prompt.status_code == 201
    config = client.get(f"/v1/sites/{site.public_key}/config").json
    payment = config["journeys"]["checkout"]["steps"]["payment"]
    assert [p["kind"] for p in payment["prompts"]] == ["ces", "comment"]
    assert payment["prompts"][0]["follow_up"]["max_score"] == 3
    assert config["journeys"]["checkout"]["steps"]["confirmation"]["last"] is True
    assert config["journeys"]["checkout"]["steps"]["cart"]["prompts"] == []

    assert (
        api.patch(f"/v1/journeys/checkout/steps/payment/prompts/{prompt_id}", json={"active": False}).json["active"]
        is False
    )
    config = client.get(f"/v1/sites/{site.public_key}/config").json
    assert [p["kind"] for p in config["journeys"]["checkout"]["steps"]["payment"]["prompts"]] == ["comment"]
    assert api.delete(f"/v1/journeys/checkout/steps/payment/prompts/{prompt_id}").status_code == 204
    assert len(api.get("/v1/journeys/checkout/steps/payment/prompts").json["items"]) == 1


@pytest.mark.parametrize(
    "prompt, field",
    [
        ({"kind": "ces", "trigger": "after_ms"}, "delay_ms"),
        ({"kind": "ces", "trigger": "scroll", "scroll_percent": 120}, "scroll_percent"),
        ({"kind": "csat", "follow_up": {"max_score": 7, "text": {"en": "?"}}}, "follow_up"),
        ({"kind": "stars"}, "kind"),
        ({"kind": "csat", "text": {"not a locale": "x"}}, "text"),
    ],
)
def test_invalid_prompts_are_422(api, prompt, field):
    api.post("/v1/journeys", json=CHECKOUT)
    response = api.post("/v1/journeys/checkout/steps/payment/prompts", json=prompt)
    assert response.status_code == 422
    assert field in response.json["error"]["details"]


def test_delete_journey_removes_its_answers(api, send, site):
    api.post("/v1/journeys", json=CHECKOUT)
    send(answer(site), site)
    assert api.delete("/v1/journeys/checkout").status_code == 204
    assert api.get("/v1/journeys/checkout").status_code == 404
    assert api.get("/v1/responses").json["items"] == []


def test_other_sites_journeys_are_404(api, make_site, client):
    api.post("/v1/journeys", json=CHECKOUT)
    api.post("/v1/journeys/checkout/steps/payment/prompts", json={"kind": "csat"})
    prompt_id = api.get("/v1/journeys/checkout/steps/payment/prompts").json["items"][0]["id"]
    other = ApiClient(client, make_site("Other").secret)
    assert other.get("/v1/journeys").json["items"] == []
    for method, path, body in [
        ("get", "/v1/journeys/checkout", None),
        ("patch", "/v1/journeys/checkout", {"name": "mine"}),
        ("delete", "/v1/journeys/checkout", None),
        ("post", "/v1/journeys/checkout/steps", {"key": "x"}),
        ("patch", "/v1/journeys/checkout/steps/payment", {"name": "x"}),
        ("delete", "/v1/journeys/checkout/steps/payment", None),
        ("get", "/v1/journeys/checkout/steps/payment/prompts", None),
        ("post", "/v1/journeys/checkout/steps/payment/prompts", {"kind": "csat"}),
        ("patch", f"/v1/journeys/checkout/steps/payment/prompts/{prompt_id}", {"active": False}),
        ("delete", f"/v1/journeys/checkout/steps/payment/prompts/{prompt_id}", None),
        ("get", "/v1/journeys/checkout/curve", None),
    ]:
        response = getattr(other, method)(path, **({"json": body} if body is not None else {}))
        assert response.status_code == 404, (method, path)
    assert step_keys(api) == ["cart", "shipping", "payment", "confirmation"]
    assert len(api.get("/v1/journeys/checkout/steps/payment/prompts").json["items"]) == 1


def test_non_json_body_is_415(api):
    response = api.client.post(
        "/v1/journeys",
        data="key=checkout",
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": f"Bearer {api.key}"},
    )
    assert response.status_code == 415
    assert api.get("/v1/journeys").json["items"] == []


def test_malformed_json_is_400(api):
    response = api.client.post(
        "/v1/journeys", data="{oops", content_type="application/json", headers={"Authorization": f"Bearer {api.key}"}
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


def test_a_step_the_widget_made_up_becomes_the_cx_teams_once_renamed_or_moved(api, client, site, send):
    """Auto-registered steps say so, stay out of the widget config while they ask nothing,
    and join it (for the funnel's step views) once the CX team renames or moves them."""
    api.post("/v1/journeys", json={"key": "checkout", "steps": [{"key": "cart"}]})
    assert send(answer(site, journey="checkout", step="gift"), site).status_code == 201
    assert send(answer(site, journey="quiz", step="q1"), site).status_code == 201
    steps = {s["key"]: s["auto_registered"] for s in api.get("/v1/journeys/checkout").json["steps"]}
    assert steps == {"cart": False, "gift": True}
    assert api.get("/v1/journeys/quiz").json["auto_registered"] is True
    assert "gift" not in client.get(f"/v1/sites/{site.public_key}/config").json["journeys"]["checkout"]["steps"]

    assert api.patch("/v1/journeys/checkout/steps/gift", json={"name": "Gift wrap"}).json["auto_registered"] is False
    assert api.patch("/v1/journeys/quiz", json={"name": "Quiz"}).json["auto_registered"] is False
    config = client.get(f"/v1/sites/{site.public_key}/config").json["journeys"]
    assert list(config["checkout"]["steps"]) == ["cart", "gift"] and config["checkout"]["steps"]["gift"]["last"]
    assert "quiz" not in config  # its step q1 is still made up and asks nothing
