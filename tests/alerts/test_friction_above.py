"""friction_above: a friction signal's share of a step's sessions rose against the previous
window (whole UTC days from the friction rollups; two-proportion z-test, Holm over steps),
delivered as a signed webhook; the signal a rule watches is validated."""

import html as markup
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from collector.alerts.evaluate import measure
from collector.alerts.messages import message
from collector.analytics.stats import two_proportions
from collector.common.vocabulary import FRICTION_SIGNALS
from collector.extensions import db
from collector.models import AlertRule, Event, Site
from collector.tenancy.keys import create_api_key
from tests.alerts.chat_receivers import ChatReceiver, validate_slack, validate_teams
from tests.alerts.helpers import T0, deliver, evaluate, make_rule
from tests.helpers import csrf, ingest_clock, journey_event, make_journey, sign_in

# T0 is 2026-11-20 12:00 UTC: the window is 2026-11-19, the baseline 2026-11-18.
WINDOW_DAY, BASELINE_DAY = T0 - timedelta(days=1, hours=2), T0 - timedelta(days=2, hours=2)


@pytest.fixture
def clock(monkeypatch):
    return ingest_clock(monkeypatch, T0)


def _sessions(send, site, clock, at, sessions: int, raging: int, signal: str = "rage_click") -> None:
    """``sessions`` sessions viewing cart then payment at ``at``; ``raging`` of them show ``signal`` at payment."""
    clock.at = at
    items = []
    for number in range(sessions):
        session_id = f"s-{at:%d}-{number}"
        items += [
            journey_event(site, session_id, "step_view", "cart"),
            journey_event(site, session_id, "step_view", "payment"),
        ]
        if number < raging:
            items.append(journey_event(site, session_id, signal, "payment"))
    for start in range(0, len(items), 100):
        response = send({"events": items[start : start + 100]}, site, path="/v1/events")
        assert response.status_code in (200, 201), response.get_json()


@pytest.fixture
def seed(api, send, site, clock):
    make_journey(api)

    def seed(baseline: tuple[int, int], window: tuple[int, int], **kwargs) -> None:
        _sessions(send, site, clock, BASELINE_DAY, baseline[1], baseline[0], **kwargs)
        _sessions(send, site, clock, WINDOW_DAY, window[1], window[0], **kwargs)

    return seed


def _rule(api, receiver, **fields):
    return make_rule(
        api, receiver, **{"kind": "friction_above", "signal": "rage_click", "step": None, "window_hours": 24, **fields}
    )


def test_a_rise_fires_once_with_a_signed_webhook(app, api, seed, receiver, rows):
    seed(baseline=(2, 40), window=(20, 40))
    _rule(api, receiver, name="Payment rage")
    with app.app_context():  # read from the rollups: the raw events are not needed
        db.session.execute(sa.delete(Event))
        db.session.commit()
    assert len(evaluate(app, T0)) == 1
    assert evaluate(app, T0 + timedelta(hours=5)) == []  # the same day's window: no second firing
    assert [d["status"] for d in deliver(app, T0 + timedelta(hours=5))] == ["delivered"]
    (request,) = receiver.requests
    assert request["verified"]
    payload = request["json"]
    assert (payload["kind"], payload["signal"], payload["step"], payload["n"], payload["baseline_n"]) == (
        "friction_above",
        "rage_click",
        "payment",
        40,
        40,
    )
    assert payload["shares"] == {"window": 0.5, "baseline": 0.05, "count": 20, "baseline_count": 2}
    assert payload["window"] == {
        "hours": 24,
        "from": "2026-11-19T00:00:00Z",
        "to": "2026-11-20T00:00:00Z",
        "baseline_from": "2026-11-18T00:00:00Z",
        "baseline_to": "2026-11-19T00:00:00Z",
    }
    raw = two_proportions(20, 40, 2, 40).p_value
    assert payload["p_value"] == pytest.approx(min(1.0, 2 * raw), rel=1e-4)  # Holm over cart and payment
    (rule,) = rows(sa.select(AlertRule))
    assert rule.last_state == "firing" and rule.firing_steps == ["payment"]
    text = message(payload)
    assert text.summary == "checkout / payment: rage click in 50% of sessions (was 5%)"
    assert ("Share", "50%: 20 of 40 sessions") in text.facts


