"""The funnel: synthetic sessions with a hand-computed funnel give exactly those numbers,
from the rollups and from the raw events, through timeouts, late, duplicate and erased events."""

from datetime import UTC, datetime, timedelta

import pytest

from collector.analytics import funnel, visits
from collector.analytics.maintenance import compare_rollups
from collector.extensions import db
from collector.models import Journey
from tests.helpers import answer, by_step, curve, ingest_clock, journey_event, make_journey, sign_in

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
DAY = {"from": "2026-11-20T00:00:00Z", "to": "2026-11-21T00:00:00Z"}
MIN = 60

# (session, visitor, seconds after T0, type, step), in the order they are sent.
SCRIPT = [
    # s1: the whole journey, completed at 180 s.
    ("s1", "v1", 0, "step_view", "cart"),
    ("s1", "v1", 60, "step_view", "shipping"),
    ("s1", "v1", 120, "step_view", "payment"),
    ("s1", "v1", 180, "step_view", "confirmation"),
    ("s1", "v1", 180, "journey_complete", "confirmation"),
    # s2: skips shipping, leaves at payment.
    ("s2", "v2", 0, "step_view", "cart"),
    ("s2", "v2", 30, "step_view", "payment"),
    # s3: an error at payment, re-enters it, leaves.
    ("s3", "v3", 0, "step_view", "cart"),
    ("s3", "v3", 10, "step_view", "shipping"),
    ("s3", "v3", 20, "step_view", "payment"),
    ("s3", "v3", 40, "error", "payment"),
    ("s3", "v3", 50, "step_view", "payment"),
    # s4: 31 minutes of silence: two sessions (cart; cart → shipping).
    ("s4", "v4", 0, "step_view", "cart"),
    ("s4", "v4", 31 * MIN, "step_view", "cart"),
    ("s4", "v4", 31 * MIN + 20, "step_view", "shipping"),
    # s5: exactly 30 minutes of silence: still one session.
    ("s5", "v5", 0, "step_view", "cart"),
    ("s5", "v5", 30 * MIN, "step_view", "shipping"),
    # s6: out of order: payment arrives before the earlier cart view.
    ("s6", "v6", 120, "step_view", "payment"),
    ("s6", "v6", 0, "step_view", "cart"),
    # s7: 40 minutes apart (two sessions) until a late shipping view at 20 minutes joins them.
    ("s7", "v7", 0, "step_view", "cart"),
    ("s7", "v7", 40 * MIN, "step_view", "payment"),
    ("s7", "v7", 20 * MIN, "step_view", "shipping"),
]


@pytest.fixture
def clock(monkeypatch):
    """Ingest's clock, settable: ``clock.at = datetime``."""
    return ingest_clock(monkeypatch, T0)


def event(site, session_id, visitor_id, type_, step, **fields):
    return journey_event(site, session_id, type_, step, visitor_id=visitor_id, **fields)


def send_script(send, site, clock, script=SCRIPT):
    """Send each event on its own at its time; returns the bodies sent."""
    sent = []
    for session_id, visitor_id, seconds, type_, step in script:
        clock.at = T0 + timedelta(seconds=seconds)
        body = event(site, session_id, visitor_id, type_, step)
        assert send({"events": [body]}, site, path="/v1/events").status_code in (200, 201)
        sent.append(body)
    return sent


@pytest.fixture
def scripted(api, send, site, clock):
    make_journey(api)
    sent = send_script(send, site, clock)
    # One negative answer where s2 left, one positive where s1 went on.
    clock.at = T0 + timedelta(seconds=40)
    for session_id, visitor_id, score in (("s2", "v2", 1), ("s1", "v1", 5)):
        response = send(
            {"responses": [answer(site, step="payment", score=score, session_id=session_id, visitor_id=visitor_id)]},
            site,
        )
        assert response.status_code in (200, 201)
    return sent


def differences(app):
    with app.app_context():
        return compare_rollups(db.session)


