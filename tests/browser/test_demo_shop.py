"""Walking the demo shop's checkout with the widget embedded, as a new user would, and
struggling at its payment step."""

import pytest

from collector.demo.seed import fresh_demo_key
from collector.extensions import db
from collector.models import Site
from tests.browser.helpers import ARTIFACTS, wait_for
from tests.helpers import ApiClient, by_step, curve

pytestmark = pytest.mark.browser


def test_walk_the_checkout(page, shop, collector):
    """Every step's prompt is answered; step views, the journey's completion and the answers land."""
    page.goto(collector.url + "/demo/")
    page.get_by_role("link", name="Open the demo shop →").click()

    page.get_by_role("region", name="Feedback").wait_for()
    page.get_by_role("radio", name="4 out of 5").click()
    page.get_by_role("link", name="Continue to shipping").click()

    page.get_by_role("dialog", name="Feedback").wait_for()
    page.keyboard.press("End")  # the dialog took focus: nothing else had it
    page.keyboard.press("Enter")
    page.get_by_text("Thanks for your feedback!").wait_for()
    page.get_by_role("link", name="Continue to payment").click()

    page.get_by_role("radio", name="2 out of 7").click()
    page.get_by_role("textbox", name="What made it hard?").fill("My card was declined twice")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-payment-follow-up.png"), full_page=True)
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Thanks for your feedback!").wait_for()
    names = page.evaluate("""() => [...document.querySelectorAll('stepsense-widget')].flatMap(h =>
        [...h.shadowRoot.querySelectorAll('button,textarea,[role]')].map(e =>
            e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || e.textContent.trim()))""")
    assert names and all(names), "every control in the widget has an accessible name"
    page.get_by_label("Card number").fill("4242 4242 4242 4242")  # required: 16 digits
    page.get_by_role("button", name="Pay €").click()

    page.get_by_role("radio", name="9 out of 10").click()
    page.get_by_text("Thanks for your feedback!").wait_for()
    page.screenshot(path=str(ARTIFACTS / "demo-confirmation.png"), full_page=True)

    rows = wait_for(lambda: len(shop.responses()) == 4 and shop.responses(), message="four answers")
    # In the order they were given: the first comment's request is slower (the sentiment
    # lexicons load on first use), so a later answer can arrive, and be numbered, first.
    rows.sort(key=lambda row: row.created_at)
    assert [(shop.step_key(r.step_id), r.kind, r.score, r.trigger) for r in rows] == [
        ("cart", "csat", 4, "inline"),
        ("shipping", "ces", 7, "after_ms"),
        ("payment", "ces", 2, "inline"),
        ("confirmation", "nps", 9, "inline"),
    ]
    assert rows[2].comment == "My card was declined twice" and rows[2].url_path == "/demo/shop/payment"
    events = wait_for(lambda: len(shop.events(type="journey_complete")) == 1 and shop.events(), message="completion")
    assert [shop.step_key(e.step_id) for e in events if e.type == "step_view"] == [
        "cart",
        "shipping",
        "payment",
        "confirmation",
    ]
    assert len([e for e in events if e.type == "impression"]) == 4


def test_exit_intent_on_the_payment_page(page, shop, collector):
    """Leaving the payment page through the top asks why; the answer is an exit_intent comment."""
    page.goto(collector.url + "/demo/shop/payment")
    page.get_by_role("radiogroup", name="How easy was paying?").wait_for()
    page.wait_for_timeout(1100)
    page.mouse.move(600, 300)
    page.mouse.move(600, 5, steps=4)
    page.mouse.move(600, -30)
    dialog = page.get_by_role("dialog", name="Feedback")
    dialog.wait_for()
    page.get_by_role("textbox", name="Leaving already? What stopped you from paying?").fill("Couldn't find PayPal")
    page.screenshot(path=str(ARTIFACTS / "demo-exit-intent.png"))
    page.get_by_role("button", name="Submit").click()
    rows = wait_for(shop.responses, message="the exit comment")
    assert [(r.kind, r.comment, r.trigger) for r in rows] == [("comment", "Couldn't find PayPal", "exit_intent")]


def test_friction_in_the_live_shop_reaches_the_curve(app, page, shop, collector):
    """At payment, "Apply coupon" that does nothing (dead), clicked again and again (rage), and a
    card number the field refuses (form error): the curve's friction block for payment shows
    all three, and the frustration prompt asked once, right after the first."""
    page.goto(collector.url + "/demo/shop/payment")
    page.get_by_role("radiogroup", name="How easy was paying?").wait_for()
    coupon = page.get_by_role("button", name="Apply coupon")
    box = coupon.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)  # the first click does nothing: a dead click 2.5 s later
    dialog = page.get_by_role("dialog", name="Feedback")
    dialog.wait_for(timeout=5000)
    assert "Something not working?" in dialog.inner_text()
    dialog.get_by_role("radio").last.click()  # thumbs down
    dialog.wait_for(state="detached", timeout=5000)
    for offset in (0, 4, 8):  # three clicks within a second: rage
        page.mouse.click(x + offset, y)
    page.get_by_label("Card number").fill("1234")
    page.get_by_role("button", name="Pay €").click()  # 16 digits needed: the field refuses it
    assert "/demo/shop/payment" in page.url
    wanted = {"dead_click", "rage_click", "form_error"}
    wait_for(lambda: wanted <= {e.type for e in shop.events()}, timeout=8, message="the three signals")
    with app.app_context():
        key = fresh_demo_key(db.session, db.session.get(Site, shop.site_id))
        db.session.commit()
    payment = by_step(curve(ApiClient(app.test_client(), key)))["payment"]["friction"]
    assert payment["sessions"] == 1
    assert {name: signal["sessions"] for name, signal in payment["signals"].items()} == {
        "rage_click": 1,
        "dead_click": 1,
        "error_click": 0,
        "js_error": 0,
        "form_error": 1,
        "quick_back": 0,
    }
    assert payment["index"]["sessions"] == 1
    (answer,) = shop.responses(trigger="frustration")
    assert (answer.kind, answer.score, (answer.attributes or {}).get("signal")) == ("thumbs", 0, "dead_click")
    texts = " ".join(str(e.props) for e in shop.events())
    assert "1234" not in texts and "DEMO10" not in texts
