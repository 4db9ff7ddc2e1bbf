"""Hostile input: each of these once crashed a view (500) or was stored.

JSON nested 1,000 deep; unpaired surrogates and NUL characters, written as
``\\u`` escapes, in UTF-16 or UTF-32 bodies, or sent chunked; NaN, Infinity
and 1e400; pattern fields ending in a newline; datetimes outside 1970..3000;
chunked bodies over the size limit. Every endpoint that takes one answers a
4xx in the API's error shape, and every stored row stays as it was
(SECURITY.md, "Input and API robustness").
"""

import copy
import io
import json
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma
import pytest
import sqlalchemy as sa

from collector.api.fields import MAX_ATTRIBUTES
from collector.api.ingest.schemas import ResponseInSchema
from collector.api.json_input import MAX_DEPTH, JSONInputError, parse_json
from collector.config import TestConfig
from collector.exports import FORMATS
from collector.extensions import db
from collector.models import Response
from tests.helpers import SiteInfo, answer

MARK = "HOSTILE-VALUE"  # where a body template gets the hostile JSON text
LIMIT = TestConfig.MAX_CONTENT_LENGTH


def event(site: SiteInfo, **fields: Any) -> dict[str, Any]:
    """A valid custom widget event for ``site``."""
    return {
        "site_key": site.public_key,
        "journey": "checkout",
        "step": "payment",
        "type": "custom",
        "name": "coupon_applied",
        "client_id": str(uuid.uuid4()),
        "visitor_id": "v1",
        "session_id": "s1",
        "props": {"coupon": "SAVE10"},
        **fields,
    }


@dataclass(frozen=True)
class Endpoint:
    """A JSON endpoint, a valid body for it, and where its strings, pattern fields and numbers are."""

    name: str
    method: str
    path: str
    body: Callable[[SiteInfo], dict]
    text: str  # the main free-text field
    strings: tuple[str, ...] = ()  # paths of string values; "a.*" is a key of the object a, "*" a top-level key
    patterns: dict[str, str] = field(default_factory=dict)  # pattern field path -> valid value
    numbers: tuple[str, ...] = ()
    public: bool = False


VISIT_STRINGS = (
    "*",
    "site_key",
    "journey",
    "step",
    "client_id",
    "visitor_id",
    "session_id",
    "url_path",
    "device",
    "locale",
    "variant",
)
VISIT_PATTERNS = {"journey": "checkout", "step": "payment", "visitor_id": "v1", "session_id": "s1", "locale": "de-CH"}

