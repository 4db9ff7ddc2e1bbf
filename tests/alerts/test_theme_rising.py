"""theme_rising: a theme's share of a step's comments rose against the previous window
(two-proportion z-test, Holm over every (step, theme) pair), delivered as a signed webhook."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from collector.alerts.evaluate import measure
from collector.alerts.messages import message
from collector.analytics.stats import two_proportions
from collector.extensions import db
from collector.models import AlertRule, Response
from tests.alerts.helpers import T0, deliver, evaluate, make_rule
from tests.helpers import CARD_DECLINED, PROMO_CODE, Receiver, answer, rebuild_themes, send_comments


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


def _comments(texts, n):
    return [texts[i % len(texts)] for i in range(n)]


def _seed(app, send, site, runner, baseline: tuple[int, int], window: tuple[int, int]) -> None:
    """(card, promo) comments at payment in the hour before the window and in the window (ending T0)."""
    periods = ((T0 - timedelta(hours=2), baseline), (T0 - timedelta(hours=1), window))
    for start, (card, promo) in periods:
        texts = _comments(CARD_DECLINED, card) + _comments(PROMO_CODE, promo)
        client_ids = send_comments(send, site, texts, kind="comment", score=None)
        with app.app_context():
            for index, client_id in enumerate(client_ids):
                db.session.execute(
                    sa.update(Response)
                    .where(Response.client_id == client_id)
                    .values(created_at=start + timedelta(minutes=index))
                )
            db.session.commit()
    rebuild_themes(runner)


def _rule(api, receiver, **fields):
    return make_rule(api, receiver, kind="theme_rising", step=None, min_n=20, **fields)


def test_a_rising_theme_fires_once_with_a_signed_webhook(app, api, site, send, runner, receiver, rows):
    _seed(app, send, site, runner, baseline=(2, 18), window=(16, 4))
    _rule(api, receiver, name="Why payment hurts")
    assert len(evaluate(app, T0)) == 1  # card declined rose; promo code fell
    assert evaluate(app, T0 + timedelta(minutes=5)) == []  # still rising: no second firing
    assert [d["status"] for d in deliver(app, T0 + timedelta(minutes=5))] == ["delivered"]
    (request,) = receiver.requests
    assert request["verified"]
    payload = request["json"]
    assert (payload["kind"], payload["step"], payload["n"], payload["baseline_n"]) == (
        "theme_rising",
        "payment",
        20,
        20,
    )
    assert payload["theme"] == {"key": "card-declined", "label": "card declined"}
    assert payload["shares"] == {"window": 0.8, "baseline": 0.1, "count": 16, "baseline_count": 2}
    raw = two_proportions(16, 20, 2, 20).p_value
    assert payload["p_value"] == pytest.approx(min(1.0, 2 * raw), rel=1e-4)  # Holm over the two themes
    (rule,) = rows(sa.select(AlertRule))
    assert rule.last_state == "firing" and rule.firing_steps == ["payment/card-declined"]
    # Slack, Teams and e-mail say it in words (it once read as an abandonment alert)
    assert message(payload).summary == "checkout / payment: theme 'card declined' in 80% of comments (was 10%)"


def test_flat_shares_stay_quiet(app, api, site, send, runner, receiver, rows):
    _seed(app, send, site, runner, baseline=(10, 10), window=(10, 10))
    _rule(api, receiver)
    assert evaluate(app, T0) == []
    (rule,) = rows(sa.select(AlertRule))
    assert rule.last_state == "ok" and rule.firing_steps == []


def test_holm_keeps_a_borderline_rise_quiet(app, api, site, send, runner, receiver):
    # 6/20 → 13/20: p ≈ 0.027 alone, but two themes are tested: Holm makes it ≈ 0.053
    _seed(app, send, site, runner, baseline=(6, 14), window=(13, 7))
    _rule(api, receiver)
    with app.app_context():
        rule = db.session.scalar(sa.select(AlertRule))
        findings = {f.theme["key"]: f for f in measure(db.session, rule, T0)}
    raw = two_proportions(13, 20, 6, 20).p_value
    assert raw < 0.05
    assert (
        findings["card-declined"].p_value == pytest.approx(2 * raw, rel=1e-4)
        and not findings["card-declined"].triggered
    )
    assert evaluate(app, T0) == []


def test_too_few_comments_leave_the_state_unknown(app, api, site, send, runner, receiver, rows):
    _seed(app, send, site, runner, baseline=(1, 9), window=(9, 1))
    _rule(api, receiver)
    assert evaluate(app, T0) == []
    (rule,) = rows(sa.select(AlertRule))
    assert rule.last_state is None


def test_the_api_accepts_the_kind(api, send, site, receiver):
    assert send(answer(site, step="payment"), site).status_code == 201
    body = _rule(api, receiver)
    assert body["kind"] == "theme_rising"
    bad = api.post(
        "/v1/alerts/rules", json={"journey": "checkout", "kind": "theme_falling", "webhook_url": receiver.url}
    )
    assert bad.status_code == 422 and "kind" in bad.json["error"]["details"]
