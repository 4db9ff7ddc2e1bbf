"""Helpers shared by test modules: the app for a database URL, widget answers, a CX
API client, dashboard sign-in, curve requests and a webhook receiver.

Test modules import these (``from tests.helpers import answer``); fixtures stay
in the conftest.py files, which import from here, never the other way round.
No test module imports another test module or a conftest.
"""

import hashlib
import hmac
import json
import ssl
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from collector import create_app
from collector.config import TestConfig

# --- the app and its sites ---------------------------------------------------


def app_for(url: str, **overrides: Any) -> Flask:
    """The app with the test configuration on the database at ``url``; ``overrides`` win."""
    return create_app(
        {
            **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            "SQLALCHEMY_DATABASE_URI": url,
            **overrides,
        }
    )


@dataclass
class SiteInfo:
    """What a test needs of a site made by the ``make_site`` fixture."""

    id: int
    public_key: str
    secret: str
    origin: str


def answer(site: SiteInfo, **fields: Any) -> dict[str, Any]:
    """A valid widget answer for ``site``; override any field."""
    return {
        "site_key": site.public_key,
        "journey": "checkout",
        "step": "payment",
        "kind": "csat",
        "score": 4,
        "client_id": str(uuid.uuid4()),
        "visitor_id": "v1",
        "session_id": "s1",
        **fields,
    }


class ApiClient:
    """Calls the CX API with a Bearer key, like a CX team's script would."""

    def __init__(self, client: FlaskClient, key: str) -> None:
        self.client = client
        self.key = key

    def _headers(self, key: str | None) -> dict[str, str]:
        key = self.key if key is None else key
        return {"Authorization": f"Bearer {key}"} if key else {}

    def get(self, path: str, key: str | None = None, **params):
        return self.client.get(path, query_string=params, headers=self._headers(key))

    def post(self, path: str, json: Any = None, key: str | None = None):
        return self.client.post(path, json=json, headers=self._headers(key))

    def patch(self, path: str, json: Any = None, key: str | None = None):
        return self.client.patch(path, json=json, headers=self._headers(key))

    def delete(self, path: str, key: str | None = None):
        return self.client.delete(path, headers=self._headers(key))


# --- the dashboard -----------------------------------------------------------


def csrf(client: FlaskClient) -> str:
    """The CSRF token of the client's session (made by any dashboard page)."""
    with client.session_transaction() as session:
        return session["csrf"]


def sign_in(client: FlaskClient, secret: str):
    """Sign the client in to the dashboard with an API key, as the sign-in form does."""
    client.get("/dashboard/sign-in")
    return client.post("/dashboard/sign-in", data={"key": secret, "csrf_token": csrf(client)})


# --- curves: GET /v1/journeys/{key}/curve -------------------------------------

CHECKOUT_STEPS = ["cart", "shipping", "payment", "confirmation"]


def make_journey(api: ApiClient, key: str = "checkout", steps: list[str] = CHECKOUT_STEPS) -> None:
    """Create a journey with ``steps`` through the CX API."""
    response = api.post("/v1/journeys", json={"key": key, "name": key.title(), "steps": [{"key": s} for s in steps]})
    assert response.status_code == 201, response.get_json()


def send_all(
    send, site: SiteInfo, answers: list[dict], path: str = "/v1/responses", field: str = "responses", batch: int = 50
) -> None:
    """Send ``answers`` with the ``send`` fixture in batches of ``batch``."""
    for start in range(0, len(answers), batch):
        response = send({field: answers[start : start + batch]}, site, path=path)
        assert response.status_code in (200, 201), response.get_json()


def impressions(site: SiteInfo, step: str, count: int, journey: str = "checkout", **fields: Any) -> list[dict]:
    """``count`` impression events at ``step`` (answers without a score)."""
    items = []
    for _ in range(count):
        item = answer(site, journey=journey, step=step, type="impression", kind="csat", **fields)
        item.pop("score"), item.pop("kind")
        items.append(item)
    return items


def curve(api: ApiClient, key: str = "checkout", status: int = 200, **params: Any) -> dict:
    """The journey's curve, checking the status."""
    response = api.get(f"/v1/journeys/{key}/curve", **params)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def by_step(body: dict) -> dict[str, dict]:
    """A curve's (or funnel's) steps by step key."""
    return {item["step"]: item for item in body["steps"]}