ENDPOINTS = [
    Endpoint(
        "answer",
        "POST",
        "/v1/responses",
        lambda site: answer(site, comment="Fine", attributes={"plan": "pro"}),
        "comment",
        (*VISIT_STRINGS, "comment", "kind", "trigger", "hp", "attributes.plan", "attributes.*"),
        {**VISIT_PATTERNS, "attributes.*": "plan"},
        ("attributes.plan",),
        public=True,
    ),
    Endpoint(
        "answer batch",
        "POST",
        "/v1/responses",
        lambda site: {"responses": [answer(site), answer(site, comment="Fine", attributes={"plan": "pro"})]},
        "responses.1.comment",
        ("responses.1.comment", "responses.1.attributes.*", "responses.0.site_key"),
        {"responses.1.visitor_id": "v1", "responses.1.attributes.*": "plan"},
        ("responses.1.attributes.plan",),
        public=True,
    ),
    Endpoint(
        "event",
        "POST",
        "/v1/events",
        event,
        "name",
        (*VISIT_STRINGS, "type", "name", "props.coupon", "props.*"),
        {**VISIT_PATTERNS, "props.*": "coupon"},
        ("props.coupon",),
        public=True,
    ),
    Endpoint(
        "event batch",
        "POST",
        "/v1/events",
        lambda site: {"events": [event(site), event(site)]},
        "events.1.name",
        ("events.1.name", "events.0.props.*"),
        {"events.1.session_id": "s1"},
        ("events.1.props.coupon",),
        public=True,
    ),
    Endpoint(
        "new journey",
        "POST",
        "/v1/journeys",
        lambda site: {"key": "returns", "name": "Returns", "steps": [{"key": "start", "name": "Start"}]},
        "name",
        ("*", "key", "name", "steps.0.key", "steps.0.name"),
        {"key": "returns", "steps.0.key": "start"},
    ),
    Endpoint(
        "journey change",
        "PATCH",
        "/v1/journeys/checkout",
        lambda site: {"name": "Checkout", "step_order": ["cart", "payment"]},
        "name",
        ("name", "step_order.0"),
        {"step_order.1": "payment"},
    ),
    Endpoint(
        "new step",
        "POST",
        "/v1/journeys/checkout/steps",
        lambda site: {"key": "review", "name": "Review"},
        "name",
        ("key", "name"),
        {"key": "review"},
        ("position",),
    ),
    Endpoint(
        "step change",
        "PATCH",
        "/v1/journeys/checkout/steps/payment",
        lambda site: {"name": "Payment"},
        "name",
        ("name",),
        numbers=("position",),
    ),
    Endpoint(
        "new prompt",
        "POST",
        "/v1/journeys/checkout/steps/payment/prompts",
        lambda site: {
            "kind": "csat",
            "text": {"en": "How easy?"},
            "follow_up": {"max_score": 2, "text": {"en": "Why?"}},
        },
        "text.en",
        ("kind", "trigger", "text.en", "text.*", "follow_up.text.en"),
        {"text.*": "de", "follow_up.text.*": "de-CH"},
        ("follow_up.max_score",),
    ),
    Endpoint(
        "prompt change",
        "PATCH",
        "/v1/journeys/checkout/steps/payment/prompts/{prompt}",
        lambda site: {"text": {"en": "How easy?"}},
        "text.en",
        ("text.en", "text.*"),
        {"text.*": "fr"},
        ("delay_ms",),
    ),
    Endpoint(
        "site change",
        "PATCH",
        "/v1/site",
        lambda site: {"name": "Shop", "origins": [site.origin], "settings": {"theme": {"accent": "#4f46e5"}}},
        "name",
        ("name", "origins.0", "settings.locale", "settings.theme.font"),
        {
            "settings.locale": "de",
            "settings.theme.accent": "#4f46e5",
            "settings.theme.background": "#fff",
            "settings.theme.text": "#111111",
            "settings.theme.font": "Inter, sans-serif",
        },
        ("settings.sampling", "settings.events_sampling", "retention_days"),
    ),
    Endpoint(
        "new key", "POST", "/v1/keys", lambda site: {"name": "ci", "scopes": ["read"]}, "name", ("name", "scopes.0")
    ),
    Endpoint(
        "new alert rule",
        "POST",
        "/v1/alerts/rules",
        lambda site: {
            "journey": "checkout",
            "kind": "exit_share_above",
            "threshold": 0.5,
            "webhook_url": "https://hooks.example.com/stepsense",
        },
        "name",
        ("name", "journey", "kind", "webhook_url", "secret"),
        {"journey": "checkout", "step": "payment"},
        ("threshold", "alpha", "window_hours"),
    ),
    Endpoint(
        "alert rule change",
        "PATCH",
        "/v1/alerts/rules/{rule}",
        lambda site: {"name": "Exits"},
        "name",
        ("name", "webhook_url"),
        {"step": "payment"},
        ("threshold", "alpha"),
    ),
]


@pytest.fixture
def stored(site, api, send) -> dict[str, int]:
    """Answers, an event, a prompt and an alert rule already stored; the ids the paths need."""
    assert (
        send(
            {
                "responses": [
                    answer(site, comment="Quick and painless", attributes={"plan": "pro"}),
                    answer(site, step="cart", kind="nps", score=9),
                ]
            },
            site,
        ).status_code
        == 201
    )
    assert send(event(site), site, path="/v1/events").status_code == 201
    prompt = api.post("/v1/journeys/checkout/steps/payment/prompts", json={"kind": "csat", "text": {"en": "How easy?"}})
    rule = api.post(
        "/v1/alerts/rules",
        json={"journey": "checkout", "kind": "emotion_drop", "webhook_url": "https://hooks.example.com/x"},
    )
    assert prompt.status_code == rule.status_code == 201
    return {"prompt": prompt.json["id"], "rule": rule.json["id"]}