def rate(count, n):
    return (count, n)


def summary(body):
    """The funnel numbers the test checks: (count, n) pairs, counts and times."""
    steps = {}
    for key, item in by_step(body).items():
        f = item["funnel"]
        steps[key] = {
            name: (f[name]["count"], f[name]["n"]) for name in ("continued", "abandonment", "retry", "errors")
        }
        steps[key].update(
            sessions=f["sessions"], views=f["views"], time=(f["time_on_step"]["median"], f["time_on_step"]["p90"])
        )
    overall = body["funnel"]
    return {
        "sessions": overall["sessions"],
        "completion": (overall["completion"]["count"], overall["completion"]["n"]),
        "time_to_completion": (overall["time_to_completion"]["median"], overall["time_to_completion"]["p90"]),
        "steps": steps,
    }


EXPECTED = {
    "sessions": 8,
    "completion": (1, 8),
    "time_to_completion": (180, 180),
    "steps": {
        "cart": {
            "sessions": 8,
            "continued": (7, 8),
            "abandonment": (1, 8),
            "retry": (0, 8),
            "errors": (0, 8),
            "views": 8,
            # stays: 60, 30, 10, 20 (s4 second session), 1800 (s5), 120 (s6), 1200 (s7)
            "time": (60, 1800),
        },
        "shipping": {
            "sessions": 5,
            "continued": (3, 5),
            "abandonment": (2, 5),
            "retry": (0, 5),
            "errors": (0, 5),
            "views": 5,
            "time": (60, 1200),
        },
        "payment": {
            "sessions": 5,
            "continued": (1, 5),
            "abandonment": (4, 5),
            "retry": (1, 5),
            "errors": (1, 6),
            "views": 6,
            "time": (30, 60),
        },
        "confirmation": {
            "sessions": 1,
            "continued": (1, 1),
            "abandonment": (0, 1),
            "retry": (0, 1),
            "errors": (0, 1),
            "views": 1,
            "time": (0, 0),
        },
    },
}


def test_known_funnel_from_rollups(api, scripted):
    """Timeout edges (30 min stays, 31 min splits), skips, retries, errors and late events give the hand-computed funnel."""
    body = curve(api, **DAY)
    assert body["funnel"]["source"] == "rollups"
    assert summary(body) == EXPECTED
    payment = by_step(body)["payment"]["funnel"]
    assert payment["abandonment"]["rate"] == 0.8
    assert 0 < payment["abandonment"]["ci_low"] < 0.8 < payment["abandonment"]["ci_high"] <= 1
    assert (
        payment["emotion_abandonment"]["negative"]["count"] == 1
        and payment["emotion_abandonment"]["negative"]["n"] == 1
    )
    assert (
        payment["emotion_abandonment"]["positive"]["count"] == 0
        and payment["emotion_abandonment"]["positive"]["n"] == 1
    )
    assert payment["emotion_abandonment"]["difference"]["diff"] == 1.0


def test_known_funnel_from_raw_events(api, scripted):
    """A sub-day window reads the raw events and gives the same numbers."""
    body = curve(api, **{"from": "2026-11-20T09:00:00Z", "to": "2026-11-20T11:00:00Z"})
    assert body["funnel"]["source"] == "raw"
    assert summary(body) == EXPECTED


def test_rollups_equal_a_recomputation(app, scripted, runner):
    """The incremental rollups equal a full recomputation; rebuild keeps them; verify says so."""
    assert differences(app) == []
    assert runner.invoke(args=["rollups", "rebuild"]).exit_code == 0
    assert differences(app) == []
    result = runner.invoke(args=["rollups", "verify"])
    assert result.exit_code == 0, result.output


def test_resent_events_change_nothing(api, send, site, clock, scripted, app):
    """Duplicates (the widget's resends, same client_id) are not counted twice."""
    clock.at = T0 + timedelta(hours=2)
    for start in range(0, len(scripted), 10):
        assert send({"events": scripted[start : start + 10]}, site, path="/v1/events").status_code in (200, 201)
    assert summary(curve(api, **DAY)) == EXPECTED
    assert differences(app) == []


