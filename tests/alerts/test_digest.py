"""Digest rules: when one is due (the local hour, once per period, across daylight-saving
changes), what it says (checked against a hand computation on seeded answers and
sessions: means and t intervals, Welch and two-proportion tests with Holm, Wilson
intervals), the optional friction and theme sections, and its delivery to every
target (Slack and Teams receivers that check the documented shape, a real SMTP server)."""

import math
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from collector import alerts
from collector.alerts.digest import DigestInputs, digest_content, period_of
from collector.analytics.stats import Moments
from collector.common.time import zone
from collector.extensions import db
from collector.models import AlertDelivery, AlertRule, Event, Journey, Response
from tests.alerts.chat_receivers import ChatReceiver, Mailbox, free_port, validate_slack, validate_teams

UTC = UTC
BERLIN = zone("Europe/Berlin")
# The digest of 2026-11-19 09:00 to 2026-11-20 09:00 Berlin time (CET, UTC+1).
START, END = datetime(2026, 11, 19, 8, tzinfo=UTC), datetime(2026, 11, 20, 8, tzinfo=UTC)
BASELINE = datetime(2026, 11, 18, 8, tzinfo=UTC)
CART = [0.5, 0.75, 1.0] * 10
PAYMENT_NOW = [-0.5, -0.25, -0.75] * 10
PAYMENT_BEFORE = [0.25, 0.5, 0.0] * 10
T975_29 = 2.045229642132703  # scipy.stats.t.ppf(0.975, 29)
Z975 = 1.959963984540054


@pytest.fixture
def journey(api):
    response = api.post(
        "/v1/journeys",
        json={
            "key": "checkout",
            "name": "Checkout",
            "steps": [{"key": "cart", "name": "Cart"}, {"key": "payment", "name": "Payment"}],
        },
    )
    assert response.status_code == 201, response.json
    return "checkout"


def _journey(site_id: int) -> Journey:
    return db.session.scalar(sa.select(Journey).where(Journey.site_id == site_id, Journey.key == "checkout"))


def seed_answers(app, site_id: int, step: str, start: datetime, emotions: list[float], comments: int = 0) -> None:
    """Answers at ``step`` spread over 20 hours from ``start``; the first ``comments`` have negative comments."""
    with app.app_context():
        journey = _journey(site_id)
        step_id = next(s.id for s in journey.steps if s.key == step)
        for index, emotion in enumerate(emotions):
            commented = index < comments
            db.session.add(
                Response(
                    site_id=site_id,
                    journey_id=journey.id,
                    step_id=step_id,
                    client_id=str(uuid.uuid4()),
                    kind="csat",
                    score=3,
                    emotion=emotion,
                    scorer_version="test",
                    trigger="inline",
                    created_at=start + timedelta(minutes=40 * index),
                    comment=f"{step} complaint {index}" if commented else None,
                    polarity=-0.9 + 0.1 * index if commented else None,
                    sentiment_label="negative" if commented else None,
                )
            )
        db.session.commit()


def seed_sessions(app, site_id: int, start: datetime, cart_only: int, abandoned: int, completed: int) -> None:
    """Funnel sessions 10 minutes apart from ``start``: some leave at cart, some at payment, the rest complete."""
    with app.app_context():
        journey = _journey(site_id)
        cart, payment = (step.id for step in journey.steps)
        moment = start
        for _number, path in enumerate(["cart"] * cart_only + ["payment"] * abandoned + ["done"] * completed):
            session_id = f"s{uuid.uuid4().hex[:12]}"
            visits = (
                [(cart, "step_view")]
                + ([(payment, "step_view")] if path != "cart" else [])
                + ([(payment, "journey_complete")] if path == "done" else [])
            )
            for offset, (step_id, kind) in enumerate(visits):
                db.session.add(
                    Event(
                        site_id=site_id,
                        journey_id=journey.id,
                        step_id=step_id,
                        client_id=str(uuid.uuid4()),
                        type=kind,
                        session_id=session_id,
                        created_at=moment + timedelta(minutes=offset),
                    )
                )
            moment += timedelta(minutes=10)
        db.session.commit()