@pytest.fixture
def snapshot(app):
    """``snapshot()``: every row of every table (API keys without their last use, which reads update)."""

    def take() -> dict[str, list]:
        with app.app_context():
            tables = {}
            for table in db.metadata.sorted_tables:
                columns = [column for column in table.columns if column.name != "last_used_at"]
                tables[table.name] = sorted((tuple(row) for row in db.session.execute(sa.select(*columns))), key=repr)
            return tables

    return take


def put(body: dict, path: str, value: Any = MARK) -> dict:
    """A copy of ``body`` with ``value`` at ``path`` ("a.0.b"; a last part "*" adds ``value`` as a key)."""
    body = copy.deepcopy(body)
    *parents, last = path.split(".")
    node: Any = body
    for name in parents:
        node = node[int(name)] if isinstance(node, list) else node.setdefault(name, {})
    if last == "*":
        node[value] = "x"
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


def with_raw(body: dict, path: str, raw: str) -> str:
    """The body as JSON text with the JSON text ``raw`` at ``path``."""
    return json.dumps(put(body, path)).replace(json.dumps(MARK), raw)


def call(client, site: SiteInfo, stored: dict, endpoint: Endpoint, data: bytes, chunked: bool = False):
    """Send ``data`` as the endpoint's caller does: the widget's text/plain from the
    site's origin, or application/json with the admin key."""
    headers = (
        {"Content-Type": "text/plain;charset=UTF-8", "Origin": site.origin}
        if endpoint.public
        else {"Content-Type": "application/json", "Authorization": f"Bearer {site.secret}"}
    )
    path = endpoint.path.format(**stored)
    if not chunked:
        return client.open(path, method=endpoint.method, data=data, headers=headers)
    # What gunicorn hands the app for Transfer-Encoding: chunked: no Content-Length,
    # and an input stream the server ends (test_chunked_bodies_through_gunicorn sends real chunks).
    return client.open(
        path,
        method=endpoint.method,
        input_stream=io.BytesIO(data),
        headers={**headers, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def problem(response, status: int, names: tuple[str, ...] = ()) -> str | None:
    """What is wrong with a response that should be ``status`` in the error shape
    with ``names`` (a path of field names) in its details; None if nothing is."""
    if response.status_code != status:
        return f"{response.status_code} instead of {status}: {response.data[:300]!r}"
    body = json.loads(response.data)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or set(error) != {"code", "message", "details"} or not error["message"]:
        return f"not the error shape: {response.data[:300]!r}"
    details = error["details"]
    for name in names:
        if not isinstance(details, dict) or name not in details:
            return f"details do not name {'.'.join(names)}: {error}"
        details = details[name]
    return None


def field_names(path: str) -> tuple[str, ...]:
    """How the details name a body path: its parts, up to a key that is the hostile value itself."""
    return tuple(path.split(".*")[0].split(".")) if path != "*" else ()


def cx_get(api, url: str):
    """GET a URL that carries its own query string, with the admin key."""
    return api.client.get(url, headers={"Authorization": f"Bearer {api.key}"})


def check(failures: list[str], label: str, response, status: int, names: tuple[str, ...] = ()) -> None:
    found = problem(response, status, names)
    if found:
        failures.append(f"{label}: {found}")


def test_the_valid_bodies_are_accepted(client, site, stored):
    """The bodies the tests below spoil are valid as they are, so a refusal is the hostile value's doing."""
    for endpoint in ENDPOINTS:
        response = call(client, site, stored, endpoint, json.dumps(endpoint.body(site)).encode())
        assert response.status_code in (200, 201), (endpoint.name, response.data[:300])


def test_deep_nesting_is_400_on_every_json_endpoint(client, site, stored, snapshot):
    """1,000 levels (a RecursionError once) and one level over the limit are 400; the limit itself parses."""
    before, failures = snapshot(), []
    too_deep = "[" * MAX_DEPTH + "]" * MAX_DEPTH  # inside the body's object: MAX_DEPTH + 1 levels
    for endpoint in ENDPOINTS:
        for label, text in [
            ("objects", '{"a":' * 1000 + "1" + "}" * 1000),
            ("arrays", "[" * 1000 + "]" * 1000),
            ("one level over", with_raw(endpoint.body(site), "deep", too_deep)),
        ]:
            response = call(client, site, stored, endpoint, text.encode())
            check(failures, f"{endpoint.name}, {label}", response, 400)
            if (
                response.status_code == 400
                and f"{MAX_DEPTH} levels" not in json.loads(response.data)["error"]["message"]
            ):
                failures.append(f"{endpoint.name}, {label}: the message does not say why: {response.data[:200]!r}")
        at_limit = with_raw(endpoint.body(site), "deep", "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1))
        response = call(client, site, stored, endpoint, at_limit.encode())
        check(failures, f"{endpoint.name}, at the limit", response, 422, ("deep",))  # parsed; an unknown field
    assert not failures, "\n".join(failures)
    assert snapshot() == before
    # Brackets inside strings are text, not nesting.
    for endpoint in ENDPOINTS:
        text = with_raw(endpoint.body(site), endpoint.text, json.dumps("[{" * 500))
        if endpoint.name in ("new key", "new step", "new alert rule", "new journey"):
            text = text.replace("[{" * 500, "[{" * 50)  # within their 120-character names
        response = call(client, site, stored, endpoint, text.encode())
        assert response.status_code != 400, (endpoint.name, response.data[:300])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_brackets_in_strings_are_text_and_escapes_are_read_as_json_reads_them(encoding):
    """The depth check skips strings, with their escaped quotes and backslashes, like the parser."""
    deep = "[" * MAX_DEPTH + "]" * MAX_DEPTH  # one level more than allowed, inside an object
    texts_that_parse = ['{"a": "\\"' + "[" * 100 + '"}', '{"a": "\\\\\\"[{"}', '["' + "{" * 100 + '", ' + '"\\\\"]']
    for text in texts_that_parse:
        assert parse_json(text.encode(encoding)) == json.loads(text)
    for text in ['{"a": "\\\\", "b": ' + deep + "}", '{"a": "\\"[", "b": ' + deep + "}"]:
        with pytest.raises(JSONInputError, match=f"deeper than {MAX_DEPTH}"):
            parse_json(text.encode(encoding))
    assert parse_json(("[" * MAX_DEPTH + "]" * MAX_DEPTH).encode(encoding))


@pytest.mark.parametrize(
    "raw",
    [r'"\ud800"', r'"\udfff"', r'"ok \udbff then"', r'"\ude00\ud83d"', r'"a\u0000b"', r'"\u0000"'],
    ids=["high", "low", "inside", "reversed-pair", "nul", "only-nul"],
)
def test_unpaired_surrogates_and_nul_escapes_are_400_naming_the_field(client, site, stored, snapshot, raw):
    """Each string and key of each JSON endpoint: 400 whose details name the field (a 500, or stored, before)."""
    before, failures = snapshot(), []
    for endpoint in ENDPOINTS:
        for path in endpoint.strings:
            text = with_raw(endpoint.body(site), path, raw)
            response = call(client, site, stored, endpoint, text.encode())
            check(failures, f"{endpoint.name} {path}", response, 400, field_names(path))
    assert not failures, "\n".join(failures)
    assert snapshot() == before


def test_a_valid_pair_of_surrogate_escapes_is_an_emoji_and_is_stored(send, site, rows):
    """Only unpaired surrogates are refused: the escapes of 😀 are one character."""
    response = send(
        json.loads(with_raw(answer(site, kind="comment", score=None), "comment", r'"great \ud83d\ude00"')), site
    )
    assert response.status_code == 201
    assert rows(sa.select(Response.comment)) == ["great 😀"]


FRAMINGS = {
    "utf-8": ("utf-8", False),
    "utf-8, chunked": ("utf-8", True),
    "utf-16 with BOM": ("utf-16", False),
    "utf-16-be": ("utf-16-be", False),
    "utf-32": ("utf-32", False),
    "utf-16, chunked": ("utf-16", True),
}
CHARACTERS = {"nul escape": ("\x00", True), "surrogate escape": ("\ud800", True), "raw surrogate": ("\udc00", False)}


@pytest.mark.parametrize("character", CHARACTERS, ids=list(CHARACTERS))
@pytest.mark.parametrize("framing", FRAMINGS, ids=list(FRAMINGS))
def test_nul_and_surrogates_are_caught_whatever_the_framing_or_encoding(
    client, site, stored, snapshot, character, framing
):
    """The check runs on the decoded strings: a UTF-16 body or a chunked one (no
    Content-Length) was stored on SQLite and a 500 on PostgreSQL; a raw
    surrogate (ED B0 80 in UTF-8) decodes as one for json.loads."""
    (codec, chunked), (text, escaped) = FRAMINGS[framing], CHARACTERS[character]
    before, failures = snapshot(), []
    for endpoint in ENDPOINTS:
        body = json.dumps(put(endpoint.body(site), endpoint.text, f"a{text}b"), ensure_ascii=escaped)
        data = body.encode(codec, "surrogatepass")  # a raw surrogate as the code unit itself (ED B0 80 in UTF-8)
        response = call(client, site, stored, endpoint, data, chunked=chunked)
        check(failures, endpoint.name, response, 400, field_names(endpoint.text))
    assert not failures, "\n".join(failures)
    assert snapshot() == before


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1.5e999"])
def test_non_finite_numbers_are_400_everywhere(client, site, stored, snapshot, raw):
    """NaN and friends in attributes and props were stored, and GET /v1/responses
    then answered invalid JSON (PostgreSQL: a 500); in CX numbers, too."""
    before, failures = snapshot(), []
    for endpoint in ENDPOINTS:
        for path in (*endpoint.numbers, "extra"):
            response = call(client, site, stored, endpoint, with_raw(endpoint.body(site), path, raw).encode())
            check(failures, f"{endpoint.name} {path}", response, 400)
    assert not failures, "\n".join(failures)
    assert snapshot() == before
    listing = client.get("/v1/responses", headers={"Authorization": f"Bearer {site.secret}"})
    assert json.loads(listing.data, parse_constant=lambda name: pytest.fail(f"{name} in GET /v1/responses"))


def test_attributes_refuse_non_finite_numbers_without_json(site):
    """The schema refuses NaN and infinities itself, for values that come from Python rather than a request body."""
    for value in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ma.ValidationError) as error:
            ResponseInSchema().load(answer(site, attributes={"cart_value": value}))
        assert "attributes" in error.value.messages
    assert ResponseInSchema().load(answer(site, attributes={f"a{n}": 1.5 for n in range(MAX_ATTRIBUTES)}))


def test_trailing_newlines_fail_every_pattern_field(client, site, stored, snapshot):
    """``$`` matched before a final newline: "victim1\\n" passed as a visitor ID and was stored."""
    before, failures = snapshot(), []
    for endpoint in ENDPOINTS:
        for path, valid in endpoint.patterns.items():
            for value in (f"{valid}\n", f"{valid}\r\n", f"\n{valid}"):
                text = with_raw(endpoint.body(site), path, json.dumps(value))
                response = call(client, site, stored, endpoint, text.encode())
                check(failures, f"{endpoint.name} {path}={value!r}", response, 422, field_names(path.replace(".*", "")))
    assert not failures, "\n".join(failures)
    assert snapshot() == before


FILTERS = [
    ("/v1/responses", "journey", "checkout"),
    ("/v1/responses", "step", "payment"),
    ("/v1/responses", "visitor_id", "v1"),
    ("/v1/responses", "locale", "en"),
    ("/v1/journeys/checkout/curve", "locale", "en"),
    ("/v1/journeys/checkout/export?format=csv", "locale", "en"),
]


@pytest.mark.parametrize("path, name, valid", FILTERS)
def test_trailing_newlines_fail_pattern_filters(api, stored, path, name, valid):
    """Filters take the same patterns as the fields they filter, whole."""
    separator = "&" if "?" in path else "?"
    assert problem(cx_get(api, f"{path}{separator}{name}={valid}%0A"), 422, (name,)) is None
    accepted = cx_get(api, f"{path}{separator}{name}={valid}")
    assert accepted.status_code == 200
    accepted.close()  # exports stream


def test_a_visitor_id_with_a_newline_is_refused_and_one_stored_earlier_can_be_erased(app, api, send, site, rows):
    """ "victim1\\n" is now 422 at ingest; an answer stored under it before can still be erased by that ID."""
    response = send(answer(site, visitor_id="victim1\n"), site)
    assert problem(response, 422, ("visitor_id",)) is None
    assert send(answer(site, visitor_id="victim1"), site).status_code == 201
    with app.app_context():  # an answer stored before the pattern was matched whole
        db.session.execute(sa.update(Response).values(visitor_id="victim1\n"))
        db.session.commit()
    erased = api.delete("/v1/visitors/victim1%0A")
    assert erased.status_code == 200
    assert erased.json["responses"] == 1
    assert rows(sa.select(Response.id)) == []
    assert api.delete("/v1/visitors/victim1%0A%0A").status_code == 422


EXTREME_TIMES = [
    ("from", "0001-01-01T00:00:00+05:00"),
    ("to", "9999-12-31"),
    ("to", "9999-12-31T23:00:00-05:00"),
    ("from", "0001-01-01"),
    ("from", "1969-12-31T23:59:59Z"),
    ("to", "3000-01-01T00:00:01Z"),
]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/responses",
        "/v1/journeys/checkout/curve?interval=week",
        *(f"/v1/journeys/checkout/export?format={name}" for name in FORMATS),
    ],
)
def test_datetimes_out_of_range_are_422(api, stored, snapshot, path):
    """0001-01-01T00:00:00+05:00 overflowed in astimezone() and 9999-12-31 in day arithmetic (500s)."""
    before, failures = snapshot(), []
    separator = "&" if "?" in path else "?"
    for name, value in EXTREME_TIMES:
        response = cx_get(api, f"{path}{separator}{name}={value.replace('+', '%2B')}")
        found = problem(response, 422, (name,))
        if found:
            failures.append(f"{name}={value}: {found}")
    assert not failures, "\n".join(failures)
    inside = cx_get(api, f"{path}{separator}from=1970-01-01T00:00:00Z&to=3000-01-01")
    assert inside.status_code == 200, inside.data[:300]
    inside.close()  # exports stream
    assert snapshot() == before


