"""The built widget in a real Chromium, against a live collector and a real database."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.browser.helpers import ARTIFACTS, wait_for

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
    assert [(r.kind, r.score, r.trigger, widget.step_key(r.step_id)) for r in rows] == [
        (kind, expected, "inline", "pay")
    ]
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
    assert [(r.kind, r.score, r.comment, r.trigger) for r in rows] == [
        ("comment", None, "Checkout was painless", "inline")
    ]


TRIGGERS = [
    ("after_ms", dict(delay_ms=300), lambda page: None),
    ("scroll", dict(scroll_percent=60), lambda page: page.mouse.wheel(0, 2500)),
    (
        "event",
        dict(event_name="checkout:paid"),
        lambda page: page.evaluate("document.dispatchEvent(new CustomEvent('checkout:paid'))"),
    ),
]


@pytest.mark.parametrize("trigger, options, act", TRIGGERS, ids=[t[0] for t in TRIGGERS])
def test_floating_triggers(page, widget, trigger, options, act):
    """after_ms, scroll and custom-event prompts float in a labelled dialog and record their trigger."""
    widget.setup({"ship": [dict(kind="csat", trigger=trigger, text={"en": "How was shipping?"}, **options)]})
    # The widget arms a step's triggers right after it starts fetching its UI.
    with page.expect_request(lambda request: "widget-ui.js" in request.url):
        page.goto(widget.page("/ship", "ship", '<div style="height:3000px"></div>'))
    act(page)
    dialog = page.get_by_role("dialog", name="Feedback")
    dialog.wait_for()
    page.get_by_role("radio", name="5 out of 5").click()
    rows = wait_for(widget.responses, message="the answer")
    assert [(r.score, r.trigger) for r in rows] == [(5, trigger)]
    dialog.wait_for(state="detached", timeout=4000)  # thanks, then gone


def test_scroll_trigger_waits_for_depth(page, widget):
    """A scroll prompt does not show before the visitor scrolled deep enough."""
    widget.setup({"ship": [dict(kind="csat", trigger="scroll", scroll_percent=90, text={"en": "Q"})]})
    page.goto(widget.page("/ship", "ship", '<div style="height:4000px"></div>'))
    page.mouse.wheel(0, 800)
    page.wait_for_timeout(600)
    assert page.locator("stepsense-widget").count() == 0
    page.mouse.wheel(0, 4000)
    page.wait_for_selector("stepsense-widget")


def exit_through_top(page):
    """Move the real pointer up and out of the viewport, as a visitor reaching for the tab bar."""
    page.wait_for_timeout(1100)  # exit intent is not armed in the first second
    page.mouse.move(600, 400)
    page.mouse.move(600, 5, steps=5)
    page.mouse.move(600, -20)


def test_exit_intent_asks_why_and_records_trigger(page, widget):
    """Leaving through the top shows the exit question; its comment lands with trigger exit_intent."""
    widget.setup(
        {"pay": [dict(kind="comment", trigger="exit_intent", text={"en": "Leaving already? What stopped you?"})]}
    )
    page.goto(widget.page("/pay", "pay"))
    page.wait_for_function("window.Stepsense && window.Stepsense.v")
    exit_through_top(page)
    dialog = page.get_by_role("dialog", name="Feedback")
    dialog.wait_for()
    page.get_by_role("textbox", name="Leaving already? What stopped you?").fill("Shipping costs were a surprise")
    page.get_by_role("button", name="Submit").click()
    rows = wait_for(widget.responses, message="the exit comment")
    assert [(r.kind, r.comment, r.trigger) for r in rows] == [
        ("comment", "Shipping costs were a surprise", "exit_intent")
    ]
    types = wait_for(
        lambda: {e.type for e in widget.events()} >= {"impression", "exit_intent_shown"} and widget.events()
    )
    shown = [(e.type, e.kind) for e in types if e.type not in ("step_view", "journey_complete")]
    assert sorted(shown) == [("exit_intent_shown", "comment"), ("impression", "comment")]


def test_exit_intent_ignores_pointer_moving_within_page(page, widget):
    widget.setup({"pay": [dict(kind="comment", trigger="exit_intent", text={"en": "Why?"})]})
    page.goto(widget.page("/pay", "pay", '<p style="height:600px">content</p>'))
    page.wait_for_timeout(1100)
    page.mouse.move(600, 400)
    page.mouse.move(100, 300, steps=5)
    page.wait_for_timeout(300)
    assert page.locator("stepsense-widget").count() == 0


FOLLOW_UP = dict(
    kind="ces",
    trigger="inline",
    text={"en": "How easy was paying?"},
    follow_up={"max_score": 3, "text": {"en": "What made it hard?"}},
)


def test_follow_up_sends_score_and_comment_as_one_answer(page, widget):
    widget.setup({"pay": [FOLLOW_UP]})
    page.goto(widget.page("/pay", "pay", INLINE))
    page.get_by_role("radio", name="2 out of 7").click()
    box = page.get_by_role("textbox", name="What made it hard?")
    assert box.evaluate("el => el === el.getRootNode().activeElement"), "focus moves to the follow-up"
    box.fill("Card declined twice")
    page.get_by_role("button", name="Submit").click()
    rows = wait_for(widget.responses, message="the answer")
    assert [(r.kind, r.score, r.comment) for r in rows] == [("ces", 2, "Card declined twice")]


def test_follow_up_skip_and_high_score(page, widget):
    """Skipping sends the score alone; a score above max_score asks nothing more."""
    widget.setup({"pay": [FOLLOW_UP], "done": [dict(FOLLOW_UP, text={"en": "Again?"})]}, per_step_days=0)
    page.goto(widget.page("/pay", "pay", INLINE))
    page.get_by_role("radio", name="1 out of 7").click()
    page.get_by_role("button", name="Skip").click()
    wait_for(widget.responses)
    page.goto(widget.page("/done", "done", INLINE))
    page.get_by_role("radio", name="6 out of 7").click()
    page.get_by_text("Thanks for your feedback!").wait_for()
    rows = wait_for(lambda: len(widget.responses()) == 2 and widget.responses(), message="two answers")
    assert [(r.score, r.comment) for r in rows] == [(1, None), (6, None)]


def test_follow_up_pending_answer_is_sent_when_page_is_left(page, widget):
    widget.setup({"pay": [FOLLOW_UP], "next": []})
    page.goto(widget.page("/pay", "pay", INLINE))
    widget.page("/next", "next")
    page.get_by_role("radio", name="3 out of 7").click()
    page.get_by_role("textbox", name="What made it hard?").fill("Too many fields")
    page.goto(widget.host.url + "/next")
    rows = wait_for(widget.responses, message="the pending answer")
    assert [(r.score, r.comment) for r in rows] == [(3, "Too many fields")]


CSAT = dict(kind="csat", trigger="inline", text={"en": "How was it?"})


def test_sampling_zero_never_shows(page, widget):
    """With sampling 0 no visitor is asked and no impression is recorded."""
    widget.setup({"cart": [CSAT]}, sampling=0)
    page.goto(widget.page("/cart", "cart", INLINE))
    wait_for(lambda: widget.events(type="step_view"), message="step view")  # the widget ran
    page.wait_for_timeout(300)
    assert page.locator("stepsense-widget").count() == 0
    assert widget.events(type="impression") == []


def test_per_session_cap(page, widget):
    """At most per_session prompts per browser session."""
    widget.setup({"a": [CSAT], "b": [CSAT]}, per_session=1)
    page.goto(widget.page("/a", "a", INLINE))
    page.wait_for_selector("stepsense-widget")
    page.goto(widget.page("/b", "b", INLINE))
    wait_for(lambda: widget.events(type="step_view") and len(widget.events(type="step_view")) == 2)
    page.wait_for_timeout(300)
    assert page.locator("stepsense-widget").count() == 0
    assert len(widget.events(type="impression")) == 1


def test_not_asked_again_at_an_answered_step(page, widget):
    """per_step_days: after answering at a step, reloading it asks nothing."""
    widget.setup({"cart": [CSAT]})
    url = widget.page("/cart", "cart", INLINE)
    page.goto(url)
    page.get_by_role("radio", name="5 out of 5").click()
    wait_for(widget.responses)
    page.reload()
    wait_for(lambda: len(widget.events(type="step_view")) == 2)
    page.wait_for_timeout(300)
    assert page.locator("stepsense-widget").count() == 0


def test_dismiss_with_escape_silences_the_widget(page, widget):
    """Escape dismisses (and returns focus); the visitor is not asked again for dismiss_days."""
    widget.setup({"a": [dict(CSAT, trigger="after_ms", delay_ms=600)], "b": [CSAT]})
    page.goto(widget.page("/a", "a", '<button id="buy">Buy</button>'))
    page.focus("#buy")
    page.get_by_role("dialog", name="Feedback").wait_for()
    assert page.evaluate("document.activeElement.id") == "buy", "a floating prompt doesn't steal focus from a control"
    page.get_by_role("radio", name="1 out of 5").focus()
    page.keyboard.press("Escape")
    page.wait_for_selector("stepsense-widget", state="detached")
    assert page.evaluate("document.activeElement.id") == "buy", "focus returns where it was"
    assert wait_for(lambda: widget.events(type="dismiss"))[0].kind == "csat"
    page.goto(widget.page("/b", "b", INLINE))
    wait_for(lambda: len(widget.events(type="step_view")) == 2)
    page.wait_for_timeout(300)
    assert page.locator("stepsense-widget").count() == 0


def test_global_privacy_control_is_respected(page, widget):
    """With respect_dnt, a visitor sending GPC is asked nothing and nothing is sent."""
    widget.setup({"cart": [CSAT]}, respect_dnt=True)
    page.add_init_script("Object.defineProperty(navigator, 'globalPrivacyControl', {get: () => true})")
    page.goto(widget.page("/cart", "cart", INLINE))
    page.wait_for_function("window.Stepsense && window.Stepsense.v")
    page.wait_for_timeout(600)
    assert page.locator("stepsense-widget").count() == 0
    assert widget.events() == []


HOSTILE = """<style>
* { font: italic 30px/3 serif !important; color: red !important; letter-spacing: 5px !important;
    text-transform: uppercase !important; box-sizing: content-box !important; }
