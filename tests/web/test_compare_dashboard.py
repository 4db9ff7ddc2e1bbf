"""The dashboard's Compare select: the choice reaches the curve, each step shows the
groups' emotion means, significant groups are marked, names are escaped."""

import re

import pytest

from tests.helpers import answer

XSS = "<img src=x onerror=alert(1)>"


def sign_in(client, secret):
    client.get("/dashboard/sign-in")
    with client.session_transaction() as session:
        token = session["csrf"]
    assert client.post("/dashboard/sign-in", data={"key": secret, "csrf_token": token}).status_code == 302


@pytest.fixture
def dashboard(client, site, send):
    response = client.post(
        "/v1/journeys",
        json={"key": "checkout", "steps": [{"key": "cart"}, {"key": "payment"}]},
        headers={"Authorization": f"Bearer {site.secret}"},
    )
    assert response.status_code == 201
    items = [answer(site, step="payment", score=5, device="desktop", attributes={"plan": XSS}) for _ in range(30)]
    items += [answer(site, step="payment", score=s, device="mobile", attributes={"plan": "pro"}) for s in [1, 2] * 15]
    items += [answer(site, step="cart", score=4, device="mobile") for _ in range(3)]
    for start in range(0, len(items), 50):
        assert send({"responses": items[start : start + 50]}, site).status_code in (200, 201)
    sign_in(client, site.secret)
    return client


def compare_cells(html):
    """(step, group) -> the cell's text, from the Compared-by table."""
    table = html[html.index('id="compare"') :]
    cells = {}
    for step, row in re.findall(r'<tr data-step="([^"]+)">(.*?)</tr>', table, re.S):
        for group, text in re.findall(r'<td class="num" data-group="([^"]*)">(.*?)</td>', row, re.S):
            cells[(step, group)] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip()
    return cells


def test_the_select_offers_every_comparison_and_keeps_the_choice(dashboard):
    html = dashboard.get("/dashboard/?journey=checkout&compare=device").get_data(as_text=True)
    select = re.search(r'<select name="compare">(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'<option value="([^"]*)"', select) == ["", "variant", "device", "locale", "visitor_type", "attr"]
    assert '<option value="device" selected>' in select
    assert 'name="compare_attr"' in html


def test_compare_by_device_shows_means_and_marks_the_significant_group(dashboard):
    html = dashboard.get("/dashboard/?journey=checkout&compare=device").get_data(as_text=True)
    cells = compare_cells(html)
    assert cells[("payment", "desktop")] == "1.00 n=30"
    assert cells[("payment", "mobile")] == "-0.75 n=30 ▼ significant"
    assert cells[("cart", "mobile")] == "0.50 n=3"  # three answers: nothing to test
    # the partial refresh keeps the comparison
    assert "compare=device" in re.search(r'data-src="([^"]+)"', html).group(1)


def test_compare_by_attribute_escapes_group_names(dashboard):
    html = dashboard.get("/dashboard/?journey=checkout&compare=attr&compare_attr=plan").get_data(as_text=True)
    assert XSS not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert compare_cells(html)[("payment", "pro")].startswith("-0.75 n=30")


@pytest.mark.parametrize("query", ["compare=browser", "compare=attr&compare_attr=bad%20name", ""])
def test_no_or_unknown_comparison_shows_no_compare_table(dashboard, query):
    response = dashboard.get(f"/dashboard/?journey=checkout&{query}")
    assert response.status_code == 200 and 'id="compare"' not in response.get_data(as_text=True)


def test_comparing_the_filtered_dimension_says_why(dashboard):
    html = dashboard.get("/dashboard/?journey=checkout&compare=device&device=mobile").get_data(as_text=True)
    assert "Filter by one device or compare by device, not both." in html