def test_a_flat_share_stays_quiet(app, api, seed, receiver, rows):
    seed(baseline=(10, 40), window=(10, 40))
    _rule(api, receiver)
    assert evaluate(app, T0) == []
    (rule,) = rows(sa.select(AlertRule))
    assert rule.last_state == "ok" and rule.firing_steps == []


def test_another_signal_rising_does_not_fire_a_rule_on_rage_clicks(app, api, seed, receiver):
    seed(baseline=(2, 40), window=(20, 40), signal="dead_click")
    _rule(api, receiver)
    assert evaluate(app, T0) == []


def test_a_rise_on_too_few_sessions_does_not_fire(app, api, seed, receiver, rows):
    seed(baseline=(0, 5), window=(5, 5))  # every session raged, but only 5 of the 20 needed
    _rule(api, receiver)
    assert evaluate(app, T0) == []
    (rule,) = rows(sa.select(AlertRule))
    assert rule.last_state is None


def test_a_small_rise_is_not_significant_after_holm(app, api, seed, receiver):
    # 2/20 → 7/20: p ≈ 0.06 alone, ≈ 0.12 after Holm over the two steps
    seed(baseline=(2, 20), window=(7, 20))
    _rule(api, receiver)
    with app.app_context():
        rule = db.session.scalar(sa.select(AlertRule))
        payment = next(f for f in measure(db.session, rule, T0) if f.step.key == "payment")
    assert payment.value == 0.35 and payment.baseline == 0.1 and not payment.triggered
    assert evaluate(app, T0) == []


def test_the_day_in_progress_is_not_judged(app, api, send, site, clock, seed, receiver):
    seed(baseline=(2, 40), window=(2, 40))
    _sessions(send, site, clock, T0 - timedelta(hours=1), 40, 30)  # today: not over yet
    _rule(api, receiver)
    assert evaluate(app, T0) == []
    assert len(evaluate(app, T0 + timedelta(hours=13))) == 1  # past midnight: today is the window


@pytest.mark.parametrize(
    "body, field",
    [
        ({"signal": "rage"}, "signal"),
        ({"signal": "any"}, "signal"),
        ({"signal": None}, "signal"),
        ({"signal": "<script>"}, "signal"),
        ({"window_hours": 36}, "window_hours"),
        ({"kind": "emotion_drop"}, "signal"),  # a signal on another kind
    ],
)
def test_bad_signals_are_refused(api, receiver, body, field):
    make_journey(api)
    response = api.post(
        "/v1/alerts/rules",
        json={"journey": "checkout", "kind": "friction_above", "signal": "rage_click", "webhook_url": receiver.url}
        | body,
    )
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_error"
    assert field in response.json["error"]["details"], response.json


def test_a_rule_changes_signal_and_a_signal_stays_off_other_kinds(api, receiver):
    make_journey(api)
    friction_rule = _rule(api, receiver)
    assert friction_rule["signal"] == "rage_click" and friction_rule["kind"] == "friction_above"
    changed = api.patch(f"/v1/alerts/rules/{friction_rule['id']}", json={"signal": "form_error"})
    assert changed.status_code == 200 and changed.json["signal"] == "form_error"
    for bad in ({"signal": "rage"}, {"signal": None}, {"window_hours": 12}):
        refused = api.patch(f"/v1/alerts/rules/{friction_rule['id']}", json=bad)
        assert refused.status_code == 422 and set(bad) <= set(refused.json["error"]["details"]), refused.json
    emotion_rule = make_rule(api, receiver)
    assert emotion_rule["signal"] is None
    refused = api.patch(f"/v1/alerts/rules/{emotion_rule['id']}", json={"signal": "rage_click"})
    assert refused.status_code == 422 and "signal" in refused.json["error"]["details"]
    assert api.get(f"/v1/alerts/rules/{friction_rule['id']}").json["signal"] == "form_error"


