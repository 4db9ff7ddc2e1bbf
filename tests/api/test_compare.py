"""GET /v1/journeys/{key}/curve?compare=…: personas over HTTP, their validation and
OpenAPI, and visitor_type accepted, stored and listed by the ingest and answers APIs."""

import json

import pytest
import sqlalchemy as sa

from collector.extensions import db
from collector.models import Event, Response
from tests.helpers import answer, sign_in


def make_journey(api):
    response = api.post("/v1/journeys", json={"key": "checkout", "steps": [{"key": "cart"}, {"key": "payment"}]})
    assert response.status_code == 201, response.get_json()


def send_all(send, site, items, path="/v1/responses", field="responses"):
    for start in range(0, len(items), 50):
        response = send({field: items[start : start + 50]}, site, path=path)
        assert response.status_code in (200, 201), response.get_json()


def curve(api, status=200, **params):
    response = api.get("/v1/journeys/checkout/curve", **params)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def payment(body):
    return next(item for item in body["steps"] if item["step"] == "payment")


def variants_seed(site):
    scores = {"A": [5, 4, 4, 3, 5] * 6, "B": [2, 3, 1, 2, 4] * 6, "C": [4, 4, 3, 5, 4] * 6}
    return [answer(site, step="payment", score=s, variant=v) for v, group in scores.items() for s in group]


def test_compare_by_device_over_http(api, send, site):
    make_journey(api)
    send_all(
        send,
        site,
        [answer(site, step="payment", score=5, device="desktop") for _ in range(30)]
        + [answer(site, step="payment", score=s, device="mobile") for s in [1, 2] * 15],
    )
    body = curve(api, compare="device")
    assert body["compare"]["by"] == "device" and body["compare"]["groups"] == ["desktop", "mobile"]
    assert body["compare"]["correction"] == "holm"
    block = payment(body)["compare"]
    assert set(block) == {"by", "groups", "tests"}  # no A/B keys outside compare=variant
    assert block["groups"]["mobile"]["emotion"]["mean"] == -0.75
    [test] = block["tests"]
    assert (test["group"], test["against"], test["diff"], test["significant"]) == ("mobile", "desktop", -1.75, True)


def test_compare_variant_keeps_its_keys_and_adds_the_general_ones(api, send, site):
    make_journey(api)
    send_all(send, site, variants_seed(site))
    body = curve(api, compare="variant", variants="A,B")
    assert body["compare"]["variants"] == ["A", "B"] and body["compare"]["difference"] == "B - A"
    block = payment(body)["compare"]
    assert {"variants", "emotion", "csat", "funnel", "by", "groups", "tests"} <= set(block)
    assert block["variants"] == block["groups"]
    assert block["emotion"]["diff"] == block["tests"][0]["diff"] == pytest.approx(-0.9)
    assert curve(api, compare="variant", groups="A,B") == body  # groups generalises variants


def strict_json(response) -> dict:
    """The body as a browser's JSON.parse reads it: Infinity and NaN (which Python's
    json module accepts) are not JSON."""

    def refuse(constant: str):
        raise AssertionError(f"{constant} in the body is not JSON")

    return json.loads(response.get_data(as_text=True), parse_constant=refuse)


def test_groups_without_spread_differ_significantly_in_valid_json(api, client, send, site):
    """Every answer is a 5 in variant A and a 1 in variant B: nothing varies within a
    group, so Welch's t is infinite. The curve, compared or filtered to B (whose
    cart is all 5s and payment all 1s), must still be valid JSON and say the
    difference is certain: p 0, significant, an interval of the difference itself,
    and no t (null), on the API and the dashboard."""
    make_journey(api)
    send_all(
        send,
        site,
        [answer(site, step="cart", score=5, variant="B") for _ in range(30)]
        + [answer(site, step="payment", score=5, variant="A") for _ in range(30)]
        + [answer(site, step="payment", score=1, variant="B") for _ in range(30)],
    )
    compared = api.get("/v1/journeys/checkout/curve", compare="variant")
    assert compared.status_code == 200
    block = payment(strict_json(compared))["compare"]
    [test] = block["tests"]
    assert (test["group"], test["diff"], test["t"], test["p_value"], test["p_adjusted"]) == ("B", -2.0, None, 0.0, 0.0)
    assert test["significant"] is True and test["ci_low"] == test["ci_high"] == -2.0
    assert (block["emotion"]["t"], block["emotion"]["p_value"], block["emotion"]["significant"]) == (None, 0.0, True)

    only_b = api.get("/v1/journeys/checkout/curve", variant="B")
    assert only_b.status_code == 200
    step = payment(strict_json(only_b))
    assert step["flags"] == ["pain_point", "drop"]
    assert {name: (t["diff"], t["t"], t["p_adjusted"]) for name, t in step["tests"].items()} == {
        "pain_point": (-2.0, None, 0.0),
        "drop": (-2.0, None, 0.0),
    }

    sign_in(client, site.secret)
    page = client.get("/dashboard/?journey=checkout&compare=variant")
    assert page.status_code == 200 and "▼ significant" in page.get_data(as_text=True)