def test_a_batch_with_a_whole_session(api, send, site, clock):
    """Several events of one session in one request (same receive time) keep their order."""
    make_journey(api)
    items = [event(site, "b1", "vb", "step_view", step) for step in ("cart", "shipping", "payment", "confirmation")]
    items.append(event(site, "b1", "vb", "journey_complete", "confirmation"))
    assert send({"events": items}, site, path="/v1/events").status_code in (200, 201)
    body = curve(api, **DAY)
    assert body["funnel"]["completion"]["rate"] == 1.0
    assert all(item["funnel"]["continued"]["count"] == 1 for item in body["steps"])
    assert [item["funnel"]["time_on_step"]["median"] for item in body["steps"]] == [0, 0, 0, 0]


def test_late_delivered_events_are_dated_by_their_age(api, send, site, clock, app):
    """The widget's queue delivers a session ten minutes late, in one request: each
    item's age (not the visitor's clock, not the arrival) dates it."""
    make_journey(api)
    clock.at = T0 + timedelta(minutes=10)
    seconds = {"cart": 0, "shipping": 60, "payment": 120, "confirmation": 180}
    items = [event(site, "late", "vl", "step_view", step, age_ms=(600 - at) * 1000) for step, at in seconds.items()]
    items.append(event(site, "late", "vl", "journey_complete", "confirmation", age_ms=(600 - 180) * 1000))
    assert send({"events": items}, site, path="/v1/events").status_code == 201
    body = curve(api, **DAY)
    assert body["funnel"]["time_to_completion"]["median"] == 180
    assert [item["funnel"]["time_on_step"]["median"] for item in body["steps"]] == [60, 60, 60, 0]
    assert differences(app) == []


@pytest.mark.parametrize("age", [-1, 7 * 24 * 3600 * 1000 + 1, "60000", 1.5])
def test_an_impossible_age_is_refused(send, site, age):
    reply = send({"events": [event(site, "s", "v", "step_view", "cart", age_ms=age)]}, site, path="/v1/events")
    assert reply.status_code == 422
    assert "age_ms" in reply.get_json()["error"]["details"]["events"]["0"]


def test_erasure_removes_the_visitor_from_every_metric(api, scripted, app):
    """Erasing v1 (the only completed session and the positive answer) takes them out of the funnel."""
    assert api.delete("/v1/visitors/v1").status_code == 200
    body = curve(api, **DAY)
    assert body["funnel"]["sessions"] == 7
    assert body["funnel"]["completion"]["count"] == 0
    assert body["funnel"]["time_to_completion"]["n"] == 0
    payment = by_step(body)["payment"]["funnel"]
    assert (payment["sessions"], payment["abandonment"]["count"], payment["continued"]["count"]) == (4, 4, 0)
    assert payment["emotion_abandonment"]["positive"]["n"] == 0
    assert by_step(body)["confirmation"]["funnel"]["sessions"] == 0
    assert differences(app) == []


