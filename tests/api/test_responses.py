"""Reading answers back: filters, cursor pages, curve summary and visitor erasure."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from collector.models import Event, Response
from tests.helpers import ApiClient, answer


@pytest.fixture
def answers(send, site):
    """A small mixed set of answers on the checkout journey."""
    items = [
        answer(site, step="cart", kind="csat", score=5, device="desktop", variant="A", visitor_id="alice"),
        answer(
            site,
            step="payment",
            kind="ces",
            score=2,
            comment="My card was declined, total hassle",
            device="mobile",
            variant="B",
            visitor_id="bob",
        ),
        answer(
            site,
            step="payment",
            kind="comment",
            score=None,
            comment="Leaving, no PayPal?!",
            trigger="exit_intent",
            variant="B",
            visitor_id="bob",
        ),
        answer(
            site,
            step="confirmation",
            kind="nps",
            score=10,
            comment="Great and quick!",
            device="desktop",
            variant="A",
            visitor_id="carol",
        ),
    ]
    assert send({"responses": items}, site).status_code == 201
    return items


def test_items_carry_the_documented_fields(api, answers):
    items = api.get("/v1/responses").json["items"]
    assert len(items) == 4
    item = next(i for i in items if i["kind"] == "ces")
    for field in (
        "id",
        "client_id",
        "journey",
        "step",
        "kind",
        "score",
        "comment",
        "sentiment",
        "emotion",
        "trigger",
        "visitor_id",
        "session_id",
        "variant",
        "device",
        "locale",
        "created_at",
    ):
        assert field in item
    assert (item["journey"], item["step"], item["score"]) == ("checkout", "payment", 2)
    assert item["sentiment"]["label"] == "negative"
    assert item["created_at"].endswith("+00:00")


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"step": "payment"}, 2),
        ({"kind": "nps"}, 1),
        ({"variant": "B"}, 2),
        ({"device": "desktop"}, 2),
        ({"has_comment": "true"}, 3),
        ({"has_comment": "false"}, 1),
        ({"sentiment": "negative"}, 2),
        ({"trigger": "exit_intent"}, 1),
        ({"journey": "other"}, 0),
        ({"visitor_id": "bob"}, 2),
    ],
)
def test_filters(api, answers, params, expected):
    response = api.get("/v1/responses", **params)
    assert response.status_code == 200
    assert len(response.json["items"]) == expected


def test_time_window(api, answers):
    now = datetime.now(UTC)
    assert len(api.get("/v1/responses", **{"from": (now - timedelta(hours=1)).isoformat()}).json["items"]) == 4
    assert api.get("/v1/responses", **{"from": (now + timedelta(hours=1)).isoformat()}).json["items"] == []
    assert api.get("/v1/responses", to=(now - timedelta(hours=1)).isoformat()).json["items"] == []
    assert (
        api.get("/v1/responses", **{"from": now.isoformat(), "to": (now - timedelta(days=1)).isoformat()}).status_code
        == 422
    )


def test_cursor_pages_walk_every_answer_once(api, send, site):
    send({"responses": [answer(site, score=1 + i % 5) for i in range(23)]}, site)
    seen, cursor, pages = [], None, 0
    while True:
        page = api.get("/v1/responses", limit=10, **({"cursor": cursor} if cursor else {})).json
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 23
    assert seen == sorted(seen, reverse=True)


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "%%%"},
        {"cursor": "eDE"},
        {"limit": 0},
        {"limit": 501},
        {"kind": "x"},
        {"from": "yesterday"},
        {"has_comment": "maybe"},
        {"journey": "' OR 1=1 --"},
    ],
)
def test_bad_filters_are_422(api, answers, params):
    response = api.get("/v1/responses", **params)
    assert response.status_code == 422
    assert response.json["error"]["details"]


def test_answers_of_other_sites_are_invisible(api, answers, make_site, client):
    other = ApiClient(client, make_site("Other").secret)
    assert other.get("/v1/responses").json["items"] == []
    assert other.get("/v1/journeys/checkout/curve").status_code == 404


def test_curve_summarises_steps_in_order(api, answers, send, site):
    send(
        {
            "events": [
                {
                    "site_key": site.public_key,
                    "journey": "checkout",
                    "step": "payment",
                    "type": "impression",
                    "client_id": c,
                }
                for c in (
                    "8b6f7e2c-1d1e-4a57-9a53-000000000001",
                    "8b6f7e2c-1d1e-4a57-9a53-000000000002",
                    "8b6f7e2c-1d1e-4a57-9a53-000000000003",
                    "8b6f7e2c-1d1e-4a57-9a53-000000000004",
                )
            ]
        },
        site,
        path="/v1/events",
    )
    api.patch("/v1/journeys/checkout", json={"step_order": ["cart", "payment", "confirmation"]})
    curve = api.get("/v1/journeys/checkout/curve").json
    assert [s["step"] for s in curve["steps"]] == ["cart", "payment", "confirmation"]
    cart, payment, confirmation = curve["steps"]
    assert cart["responses"] == 1 and cart["csat"]["score"] == 1.0 and cart["emotion"]["mean"] == 1.0
    assert payment["responses"] == 2 and payment["ces"]["n"] == 1 and payment["ces"]["mean"] == 2
    assert payment["exit_intent"]["count"] == 1
    assert payment["impressions"] == 4 and payment["response_rate"] == 0.5
    assert payment["emotion"]["mean"] < 0 < confirmation["emotion"]["mean"]
    assert confirmation["nps"] == {"n": 1, "score": 100.0, "promoters": 1, "detractors": 0}


def test_erasing_a_visitor_removes_answers_and_events(api, answers, send, site, rows):
    send(
        {
            "site_key": site.public_key,
            "journey": "checkout",
            "step": "payment",
            "type": "dismiss",
            "client_id": "1b6f7e2c-1d1e-4a57-9a53-000000000001",
            "visitor_id": "bob",
        },
        site,
        path="/v1/events",
    )
    response = api.delete("/v1/visitors/bob")
    assert response.status_code == 200
    assert response.json == {"visitor_id": "bob", "responses": 2, "events": 1}
    assert api.get("/v1/responses", visitor_id="bob").json["items"] == []
    assert len(api.get("/v1/responses").json["items"]) == 2
    assert rows(sa.select(Event).where(Event.visitor_id == "bob")) == []
    assert api.delete("/v1/visitors/bob").json == {"visitor_id": "bob", "responses": 0, "events": 0}


def test_erasure_is_scoped_to_the_keys_site(api, answers, make_site, client, rows):
    other = ApiClient(client, make_site("Other").secret)
    assert other.delete("/v1/visitors/bob").json["responses"] == 0
    assert len(rows(sa.select(Response).where(Response.visitor_id == "bob"))) == 2


def test_bad_visitor_id_is_422(api):
    assert api.delete("/v1/visitors/" + "x" * 65).status_code == 422