def seed_both_periods(app, site_id: int) -> None:
    seed_answers(app, site_id, "cart", START + timedelta(minutes=5), CART)
    seed_answers(app, site_id, "payment", START + timedelta(minutes=7), PAYMENT_NOW, comments=4)
    seed_answers(app, site_id, "cart", BASELINE + timedelta(minutes=5), CART)
    seed_answers(app, site_id, "payment", BASELINE + timedelta(minutes=7), PAYMENT_BEFORE)
    seed_sessions(app, site_id, START + timedelta(hours=2), cart_only=5, abandoned=8, completed=12)
    seed_sessions(app, site_id, BASELINE + timedelta(hours=2), cart_only=5, abandoned=2, completed=18)


def make_digest(app, api, created: datetime = datetime(2026, 11, 1, tzinfo=UTC), **fields) -> int:
    body = {
        "journey": "checkout",
        "step": None,
        "kind": "digest",
        "name": "Checkout daily",
        "local_hour": 9,
        "timezone": "Europe/Berlin",
        "webhook_url": "https://hooks.example.com/digest",
        **fields,
    }
    response = api.post("/v1/alerts/rules", json=body)
    assert response.status_code == 201, response.json
    with app.app_context():  # made at ``created``, so earlier periods count as after its creation
        db.session.execute(sa.update(AlertRule).where(AlertRule.id == response.json["id"]).values(created_at=created))
        db.session.commit()
    return response.json["id"]


def evaluate(app, now: datetime) -> list[dict]:
    with app.app_context():
        return [
            dict(d.payload, _channel=d.channel, _period=d.period_start)
            for d in alerts.evaluate_rules(db.session, now, "https://cx.example.com")
        ]


def mean_ci(values: list[float]) -> tuple[float, float, float]:
    n, mean = len(values), sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return mean, mean - T975_29 * sd / math.sqrt(n), mean + T975_29 * sd / math.sqrt(n)


def wilson(k: int, n: int) -> tuple[float, float]:
    p, z2 = k / n, Z975 * Z975
    centre, half = (
        (p + z2 / (2 * n)) / (1 + z2 / n),
        Z975 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n),
    )
    return centre - half, centre + half


# --- What a digest says ---------------------------------------------------------------------------------