def test_three_variants_each_against_the_rest(api, send, site):
    make_journey(api)
    send_all(send, site, variants_seed(site))
    body = curve(api, compare="variant", groups="A,B,C")
    assert body["compare"]["groups"] == ["A", "B", "C"] and body["compare"]["against"] == "rest"
    block = payment(body)["compare"]
    assert block["emotion"] is None and block["funnel"] is None  # B − A needs exactly two
    tests = {test["group"]: test for test in block["tests"]}
    assert {name: test["against"] for name, test in tests.items()} == {"A": "rest", "B": "rest", "C": "rest"}
    assert tests["B"]["diff"] < 0 and tests["B"]["significant"] is True
    assert tests["B"]["n"] == 30 and tests["B"]["n_against"] == 60


@pytest.mark.parametrize(
    "params",
    [
        {"compare": "browser"},
        {"compare": "attr:"},
        {"compare": "attr:bad name"},
        {"compare": "device\n"},
        {"groups": "a,b"},
        {"compare": "device", "groups": "mobile"},
        {"compare": "device", "groups": "mobile,mobile"},
        {"compare": "device", "groups": ",".join(f"g{i}" for i in range(9))},
        {"compare": "device", "device": "mobile"},
        {"compare": "attr:plan", "attr": "plan:pro"},
        {"compare": "variant", "variants": "A,B", "groups": "A,B"},
        {"compare": "device", "variants": "A,B"},
    ],
)
def test_bad_comparisons_are_422(api, params):
    make_journey(api)
    assert curve(api, status=422, **params)["error"]["code"] == "validation_error"


def test_openapi_documents_compare_and_groups(client):
    spec = client.get("/openapi.json").json
    parameters = {p["name"]: p for p in spec["paths"]["/v1/journeys/{key}/curve"]["get"]["parameters"]}
    assert (
        parameters["compare"]["schema"]["pattern"]
        == r"^(variant|device|locale|visitor_type|attr:[A-Za-z0-9_.-]{1,40})$"
    )
    for word in ("variant", "device", "locale", "visitor_type", "attr:NAME", "Holm"):
        assert word in parameters["compare"]["description"]
    assert "groups" in parameters and "variants" in parameters
    visitor_type = spec["components"]["schemas"]["ResponseIn"]["properties"]["visitor_type"]
    assert visitor_type["enum"] == ["new", "returning", None] and visitor_type["nullable"] is True


def test_visitor_type_is_stored_on_answers_and_events_and_listed(app, api, send, site):
    make_journey(api)
    send_all(send, site, [answer(site, visitor_type="returning"), answer(site, visitor_type="new"), answer(site)])
    event = answer(site, type="impression", visitor_type="new")
    event.pop("score")
    send_all(send, site, [event], path="/v1/events", field="events")
    with app.app_context():
        assert sorted(db.session.scalars(sa.select(Response.visitor_type)), key=str) == [None, "new", "returning"]
        assert db.session.scalars(sa.select(Event.visitor_type)).all() == ["new"]
    listed = api.get("/v1/responses").get_json()["items"]
    assert sorted((item["visitor_type"] for item in listed), key=str) == [None, "new", "returning"]


@pytest.mark.parametrize("value", ["old", "", 1])
def test_an_unknown_visitor_type_is_422(send, site, value):
    response = send({"responses": [answer(site, visitor_type=value)]}, site)
    assert response.status_code == 422
    assert "visitor_type" in str(response.get_json()["error"]["details"])
