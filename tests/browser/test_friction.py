"""Silent signals in real Chromium, on a host page of another origin: each signal fires on its
gesture and lands at the step it happened on; calm use sends none; the frustration prompt
asks once and its answer says which signal asked; going back to the previous step within
10 s is a quick_back at the step left, shown in the curve's friction block."""

from datetime import timedelta

import pytest

from collector.common.time import utcnow
from collector.extensions import db
from collector.models import Site
from collector.tenancy.keys import create_api_key
from tests.browser.helpers import wait_for
from tests.helpers import ApiClient, by_step, curve

FRICTION = {"rage_click", "dead_click", "error_click", "js_error", "form_error"}

SHOP = """
<button id="apply-coupon" data-stepsense-label="Apply coupon" style="margin:20px;padding:20px">Apply coupon</button>
<button id="works" style="padding:20px" onclick="document.getElementById('out').textContent = 'applied ' + Math.random()">Works</button>
<button id="boom" style="padding:20px" onclick="throw new Error('coupon service failed for 4111')">Boom</button>
<div id="out"></div>
<form id="card-form" onsubmit="event.preventDefault(); document.getElementById('out').textContent = 'paid'">
  <input name="card" id="card" required pattern="[0-9]{16}">
  <input name="email" id="email" oninput="this.setAttribute('aria-invalid', this.value.includes('@') ? 'false' : 'true')">
  <button id="pay">Pay</button>
</form>
<p id="text">Some calm text a visitor may select and read.</p>
<a id="next" href="/done">Next</a>
<div style="height:2000px"></div>
"""


def signals(widget):
    return [event for event in widget.events() if event.type in FRICTION]


@pytest.fixture
def shop(widget, page, watch):
    watch.allowed_errors.append("coupon service failed")
    widget.setup({"pay": [], "done": []})
    widget.page("/done", "done")
    page.goto(widget.page("/pay", "pay", SHOP))
    wait_for(lambda: widget.events(type="step_view"), message="the step view")
    return widget


def test_each_signal_fires_and_lands_at_its_step(page, shop):
    box = page.locator("#apply-coupon").bounding_box()
    x, y = box["x"] + 10, box["y"] + 10
    for offset in (0, 5, 10):  # three clicks within a second, within 30 px
        page.mouse.click(x + offset, y)
    page.wait_for_timeout(2800)  # nothing happens on the page: a dead click too
    page.click("#boom")
    page.fill("#card", "1234")
    page.click("#pay")  # the browser's validation fails: invalid
    page.click("#email")
    page.keyboard.type("abc")  # the page marks it aria-invalid
    wanted = {"rage_click", "dead_click", "error_click", "js_error", "form_error"}
    try:
        rows = wait_for(
            lambda: (
                (found := signals(shop))
                and wanted <= {e.type for e in found}
                and [e.type for e in found].count("form_error") == 2
                and found
            ),
            timeout=8,
            message="every signal",
        )
    except AssertionError:
        raise AssertionError([(e.type, e.props) for e in signals(shop)]) from None
    assert {shop.step_key(e.step_id) for e in rows} == {"pay"}
    by_type = {}
    for event in rows:
        by_type.setdefault(event.type, []).append(event.props)
    assert by_type["rage_click"] == [{"target": "button#apply-coupon[Apply coupon]", "count": 3}]
    assert {"target": "button#apply-coupon[Apply coupon]"} in by_type["dead_click"]
    assert by_type["error_click"][0]["target"] == "button#boom"
    js = by_type["js_error"][0]
    assert js["message"].endswith("coupon service failed for #") and js["file"] == "/pay" and "stack" not in js
    assert sorted(props["field"] for props in by_type["form_error"]) == ["card", "email"]
    text = " ".join(str(props) for props in sum(by_type.values(), []))
    assert "1234" not in text and "4111" not in text and "abc" not in text and "Apply coupon</" not in text


def test_calm_use_sends_no_signal(page, shop):
    page.dblclick("#works")
    page.fill("#card", "4111111111111111")
    page.click("#email")
    page.keyboard.type("ada@example.com")
    page.click("#text", click_count=3)  # a triple click selects the paragraph
    page.mouse.wheel(0, 600)
    page.wait_for_timeout(2800)  # longer than the dead-click window
    page.click("#next")
    wait_for(
        lambda: [e for e in shop.events(type="step_view") if shop.step_key(e.step_id) == "done"],
        message="the next page",
    )
    page.wait_for_timeout(500)
    assert signals(shop) == []


