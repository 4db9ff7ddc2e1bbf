"""An XSS corpus sent as comments, step and journey names, variants and
attributes renders as inert text in the dashboard, checked in Chromium."""

import pytest

from tests.helpers import answer

pytestmark = pytest.mark.browser

# Each payload would set window.__xss (or open a dialog) if it ever ran.
XSS = [
    "<script>window.__xss=1</script>",
    "<img src=x onerror=window.__xss=1>",
    '"><svg onload=window.__xss=1>',
    "'><iframe src=javascript:window.__xss=1>",
    "</textarea></title></style><script>window.__xss=1</script>",
    '<a href="javascript:window.__xss=1">click</a>',
    "{{7*7}}${7*7}<%= 7*7 %>",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
    "\u2028\u2029</script><script>alert(1)</script>",
]


@pytest.fixture
def hostile(app, collector, client, site, send):
    """A journey whose names, answers, variants and attributes are all payloads."""
    headers = {"Authorization": f"Bearer {site.secret}"}
    steps = [{"key": f"s{n}", "name": payload[:120]} for n, payload in enumerate(XSS)]
    created = client.post("/v1/journeys", json={"key": "checkout", "name": XSS[1], "steps": steps}, headers=headers)
    assert created.status_code == 201, created.json
    items = [
        answer(
            site,
            step=f"s{n}",
            kind="comment",
            score=None,
            comment=payload,
            variant=payload[:64],
            attributes={"plan": payload[:200]},
        )
        for n, payload in enumerate(XSS)
    ]
    assert send({"responses": items}, site).status_code == 201
    return site


def test_xss_corpus_renders_inert_in_the_dashboard(page, collector, hostile, watch):
    """Every payload shows as literal text; nothing runs, no element is injected, CSP is never even needed."""
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(collector.url + "/dashboard/sign-in")
    page.fill("input[name=key]", hostile.secret)
    page.click("button[type=submit]")
    page.wait_for_url(collector.url + "/dashboard/**")

    for path in ("/dashboard/", "/dashboard/?variant=" + XSS[0], "/dashboard/manage"):
        page.goto(collector.url + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__xss") is None, path
        assert page.locator("img[src=x], iframe, svg[onload], a[href^=javascript]").count() == 0, path
        injected = page.evaluate("""() => [...document.querySelectorAll('script')]
            .filter(s => s.textContent.includes('__xss') || s.textContent.includes('alert(1)')).length""")
        assert injected == 0, path
    page.goto(collector.url + "/dashboard/")
    text = page.inner_text("body")
    for payload in XSS[:3]:
        assert payload in text  # shown to the reader, as typed
    assert "49" not in text.split("{{7*7}}")[0][-5:]  # the template syntax was not evaluated
    assert dialogs == []
    # A CSP violation report would mean markup got through escaping and only the CSP stopped it.
    assert not [e for e in watch.errors if "Content Security Policy" in e]
