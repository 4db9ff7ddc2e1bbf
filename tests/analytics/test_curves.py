"""GET /v1/journeys/{key}/curve: metrics, flags, segments, variants and time series.

Reference intervals and test statistics were computed once with SciPy 1.17
(t.interval, binomtest(...).proportion_ci("wilson"), ttest_ind(equal_var=False),
norm.sf for the two-proportion z) and are stored here as literals.
"""

import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from collector.analytics.maintenance import rebuild_rollups
from collector.extensions import db
from collector.models import Response
from tests.helpers import (
    CHECKOUT_STEPS,
    answer,
    assert_same_numbers,
    by_step,
    curve,
    impressions,
    make_journey,
    raw_window,
    send_all,
    window,
)


@pytest.fixture
def checkout(api, send, site):
    """Known answers at three steps, with impressions and exit-intent comments."""
    make_journey(api, steps=["cart", "payment", "confirmation"])
    answers = [answer(site, step="cart", kind="csat", score=s) for s in [5, 4, 4, 3, 5, 2, 4, 5, 3, 4]]
    answers += [answer(site, step="payment", kind="ces", score=s) for s in [1, 2, 7, 4, 3]]
    answers += [
        answer(site, step="payment", kind="comment", score=None, trigger="exit_intent", comment=text)
        for text in ["My card was declined twice, terrible", "The page took forever and crashed", "I paid with PayPal"]
    ]
    answers += [answer(site, step="confirmation", kind="nps", score=s) for s in [10, 9, 8, 7, 6, 0, 10]]
    answers += [
        answer(
            site,
            step="confirmation",
            kind="comment",
            score=None,
            trigger="exit_intent",
            comment="Great, super easy and fast, love it!",
        )
    ]
    send_all(send, site, answers)
    send_all(send, site, impressions(site, "cart", 20), path="/v1/events", field="events")
    return answers


def test_curve_metrics_per_step(api, checkout):
    """Counts, rates, intervals and NPS per step, in step order."""
    body = curve(api, **window())
    assert [item["step"] for item in body["steps"]] == ["cart", "payment", "confirmation"]
    assert body["source"] == "rollups"
    steps = by_step(body)
    cart = steps["cart"]
    assert cart["responses"] == 10 and cart["impressions"] == 20 and cart["response_rate"] == 0.5
    assert cart["emotion"]["mean"] == 0.45
    assert (cart["emotion"]["ci_low"], cart["emotion"]["ci_high"]) == pytest.approx(
        (0.0943142001402506, 0.8056857998597494), abs=1e-4
    )
    assert cart["csat"]["n"] == 10 and cart["csat"]["score"] == 0.7
    assert (cart["csat"]["ci_low"], cart["csat"]["ci_high"]) == pytest.approx(
        (0.39677814746114526, 0.892208732593699), abs=1e-4
    )
    payment = steps["payment"]
    assert payment["responses"] == 8 and payment["impressions"] == 0 and payment["response_rate"] is None
    assert payment["ces"]["n"] == 5 and payment["ces"]["mean"] == 3.4
    assert (payment["ces"]["ci_low"], payment["ces"]["ci_high"]) == pytest.approx(
        (0.5414748090129775, 6.258525190987022), abs=1e-4
    )
    assert payment["csat"] == {"n": 0, "score": None, "ci_low": None, "ci_high": None}
    confirmation = steps["confirmation"]
    assert confirmation["nps"] == {"n": 7, "score": 14.3, "promoters": 3, "detractors": 2}


def test_exit_intent_share_of_abandonment(api, checkout):
    """A step's exit-intent answers over all of the journey's."""
    steps = by_step(curve(api, **window()))
    assert steps["payment"]["exit_intent"] == {"count": 3, "share": 0.75}
    assert steps["confirmation"]["exit_intent"] == {"count": 1, "share": 0.25}
    assert steps["cart"]["exit_intent"] == {"count": 0, "share": 0.0}


def test_comments_and_representatives(app, api, checkout):
    """Negative share and the most negative / positive comments, as stored (redacted)."""
    with app.app_context():
        labels = dict(
            db.session.execute(
                sa.select(Response.comment, Response.sentiment_label).where(Response.comment.is_not(None))
            ).all()
        )
    steps = by_step(curve(api, **window()))
    payment = steps["payment"]["comments"]
    negative = [
        text for text, label in labels.items() if label == "negative" and text != "Great, super easy and fast, love it!"
    ]
    assert payment["count"] == 3
    assert payment["negative"] == len(negative) >= 1
    assert payment["negative_share"] == round(len(negative) / 3, 4)
    assert {item["text"] for item in payment["most_negative"]} == set(negative)
    polarities = [item["polarity"] for item in payment["most_negative"]]
    assert polarities == sorted(polarities)
    assert [item["text"] for item in steps["confirmation"]["comments"]["most_positive"]] == [
        "Great, super easy and fast, love it!"
    ]
    assert steps["cart"]["comments"] == {
        "count": 0,
        "negative": 0,
        "negative_share": None,
        "most_negative": [],
        "most_positive": [],
    }


