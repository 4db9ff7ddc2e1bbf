"""Friction per step: hand-counted sessions give exactly those shares in the curve, from the
rollups and from the raw events, through late (queued) events, segments, erasure and
retention; ``rollups verify`` checks the friction family."""

import csv
import io
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest

from collector.analytics import friction
from collector.extensions import db
from tests.helpers import answer, by_step, curve, ingest_clock, journey_event, make_journey, sign_in

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
DAY = {"from": "2026-11-20T00:00:00Z", "to": "2026-11-21T00:00:00Z"}
RAW_DAY = {"from": "2026-11-19T23:59:59Z", "to": "2026-11-21T00:00:00Z"}


@pytest.fixture
def clock(monkeypatch):
    return ingest_clock(monkeypatch, T0)


def event(site, session_id, type_, step, **fields):
    return journey_event(site, session_id, type_, step, visitor_id=f"v-{session_id}", **fields)


def post(send, site, clock, seconds, *events):
    clock.at = T0 + timedelta(seconds=seconds)
    response = send({"events": list(events)}, site, path="/v1/events")
    assert response.status_code in (200, 201), response.get_json()


def walk(send, site, clock, session_id, steps, start=0, gap=20, device="desktop", complete=False):
    """Views of ``steps`` ``gap`` seconds apart (each its own request)."""
    for index, step in enumerate(steps):
        post(send, site, clock, start + index * gap, event(site, session_id, "step_view", step, device=device))
    if complete:
        post(
            send,
            site,
            clock,
            start + len(steps) * gap,
            event(site, session_id, "journey_complete", steps[-1], device=device),
        )


@pytest.fixture
def scripted(api, send, site, clock):
    """40 sessions reach payment: 16 rage-click there and leave; 24 go on and complete
    (4 of them with a form error at payment, on mobile). 2 sessions go back quickly."""
    make_journey(api)
    for number in range(40):
        session_id = f"s{number}"
        device = "mobile" if number >= 36 else "desktop"
        raging = number < 16
        walk(send, site, clock, session_id, ["cart", "shipping", "payment"], start=number * 100, device=device)
        if raging:
            post(
                send,
                site,
                clock,
                number * 100 + 45,
                event(
                    site,
                    session_id,
                    "rage_click",
                    "payment",
                    device=device,
                    props={"target": "button#apply-coupon", "count": 3},
                ),
            )
        elif number >= 36:
            post(
                send,
                site,
                clock,
                number * 100 + 45,
                event(site, session_id, "form_error", "payment", device=device, props={"field": "card"}),
            )
        if not raging:
            walk(send, site, clock, session_id, ["confirmation"], start=number * 100 + 60, device=device, complete=True)
    # qb1: cart -> shipping -> back to cart after 5 s: quick_back at shipping.
    walk(send, site, clock, "qb1", ["cart", "shipping"], start=5000, gap=20)
    post(send, site, clock, 5025, event(site, "qb1", "step_view", "cart", device="desktop"))
    # qb2: back after 30 s: no signal.
    walk(send, site, clock, "qb2", ["cart", "shipping"], start=6000, gap=20)
    post(send, site, clock, 6050, event(site, "qb2", "step_view", "cart", device="desktop"))


def test_friction_block_counts_sessions_per_step_with_wilson_shares(api, scripted):
    steps = by_step(curve(api, **DAY))
    payment = steps["payment"]["friction"]
    assert payment["sessions"] == 40
    assert payment["signals"]["rage_click"]["sessions"] == 16
    assert payment["signals"]["rage_click"]["share"] == 0.4
    assert payment["signals"]["rage_click"]["ci_low"] < 0.4 < payment["signals"]["rage_click"]["ci_high"]
    assert payment["signals"]["form_error"]["sessions"] == 4
    assert payment["signals"]["dead_click"]["sessions"] == 0
    assert payment["index"]["sessions"] == 20
    # Rage-clickers all left at payment; the others all went on.
    abandonment = payment["abandonment"]["rage_click"]
    assert (abandonment["with"]["count"], abandonment["with"]["n"]) == (16, 16)
    assert (abandonment["without"]["count"], abandonment["without"]["n"]) == (0, 24)
    assert abandonment["difference"]["diff"] == 1.0
    assert "friction" in steps["payment"]["flags"]
    assert "friction" not in steps["cart"]["flags"]
    shipping = steps["shipping"]["friction"]
    assert shipping["sessions"] == 42
    assert shipping["signals"]["quick_back"]["sessions"] == 1
    assert steps["cart"]["friction"]["index"]["sessions"] == 0


def test_raw_and_rollups_agree_and_segments_split(api, scripted):
    from_rollups, from_raw = curve(api, **DAY), curve(api, **RAW_DAY)
    assert from_rollups["friction"]["source"] == "rollups" and from_raw["friction"]["source"] == "raw"
    assert [s["friction"] for s in from_rollups["steps"]] == [s["friction"] for s in from_raw["steps"]]
    mobile = by_step(curve(api, device="mobile", **DAY))["payment"]["friction"]
    assert mobile["sessions"] == 4 and mobile["signals"]["form_error"]["sessions"] == 4
    assert mobile["signals"]["rage_click"]["sessions"] == 0
    mobile_raw = by_step(curve(api, device="mobile", **RAW_DAY))["payment"]["friction"]
    assert mobile_raw == mobile