def test_session_timeout_setting_recuts_sessions(api, scripted, app):
    """A 10-minute timeout splits s5 (30 min gap) and s7 (20 min gaps); the rollups follow."""
    response = api.patch("/v1/site", json={"settings": {"session_timeout_minutes": 10}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["settings"]["session_timeout_minutes"] == 10
    body = curve(api, **DAY)
    assert body["funnel"]["session_timeout_minutes"] == 10
    assert body["funnel"]["sessions"] == 11
    assert differences(app) == []


def test_reordering_steps_recomputes_continuation(api, scripted, app):
    """Continuation depends on step order, so moving a step rebuilds the journey's funnel."""
    response = api.patch("/v1/journeys/checkout", json={"step_order": ["cart", "payment", "shipping", "confirmation"]})
    assert response.status_code == 200, response.get_json()
    assert differences(app) == []
    # s3 and s7 viewed shipping before payment: payment no longer lies after shipping for them.
    assert by_step(curve(api, **DAY))["shipping"]["funnel"]["continued"]["count"] == 1


def test_variant_comparison(api, send, site, clock):
    """compare=variant gives B − A of abandonment and completion with a z-test."""
    make_journey(api)
    items = []
    for index in range(40):
        for variant, completes in (("A", index < 10), ("B", index < 30)):
            session_id = f"{variant}{index}"
            items.append(event(site, session_id, session_id, "step_view", "cart", variant=variant))
            if completes:
                items.append(event(site, session_id, session_id, "journey_complete", "cart", variant=variant))
    for start in range(0, len(items), 100):
        assert send({"events": items[start : start + 100]}, site, path="/v1/events").status_code in (200, 201)
    for variant in ("A", "B"):  # the curve picks variants by answers
        send({"responses": [answer(site, step="cart", variant=variant, session_id=None)]}, site)
    body = curve(api, compare="variant", **DAY)
    completion = body["funnel"]["compare"]["completion"]
    assert completion["diff"] == 0.5 and completion["significant"] is True and completion["p_value"] < 0.001
    cart = by_step(body)["cart"]["compare"]["funnel"]["abandonment"]
    assert cart["diff"] == -0.5


def test_quantiles_and_buckets():
    """Nearest-rank quantiles over bucketed seconds."""
    assert [visits.bucket_seconds(s) for s in (0, 59.9, 119, 125, 1199, 1200, 1259, 4000)] == [
        0,
        59,
        119,
        120,
        1190,
        1200,
        1200,
        3960,
    ]
    assert funnel.quantile({10: 1, 20: 1, 30: 1, 40: 1}, 0.5) == 20
    assert funnel.quantile({10: 1, 20: 1, 30: 1, 40: 1}, 0.9) == 40
    assert funnel.quantile({}, 0.5) is None


def test_visits_split_exactly_at_the_timeout():
    """A gap equal to the timeout continues the session; one second more ends it."""
    positions = {1: 0, 2: 1}
    base = T0.replace(tzinfo=None)  # SQLite returns naive UTC
    for gap, expected in ((30 * MIN, 1), (30 * MIN + 1, 2)):
        events = [
            visits.EventRow(1, base, "step_view", 1, None, None, None),
            visits.EventRow(2, base + timedelta(seconds=gap), "step_view", 2, None, None, None),
        ]
        assert len(visits.visits_of(events, [], timedelta(minutes=30), positions)) == expected


def test_journey_without_events_has_an_empty_funnel(api, app):
    make_journey(api)
    body = curve(api)
    assert body["funnel"]["sessions"] == 0 and body["funnel"]["completion"]["rate"] is None
    assert by_step(body)["cart"]["funnel"]["abandonment"] == {
        "count": 0,
        "n": 0,
        "rate": None,
        "ci_low": None,
        "ci_high": None,
    }
    with app.app_context():
        assert db.session.query(Journey).count() == 1


def test_exports_carry_the_funnel(api, scripted):
    """Journey table, draw.io, SVG and JSON exports include each step's funnel numbers."""
    table = api.get("/v1/journeys/checkout/export", format="journey-table", **DAY)
    assert table.status_code == 200
    lines = table.get_data(as_text=True).lstrip("\ufeff").splitlines()
    header = lines[0].split(",")
    assert "Abandonment" in header and "Time on step median (s)" in header
    drawio = api.get("/v1/journeys/checkout/export", format="drawio", **DAY).get_data(as_text=True)
    assert "abandonment" in drawio and "80% drop" in drawio
    svg = api.get("/v1/journeys/checkout/export", format="svg", **DAY).get_data(as_text=True)
    assert 'data-abandonment="0.8"' in svg and "5 sessions · 80% drop" in svg
    document = api.get("/v1/journeys/checkout/export", format="json", **DAY).get_json()
    assert document["funnel"]["sessions"] == 8
    assert by_step(document)["payment"]["funnel"]["abandonment"]["count"] == 4


def test_abandonment_alert_fires_when_abandonment_rises(app, api, send, site, clock):
    """abandonment_above_previous: 25% abandonment at payment in the baseline, 75% now, 40 sessions each."""
    make_journey(api)
    now = T0 + timedelta(hours=3)
    for hour, lost in ((1, 10), (2, 30)):  # baseline period 1-2 h after T0, window 2-3 h (minus the timeout)
        items = []
        for index in range(40):
            clock.at = T0 + timedelta(hours=hour, minutes=index % 25 - 30)
            session_id = f"h{hour}-{index}"
            items.append(event(site, session_id, session_id, "step_view", "payment"))
            if index >= lost:
                items.append(event(site, session_id, session_id, "journey_complete", "payment"))
            assert send(
                {"events": items[-2:] if index >= lost else items[-1:]}, site, path="/v1/events"
            ).status_code in (200, 201)
    response = api.post(
        "/v1/alerts/rules",
        json={
            "journey": "checkout",
            "step": "payment",
            "kind": "abandonment_above_previous",
            "webhook_url": "https://hooks.example.com/x",
            "window_hours": 1,
            "min_n": 30,
        },
    )
    assert response.status_code == 201, response.get_json()
    from collector import alerts
    from collector.models import AlertRule

    with app.app_context():
        rule = db.session.get(AlertRule, response.get_json()["id"])
        [finding] = alerts.measure(db.session, rule, now)
        assert (finding.n, finding.baseline_n, finding.value, finding.baseline) == (40, 40, 0.75, 0.25)
        assert finding.triggered is True and finding.p_value < 0.001


def test_dashboard_shows_the_funnel(client, site, scripted):
    """The dashboard draws the funnel strip under the emotion line and adds funnel columns per step."""
    assert sign_in(client, site.secret).status_code == 302
    page = client.get("/dashboard/", query_string={"journey": "checkout", "from": "2026-11-20", "to": "2026-11-20"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'class="curve funnel"' in html and "5 · 80% drop" in html
    assert '<td class="num abandonment">80%</td>' in html


def test_retention_keeps_the_funnel_exact(app, site, scripted):
    """Purging events older than the cutoff (mid-morning) leaves rollups equal to a recomputation."""
    from collector.models import Site
    from collector.privacy.retention import purge_site

    with app.app_context():
        stored = db.session.get(Site, site.id)
        stored.retention_days = 1
        result = purge_site(db.session, stored, now=T0 + timedelta(days=1, minutes=25))
        assert result.events > 0
        assert compare_rollups(db.session) == []
        journey = db.session.query(Journey).one()
        # Left: s4's second session, s5's shipping view and s7's payment view, each a session of its own.
        assert funnel.journey_funnel(db.session, journey, {})["overall"]["sessions"] == 3


def test_concurrent_ingest_of_one_session_stays_exact(app, api, site):
    """Parallel requests adding events to the same sessions leave exact rollups (per-session locking)."""
    import random
    import threading

    make_journey(api)
    errors = []

    def worker(seed):
        client, rng = app.test_client(), random.Random(seed)
        for _ in range(12):
            session_id = f"c{rng.randint(1, 3)}"
            body = {
                "events": [
                    event(
                        site,
                        session_id,
                        session_id,
                        rng.choice(["step_view", "step_view", "error"]),
                        rng.choice(["cart", "shipping", "payment", "confirmation"]),
                    )
                ]
            }
            response = client.post(
                "/v1/events",
                data=__import__("json").dumps(body),
                headers={"Content-Type": "text/plain", "Origin": site.origin},
            )
            if response.status_code not in (200, 201):
                errors.append(response.status_code)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert differences(app) == []
