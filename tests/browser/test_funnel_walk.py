"""The funnel from real browser walks through the demo shop: step views, completion, abandonment."""

import pytest
import sqlalchemy as sa

from collector.analytics import funnel
from collector.analytics.maintenance import compare_rollups
from collector.extensions import db
from collector.models import Journey
from tests.browser.helpers import wait_for

pytestmark = pytest.mark.browser


def checkout_funnel(app, site_id):
    with app.app_context():
        journey = db.session.scalar(sa.select(Journey).where(Journey.site_id == site_id, Journey.key == "checkout"))
        result = funnel.journey_funnel(db.session, journey, {})
        steps = {step.key: result["steps"][step.id] for step in journey.steps}
        return result, steps, compare_rollups(db.session, site_id=site_id)


def walk(page, shop, views: int, links: list[str]) -> int:
    """Click through the shop like a visitor who looks at each page: wait for the
    page's step view before moving on (leaving before the widget ran sends none)."""
    for link in [None, *links]:
        if link == "Pay €":  # a form button; the card number is required
            page.get_by_label("Card number").fill("4242 4242 4242 4242")
            page.get_by_role("button", name=link).click()
        elif link:
            page.get_by_role("link", name=link).click()
        views += 1
        wait_for(lambda: len(shop.events(type="step_view")) >= views, message=f"step view {views}")
    return views


def test_walks_show_up_in_the_funnel(app, browser, page, shop, collector):
    """One visitor walks to the confirmation, another (own browser session) leaves at payment."""
    page.goto(collector.url + "/demo/shop/cart")
    views = walk(page, shop, 0, ["Continue to shipping", "Continue to payment", "Pay €"])
    wait_for(lambda: len(shop.events(type="journey_complete")) == 1, message="completion")

    other = browser.new_context()
    try:
        walker = other.new_page()
        walker.goto(collector.url + "/demo/shop/cart")
        walk(walker, shop, views, ["Continue to shipping", "Continue to payment"])
    finally:
        other.close()
    assert len(shop.events(type="step_view")) == 7

    result, steps, differences = checkout_funnel(app, shop.site_id)
    assert differences == []
    assert result["overall"]["sessions"] == 2
    assert (result["overall"]["completion"]["count"], result["overall"]["completion"]["n"]) == (1, 2)
    assert result["overall"]["time_to_completion"]["n"] == 1
    assert {key: step["sessions"] for key, step in steps.items()} == {
        "cart": 2,
        "shipping": 2,
        "payment": 2,
        "confirmation": 1,
    }
    assert {key: step["abandonment"]["count"] for key, step in steps.items()} == {
        "cart": 0,
        "shipping": 0,
        "payment": 1,
        "confirmation": 0,
    }
    assert steps["payment"]["continued"]["count"] == 1 and steps["cart"]["continued"]["count"] == 2
    assert steps["confirmation"]["views"] == 1 and steps["payment"]["retry"]["count"] == 0


def test_sampled_out_sessions_send_no_funnel_events(page, widget):
    """With events_sampling 0, step views, completions, errors and retries stay home; custom events still go."""
    widget.setup({"cart": []}, events_sampling=0.0)
    page.goto(widget.page("/cart", "cart"))
    page.wait_for_function("window.Stepsense && typeof Stepsense.complete == 'function'")
    page.wait_for_timeout(300)  # the config has arrived and the step was entered
    page.evaluate(
        "Stepsense.track('error'); Stepsense.track('retry'); Stepsense.complete(); Stepsense.track('coupon_failed')"
    )
    wait_for(lambda: widget.events(), message="the custom event")
    page.wait_for_timeout(300)
    assert [(e.type, e.name) for e in widget.events()] == [("custom", "coupon_failed")]
