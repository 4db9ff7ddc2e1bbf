"""The interactive API reference at /docs in Chromium: served by the app itself
under its CSP, and "Try it out" calls the API with a pasted Bearer key."""

import pytest

pytestmark = pytest.mark.browser


def test_try_it_out_with_a_bearer_key(page, collector, api, make_site, watch):
    """A CX developer authorises with a secret key and lists the site's journeys from the page."""
    assert api.post("/v1/journeys", json={"key": "checkout", "steps": [{"key": "cart"}]}).status_code == 201
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    watch.allowed_errors.append(".map")  # devtools' source maps are not shipped
    page.goto(collector.url + "/docs")
    page.get_by_text("/v1/journeys/{key}/curve").first.wait_for()

    page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input").first.fill(api.key)
    dialog.locator("button.modal-btn.auth.authorize").click()
    dialog.locator("button", has_text="Logout").wait_for()  # authorised
    dialog.locator("button.btn-done").click()
    dialog.wait_for(state="detached")

    operation = page.locator(
        "#operations-journeys-get_v1_journeys, .opblock-get:has(a[data-path='/v1/journeys'])"
    ).first
    operation.locator(".opblock-summary").first.click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    live = operation.locator(".live-responses-table tbody tr.response")
    live.wait_for()
    assert live.locator(".response-col_status").inner_text().strip() == "200"
    assert '"key": "checkout"' in live.locator(".response-col_description pre").first.inner_text()
    assert "Bearer " + api.key in operation.locator(".curl-command").inner_text()
    assert violations == []
    assert watch.hosts == {collector.url.split("/")[2]}  # no CDN: everything from the app


def test_the_plain_reference_stays(client):
    page = client.get("/docs/plain")
    assert page.status_code == 200
    assert b"/v1/journeys/{key}/curve" in page.data
    assert b"<script" not in page.data