def test_dashboard_ignores_dates_out_of_range(client, site, stored):
    """The dashboard drops a date filter it can't use, as it does an invalid one: no 500."""
    client.get("/dashboard/sign-in")
    with client.session_transaction() as session:
        token = session["csrf"]
    client.post("/dashboard/sign-in", data={"key": site.secret, "csrf_token": token})
    for query in ({"from": "0001-01-01", "to": "9999-12-31"}, {"to": "9999-12-31"}, {"from": "1969-12-31"}):
        page = client.get("/dashboard/", query_string={"journey": "checkout", **query})
        assert page.status_code == 200, (query, page.data[:300])
        assert b"9999-12-31" not in page.data and b"0001-01-01" not in page.data
        download = client.get("/dashboard/export", query_string={"journey": "checkout", "format": "csv", **query})
        assert download.status_code == 200, (query, download.data[:300])
        download.close()  # a streamed body: done with it


def test_bodies_over_the_limit_are_413_chunked_or_not(client, site, stored, snapshot):
    """A chunked body over MAX_CONTENT_LENGTH was cut at the limit and read as bad JSON (400)."""
    before, failures = snapshot(), []
    for endpoint in ENDPOINTS:
        data = json.dumps(put(endpoint.body(site), endpoint.text, "x" * (LIMIT + 100))).encode()
        for chunked in (False, True):
            response = call(client, site, stored, endpoint, data, chunked=chunked)
            check(failures, f"{endpoint.name}{', chunked' if chunked else ''}", response, 413)
    assert not failures, "\n".join(failures)
    assert snapshot() == before
    # A body of exactly the limit is not too large, however it comes.
    for chunked in (False, True):
        exact = json.dumps(answer(site)).encode()
        exact += b" " * (LIMIT - len(exact))
        assert call(client, site, stored, ENDPOINTS[0], exact, chunked=chunked).status_code == 201