div, button, p, textarea { display: none !important; padding: 40px !important; margin: 30px !important;
    background: lime !important; border: 9px dashed blue !important; }
stepsense-widget { transform: scale(0.2) !important; opacity: 0.1 !important; position: absolute !important; }
[role=radio] { visibility: hidden !important; }
</style>"""


def widget_look(page):
    """Geometry and computed style of the prompt's parts, read inside its shadow root."""
    page.get_by_role("radio", name="3 out of 5").wait_for()
    return page.evaluate("""() => {
        const host = document.querySelector('stepsense-widget');
        const root = host.shadowRoot;
        const pick = el => { const s = getComputedStyle(el); const r = el.getBoundingClientRect();
            return [Math.round(r.width), Math.round(r.height), s.fontSize, s.fontFamily, s.color, s.backgroundColor,
                    s.display, s.visibility, s.letterSpacing, s.textTransform, s.opacity]; };
        const h = host.getBoundingClientRect();
        return {host: [Math.round(h.width), Math.round(h.height), getComputedStyle(host).opacity,
                       getComputedStyle(host).transform],
                box: pick(root.querySelector('[role=region],[role=dialog]')),
                question: pick(root.querySelector('p')),
                option: pick(root.querySelector('[role=radio]'))};
    }""")


def test_hostile_page_css_does_not_change_the_widget(page, widget):
    """The same prompt looks the same on a page whose CSS attacks every element."""
    widget.setup({"calm": [CSAT], "wild": [CSAT]}, per_step_days=0, per_session=5)
    page.emulate_media(reduced_motion="reduce")  # no entry animation: compare final styles
    page.goto(widget.page("/calm", "calm", '<div data-stepsense-inline style="min-height:150px;width:500px"></div>'))
    calm = widget_look(page)
    page.goto(
        widget.page(
            "/wild",
            "wild",
            '<section data-stepsense-inline style="min-height:150px;width:500px"></section>',
            head=HOSTILE,
        )
    )
    wild = widget_look(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-hostile-css.png"))
    for part in calm:
        assert (part, wild[part]) == (part, calm[part])


def test_answer_while_collector_unreachable_is_delivered_once_later(page, widget, watch):
    """An answer that can't be sent waits in localStorage and is delivered on the next page load,
    once, dated when it was given rather than when it arrived."""
    watch.allowed_errors.append("net::ERR_FAILED")
    widget.setup({"cart": [CSAT]})
    url = widget.page("/cart", "cart", INLINE)
    page.route("**/v1/responses", lambda route: route.abort())
    # A beacon sent on pagehide leaves the page before Playwright's routing (or CDP URL
    # blocking) can see it; while "offline", let the browser accept beacons and lose them.
    page.add_init_script("""(() => { const send = navigator.sendBeacon.bind(navigator);
        navigator.sendBeacon = (url, body) => localStorage.getItem('test:offline') ? true : send(url, body); })()""")
    page.goto(url)
    page.evaluate("localStorage.setItem('test:offline', '1')")
    page.goto(url)
    page.get_by_role("radio", name="2 out of 5").click()
    answered_at = datetime.now(UTC)
    page.get_by_text("Thanks for your feedback!").wait_for()
    queued = wait_for(
        lambda: page.evaluate("JSON.parse(localStorage.getItem('stepsense:q') || '[]').filter(i => i[0] === 'r')"),
        message="queued answer",
    )
    assert len(queued) == 1 and widget.responses() == []
    page.reload()  # still offline: still queued, still nothing stored
    page.wait_for_timeout(2000)
    assert widget.responses() == []
    # Back online in a new tab: closing this one cancels any request the route still holds,
    # which would otherwise go out now with the age it was given seconds ago.
    page.evaluate("localStorage.removeItem('test:offline')")
    context = page.context
    page.close()
    page = context.new_page()
    delivered_from = datetime.now(UTC)
    page.goto(url)
    rows = wait_for(widget.responses, message="the retried answer")
    assert [(str(r.client_id), r.score) for r in rows] == [(queued[0][1]["client_id"], 2)]
    stored_at = rows[0].created_at if rows[0].created_at.tzinfo else rows[0].created_at.replace(tzinfo=UTC)
    assert stored_at < delivered_from - timedelta(seconds=1.5)
    assert abs(stored_at - answered_at) < timedelta(seconds=1)
    wait_for(
        lambda: page.evaluate("!(JSON.parse(localStorage.getItem('stepsense:q') || '[]')).length"),
        message="an empty queue",
    )
    page.reload()
    page.wait_for_timeout(300)
    assert len(widget.responses()) == 1


VISITOR = "5e1f0c1a-1b5c-4c1e-9a57-2f6d1c0b9a10"
SESSION = "0b7a3e52-8c1d-4f0e-b1a2-77c9d0e4f6a3"
QUEUED = "c3d2e1f0-aaaa-4bbb-8ccc-123456789abc"


def test_storage_left_by_an_earlier_release_is_kept(page, widget):
    """What a visitor's browser holds from an earlier widget release (stepsense:q, :v and :s,
    in their stored shapes) still works: the queued answer is delivered, dated by its age; the
    visitor and session keep their ids; a dismissal still keeps the visitor from being asked."""
    widget.setup({"cart": [CSAT]})
    blank = widget.host.page("/blank", "<!doctype html><title>before</title>")
    page.goto(blank)  # the host's origin, without the widget yet
    answer = dict(
        site_key=widget.public_key,
        journey="j",
        step="cart",
        client_id=QUEUED,
        visitor_id=VISITOR,
        session_id=SESSION,
        url_path="/cart",
        device="desktop",
        locale="en",
        variant=None,
        kind="csat",
        score=2,
        comment=None,
        trigger="inline",
        attributes=None,
    )
    page.evaluate(
        """([answer, visitor, session]) => {
        const now = Date.now();
        localStorage.setItem('stepsense:q', JSON.stringify([['r', answer, now - 600000]]));
        localStorage.setItem('stepsense:v', JSON.stringify({id: visitor, r: 0, a: {}, x: now + 864e5}));
        sessionStorage.setItem('stepsense:s', JSON.stringify({id: session, n: 0, e: 0}));
    }""",
        [answer, VISITOR, SESSION],
    )
    ui_requests = []
    page.on("request", lambda request: "widget-ui.js" in request.url and ui_requests.append(request.url))
    started = datetime.now(UTC)
    page.goto(widget.page("/cart", "cart", INLINE))
    rows = wait_for(widget.responses, message="the queued answer")
    assert [(r.client_id, r.score, r.visitor_id) for r in rows] == [(QUEUED, 2, VISITOR)]
    stored_at = rows[0].created_at if rows[0].created_at.tzinfo else rows[0].created_at.replace(tzinfo=UTC)
    assert stored_at < started - timedelta(minutes=9)
    views = wait_for(lambda: widget.events(type="step_view"), message="the step view")
    assert [(e.visitor_id, e.session_id) for e in views] == [(VISITOR, SESSION)]
    # The step is entered (and its UI would be requested) before its step view is sent.
    assert ui_requests == [] and page.locator("stepsense-widget").count() == 0
    wait_for(
        lambda: page.evaluate("!(JSON.parse(localStorage.getItem('stepsense:q') || '[]')).length"),
        message="an empty queue",
    )


def test_spa_api_queue_and_history(page, widget):
    """Calls queued before load apply; pushState re-reads the step; variant and attributes travel along."""
    widget.setup({"list": [], "detail": [dict(CSAT, trigger="event", event_name="ask")]})
    snippet = widget.snippet()
    stub = (
        "<script>window.Stepsense=window.Stepsense||function(){(Stepsense.q=Stepsense.q||[]).push(arguments)};"
        "Stepsense('set',{variant:'B',attributes:{plan:'pro'}});Stepsense('step','list',{journey:'j'});</script>"
    )
    url = widget.host.page(
        "/app",
        f"<!doctype html><html lang='en'><head>{stub}{snippet}</head><body><h1>SPA</h1>"
        "<div id='view'></div></body></html>",
    )
    page.goto(url)
    wait_for(lambda: widget.events(type="step_view"), message="list step view")
    page.evaluate("""() => { document.getElementById('view').setAttribute('data-stepsense-step', 'detail');
                             history.pushState({}, '', '/app/detail'); }""")
    wait_for(lambda: len(widget.events(type="step_view")) == 2, message="detail step view")
    page.evaluate("document.dispatchEvent(new Event('ask'))")
    page.get_by_role("radio", name="4 out of 5").click()
    rows = wait_for(widget.responses)
    assert [(widget.step_key(r.step_id), r.variant, r.attributes, r.url_path, r.trigger) for r in rows] == [
        ("detail", "B", {"plan": "pro"}, "/app/detail", "event")
    ]
    page.evaluate("Stepsense.track('coupon_failed', {code: 'X1'}); Stepsense.track('error'); Stepsense.complete()")
    events = wait_for(lambda: len(widget.events()) >= 7 and widget.events(), message="custom events")
    assert {(e.type, e.name) for e in events} >= {
        ("custom", "coupon_failed"),
        ("error", "error"),
        ("journey_complete", None),
    }
    views = [widget.step_key(e.step_id) for e in events if e.type == "step_view"]
    assert views == ["list", "detail"] and all(e.variant == "B" for e in events)


def test_double_load_and_late_script(page, widget):
    """Two copies of the tag give one widget; a script added after DOMContentLoaded still works."""
    widget.setup({"cart": [CSAT]})
    add_late = (
        "<script>addEventListener('load', () => setTimeout(() => { const s = document.createElement('script');"
        f"s.src = '{widget.collector.url}/widget.js'; s.dataset.site = '{widget.public_key}';"
        "document.head.append(s); }, 50));</script>"
    )
    page.goto(widget.page("/cart", "cart", INLINE + add_late))
    page.get_by_role("radio", name="1 out of 5").wait_for()
    page.wait_for_timeout(400)
    assert page.locator("stepsense-widget").count() == 1
    assert len(widget.events(type="step_view")) == 1


@pytest.mark.parametrize(
    "lang, label, thanks",
    [
        ("de", "4 von 5", "Danke für Ihr Feedback!"),
        ("fr", "4 sur 5", "Merci pour votre avis !"),
        ("es-MX", "4 de 5", "¡Gracias por tu opinión!"),
    ],
)
def test_localized_from_html_lang(page, widget, lang, label, thanks):
    """Strings follow <html lang>; the prompt text picks the best locale from its map."""
    widget.setup({"cart": [dict(CSAT, text={"en": "How was it?", "de": "Wie war es?", "es": "¿Qué tal?"})]})
    page.goto(widget.page("/cart", "cart", INLINE, lang=lang))
    question = {"de": "Wie war es?", "fr": "How was it?", "es-MX": "¿Qué tal?"}[lang]
    page.get_by_role("radiogroup", name=question).wait_for()
    page.get_by_role("radio", name=label).click()
    page.get_by_text(thanks).wait_for()
    assert wait_for(widget.responses)[0].locale == lang


def test_touch_exit_intent_fast_scroll_up(browser, widget, watch):
    """On a phone, a fast flick back up counts as exit intent; the device is recorded as mobile."""
    widget.setup({"pay": [dict(kind="comment", trigger="exit_intent", text={"en": "Why leave?"})]})
    context = browser.new_context(
        viewport={"width": 390, "height": 740},
        is_mobile=True,
        has_touch=True,
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148",
    )
    page = context.new_page()
    page.on("pageerror", lambda e: watch.errors.append(str(e)))
    try:
        page.goto(widget.page("/pay", "pay", '<div style="height:5000px"></div>'))
        wait_for(lambda: page.evaluate("!!(window.Stepsense && Stepsense.step)"), message="the widget")
        wait_for(lambda: widget.events(type="step_view"), message="the config")
        page.evaluate("window.scrollTo(0, 3000)")
        page.wait_for_timeout(1200)
        assert page.locator("stepsense-widget").count() == 0
        page.evaluate("""async () => { for (const y of [2600, 2100, 1500, 900]) {
            window.scrollTo(0, y); await new Promise(r => requestAnimationFrame(r)); } }""")
        page.get_by_role("dialog", name="Feedback").wait_for()
        page.get_by_role("textbox", name="Why leave?").fill("Too expensive")
        page.get_by_role("button", name="Submit").click()
        rows = wait_for(widget.responses, message="the answer")
        assert [(r.trigger, r.device, r.comment) for r in rows] == [("exit_intent", "mobile", "Too expensive")]
    finally:
        context.close()
    assert not watch.errors


def test_theme_and_dark_mode(page, widget):
    """Accent, radius and position come from settings.theme; without a background, dark mode is followed."""
    widget.setup(
        {"a": [dict(CSAT, trigger="after_ms", delay_ms=0)]},
        theme={"accent": "#ff0000", "radius": 4, "position": "bottom-left"},
    )
    page.emulate_media(color_scheme="dark", reduced_motion="reduce")
    page.goto(widget.page("/a", "a"))
    page.get_by_role("dialog", name="Feedback").wait_for()
    look = page.evaluate("""() => { const host = document.querySelector('stepsense-widget');
        const box = host.shadowRoot.querySelector('[role=dialog]'); const s = getComputedStyle(box);
        const r = host.getBoundingClientRect();
        return {bg: s.backgroundColor, radius: s.borderTopLeftRadius, left: Math.round(r.left),
                bottom: Math.round(innerHeight - r.bottom), accent: s.getPropertyValue('--a').trim()}; }""")
    assert look == {"bg": "rgb(31, 41, 55)", "radius": "4px", "left": 16, "bottom": 16, "accent": "#ff0000"}