def test_late_queued_signal_and_view_land_exactly(app, api, send, site, clock):
    make_journey(api)
    # The signal arrives first; the step view it belongs to is delivered later from the queue.
    post(send, site, clock, 100, event(site, "late", "dead_click", "payment", props={"target": "button#apply-coupon"}))
    assert by_step(curve(api, **DAY))["payment"]["friction"]["sessions"] == 0
    post(send, site, clock, 200, event(site, "late", "step_view", "payment", age_ms=150_000))
    # A duplicate (same client_id) changes nothing.
    again = event(site, "late", "dead_click", "payment")
    post(send, site, clock, 210, again)
    post(send, site, clock, 220, again)
    payment = by_step(curve(api, **DAY))["payment"]["friction"]
    assert payment["sessions"] == 1 and payment["signals"]["dead_click"]["sessions"] == 1
    # Late views from the queue: cart at 40 s, then back to cart at 55 s, 5 s after arriving at
    # payment (50 s): cart -> payment -> cart is a quick back at payment.
    post(send, site, clock, 300, event(site, "late", "step_view", "cart", age_ms=260_000))
    assert by_step(curve(api, **DAY))["payment"]["friction"]["signals"]["quick_back"]["sessions"] == 0
    post(send, site, clock, 305, event(site, "late", "step_view", "cart", age_ms=250_000))
    payment = by_step(curve(api, **DAY))["payment"]["friction"]
    assert payment["signals"]["quick_back"]["sessions"] == 1
    assert payment["abandonment"]["quick_back"]["with"]["count"] == 0  # its last view is cart
    with app.app_context():
        assert friction.compare_friction(db.session) == []


def test_answers_relate_to_friction(api, send, site, clock, scripted):
    # Two rage-clickers answer badly at payment, two calm sessions answer well.
    clock.at = T0 + timedelta(seconds=50)
    for session_id, score in (("s0", 1), ("s1", 1), ("s20", 5), ("s21", 5)):
        response = send(
            {
                "responses": [
                    answer(site, step="payment", score=score, session_id=session_id, visitor_id=f"v-{session_id}")
                ]
            },
            site,
        )
        assert response.status_code == 201
    emotion = by_step(curve(api, **DAY))["payment"]["friction"]["emotion"]["rage_click"]
    assert (emotion["with"]["count"], emotion["with"]["n"]) == (2, 2)
    assert (emotion["without"]["count"], emotion["without"]["n"]) == (0, 2)


