"""The built widget in a real Chromium, against a live collector and a real database."""

import pytest

from tests.browser.conftest import ARTIFACTS, wait_for

pytestmark = pytest.mark.browser

INLINE = '<div data-stepsense-inline style="min-height:150px"></div>'
# (kind, option a mouse clicks, score it stores, keys a keyboard user presses, score they store)
KINDS = [
    ("csat", "4 out of 5", 4, ["Tab", "ArrowRight", "ArrowRight", "Enter"], 3),
    ("ces", "7 out of 7", 7, ["Tab", "End", "Space"], 7),
    ("nps", "9 out of 10", 9, ["Tab", "ArrowRight", "ArrowLeft", "ArrowLeft", "Enter"], 10),
    ("thumbs", "Thumbs down", 0, ["Tab", "Enter"], 1),
]


def ready(page):
    """The widget's shadow host, once a prompt is on screen."""
    page.wait_for_selector("stepsense-widget")
    return page


@pytest.mark.parametrize("kind, label, score, keys, key_score", KINDS, ids=[k[0] for k in KINDS])
@pytest.mark.parametrize("how", ["mouse", "keyboard"])
def test_rating_prompt_answer_lands(page, widget, kind, label, score, keys, key_score, how):
    """Each rating kind, answered by mouse or keyboard, is stored with its journey, step and trigger."""
    widget.setup({"pay": [dict(kind=kind, trigger="inline", text={"en": f"Rate {kind}"})]})
    page.goto(widget.page("/pay", "pay", INLINE))
    region = page.get_by_role("region", name="Feedback")
    region.wait_for()
    if how == "mouse":
        page.get_by_role("radio", name=label).click()
        expected = score
    else:
        for key in keys:
            page.keyboard.press(key)
        expected = key_score
    page.get_by_text("Thanks for your feedback!").wait_for()
    rows = wait_for(widget.responses, message="the answer")
    assert [(r.kind, r.score, r.trigger, widget.step_key(r.step_id)) for r in rows] == [(kind, expected, "inline", "pay")]
    assert rows[0].device == "desktop" and rows[0].locale == "en" and rows[0].url_path == "/pay"
    impressions = wait_for(lambda: widget.events(type="impression"), message="impression")
    assert [e.kind for e in impressions] == [kind]


@pytest.mark.parametrize("how", ["mouse", "keyboard"])
def test_comment_prompt_answer_lands(page, widget, how):
    """An open comment is stored as kind comment with its text."""
    widget.setup({"pay": [dict(kind="comment", trigger="inline", text={"en": "Anything to tell us?"})]})
    page.goto(widget.page("/pay", "pay", INLINE))
    box = page.get_by_role("textbox", name="Anything to tell us?")
    box.wait_for()
    if how == "mouse":
        box.click()
        box.fill("Checkout was painless")
        page.get_by_role("button", name="Submit").click()
    else:
        page.keyboard.press("Tab")
        page.keyboard.type("Checkout was painless")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
    rows = wait_for(widget.responses, message="the comment")
    assert [(r.kind, r.score, r.comment, r.trigger) for r in rows] == [("comment", None, "Checkout was painless", "inline")]