def test_empty_journey_and_unknown_journey(api):
    make_journey(api)
    body = curve(api)
    assert [item["responses"] for item in body["steps"]] == [0, 0, 0, 0]
    assert all(item["emotion"]["mean"] is None and item["flags"] == [] for item in body["steps"])
    assert curve(api, key="nope", status=404)["error"]["code"] == "not_found"


def ratings(site, step, scores, journey="checkout", **fields):
    return [answer(site, journey=journey, step=step, kind="csat", score=s, **fields) for s in scores]


def test_pain_point_and_drop_on_a_known_pain(api, send, site):
    """Payment is far below the rest and below shipping: flagged; its neighbours are not."""
    make_journey(api)
    answers = ratings(site, "cart", [4, 5, 4, 5, 3] * 8) + ratings(site, "shipping", [4, 5, 4, 4, 3] * 8)
    answers += ratings(site, "payment", [1, 2, 2, 1, 3] * 8) + ratings(site, "confirmation", [5, 4, 5, 4, 4] * 8)
    send_all(send, site, answers)
    steps = by_step(curve(api))
    assert steps["payment"]["flags"] == ["pain_point", "drop"]
    assert steps["payment"]["tests"]["pain_point"]["p_adjusted"] < 0.05
    assert steps["payment"]["tests"]["pain_point"]["diff"] < 0
    for name in ("cart", "shipping", "confirmation"):
        assert steps[name]["flags"] == [], name
    # Confirmation rises significantly after payment: a rise is not a drop.
    assert steps["confirmation"]["tests"]["drop"]["diff"] > 0
    assert steps["cart"]["tests"]["drop"] is None


def test_no_false_flags_on_pure_noise(api, send, site):
    """Every step drawn from the same distribution: no flag in any of five journeys."""
    rng = random.Random(20261125)
    for index in range(5):
        key = f"noise{index}"
        make_journey(api, key=key)
        answers = []
        for step in CHECKOUT_STEPS:
            answers += ratings(site, step, rng.choices([1, 2, 3, 4, 5], weights=[1, 1, 2, 3, 3], k=60), journey=key)
        send_all(send, site, answers)
        body = curve(api, key=key)
        assert [item["flags"] for item in body["steps"]] == [[], [], [], []], key
        assert all(item["tests"]["pain_point"] is not None for item in body["steps"])


def test_no_flags_below_minimum_sample(api, send, site):
    """A huge gap on 10 answers per step is not flagged, nor tested."""
    make_journey(api)
    answers = ratings(site, "cart", [5] * 9 + [4]) + ratings(site, "shipping", [5] * 10)
    answers += ratings(site, "payment", [1] * 9 + [2]) + ratings(site, "confirmation", [5] * 10)
    send_all(send, site, answers)
    for item in curve(api)["steps"]:
        assert item["flags"] == [] and item["tests"] == {"pain_point": None, "drop": None}


@pytest.fixture
def segmented(api, send, site):
    make_journey(api)
    answers = ratings(site, "cart", [5] * 4, device="mobile", locale="de", variant="A", url_path="/shop/cart?x=1")
    answers += ratings(
        site,
        "cart",
        [1] * 3,
        device="desktop",
        locale="en",
        variant="B",
        url_path="/blog/cart",
        attributes={"plan": "pro"},
    )
    answers += ratings(
        site,
        "payment",
        [2] * 2,
        device="mobile",
        locale="en",
        variant="B",
        url_path="/shop/pay",
        attributes={"plan": "pro", "tier": "gold"},
    )
    send_all(send, site, answers)
    send_all(
        send,
        site,
        impressions(site, "cart", 8, device="mobile", url_path="/shop/cart")
        + impressions(site, "cart", 6, device="desktop", url_path="/blog/cart"),
        path="/v1/events",
        field="events",
    )


@pytest.mark.parametrize(
    "params, cart, payment, source",
    [
        ({}, 7, 2, "rollups"),
        ({"device": "mobile"}, 4, 2, "rollups"),
        ({"locale": "en"}, 3, 2, "rollups"),
        ({"variant": "B"}, 3, 2, "rollups"),
        ({"device": "mobile", "variant": "B"}, 0, 2, "rollups"),
        ({"url_path": "/shop"}, 4, 2, "raw"),
        ({"url_path": "/blog/"}, 3, 0, "raw"),
        ({"attr": "plan:pro"}, 3, 2, "raw"),
        ({"attr": ["plan:pro", "tier:gold"]}, 0, 2, "raw"),
        ({"attr": "plan:free"}, 0, 0, "raw"),
    ],
)
def test_segment_filters(api, segmented, params, cart, payment, source):
    body = curve(api, **params)
    steps = by_step(body)
    assert (steps["cart"]["responses"], steps["payment"]["responses"], body["source"]) == (cart, payment, source)


def test_segment_filters_apply_to_impressions(api, segmented):
    assert by_step(curve(api))["cart"]["impressions"] == 14
    assert by_step(curve(api, device="mobile"))["cart"]["response_rate"] == 0.5
    assert by_step(curve(api, url_path="/blog"))["cart"]["impressions"] == 6
    # Events carry no attributes, so an attribute segment has no known impressions.
    assert by_step(curve(api, attr="plan:pro"))["cart"]["impressions"] is None