def test_a_digest_s_numbers_match_a_hand_computation(app, api, site, journey):
    make_digest(app, api, min_n=20)
    seed_both_periods(app, site.id)
    (payload,) = evaluate(app, END + timedelta(minutes=5))

    assert payload["window"] == {
        "hours": 24,
        "from": "2026-11-19T08:00:00Z",
        "to": "2026-11-20T08:00:00Z",
        "baseline_from": "2026-11-18T08:00:00Z",
        "baseline_to": "2026-11-19T08:00:00Z",
        "local_from": "2026-11-19T09:00:00+01:00",
        "local_to": "2026-11-20T09:00:00+01:00",
    }
    assert (payload["kind"], payload["schedule"], payload["timezone"], payload["journey_name"]) == (
        "digest",
        "daily",
        "Europe/Berlin",
        "Checkout",
    )
    sections = {section["key"]: section for section in payload["sections"]}
    # Friction is measured now (step views, no signal sent): its section shows no move; no themes yet.
    assert list(sections) == ["emotion", "abandonment", "pain_points", "friction"]
    assert all(row["now"]["count"] == 0 for row in sections["friction"]["steps"])

    cart, payment = sections["emotion"]["steps"]
    for row, now, before in ((cart, CART, CART), (payment, PAYMENT_NOW, PAYMENT_BEFORE)):
        for side, values in (("now", now), ("before", before)):
            mean, low, high = mean_ci(values)
            assert row[side] == {
                "mean": pytest.approx(mean, abs=1e-4),
                "ci_low": pytest.approx(low, abs=1e-4),
                "ci_high": pytest.approx(high, abs=1e-4),
                "n": 30,
            }
    assert payment["now"]["ci_low"] == pytest.approx(-0.5775, abs=1e-4)  # scipy: -0.57752
    # Welch (scipy.stats.ttest_ind(equal_var=False)): t = -13.991, df = 58, p = 3.049e-20, CI -0.8573 .. -0.6427;
    # Holm over the two steps doubles the smaller p (cart's is 1: no change).
    assert payment["change"] == {
        "diff": -0.75,
        "ci_low": pytest.approx(-0.8573, abs=1e-4),
        "ci_high": pytest.approx(-0.6427, abs=1e-4),
        "p_value": pytest.approx(3.049e-20, rel=1e-3),
        "p_adjusted": pytest.approx(6.099e-20, rel=1e-3),
        "significant": True,
    }
    assert (cart["change"]["diff"], cart["change"]["p_adjusted"], cart["change"]["significant"]) == (0.0, 1.0, False)
    # Moved most: payment; cart, which didn't move, is not listed.
    assert sections["emotion"]["moved"] == [{"step": "payment", "name": "Payment", "diff": -0.75, "significant": True}]
    assert [row["step"] for row in sections["abandonment"]["moved"]] == ["payment"]

    cart, payment = sections["abandonment"]["steps"]
    for row, (k, n), (k0, n0) in ((cart, (5, 25), (5, 25)), (payment, (8, 20), (2, 20))):
        for side, (count, reached) in (("now", (k, n)), ("before", (k0, n0))):
            low, high = wilson(count, reached)
            assert row[side] == {
                "rate": pytest.approx(count / reached, abs=1e-4),
                "ci_low": pytest.approx(low, abs=1e-4),
                "ci_high": pytest.approx(high, abs=1e-4),
                "count": count,
                "n": reached,
            }
    # Two-proportion z: pooled p = 10/40, z = 0.3 / sqrt(.25 * .75 * (2/20)) = 2.1909, p = 0.02846 (scipy.stats.norm);
    # significant alone, not after Holm over the two steps (0.05692).
    half = Z975 * math.sqrt(0.4 * 0.6 / 20 + 0.1 * 0.9 / 20)
    assert payment["change"] == {
        "diff": 0.3,
        "ci_low": pytest.approx(0.3 - half, abs=1e-4),
        "ci_high": pytest.approx(0.3 + half, abs=1e-4),
        "p_value": pytest.approx(0.02846, rel=1e-3),
        "p_adjusted": pytest.approx(0.05692, rel=1e-3),
        "significant": False,
    }

    (flagged,) = sections["pain_points"]["steps"]
    assert (flagged["step"], flagged["flags"]) == ("payment", ["pain_point", "drop"])
    assert flagged["emotion"]["mean"] == -0.5
    with app.app_context():
        most_negative = db.session.scalars(
            sa.select(Response.id).where(Response.comment.is_not(None)).order_by(Response.polarity).limit(3)
        ).all()
    assert payload["comments"] == [{"id": comment_id, "step": "payment"} for comment_id in most_negative]


