"""visitor_type in a real Chromium: a first-time visitor's answers are stored as new for
the whole first session; in a later session (a new tab: new sessionStorage, the same
localStorage) the same browser's answers are stored as returning."""

import pytest

from tests.browser.helpers import wait_for

pytestmark = pytest.mark.browser

INLINE = '<div data-stepsense-inline style="min-height:150px"></div>'
CSAT = dict(kind="csat", trigger="inline", text={"en": "How was it?"})


def answer_at(page, widget, step, label="4 out of 5"):
    page.goto(widget.page(f"/{step}", step, INLINE))
    page.get_by_role("radio", name=label).click()
    page.get_by_text("Thanks for your feedback!").wait_for()


def test_first_visit_is_new_and_a_later_session_is_returning(page, widget):
    widget.setup({"cart": [CSAT], "ship": [CSAT], "pay": [CSAT]}, per_session=10)
    answer_at(page, widget, "cart")
    answer_at(page, widget, "ship")  # another page of the same first session: still new
    rows = wait_for(lambda: (lambda r: r if len(r) == 2 else None)(widget.responses()), message="two answers")
    assert [(widget.step_key(r.step_id), r.visitor_type) for r in rows] == [("cart", "new"), ("ship", "new")]
    views = wait_for(widget.events, message="events")
    assert {e.visitor_type for e in views} == {"new"}

    later = page.context.new_page()  # a new session of the same browser
    answer_at(later, widget, "pay", "2 out of 5")
    rows = wait_for(lambda: (lambda r: r if len(r) == 3 else None)(widget.responses()), message="the third answer")
    third = [r for r in rows if widget.step_key(r.step_id) == "pay"]
    assert [(r.visitor_type, r.visitor_id) for r in third] == [("returning", rows[0].visitor_id)]
    pay_events = wait_for(
        lambda: [e for e in widget.events() if widget.step_key(e.step_id) == "pay"], message="pay events"
    )
    assert {e.visitor_type for e in pay_events} == {"returning"}
