"""Public ingest: what the widget sends lands once, scored, and bad input changes nothing."""

import json
import os
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from collector.common.time import utcnow
from collector.extensions import db
from collector.models import Event, Journey, Response, Step
from tests.helpers import ApiClient, answer


@pytest.fixture
def stored(rows):
    """The answers in the database, oldest first."""
    return lambda: rows(sa.select(Response).order_by(Response.id))


def test_single_answer_is_stored_with_sentiment_and_emotion(send, site, stored):
    body = answer(
        site,
        kind="ces",
        score=2,
        comment="The card was declined twice, such a hassle",
        trigger="inline",
        url_path="/checkout/pay?email=a@b.com#x",
        device="mobile",
        locale="de-CH",
        variant="B",
        attributes={"plan": "pro", "items": 3},
    )
    response = send(body, site)
    assert response.status_code == 201
    assert response.json == {"received": 1, "stored": 1, "duplicates": 0}
    (row,) = stored()
    assert (row.kind, row.score, row.trigger, row.device, row.locale, row.variant) == (
        "ces",
        2,
        "inline",
        "mobile",
        "de-CH",
        "B",
    )
    assert row.url_path == "/checkout/pay"  # query and fragment may hold personal data
    assert row.attributes == {"plan": "pro", "items": 3}
    assert row.sentiment_label == "negative" and row.polarity < 0
    assert -1 <= row.emotion < 0
    assert row.scorer_version


def test_batch_of_answers_is_stored_in_one_request(send, site, rows):
    items = [answer(site, step=step, score=score) for step, score in [("cart", 5), ("shipping", 4), ("payment", 1)]]
    response = send({"responses": items}, site)
    assert response.status_code == 201
    assert response.json["stored"] == 3
    steps = rows(sa.select(Step.key).join(Journey).order_by(Step.position))
    assert steps == ["cart", "shipping", "payment"]  # auto-registered in order of first sight


def test_resending_the_same_client_id_stores_nothing_new(send, site, stored):
    body = answer(site)
    assert send(body, site).status_code == 201
    again = send(body, site)
    assert again.status_code == 200
    assert again.json == {"received": 1, "stored": 0, "duplicates": 1}
    batch = send({"responses": [body, answer(site), answer(site, client_id=body["client_id"])]}, site)
    assert batch.json == {"received": 3, "stored": 1, "duplicates": 2}
    assert len(stored()) == 2


def test_same_client_id_on_two_sites_are_two_answers(send, make_site, stored):
    a, b = make_site("A"), make_site("B")
    client_id = str(uuid.uuid4())
    assert send(answer(a, client_id=client_id), a).status_code == 201
    assert send(answer(b, client_id=client_id), b).status_code == 201
    assert len(stored()) == 2


