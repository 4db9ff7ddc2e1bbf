"""Web security: headers on every kind of response, and hostile strings in
every filter and path parameter (API and dashboard) cause no 500 or SQL error."""

from urllib.parse import quote

import pytest

from tests.helpers import answer

HOSTILE = [
    "'",
    '"',
    "' OR '1'='1",
    "1; DROP TABLE responses; --",
    "%",
    "_",
    "\\",
    "%%%",
    "*",
    "<script>alert(1)</script>",
    "../../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "/",
    "?",
    "#",
    "\x00",
    "a\x00b",
    "\u202egnp.exe",
    "😀🇩🇪",
    "ß",
    "\ufeff",
    " ",
    "x" * 5000,
    "2024-13-45",
    "-1",
    "1e309",
    "NaN",
    "null",
    "[]",
    "{}",
    "0x7fffffffffffffff",
    "99999999999999999999999",
    "\r=2+3",
    "fine\r=2+3",
    "fine\n=2+3",
    "fine\r\n=2+3",
    "x\u2028=1",
    "x\u2029@SUM(1)",
    "x\x85-1",
    "x\x0b+1",
]


def _filled(parameter: dict) -> str:
    """A valid-looking value for a required parameter that is not under test."""
    schema = parameter.get("schema", {})
    if "enum" in schema:
        return schema["enum"][0]
    return {"integer": "1", "boolean": "true"}.get(schema.get("type"), "checkout")


def _get_operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "delete") and operation.get("parameters", item.get("parameters")) is not None:
                parameters = list(item.get("parameters", [])) + list(operation.get("parameters", []))
                if parameters:
                    yield method, path, parameters


@pytest.mark.slow
def test_hostile_strings_in_every_parameter_are_never_a_server_error(client, api, site, send):
    """Each hostile string in each query and path parameter of each GET/DELETE: a 2xx-4xx, never a 5xx."""
    send({"responses": [answer(site, comment="fine"), answer(site, step="cart", kind="nps", score=3)]}, site)
    spec = client.get("/openapi.json").json
    tried, failures = 0, []
    for method, path, parameters in _get_operations(spec):
        for target in parameters:
            for value in HOSTILE:
                url, query = path, {}
                for parameter in parameters:
                    chosen = (
                        value if parameter is target else (_filled(parameter) if parameter.get("required") else None)
                    )
                    if chosen is None:
                        continue
                    if parameter["in"] == "path":
                        replacement = (
                            site.public_key if parameter["name"] == "public_key" and parameter is not target else chosen
                        )
                        url = url.replace("{" + parameter["name"] + "}", quote(replacement, safe=""))
                    elif parameter["in"] == "query":
                        query[parameter["name"]] = chosen
                response = (
                    getattr(api, method)(url, **({} if method == "delete" else query))
                    if not query or method == "get"
                    else api.client.delete(url, query_string=query, headers={"Authorization": f"Bearer {site.secret}"})
                )
                tried += 1
                response.get_data()  # exports stream: read them to the end
                response.close()
                if response.status_code >= 500:
                    failures.append(
                        f"{method.upper()} {url} {query!r:.200} -> {response.status_code} {response.data[:200]!r}"
                    )
    print(f"\nhostile strings: {tried} requests", flush=True)
    assert tried > 500
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("name", ["journey", "from", "to", "device", "variant", "step", "sentiment", "partial"])
def test_hostile_strings_in_dashboard_filters(client, site, send, name):
    """The dashboard's query filters take any string without a server error and echo it escaped."""
    send(answer(site), site)
    client.get("/dashboard/sign-in")
    with client.session_transaction() as session:
        token = session["csrf"]
    client.post("/dashboard/sign-in", data={"key": site.secret, "csrf_token": token})
    for value in HOSTILE:
        response = client.get("/dashboard/", query_string={name: value})
        assert response.status_code < 500, (name, value, response.data[:300])
        assert b"<script>alert(1)</script>" not in response.data