def test_erasure_and_verify_cover_friction(app, api, runner, scripted):
    assert api.delete("/v1/visitors/v-s0").status_code == 200
    payment = by_step(curve(api, **DAY))["payment"]["friction"]
    assert payment["sessions"] == 39 and payment["signals"]["rage_click"]["sessions"] == 15
    with app.app_context():
        assert friction.compare_friction(db.session) == []
    result = runner.invoke(args=["rollups", "verify"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.session.execute(db.text("UPDATE friction_rollups SET sessions = sessions + 1 WHERE signal = 'rage_click'"))
        db.session.commit()
    result = runner.invoke(args=["rollups", "verify"])
    assert result.exit_code == 1 and "friction rollups" in result.output
    assert runner.invoke(args=["rollups", "rebuild"]).exit_code == 0
    assert runner.invoke(args=["rollups", "verify"]).exit_code == 0


def test_friction_events_refuse_other_props(send, site, api):
    make_journey(api)
    body = event(site, "x", "rage_click", "payment", props={"value": "4111 1111"})
    response = send({"events": [body]}, site, path="/v1/events")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"]
    response = send({"events": [event(site, "x", "quick_back", "payment")]}, site, path="/v1/events")
    assert response.status_code == 422


def test_exports_carry_friction(api, scripted):
    table = api.get("/v1/journeys/checkout/export", format="journey-table", **DAY)
    assert table.status_code == 200, table.get_json()
    header, *rows = csv.reader(io.StringIO(table.data.decode("utf-8-sig")))
    payment = next(row for row in rows if row[1] == "payment")
    assert payment[header.index("Friction index")] == "0.5"
    assert payment[header.index("Rage click share")] == "0.4"
    drawio = api.get("/v1/journeys/checkout/export", format="drawio", **DAY).data.decode()
    assert "friction_index" in drawio and "rage_click_share" in drawio
    body = api.get("/v1/journeys/checkout/export", format="json", **DAY).get_json()
    assert {s["step"]: s["friction"]["index"]["sessions"] for s in body["steps"]}["payment"] == 20
    lucid = api.get("/v1/journeys/checkout/export", format="lucid", **DAY)
    assert lucid.status_code == 200


def test_dashboard_table_shows_friction_per_step(api, client, site, scripted):
    """A CX reader sees the share of sessions that struggled at payment, flagged, beside the funnel."""
    client.get("/dashboard/sign-in")
    sign_in(client, site.secret)
    html = client.get("/dashboard/", query_string={"journey": "checkout", **{k: v[:10] for k, v in DAY.items()}})
    text = html.get_data(as_text=True)
    assert "Rage / dead / error clicks" in text
    row = text[text.index('<tr data-step="payment">') :]
    row = row[: row.index("</tr>")]
    assert "40%" in row  # 16 of 40 sessions rage-clicked at payment
    assert 'class="num friction flagged"' in row


def test_dashboard_strip_shows_friction_under_the_emotion_line(api, client, site, scripted):
    """Under the curve, one cell per step: its friction index, its most common signal, payment
    flagged; a hostile step name stays text in each cell's accessible title."""
    renamed = api.patch("/v1/journeys/checkout/steps/payment", json={"name": "<i>Pay</i> & go"})
    assert renamed.status_code == 200, renamed.json
    sign_in(client, site.secret)
    html = client.get("/dashboard/", query_string={"journey": "checkout", **{k: v[:10] for k, v in DAY.items()}})
    text = html.get_data(as_text=True)
    assert "<i>Pay</i>" not in text
    start = text.index('<svg class="curve friction-strip"')
    strip = ElementTree.fromstring(text[start : text.index("</svg>", start) + len("</svg>")])
    assert strip.find("title").text.startswith("Friction per step: share of the step's sessions")
    cells = {cell.get("data-step"): cell for cell in strip.iter("g")}
    assert list(cells) == ["cart", "shipping", "payment", "confirmation"]
    assert [cells[key].get("data-share") for key in cells] == ["0.0", "0.0238", "0.5", "0.0"]
    assert [key for key, cell in cells.items() if "flagged" in cell.get("class")] == ["payment"]
    payment = cells["payment"]
    assert payment.find("title").text == (
        "<i>Pay</i> & go: friction 50% of 40 sessions (95% CI 35%–65%); rage click 40%, form error 10%;"
        " significantly above the journey's other steps"
    )
    assert [t.text for t in payment.iter("text")] == ["⚑ 50%", "rage click"]
    heights = {key: float(cell.findall("rect")[1].get("height")) for key, cell in cells.items()}
    assert heights == {"cart": 0.0, "shipping": 1.9, "payment": 40.0, "confirmation": 0.0}  # scaled to payment
    assert cells["shipping"].find("title").text.endswith("quick back 2%")


def test_compared_groups_carry_their_friction(api, scripted):
    """compare=device: each device's sessions, shares and index at the step, equal from the
    rollups and the raw events; a comparison the rollups can't key (visitor type) has none."""
    by_device = {"compare": "device", "groups": "desktop,mobile"}
    from_rollups, from_raw = curve(api, **by_device, **DAY), curve(api, **by_device, **RAW_DAY)
    payment = by_step(from_rollups)["payment"]["compare"]["groups"]
    assert set(payment) == {"desktop", "mobile"}
    desktop, mobile = payment["desktop"]["friction"], payment["mobile"]["friction"]
    assert (desktop["sessions"], desktop["signals"]["rage_click"]["sessions"], desktop["index"]["sessions"]) == (
        36,
        16,
        16,
    )
    assert (mobile["sessions"], mobile["signals"]["form_error"]["share"], mobile["index"]["share"]) == (4, 1.0, 1.0)
    assert by_step(from_rollups)["shipping"]["compare"]["groups"]["desktop"]["friction"]["sessions"] == 38
    assert [s["compare"]["groups"] for s in from_rollups["steps"]] == [
        s["compare"]["groups"] for s in from_raw["steps"]
    ]
    by_visitor = curve(api, compare="visitor_type", groups="new,returning", **DAY)
    assert {g["friction"] for g in by_step(by_visitor)["payment"]["compare"]["groups"].values()} == {None}


def test_dashboard_compare_shows_each_groups_friction(api, client, site, send, scripted):
    for device in ("desktop", "mobile"):  # the compared groups are those with answers
        assert send(answer(site, step="payment", device=device), site).status_code == 201
    sign_in(client, site.secret)
    query = {"journey": "checkout", "compare": "device", **{k: v[:10] for k, v in DAY.items()}}
    text = client.get("/dashboard/", query_string=query).get_data(as_text=True)
    table = text[text.index('id="compare"') :]
    row = table[table.index('<tr data-step="payment">') :]
    row = row[: row.index("</tr>")]
    desktop, mobile = (row[row.index(f'data-group="{group}"') :] for group in ("desktop", "mobile"))
    assert "friction 44%" in desktop[: desktop.index("</td>")]  # 16 of 36 desktop sessions
    assert "friction 100%" in mobile[: mobile.index("</td>")]  # all 4 mobile sessions: form errors
    assert "Friction: share of the group's sessions with any signal" in table