def test_comment_is_redacted_before_storage(send, site, stored):
    send(
        answer(
            site,
            kind="comment",
            score=None,
            comment="Mail me at jo@example.com or call +49 30 1234567, card 4111 1111 1111 1111",
        ),
        site,
    )
    (row,) = stored()
    assert row.comment == "Mail me at [email] or call [phone], card [card]"


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"kind": "csat", "score": 6}, "score"),
        ({"kind": "csat", "score": 0}, "score"),
        ({"kind": "ces", "score": 8}, "score"),
        ({"kind": "nps", "score": 11}, "score"),
        ({"kind": "nps", "score": -1}, "score"),
        ({"kind": "thumbs", "score": 2}, "score"),
        ({"kind": "csat", "score": None}, "score"),
        ({"kind": "csat", "score": "4"}, "score"),
        ({"kind": "csat", "score": 4.5}, "score"),
        ({"kind": "comment", "score": 3, "comment": "hi"}, "score"),
        ({"kind": "comment", "score": None, "comment": "   "}, "comment"),
        ({"kind": "stars"}, "kind"),
        ({"comment": "x" * 2001}, "comment"),
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"journey": "has space"}, "journey"),
        ({"step": ""}, "step"),
        ({"trigger": "telepathy"}, "trigger"),
        ({"device": "fridge"}, "device"),
        ({"locale": "english please"}, "locale"),
        ({"visitor_id": "a" * 65}, "visitor_id"),
        ({"attributes": {"nested": {"no": 1}}}, "attributes"),
        ({"attributes": {f"k{i}": i for i in range(21)}}, "attributes"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_invalid_answer_is_rejected_with_field_message(send, site, fields, field, stored):
    response = send(answer(site, **fields), site)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert field in response.json["error"]["details"]
    assert stored() == []


def test_one_bad_item_rejects_the_whole_batch(send, site, stored):
    response = send({"responses": [answer(site), answer(site, score=9)]}, site)
    assert response.status_code == 422
    assert "1" in json.dumps(response.json["error"]["details"])
    assert stored() == []


def test_batches_are_capped_at_fifty(send, site):
    assert send({"responses": [answer(site) for _ in range(51)]}, site).status_code == 422
    assert send({"responses": [answer(site) for _ in range(50)]}, site).json["stored"] == 50


def test_batch_must_name_one_site(send, make_site, stored):
    a, b = make_site("A"), make_site("B")
    response = send({"responses": [answer(a), answer(b)]}, a)
    assert response.status_code == 422
    assert stored() == []


@pytest.mark.parametrize(
    "raw, status", [("{not json", 400), ("", 400), ("[1, 2]", 422), ('"text"', 422), ("\xff", 400)]
)
def test_malformed_bodies_get_clear_errors(client, site, raw, status):
    response = client.post("/v1/responses", data=raw.encode("latin-1"), headers={"Content-Type": "text/plain"})
    assert response.status_code == status
    assert set(response.json["error"]) == {"code", "message", "details"}


def test_wrong_content_type_is_415(client, site):
    response = client.post("/v1/responses", data="site_key=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"


def test_application_json_is_accepted_too(client, site):
    assert client.post("/v1/responses", json=answer(site)).status_code == 201


def test_oversized_body_is_413_and_stores_nothing(client, site, stored):
    body = json.dumps({"responses": [answer(site, comment="x" * 1900) for _ in range(40)]})
    response = client.post("/v1/responses", data=body, headers={"Content-Type": "text/plain"})
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"
    assert stored() == []


def test_unknown_site_key_is_404(send, site, stored):
    response = send(answer(site, site_key="pk_nope"))
    assert response.status_code == 404
    assert stored() == []


def test_unknown_steps_are_rejected_when_site_does_not_auto_register(send, make_site, rows):
    strict = make_site("Strict", auto_register=False)
    response = send(answer(strict, journey="checkout", step="payment"), strict)
    assert response.status_code == 422
    assert response.json["error"]["details"] == {"step": ["checkout/payment"]}
    assert rows(sa.select(Journey)) == []


def test_known_steps_are_accepted_when_site_does_not_auto_register(send, make_site, client):
    strict = make_site("Strict", auto_register=False)
    ApiClient(client, strict.secret).post("/v1/journeys", json={"key": "checkout", "steps": [{"key": "payment"}]})
    assert send(answer(strict), strict).status_code == 201


def test_events_are_recorded_idempotently(send, site, rows):
    event = {
        "site_key": site.public_key,
        "journey": "checkout",
        "step": "payment",
        "type": "impression",
        "kind": "ces",
        "client_id": str(uuid.uuid4()),
        "visitor_id": "v1",
        "session_id": "s1",
    }
    assert send(event, site, path="/v1/events").status_code == 201
    assert send(
        {"events": [event, {**event, "client_id": str(uuid.uuid4()), "type": "exit_intent_shown"}]},
        site,
        path="/v1/events",
    ).json == {"received": 2, "stored": 1, "duplicates": 1}
    types = rows(sa.select(Event.type).order_by(Event.id))
    assert types == ["impression", "exit_intent_shown"]


def test_invalid_event_is_rejected(send, site):
    event = {
        "site_key": site.public_key,
        "journey": "checkout",
        "step": "payment",
        "type": "hover",
        "client_id": str(uuid.uuid4()),
    }
    response = send(event, site, path="/v1/events")
    assert response.status_code == 422
    assert "type" in response.json["error"]["details"]


def _event(site, **fields):
    return {
        "site_key": site.public_key,
        "journey": "checkout",
        "step": "payment",
        "type": "impression",
        "client_id": str(uuid.uuid4()),
        "visitor_id": "v1",
        "session_id": "s1",
        **fields,
    }


def test_auto_registration_stops_at_the_journey_and_step_caps(app, send, site, rows):
    """A bot making up journeys and steps gets a 422 naming them once the site's caps
    are reached; nothing of that request is stored, and known steps still work."""
    app.config.update(AUTO_REGISTER_MAX_JOURNEYS=2, AUTO_REGISTER_MAX_STEPS=2)
    for journey in ("a", "b"):
        assert send(answer(site, journey=journey, step="s1"), site).status_code == 201
    assert send(answer(site, journey="a", step="s2"), site).status_code == 201

    new_journey = send(answer(site, journey="c", step="s1"), site)
    assert new_journey.status_code == 422
    assert new_journey.json["error"]["details"] == {"step": ["c/s1"]}
    assert "2 journeys" in new_journey.json["error"]["message"]
    new_step = send(answer(site, journey="a", step="s3"), site)
    assert new_step.status_code == 422
    assert new_step.json["error"]["details"] == {"step": ["a/s3"]}
    assert "2 steps" in new_step.json["error"]["message"]
    # One refused pair refuses the whole batch, and registers none of its pairs.
    batch = send({"responses": [answer(site, journey="b", step="s2"), answer(site, journey="d", step="x")]}, site)
    assert batch.status_code == 422
    assert batch.json["error"]["details"] == {"step": ["d/x"]}
    events = send({"events": [_event(site, journey="e", step="x")]}, site, path="/v1/events")
    assert events.status_code == 422
    assert events.json["error"]["details"] == {"step": ["e/x"]}

    assert send(answer(site, journey="a", step="s1"), site).status_code == 201
    assert send(_event(site, journey="b", step="s1"), site, path="/v1/events").status_code == 201
    assert rows(sa.select(Journey.key).order_by(Journey.key)) == ["a", "b"]
    assert rows(sa.select(Journey.key, Step.key).join(Step).order_by(Journey.key, Step.key)) == [
        ("a", "s1"),
        ("a", "s2"),
        ("b", "s1"),
    ]
    assert len(rows(sa.select(Response.id))) == 4
    assert len(rows(sa.select(Event.id))) == 1


def test_auto_registration_is_capped_per_hour(app, send, site, rows):
    """New journeys per site per hour are capped too; an hour later there is room again."""
    app.config.update(AUTO_REGISTER_JOURNEYS_PER_HOUR=2)
    for journey in ("a", "b"):
        assert send(answer(site, journey=journey), site).status_code == 201
    refused = send(answer(site, journey="c"), site)
    assert refused.status_code == 422
    assert refused.json["error"]["details"] == {"step": ["c/payment"]}
    assert "2 new journeys an hour" in refused.json["error"]["message"]
    with app.app_context():
        db.session.execute(sa.update(Journey).values(created_at=utcnow() - timedelta(minutes=61)))
        db.session.commit()
    assert send(answer(site, journey="c"), site).status_code == 201


def test_journeys_made_by_the_cx_team_do_not_count_against_the_caps(app, send, site, api):
    app.config.update(AUTO_REGISTER_MAX_JOURNEYS=1, AUTO_REGISTER_MAX_STEPS=1, AUTO_REGISTER_JOURNEYS_PER_HOUR=1)
    for key in ("one", "two"):
        assert api.post("/v1/journeys", json={"key": key, "steps": [{"key": "x"}, {"key": "y"}]}).status_code == 201
    assert send(answer(site, journey="one", step="z"), site).status_code == 201
    assert send(answer(site, journey="bot", step="z"), site).status_code == 201
    assert send(answer(site, journey="one", step="w"), site).status_code == 422
    assert send(answer(site, journey="bot2", step="z"), site).status_code == 422


def test_config_leaves_out_steps_the_widget_made_up_that_ask_nothing(send, site, api, client):
    """Auto-registered journeys and steps without prompts are not in the config every page
    view downloads; journeys and steps the CX team defined are, prompts or not (the funnel
    counts their step views)."""
    api.post("/v1/journeys", json={"key": "checkout", "steps": [{"key": "cart"}, {"key": "payment"}, {"key": "done"}]})
    api.post("/v1/journeys", json={"key": "signup", "steps": [{"key": "form"}]})
    api.post("/v1/journeys/checkout/steps/payment/prompts", json={"kind": "csat", "text": {"en": "How was it?"}})
    for journey, step in [("bot1", "x"), ("bot2", "y"), ("checkout", "made-up")]:
        assert send(answer(site, journey=journey, step=step), site).status_code == 201
    config = client.get(f"/v1/sites/{site.public_key}/config").json
    assert set(config["journeys"]) == {"checkout", "signup"}
    checkout = config["journeys"]["checkout"]["steps"]
    assert list(checkout) == ["cart", "payment", "done"]
    assert [name for name, step in checkout.items() if step["last"]] == ["done"]
    assert config["journeys"]["signup"]["steps"]["form"] == {"position": 0, "last": True, "prompts": []}

    assert (
        api.post("/v1/journeys/bot1/steps/x/prompts", json={"kind": "thumbs", "text": {"en": "OK?"}}).status_code == 201
    )
    config = client.get(f"/v1/sites/{site.public_key}/config").json
    assert list(config["journeys"]["bot1"]["steps"]) == ["x"]


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL: SQLite has one writer anyway")
def test_concurrent_registrations_of_a_site_cannot_pass_a_limit_together(app, site, rows):
    """Two transactions registering journeys for one site: the second waits for the
    first's lock on the site, then counts its journey, so the cap of 1 holds."""
    import threading

    from collector.ingest.steps import RegistrationLimits, register_steps

    limits = RegistrationLimits(journeys=1, steps=50, journeys_per_hour=50)
    outcome: dict = {}
    with app.app_context():
        engine = db.engine
    first = engine.connect()
    first.begin()
    assert register_steps(first, site.id, [("a", "x")], limits)[1] is None  # holds the site's lock

    def second() -> None:
        with engine.begin() as conn:
            outcome["pid"] = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            outcome["result"] = register_steps(conn, site.id, [("b", "x")], limits)

    thread = threading.Thread(target=second)
    thread.start()
    with engine.connect() as observer:
        # Wait until the second transaction is blocked on a lock, or has finished without one.
        while (
            thread.is_alive()
            and observer.execute(
                sa.text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": outcome.get("pid", 0)}
            ).scalar()
            != "Lock"
        ):
            observer.rollback()
    first.commit()
    first.close()
    thread.join(30)
    assert outcome["result"][1] is not None and outcome["result"][1].steps == [("b", "x")]
    assert rows(sa.select(Journey.key)) == ["a"]