def test_friction_and_theme_sections_appear_only_when_the_curve_carries_them():
    """The friction and themes providers read what the curve gives, once those capabilities land."""
    empty = Moments(0, 0.0, 0.0)

    def inputs(curve_step: dict, before_step: dict) -> DigestInputs:
        return DigestInputs(
            steps=[("payment", "Payment")],
            emotion={"payment": empty},
            emotion_before={"payment": empty},
            abandonment={"payment": (0, 0)},
            abandonment_before={"payment": (0, 0)},
            curve={"steps": [{"step": "payment", "name": "Payment", "flags": [], **curve_step}]},
            curve_before={"steps": [{"step": "payment", **before_step}]},
        )

    assert digest_content(inputs({}, {})) == {"sections": [], "comments": []}
    friction = {
        "sessions": 50,
        "index": {"sessions": 21, "share": 0.42},
        "signals": {"rage_click": {"sessions": 8, "share": 0.16, "ci_low": 0.08, "ci_high": 0.29}},
    }
    themes = [
        {"key": "declined", "label": "Card declined", "count": 6, "share": 0.3, "share_change": 0.2},
        {"key": "slow", "label": "Slow", "count": 2, "share": 0.1, "share_change": -0.05},
    ]
    content = digest_content(
        inputs(
            {"friction": friction, "themes": themes, "comments": {"count": 20}},
            {"friction": {"sessions": 50, "index": {"sessions": 6, "share": 0.12}}},
        )
    )
    sections = {section["key"]: section for section in content["sections"]}
    assert list(sections) == ["friction", "themes"]
    # 21 of 50 sessions against 6 of 50: a two-proportion z-test, p < 0.001
    assert sections["friction"]["moved"] == [{"step": "payment", "name": "Payment", "diff": 0.3, "significant": True}]
    assert sections["friction"]["steps"][0]["signals"]["rage_click"]["ci_high"] == 0.29
    (rising,) = sections["themes"]["themes"]
    low, high = wilson(6, 20)
    assert (rising["label"], rising["share_change"]) == ("Card declined", 0.2)
    assert (rising["ci_low"], rising["ci_high"]) == (pytest.approx(low, abs=1e-4), pytest.approx(high, abs=1e-4))


# --- When a digest is due -------------------------------------------------------------------------------


def test_periods_follow_the_local_calendar_across_daylight_saving_changes():
    spring = period_of("daily", 9, None, BERLIN, datetime(2026, 3, 29, 7, 0, tzinfo=UTC))  # 09:00 CEST
    assert (spring.start, spring.end) == (datetime(2026, 3, 28, 8, tzinfo=UTC), datetime(2026, 3, 29, 7, tzinfo=UTC))
    assert spring.baseline_start == datetime(2026, 3, 27, 8, tzinfo=UTC)  # 23 hours, then a 24-hour baseline
    autumn = period_of("daily", 9, None, BERLIN, datetime(2026, 10, 25, 8, 0, tzinfo=UTC))  # 09:00 CET
    assert autumn.end - autumn.start == timedelta(hours=25)
    # 02:00 doesn't exist on 29 March in Berlin: the period ends when the clocks jump.
    skipped = period_of("daily", 2, None, BERLIN, datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    assert skipped.end == datetime(2026, 3, 29, 1, tzinfo=UTC)
    weekly = period_of("weekly", 8, "monday", BERLIN, datetime(2026, 11, 25, 12, tzinfo=UTC))  # a Wednesday
    assert (weekly.start, weekly.end) == (datetime(2026, 11, 16, 7, tzinfo=UTC), datetime(2026, 11, 23, 7, tzinfo=UTC))
    assert weekly.baseline_start == datetime(2026, 11, 9, 7, tzinfo=UTC)


def test_a_digest_is_sent_once_per_period_at_the_local_hour_across_dst(app, api, journey, rows):
    """Europe/Berlin at 09:00: 08:00 UTC in winter, 07:00 UTC in summer; a fixed 24-hour clock would drift by an hour."""
    make_digest(app, api, created=datetime(2026, 3, 27, 12, tzinfo=UTC))
    assert evaluate(app, datetime(2026, 3, 28, 7, 59, tzinfo=UTC)) == []  # 08:59 CET
    (first,) = evaluate(app, datetime(2026, 3, 28, 8, 0, tzinfo=UTC))  # 09:00 CET
    assert first["window"]["hours"] == 24 and first["_period"].replace(tzinfo=UTC) == datetime(
        2026, 3, 27, 8, tzinfo=UTC
    )
    assert evaluate(app, datetime(2026, 3, 28, 9, 30, tzinfo=UTC)) == []  # once per period
    assert evaluate(app, datetime(2026, 3, 29, 6, 59, tzinfo=UTC)) == []  # 08:59 CEST
    (second,) = evaluate(app, datetime(2026, 3, 29, 7, 0, tzinfo=UTC))  # 09:00 CEST, 23 hours after the first
    assert (second["window"]["hours"], second["window"]["local_from"], second["window"]["local_to"]) == (
        23,
        "2026-03-28T09:00:00+01:00",
        "2026-03-29T09:00:00+02:00",
    )

    assert len(evaluate(app, datetime(2026, 10, 24, 7, 0, tzinfo=UTC))) == 1  # 09:00 CEST (one digest after a gap)
    assert evaluate(app, datetime(2026, 10, 25, 7, 30, tzinfo=UTC)) == []  # 24 hours later it is 08:30 CET
    (autumn,) = evaluate(app, datetime(2026, 10, 25, 8, 0, tzinfo=UTC))
    assert autumn["window"]["hours"] == 25
    (rule,) = rows(sa.select(AlertRule))
    assert rule.last_period_end.replace(tzinfo=UTC) == datetime(2026, 10, 25, 8, tzinfo=UTC)
    assert len(rows(sa.select(AlertDelivery))) == 4


def test_no_period_that_ended_before_the_rule_existed_is_sent(app, api, journey):
    make_digest(app, api, created=datetime(2026, 11, 20, 8, 30, tzinfo=UTC))
    assert evaluate(app, datetime(2026, 11, 20, 9, tzinfo=UTC)) == []
    assert len(evaluate(app, datetime(2026, 11, 21, 8, tzinfo=UTC))) == 1


def test_one_delivery_per_period_and_channel_even_if_the_rule_forgets(app, api, journey):
    """The unique (rule, channel, period_start) index is the last guard against a double send."""
    rule_id = make_digest(app, api)
    assert len(evaluate(app, END)) == 1
    with app.app_context():
        db.session.execute(sa.update(AlertRule).where(AlertRule.id == rule_id).values(last_period_end=None))
        db.session.commit()
        with pytest.raises(sa.exc.IntegrityError):
            alerts.evaluate_rules(db.session, END, None)
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AlertDelivery)) == 1