def test_dashboard_paths_with_hostile_keys(client, site):
    client.get("/dashboard/sign-in")
    with client.session_transaction() as session:
        token = session["csrf"]
    client.post("/dashboard/sign-in", data={"key": site.secret, "csrf_token": token})
    for value in HOSTILE:
        for path in (
            f"/dashboard/journeys/{quote(value, safe='')}/steps",
            f"/dashboard/journeys/{quote(value, safe='')}/prompts",
        ):
            response = client.post(path, data={"csrf_token": token, "key": value, "name": value})
            assert response.status_code < 500, (path, response.data[:300])


EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


@pytest.mark.parametrize("path", ["/", "/docs", "/dashboard/sign-in", "/demo/"])
def test_pages_get_a_strict_csp_and_cannot_be_framed(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/html"
    for name, value in EXPECTED.items():
        assert response.headers[name] == value
    csp = response.headers["Content-Security-Policy"]
    assert (
        "frame-ancestors 'none'" in csp
        and "default-src 'self'" in csp
        and "script-src" not in csp.replace("default-src", "")
    )
    assert "'unsafe-inline'" not in csp.split("style-src")[0]  # no inline scripts anywhere
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_api_responses_are_inert_documents(api, client, site):
    for response in (
        client.get("/openapi.json"),
        api.get("/v1/responses"),
        client.get("/v1/nothing"),
        client.get(f"/v1/sites/{site.public_key}/config"),
        client.get("/healthz"),
    ):
        for name, value in EXPECTED.items():
            assert response.headers[name] == value
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'; sandbox"


def test_https_responses_ask_for_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    assert (
        client.get("/healthz", base_url="https://localhost").headers["Strict-Transport-Security"].startswith("max-age=")
    )


@pytest.mark.parametrize("path", ["/widget.js", "/widget-ui.js"])
def test_widget_is_served_as_javascript_with_nosniff(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"


XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "]]><script>alert(1)</script>",
    '=HYPERLINK("http://evil.example")',
    "javascript:alert(1)",
    # CSV injection through a line break: a spreadsheet splitting the row (or the cell) there sees "=2+3".
    "fine\r=2+3",
    "fine\n=2+3",
    "fine\r\n=2+3",
    "\r=2+3",
    "x\u2028@SUM(1)",
    "x\x85-1",
]
LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_xss_corpus_is_inert_in_every_export(api, send, site):
    """Step names, comments and variants full of markup and of formulas after line breaks: no export
    format carries live markup, and no CSV cell, nor any line in one, starts a formula."""
    import csv
    import io
    import xml.etree.ElementTree as ET
    import zipfile

    from collector.exports import FORMATS

    steps = [{"key": f"s{n}", "name": payload} for n, payload in enumerate(XSS)]
    assert api.post("/v1/journeys", json={"key": "checkout", "name": XSS[0], "steps": steps}).status_code == 201
    items = [
        answer(site, step=f"s{n}", kind="ces", score=1, comment=f"{payload} awful", variant=payload[:64])
        for n, payload in enumerate(XSS)
    ]
    assert send({"responses": items}, site).status_code == 201
    for export_format in FORMATS:
        response = api.get("/v1/journeys/checkout/export", format=export_format)
        assert response.status_code == 200, export_format
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.mimetype != "text/html"
        data = response.data
        documents = [data]
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                documents = [archive.read(name) for name in archive.namelist()]
        for document in documents:
            if document.lstrip().startswith(b"<"):  # SVG, draw.io or OOXML: parse it as XML
                root = ET.fromstring(document)
                for element in root.iter():
                    assert element.tag.rsplit("}", 1)[-1].lower() not in {"script", "foreignobject", "iframe"}, (
                        export_format
                    )
                    assert not [name for name in element.attrib if name.lower().startswith("on")], export_format
            # CSV and JSON carry the text as typed: inert as a non-HTML attachment with nosniff.
        if response.mimetype == "text/csv":
            text = data.decode("utf-8-sig")
            if export_format == "drawio":  # draw.io reads one row per line: nothing may break one
                text = "\n".join(line for line in text.split("\n") if not line.startswith("#"))
                assert not any(mark in text for mark in LINE_BREAKS if mark != "\n"), export_format
            for row in csv.reader(io.StringIO(text, newline="")):
                for cell in (cell for cell in row if not _is_number(cell)):
                    for line in [cell, *cell.splitlines()]:
                        assert not line or line[0] not in "=+-@\t\r", (export_format, cell)