def today() -> datetime:
    """Midnight UTC today."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def window(**extra: Any) -> dict:
    """A day-aligned window around today (served from rollups)."""
    start = today()
    return {"from": start.isoformat(), "to": (start + timedelta(days=1)).isoformat(), **extra}


def raw_window(**extra: Any) -> dict:
    """The same data through a window that starts off midnight (served raw)."""
    start = today() - timedelta(seconds=1)
    return {"from": start.isoformat(), "to": (today() + timedelta(days=1)).isoformat(), **extra}


def assert_same_numbers(a: dict, b: dict) -> None:
    """Two curves agree on every step number (apart from where they were read from)."""
    for one, other in zip(a["steps"], b["steps"]):
        for name in (
            "responses",
            "impressions",
            "response_rate",
            "emotion",
            "csat",
            "ces",
            "nps",
            "exit_intent",
            "flags",
            "tests",
        ):
            assert (
                one[name] == pytest.approx(other[name]) if isinstance(one[name], float) else one[name] == other[name]
            ), name
        assert one["comments"] == other["comments"]


# --- events at a settable ingest clock (the rollup tests) ---------------------


class IngestClock:
    """Ingest's clock for a test: set ``at`` to a datetime and the next events are stored then."""

    def __init__(self, at: datetime) -> None:
        self.at = at


def ingest_clock(monkeypatch: pytest.MonkeyPatch, at: datetime) -> IngestClock:
    """Patch ingest's ``utcnow`` to a settable clock starting at ``at``.

    The rollup tests place events on chosen days and seconds; one clock keeps them patching the same place.
    """
    clock = IngestClock(at)
    monkeypatch.setattr("collector.ingest.store.utcnow", lambda: clock.at)
    return clock


def journey_event(site: SiteInfo, session_id: str, type_: str, step: str, **fields: Any) -> dict[str, Any]:
    """A valid widget event of ``type_`` at ``step`` of the checkout journey; ``fields`` add or override."""
    return {
        "site_key": site.public_key,
        "journey": "checkout",
        "step": step,
        "type": type_,
        "client_id": str(uuid.uuid4()),
        "session_id": session_id,
        **fields,
    }


# --- themes: a step's comments, themed ----------------------------------------

CARD_DECLINED = [
    "My card was declined",
    "card declined twice",
    "the card got declined for no reason",
    "Card declined even though I have money",
    "why is my card declined",
    "credit card declined again",
]
PROMO_CODE = [
    "promo code does not work",
    "the promo code is invalid",
    "promo code rejected",
    "where do I enter the promo code",
    "promo code expired?",
    "my promo code was not accepted",
]


def send_comments(send: Any, site: SiteInfo, comments: list[str], step: str = "payment", **fields: Any) -> list[str]:
    """Send one comment answer per text at ``step`` (50 a batch, the ingest limit); their client ids.

    Every theme test seeds a step this way, so a change to the widget answer touches one place.
    """
    items = [answer(site, step=step, comment=text, **{"score": 2, "visitor_id": "v1", **fields}) for text in comments]
    for start in range(0, len(items), 50):
        assert send({"responses": items[start : start + 50]}, site).status_code == 201
    return [item["client_id"] for item in items]


def rebuild_themes(runner: Any, *args: str) -> str:
    """Run ``flask themes rebuild`` (with ``args``), asserting it succeeded; its output."""
    result = runner.invoke(args=["themes", "rebuild", *args])
    assert result.exit_code == 0, result.output
    return result.output


# --- alerts: a webhook receiver -----------------------------------------------


class Receiver:
    """A webhook endpoint on 127.0.0.1 that checks each request's HMAC signature.

    ``statuses`` are answered in turn (then 200); a bad signature gets 401.
    ``host``/``port`` choose where it listens (any 127.x.y.z is loopback on
    Linux); ``tls`` is a server SSLContext for an https receiver.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.secret: str | None = None
        self.statuses: list[int] = []
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signed = self.headers.get("X-Stepsense-Timestamp", "").encode() + b"." + body
                expected = "sha256=" + hmac.new((receiver.secret or "").encode(), signed, hashlib.sha256).hexdigest()
                verified = hmac.compare_digest(self.headers.get("X-Stepsense-Signature", ""), expected)
                receiver.requests.append(
                    {"headers": dict(self.headers), "body": body, "verified": verified, "json": json.loads(body)}
                )
                status = 401 if not verified else (receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.scheme = "http"
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