def test_a_digest_without_a_timezone_follows_the_site_s_setting(app, api, journey):
    assert api.patch("/v1/site", json={"settings": {"timezone": "America/New_York"}}).status_code == 200
    make_digest(app, api, created=datetime(2026, 11, 19, 15, tzinfo=UTC), timezone=None)
    assert evaluate(app, datetime(2026, 11, 20, 13, 59, tzinfo=UTC)) == []  # 08:59 EST
    (payload,) = evaluate(app, datetime(2026, 11, 20, 14, 0, tzinfo=UTC))
    assert (payload["timezone"], payload["window"]["local_to"]) == ("America/New_York", "2026-11-20T09:00:00-05:00")


def test_a_weekly_digest_compares_whole_weeks(app, api, journey):
    make_digest(app, api, created=datetime(2026, 11, 17, tzinfo=UTC), schedule="weekly", weekday="monday", local_hour=8)
    assert evaluate(app, datetime(2026, 11, 22, 7, tzinfo=UTC)) == []  # Sunday: the week ending Monday 16th was before
    (payload,) = evaluate(app, datetime(2026, 11, 23, 7, tzinfo=UTC))  # Monday 08:00 CET
    assert (payload["window"]["hours"], payload["window"]["baseline_from"]) == (168, "2026-11-09T07:00:00Z")


# --- Delivered to every target ----------------------------------------------------------------------------