def _form(client, **fields) -> dict:
    return {
        "csrf_token": csrf(client),
        "name": "Payment <b>rage</b>",
        "journey": "checkout",
        "step": "payment",
        "kind": "friction_above",
        "signal": "rage_click",
        "window_hours": "48",
        "min_n": "30",
        "threshold": "",
        "target": "webhook",
        "webhook_url": "https://hooks.example.com/stepsense",
        "email_to": "",
        **fields,
    }


def test_the_dashboard_creates_a_friction_rule_and_shows_its_secret_once(app, client, api, site, rows):
    make_journey(api)
    sign_in(client, site.secret)
    page = client.get("/dashboard/alerts").get_data(as_text=True)
    assert 'id="new-rule"' in page and '<option value="quick_back">quick back</option>' in page
    response = client.post("/dashboard/alerts", data=_form(client))
    assert response.status_code == 201
    (rule,) = rows(sa.select(AlertRule))
    assert (rule.kind, rule.signal, rule.window_hours, rule.min_n, rule.step_id is not None) == (
        "friction_above",
        "rage_click",
        48,
        30,
        True,
    )
    html = response.get_data(as_text=True)
    assert rule.secret in html and "Payment &lt;b&gt;rage&lt;/b&gt;" in html and "<b>rage</b>" not in html
    assert "rage click</span> share of sessions above the previous 2 days" in html
    assert rule.secret not in client.get("/dashboard/alerts").get_data(as_text=True)


@pytest.mark.parametrize(
    "fields, words",
    [
        ({"signal": "rage"}, "signal: Must be one of"),
        ({"signal": ""}, "signal: Required for friction_above"),
        ({"kind": "emotion_drop"}, "signal: Only for kind friction_above"),
        ({"window_hours": "30"}, "window_hours: friction_above reads daily rollups"),
        ({"window_hours": "two"}, "window_hours: Not a valid integer"),
        ({"step": "nope"}, "No step 'nope'"),
    ],
)
def test_the_dashboard_form_refuses_bad_rules(client, api, site, rows, fields, words):
    make_journey(api)
    sign_in(client, site.secret)
    response = client.post("/dashboard/alerts", data=_form(client, **fields))
    assert response.status_code in (404, 422)
    assert words in markup.unescape(response.get_data(as_text=True))
    assert rows(sa.select(AlertRule)) == []


def test_the_dashboard_form_needs_csrf_and_write_scope(app, client, api, site, rows):
    make_journey(api)
    sign_in(client, site.secret)
    assert client.post("/dashboard/alerts", data={**_form(client), "csrf_token": "x"}).status_code == 400
    with app.app_context():
        _, secret = create_api_key(db.session, db.session.get(Site, site.id), ["read"])
        db.session.commit()
    reader = app.test_client()
    sign_in(reader, secret)
    assert 'id="new-rule"' not in reader.get("/dashboard/alerts").get_data(as_text=True)
    assert reader.post("/dashboard/alerts", data=_form(reader)).status_code == 403
    assert rows(sa.select(AlertRule)) == []


def test_openapi_documents_the_signal(client):
    rule = client.get("/openapi.json").json["components"]["schemas"]["AlertRule"]["properties"]
    assert "friction_above" in rule["kind"]["enum"]
    assert rule["signal"]["enum"][:-1] == list(FRICTION_SIGNALS) and "friction_above" in rule["signal"]["description"]


@pytest.mark.parametrize("target, validate", [("slack", validate_slack), ("teams", validate_teams)])
def test_a_rise_reaches_slack_and_teams_in_words(app, api, seed, target, validate):
    seed(baseline=(2, 40), window=(20, 40))
    chat = ChatReceiver(validate)
    try:
        make_rule(
            api,
            chat,
            kind="friction_above",
            signal="rage_click",
            window_hours=24,
            name="Payment rage",
            target=target,
            webhook_url=chat.url,
        )
        assert len(evaluate(app, T0)) == 1
        assert [d["status"] for d in deliver(app, T0)] == ["delivered"]
        (request,) = chat.requests
    finally:
        chat.close()
    assert request["problem"] is None  # a body the service accepts
    body = json.dumps(request["json"], ensure_ascii=False)
    for words in ("Payment rage: friction rose", "rage click in 50% of sessions (was 5%)", "20 of 40 sessions"):
        assert words in body, (words, body)