def test_rollups_and_raw_give_the_same_curve(api, checkout):
    a, b = curve(api, **window()), curve(api, **raw_window())
    assert (a["source"], b["source"]) == ("rollups", "raw")
    assert_same_numbers(a, b)


A_SCORES = [5, 4, 4, 3, 5, 2, 4, 5, 3, 4] * 3
B_SCORES = [2, 3, 1, 4, 2, 3, 2, 1, 3, 5] * 3


def test_compare_variants_matches_reference(api, send, site):
    """B − A per step: Welch on emotion and two-proportion z on CSAT (SciPy reference values)."""
    make_journey(api)
    send_all(
        send,
        site,
        ratings(site, "payment", A_SCORES, variant="A")
        + ratings(site, "payment", B_SCORES, variant="B")
        + ratings(site, "payment", [5] * 5, variant="C")
        + ratings(site, "cart", [4] * 3, variant="A"),
    )
    body = curve(api, compare="variant")
    summary = {name: body["compare"][name] for name in ("by", "variants", "difference")}
    assert summary == {"by": "variant", "variants": ["A", "B"], "difference": "B - A"}
    payment = by_step(body)["payment"]["compare"]
    assert payment["variants"]["A"]["responses"] == 30 and payment["variants"]["B"]["responses"] == 30
    emotion = payment["emotion"]
    assert emotion["diff"] == pytest.approx(-0.65)
    assert emotion["t"] == pytest.approx(-4.586320394820722, abs=1e-4)
    assert emotion["df"] == pytest.approx(54.9387933140245, abs=0.05)
    assert emotion["p_value"] == pytest.approx(2.652369399479777e-05, rel=1e-3)
    assert (emotion["ci_low"], emotion["ci_high"]) == pytest.approx(
        (-0.9340319946154438, -0.36596800538455615), abs=1e-4
    )
    assert emotion["significant"] is True
    csat = payment["csat"]
    assert csat["diff"] == pytest.approx(6 / 30 - 21 / 30, abs=1e-4)
    assert csat["z"] == pytest.approx(-3.892494720807614, abs=1e-4)
    assert csat["p_value"] == pytest.approx(9.921865932493659e-05, rel=1e-3)
    assert (csat["ci_low"], csat["ci_high"]) == pytest.approx((-0.7176648619366346, -0.2823351380633653), abs=1e-4)
    cart = by_step(body)["cart"]["compare"]
    assert cart["emotion"] is None and cart["variants"]["B"]["responses"] == 0

    named = by_step(curve(api, compare="variant", variants="B,A"))["payment"]["compare"]
    assert named["emotion"]["diff"] == pytest.approx(0.65)
    small = by_step(curve(api, compare="variant", variants="A,C"))["payment"]["compare"]
    assert small["emotion"]["significant"] is False  # C has 5 answers: below the minimum sample


def test_interval_series_by_day_and_week(app, api, send, site):
    """Answers moved to 8 days ago land in their own day and week buckets."""
    make_journey(api)
    send_all(send, site, ratings(site, "cart", [5] * 6) + ratings(site, "payment", [1] * 4))
    old = datetime.now(UTC) - timedelta(days=8)
    with app.app_context():
        ids = db.session.scalars(sa.select(Response.id).order_by(Response.id).limit(3)).all()
        db.session.execute(sa.update(Response).where(Response.id.in_(ids)).values(created_at=old))
        rebuild_rollups(db.session)
        db.session.commit()

    steps = by_step(curve(api, interval="day"))
    days = [point["start"] for point in steps["cart"]["series"]]
    assert days == [old.date().isoformat(), datetime.now(UTC).date().isoformat()]
    assert [point["responses"] for point in steps["cart"]["series"]] == [3, 3]
    assert [point["responses"] for point in steps["payment"]["series"]] == [0, 4]
    assert steps["cart"]["series"][0]["emotion"]["mean"] == 1.0

    weeks = by_step(curve(api, interval="week"))["cart"]["series"]
    assert sum(point["responses"] for point in weeks) == 6
    assert all(datetime.fromisoformat(point["start"]).weekday() == 0 for point in weeks)
    assert curve(api, interval="day")["window"]["interval"] == "day"
    assert "series" not in curve(api)["steps"][0]


@pytest.mark.parametrize(
    "params",
    [
        {"interval": "month"},
        {"compare": "browser"},
        {"variants": "A,B"},
        {"compare": "variant", "variants": "A"},
        {"compare": "variant", "variants": "A,A"},
        {"compare": "variant", "variant": "A"},
        {"attr": "plan"},
        {"attr": "bad key:x"},
        {"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
    ],
)
def test_bad_parameters_are_422(api, params):
    make_journey(api)
    assert curve(api, status=422, **params)["error"]["code"] == "validation_error"


def test_curve_needs_a_read_key(client, api):
    make_journey(api)
    assert client.get("/v1/journeys/checkout/curve").status_code == 401