def test_a_digest_reaches_slack_teams_and_email_in_each_format(app, api, site, journey):
    slack, teams, box, port = ChatReceiver(validate_slack), ChatReceiver(validate_teams), Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_URL=f"smtp://127.0.0.1:{port}", SMTP_FROM="digest@cx.example.com")
    try:
        make_digest(app, api, target="slack", webhook_url=slack.url, email_to=["cx@example.com"])
        make_digest(app, api, target="teams", webhook_url=teams.url)
        seed_both_periods(app, site.id)
        assert len(evaluate(app, END)) == 3
        with app.app_context():
            outcomes = sorted((d.channel, d.status, d.last_error) for d in alerts.deliver_pending(db.session, END))
        assert outcomes == [("email", "delivered", None), ("slack", "delivered", None), ("teams", "delivered", None)]

        (slack_request,) = slack.requests
        assert slack_request["problem"] is None
        blocks = slack_request["json"]["blocks"]
        assert blocks[0]["text"]["text"] == "Daily digest: Checkout"
        words = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b)
        assert (
            "*Emotion: steps that moved most*\n• Payment: +0.25 → -0.50 (change -0.75, 95% CI -0.86 to -0.64), significant"
            in words
        )
        assert "• Payment: 10% → 40% (change +30 pts, 95% CI +5 pts to +55 pts)" in words
        assert (
            "*Pain points*\n• Payment: pain point, drop from the previous step; emotion -0.50 (95% CI -0.58 to -0.42)"
            in words
        )
        assert "> payment complaint 0 (payment)" in words

        (teams_request,) = teams.requests
        assert teams_request["problem"] is None
        card = teams_request["json"]["attachments"][0]["content"]
        lines = [b["text"] for b in card["body"] if b["type"] == "TextBlock"]
        assert "Daily digest: Checkout" in lines and "Pain points" in lines
        assert "Payment: +0.25 → -0.50 (change -0.75, 95% CI -0.86 to -0.64), significant" in lines

        (mail,) = box.messages
        message = mail["message"]
        assert mail["to"] == ["cx@example.com"] and message["Subject"] == "Daily digest: Checkout"
        text = message.get_body(("plain",)).get_content()
        assert "Period: 2026-11-19 09:00 to 2026-11-20 09:00 (Europe/Berlin)" in text
        assert "  - Payment: 10% → 40% (change +30 pts, 95% CI +5 pts to +55 pts)" in text
        assert "<li>Payment: +0.25 → -0.50" in message.get_body(("html",)).get_content()
    finally:
        controller.stop()
        slack.close()
        teams.close()


def test_a_digest_s_test_is_its_latest_period(app, api, site, journey):
    slack = ChatReceiver(validate_slack)
    try:
        rule_id = make_digest(app, api, target="slack", webhook_url=slack.url)
        response = api.post(f"/v1/alerts/rules/{rule_id}/test")
        assert response.status_code == 200 and response.json["status"] == "delivered", response.json
        (request,) = slack.requests
        assert request["problem"] is None
        assert request["json"]["blocks"][0]["text"]["text"].startswith("Test: Daily digest: Checkout")
        assert response.json["payload"]["test"] is True and response.json["payload"]["kind"] == "digest"
    finally:
        slack.close()


def test_a_theme_that_rose_at_payment_is_in_the_digest(app, api, site, journey):
    """Declined cards came up in this period's comments at payment, not before: the digest says so."""
    from collector.analytics import theme_store

    make_digest(app, api, min_n=5)
    with app.app_context():
        found = _journey(site.id)
        payment = next(s for s in found.steps if s.key == "payment")
        said = {
            START: [
                "My card was declined",
                "card declined twice",
                "the card got declined again",
                "Card declined for no reason",
                "why is my card declined",
                "shipping was fine",
            ],
            BASELINE: [
                "shipping was fine",
                "delivery was fine",
                "shipping fine thanks",
                "the delivery options were fine",
                "My card was declined",
                "fine shipping",
            ],
        }
        for start, comments in said.items():
            for index, text in enumerate(comments):
                db.session.add(
                    Response(
                        site_id=site.id,
                        journey_id=found.id,
                        step_id=payment.id,
                        client_id=str(uuid.uuid4()),
                        kind="comment",
                        comment=text,
                        emotion=0.0,
                        sentiment_label="neutral",
                        scorer_version="test",
                        trigger="inline",
                        created_at=start + timedelta(minutes=10 + index),
                    )
                )
        db.session.commit()
        theme_store.rebuild_step(db.session, payment)
        db.session.commit()
    (payload,) = evaluate(app, END + timedelta(minutes=5))
    sections = {section["key"]: section for section in payload["sections"]}
    rising = sections["themes"]["themes"]
    assert rising[0]["step"] == "payment"
    assert "declin" in rising[0]["label"]
    assert rising[0]["share_change"] > 0