def test_chunked_dashboard_forms_over_the_limit_are_413(client):
    """Forms too: werkzeug would parse the first MAX_CONTENT_LENGTH bytes of a chunked form as the whole."""
    response = client.post(
        "/dashboard/sign-in",
        input_stream=io.BytesIO(b"key=" + b"x" * (LIMIT + 100)),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "path",
    [
        "/v1/responses?variant=%ED%A0%80",
        "/v1/responses?variant=a%00b",
        "/v1/journeys/%ED%A0%80/curve",
        "/v1/journeys/a%00b/curve",
        "/v1/visitors/%ED%A0%80",
        "/v1/visitors/a%00b",
        "/v1/sites/%ED%A0%80/config",
        "/v1/sites/a%00b/config",
    ],
)
def test_surrogate_and_nul_bytes_in_urls_are_no_server_error(api, stored, snapshot, path):
    """Percent-encoded surrogates are invalid UTF-8, read as U+FFFD; NUL is 400, as in JSON bodies."""
    before = snapshot()
    method = "DELETE" if path.startswith("/v1/visitors") else "GET"
    response = api.client.open(path, method=method, headers={"Authorization": f"Bearer {api.key}"})
    if "%00" in path:
        assert problem(response, 400) is None
    else:
        assert 200 <= response.status_code < 500, response.data[:300]
    assert snapshot() == before