def test_frustration_prompt_asks_once_and_its_answer_lands(page, widget):
    widget.setup({"pay": [dict(kind="csat", trigger="frustration", text={"en": "Something not working?"})]})
    page.goto(widget.page("/pay", "pay", SHOP))
    wait_for(lambda: widget.events(type="step_view"), message="the step view")
    page.wait_for_timeout(300)
    assert page.locator("stepsense-widget").count() == 0  # calm: nothing asked
    box = page.locator("#apply-coupon").bounding_box()
    for _ in range(3):
        page.mouse.click(box["x"] + 10, box["y"] + 10)
    dialog = page.get_by_role("dialog", name="Feedback")
    dialog.wait_for()
    page.get_by_role("radio", name="2 out of 5").click()
    rows = wait_for(widget.responses, message="the answer")
    assert [(r.score, r.trigger, (r.attributes or {}).get("signal")) for r in rows] == [
        (2, "frustration", "rage_click")
    ]
    dialog.wait_for(state="detached", timeout=4000)
    for _ in range(3):
        page.mouse.click(box["x"] + 10, box["y"] + 10)
    page.wait_for_timeout(800)
    assert page.locator("stepsense-widget [role=dialog]").count() == 0
    assert len(widget.responses()) == 1


def test_nothing_when_privacy_signal_respected(page, widget):
    widget.setup({"pay": []}, respect_dnt=True)
    page.add_init_script("Object.defineProperty(navigator, 'globalPrivacyControl', {get: () => true})")
    page.goto(widget.page("/pay", "pay", SHOP))
    page.wait_for_timeout(500)
    box = page.locator("#apply-coupon").bounding_box()
    for _ in range(3):
        page.mouse.click(box["x"] + 10, box["y"] + 10)
    page.wait_for_timeout(2800)
    assert widget.events() == []


@pytest.fixture
def server_clock(monkeypatch):
    """The collector's clock, which dates events (the live collector runs in this process):
    ``server_clock.skip(11)`` moves it on, as if the visitor had lingered that long."""

    class Clock:
        offset = timedelta(0)

        def skip(self, seconds: float) -> None:
            self.offset += timedelta(seconds=seconds)

    clock = Clock()
    monkeypatch.setattr("collector.ingest.store.utcnow", lambda: utcnow() + clock.offset)
    return clock


def _two_steps(widget) -> str:
    """Cart and shipping pages, linked both ways; the cart page's URL."""
    widget.setup({"cart": [], "shipping": [], "payment": []})  # shipping is not the last step
    widget.page("/shipping", "shipping", '<a id="back" href="/cart">Back to cart</a>')
    return widget.page("/cart", "cart", '<a id="next" href="/shipping">Continue to shipping</a>')


def _views(widget, count: int) -> list[str]:
    rows = wait_for(lambda: len(widget.events(type="step_view")) >= count and widget.events(type="step_view"))
    return [widget.step_key(row.step_id) for row in rows]


def _friction(app, widget) -> dict[str, dict]:
    """The curve's friction block per step, as the CX API serves it."""
    with app.app_context():
        _, secret = create_api_key(db.session, db.session.get(Site, widget.site_id), ["read"])
        db.session.commit()
    return {key: step["friction"] for key, step in by_step(curve(ApiClient(app.test_client(), secret), "j")).items()}


@pytest.mark.parametrize("back", ["link", "browser"])
def test_going_back_within_10_s_is_a_quick_back_at_the_step_left(app, page, widget, server_clock, back):
    cart = _two_steps(widget)
    page.goto(cart)
    assert _views(widget, 1) == ["cart"]
    page.click("#next")
    assert _views(widget, 2) == ["cart", "shipping"]
    server_clock.skip(6)  # six seconds at shipping
    if back == "link":
        page.click("#back")
    else:
        page.go_back()
    assert _views(widget, 3) == ["cart", "shipping", "cart"]
    friction = _friction(app, widget)
    assert friction["shipping"]["sessions"] == 1
    assert friction["shipping"]["signals"]["quick_back"]["sessions"] == 1
    assert friction["shipping"]["signals"]["quick_back"]["share"] == 1.0
    assert friction["shipping"]["index"]["sessions"] == 1
    assert friction["cart"]["signals"]["quick_back"]["sessions"] == 0
    assert {row.type for row in widget.events()} == {"step_view"}  # derived by the collector, never sent


def test_going_back_after_more_than_10_s_is_no_quick_back(app, page, widget, server_clock):
    cart = _two_steps(widget)
    page.goto(cart)
    _views(widget, 1)
    page.click("#next")
    _views(widget, 2)
    server_clock.skip(11)  # eleven seconds at shipping: a visitor who read, then went back
    page.click("#back")
    assert _views(widget, 3) == ["cart", "shipping", "cart"]
    friction = _friction(app, widget)
    assert friction["shipping"]["sessions"] == 1
    assert friction["shipping"]["signals"]["quick_back"]["sessions"] == 0
    assert friction["shipping"]["index"]["sessions"] == 0
