"""Personas (analytics/compare.py): per-step groups and their tests against a hand
computation with SciPy (Welch's t-test) and Holm's method written out here."""

import pytest
from scipy import stats

from collector.analytics import curves
from collector.extensions import db
from collector.models import Journey
from tests.helpers import answer

# CSAT without a comment: emotion = (score − 3) / 2, exactly.
EMOTION = {1: -1.0, 2: -0.5, 3: 0.0, 4: 0.5, 5: 1.0}


def make_journey(api, steps=("cart", "payment")):
    response = api.post(
        "/v1/journeys", json={"key": "checkout", "name": "Checkout", "steps": [{"key": s} for s in steps]}
    )
    assert response.status_code == 201, response.get_json()


def send_all(send, site, items, path="/v1/responses", field="responses"):
    for start in range(0, len(items), 50):
        response = send({field: items[start : start + 50]}, site, path=path)
        assert response.status_code in (200, 201), response.get_json()


def ratings(site, step, scores, **fields):
    return [answer(site, step=step, kind="csat", score=s, **fields) for s in scores]


def holm(p_values):
    """Holm's step-down adjustment, by hand: sort, multiply by (m − rank), running max, cap at 1."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted, running = [0.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * p_values[i])
        adjusted[i] = min(1.0, running)
    return adjusted


def journey_curve(app, filters):
    with app.app_context():
        journey = db.session.query(Journey).filter_by(key="checkout").one()
        return curves.journey_curve(db.session, journey, filters)


def by_step(curve):
    return {item["step"]: item for item in curve["steps"]}


SEED = {  # step -> group -> CSAT scores (30 or more each)
    "cart": {"desktop": [5, 4, 4, 5, 3, 4] * 6, "mobile": [4, 5, 4, 5, 3, 3] * 6},
    "payment": {"desktop": [5, 4, 4, 3, 5, 4] * 6, "mobile": [2, 3, 1, 2, 4, 2] * 6},
}


def test_two_devices_match_welch_and_holm_by_hand(app, api, send, site):
    """mobile − desktop per step: SciPy's Welch t, Holm over the two steps; payment is
    significant, cart is not; read from the rollups."""
    make_journey(api)
    send_all(
        send,
        site,
        [
            item
            for step, groups in SEED.items()
            for device, scores in groups.items()
            for item in ratings(site, step, scores, device=device)
        ],
    )
    curve = journey_curve(app, {"compare": "device"})
    assert curve["compare"]["by"] == "device" and curve["compare"]["groups"] == ["desktop", "mobile"]
    assert curve["compare"]["source"] == "rollups" and curve["compare"]["against"] == "desktop"

    expected = {}
    for step, groups in SEED.items():
        mobile, desktop = ([EMOTION[s] for s in groups[g]] for g in ("mobile", "desktop"))
        result = stats.ttest_ind(mobile, desktop, equal_var=False)
        expected[step] = (
            sum(mobile) / len(mobile) - sum(desktop) / len(desktop),
            result.statistic,
            result.pvalue,
            result.df,
        )
    adjusted = dict(zip(expected, holm([expected[step][2] for step in expected])))

    steps = by_step(curve)
    for step, (diff, t, p, df) in expected.items():
        block = steps[step]["compare"]
        assert block["by"] == "device"
        assert block["groups"]["mobile"]["emotion"]["mean"] == pytest.approx(
            sum(EMOTION[s] for s in SEED[step]["mobile"]) / 36, abs=1e-4
        )
        [test] = block["tests"]
        assert (test["group"], test["against"], test["n"], test["n_against"]) == ("mobile", "desktop", 36, 36)
        assert test["diff"] == pytest.approx(diff, abs=1e-4)
        assert test["t"] == pytest.approx(t, abs=1e-3)
        assert test["df"] == pytest.approx(df, abs=0.05)
        assert test["p_value"] == pytest.approx(p, rel=1e-3)
        assert test["p_adjusted"] == pytest.approx(adjusted[step], rel=1e-3)
        assert test["significant"] is bool(adjusted[step] < 0.05)
    assert steps["payment"]["compare"]["tests"][0]["significant"] is True
    assert steps["cart"]["compare"]["tests"][0]["significant"] is False


PLANS = {  # three groups: each against the rest of the compared answers at the step
    "cart": {"free": [4, 5, 4, 3, 5] * 6, "pro": [4, 4, 5, 3, 4] * 6, "team": [5, 4, 4, 4, 3] * 6},
    "payment": {"free": [1, 2, 2, 3, 1] * 6, "pro": [4, 5, 4, 3, 5] * 6, "team": [4, 3, 4, 5, 3] * 7},
}


def test_three_attribute_groups_each_against_the_rest_holm_across_steps_and_groups(app, api, send, site):
    make_journey(api)
    items = [
        item
        for step, groups in PLANS.items()
        for plan, scores in groups.items()
        for item in ratings(site, step, scores, attributes={"plan": plan})
    ]
    items += ratings(site, "payment", [1] * 40)  # no plan: in no group, not in the rest
    send_all(send, site, items)
    curve = journey_curve(app, {"compare": "attr:plan"})
    assert curve["compare"]["groups"] == ["free", "pro", "team"]
    assert curve["compare"]["against"] == "rest" and curve["compare"]["source"] == "raw"

    keys, p_values, expected = [], [], {}
    for step, groups in PLANS.items():
        for plan in groups:
            mine = [EMOTION[s] for s in groups[plan]]
            rest = [EMOTION[s] for other, scores in groups.items() if other != plan for s in scores]
            result = stats.ttest_ind(mine, rest, equal_var=False)
            keys.append((step, plan))
            p_values.append(result.pvalue)
            expected[(step, plan)] = (result.statistic, result.pvalue, len(mine), len(rest))
    adjusted = dict(zip(keys, holm(p_values)))  # one family of 2 steps × 3 groups

    steps = by_step(curve)
    for (step, plan), (t, p, n, n_rest) in expected.items():
        [test] = [test for test in steps[step]["compare"]["tests"] if test["group"] == plan]
        assert (test["against"], test["n"], test["n_against"]) == ("rest", n, n_rest)
        assert test["t"] == pytest.approx(t, abs=1e-3)
        assert test["p_value"] == pytest.approx(p, rel=1e-3)
        assert test["p_adjusted"] == pytest.approx(adjusted[(step, plan)], rel=1e-3)
        assert test["significant"] is bool(adjusted[(step, plan)] < 0.05)
    significant = {(step, t["group"]) for step in steps for t in steps[step]["compare"]["tests"] if t["significant"]}
    assert ("payment", "free") in significant and not any(step == "cart" for step, _ in significant)
    # events carry no attributes: no impressions per plan
    assert steps["payment"]["compare"]["groups"]["free"]["impressions"] is None


def test_small_groups_are_listed_but_not_adjusted_or_counted(app, api, send, site):
    """A group under 30 answers has its test shown without p_adjusted; the family is the rest."""
    make_journey(api)
    send_all(
        send,
        site,
        ratings(site, "payment", [1, 2] * 15, locale="de")
        + ratings(site, "payment", [4, 5] * 15, locale="en")
        + ratings(site, "payment", [5, 4, 5] * 3, locale="fr")
        + ratings(site, "cart", [4] * 3, locale="de"),
    )
    steps = by_step(journey_curve(app, {"compare": "locale"}))
    tests = {test["group"]: test for test in steps["payment"]["compare"]["tests"]}
    assert set(tests) == {"de", "en", "fr"}
    assert tests["fr"]["p_adjusted"] is None and tests["fr"]["significant"] is False
    scores = {"de": [1, 2] * 15, "en": [4, 5] * 15, "fr": [5, 4, 5] * 3}
    raw = {}
    for locale in ("de", "en"):
        rest = [EMOTION[s] for other in scores if other != locale for s in scores[other]]
        raw[locale] = stats.ttest_ind([EMOTION[s] for s in scores[locale]], rest, equal_var=False).pvalue
    adjusted = dict(zip(raw, holm(list(raw.values()))))  # the family is de and en only (m = 2)
    for locale in ("de", "en"):
        assert tests[locale]["p_adjusted"] == pytest.approx(adjusted[locale], rel=1e-3)
    assert steps["cart"]["compare"]["tests"] == []  # one answer per side at most: nothing to test


def test_rollups_and_raw_give_the_same_groups(app, api, send, site):
    make_journey(api)
    send_all(
        send,
        site,
        [
            item
            for step, groups in SEED.items()
            for device, scores in groups.items()
            for item in ratings(site, step, scores, device=device, url_path="/shop")
        ],
    )
    from_rollups = journey_curve(app, {"compare": "device"})
    from_raw = journey_curve(app, {"compare": "device", "url_path": "/shop"})
    assert (from_rollups["compare"]["source"], from_raw["compare"]["source"]) == ("rollups", "raw")
    for a, b in zip(from_rollups["steps"], from_raw["steps"]):
        assert a["compare"]["tests"] == b["compare"]["tests"]
        assert a["compare"]["groups"]["mobile"]["emotion"] == b["compare"]["groups"]["mobile"]["emotion"]


def test_visitor_type_groups_with_their_impressions(app, api, send, site):
    """New and returning visitors from raw answers and events: response rates per group."""
    make_journey(api)
    send_all(
        send,
        site,
        ratings(site, "payment", [2] * 30, visitor_type="new")
        + ratings(site, "payment", [5] * 30, visitor_type="returning")
        + ratings(site, "payment", [3] * 5),
    )
    events = []
    for visitor_type, count in (("new", 60), ("returning", 40)):
        for _ in range(count):
            event = answer(site, step="payment", type="impression", kind="csat", visitor_type=visitor_type)
            event.pop("score")
            events.append(event)
    send_all(send, site, events, path="/v1/events", field="events")
    curve = journey_curve(app, {"compare": "visitor_type"})
    assert curve["compare"]["source"] == "raw" and curve["compare"]["groups"] == ["new", "returning"]
    groups = by_step(curve)["payment"]["compare"]["groups"]
    assert (groups["new"]["responses"], groups["new"]["impressions"], groups["new"]["response_rate"]) == (30, 60, 0.5)
    assert (groups["returning"]["responses"], groups["returning"]["response_rate"]) == (30, 0.75)
    [test] = by_step(curve)["payment"]["compare"]["tests"]
    assert (test["group"], test["against"], test["diff"]) == ("returning", "new", 1.5)