def _chunked_post(port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    """POST ``body`` with Transfer-Encoding: chunked over a raw socket; (status, JSON body)."""
    head = "".join(
        f"{name}: {value}\r\n"
        for name, value in {
            "Host": "127.0.0.1",
            "Transfer-Encoding": "chunked",
            "Connection": "close",
            **headers,
        }.items()
    )
    chunks = b"".join(
        f"{len(body[i : i + 4096]):x}\r\n".encode() + body[i : i + 4096] + b"\r\n" for i in range(0, len(body), 4096)
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\n{head}\r\n".encode() + chunks + b"0\r\n\r\n")
        reply = b""
        while data := sock.recv(65536):
            reply += data
    status_line, _, rest = reply.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2] or b"null")


@pytest.mark.slow
def test_chunked_bodies_through_gunicorn(site, gunicorn, rows):
    """Real chunked framing: a NUL escape is 400 and an oversized body 413, on public and CX endpoints."""
    server = gunicorn(workers=1)
    widget = {"Content-Type": "text/plain;charset=UTF-8", "Origin": site.origin}
    cx = {"Content-Type": "application/json", "Authorization": f"Bearer {site.secret}"}
    status, body = _chunked_post(
        server.port, "/v1/responses", json.dumps(answer(site, comment="a\x00b")).encode(), widget
    )
    assert (status, body["error"]["details"]) == (400, {"comment": ["Contains a NUL character."]})
    status, body = _chunked_post(server.port, "/v1/journeys", json.dumps({"key": "k", "name": "\x00"}).encode(), cx)
    assert (status, body["error"]["details"]) == (400, {"name": ["Contains a NUL character."]})
    for path, headers, big in [
        ("/v1/responses", widget, answer(site, comment="x" * LIMIT)),
        ("/v1/journeys", cx, {"key": "k", "name": "x" * LIMIT}),
    ]:
        status, body = _chunked_post(server.port, path, json.dumps(big).encode(), headers)
        assert (status, body["error"]["code"]) == (413, "payload_too_large")
    assert _chunked_post(server.port, "/v1/responses", json.dumps(answer(site)).encode(), widget)[0] == 201
    assert len(rows(sa.select(Response.id))) == 1
