"""Walking the demo shop's checkout with the widget embedded, as a new user would."""

import pytest

from tests.browser.helpers import ARTIFACTS, wait_for

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
