"""Browser fixtures: a live collector on a real database, a host site on another
origin, the demo shop on the collector, and the system Chromium driven by
Playwright. What test modules import (ARTIFACTS, wait_for) is in
tests/browser/helpers.py.

The collector is the app from tests/conftest.py served by werkzeug in a
thread; host pages are served by a second tiny server so the widget runs
cross-origin as on a customer's site. With CI=true a browser that does not
start fails the tests instead of skipping them.
"""

import os
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from collector.demo import seed as demo
from collector.extensions import db
from collector.models import Event, Journey, Prompt, Site, Step
from collector.models import Response as Answer
from collector.tenancy.sites import create_site, site_cache

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class LiveServer:
    """A WSGI app served on 127.0.0.1 in a background thread."""

    def __init__(self, wsgi_app) -> None:
        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture(scope="session")
def browser():
    """The system Chromium; skipped when it can't start, unless CI=true."""
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    try:
        browser = manager.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    except Exception as error:  # no browser here: only CI must insist
        manager.stop()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Chromium did not start: {error}")
        pytest.skip(f"Chromium did not start: {error}")
    yield browser
    browser.close()
    manager.stop()


@pytest.fixture
def collector(app):
    """The collector app from tests/conftest.py, live on a real port and database."""
    server = LiveServer(app)
    yield server
    server.stop()


class HostSite:
    """Pages of a customer's site on its own origin: ``host.page("/x", html)``."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.server = LiveServer(self._wsgi)
        self.url = self.server.url

    @Request.application
    def _wsgi(self, request: Request) -> Response:
        if request.path == "/favicon.ico":
            return Response(status=204)
        html = self.pages.get(request.path)
        if html is None:
            return Response("not found", status=404)
        return Response(html, content_type="text/html; charset=utf-8")

    def page(self, path: str, html: str) -> str:
        self.pages[path] = html
        return self.url + path


@pytest.fixture
def host():
    site = HostSite()
    yield site
    site.server.stop()


@dataclass
class Widget:
    """A site with one journey whose prompts the test chooses, and helpers to read what landed."""

    app: Any
    collector: LiveServer
    host: HostSite
    public_key: str = ""
    site_id: int = 0
    journey: str = "j"

    def setup(self, steps: dict[str, list[dict]], journey: str = "j", **settings: Any) -> None:
        """Create the site: ``steps`` maps step keys, in order, to their prompt definitions."""
        with self.app.app_context():
            site, _ = create_site(db.session, "Browser shop", [self.host.url, self.collector.url])
            site.settings = {"respect_dnt": False, **settings}
            j = Journey(key=journey, name=journey.title())
            j.steps = [Step(key=key, name=key.title(), position=i) for i, key in enumerate(steps)]
            site.journeys.append(j)
            for step in j.steps:
                step.prompts = [Prompt(**p) for p in steps[step.key]]
            db.session.commit()
            self.public_key, self.site_id, self.journey = site.public_key, site.id, journey
            site_cache.clear()

    def settings(self, **settings: Any) -> None:
        with self.app.app_context():
            site = db.session.get(Site, self.site_id)
            site.settings = {**site.settings, **settings}
            db.session.commit()

    def snippet(self, step: str | None = None, journey: str | None = None) -> str:
        return f'<script async src="{self.collector.url}/widget.js" data-site="{self.public_key}"></script>'

    def page(self, path: str, step: str, body: str = "", head: str = "", lang: str = "en") -> str:
        """A host page at ``path`` naming ``step`` on <body>, with ``body`` inside."""
        return self.host.page(
            path,
            f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>{step}</title>{head}{self.snippet()}</head>
<body data-stepsense-journey="{self.journey}" data-stepsense-step="{step}" style="margin:0;font:16px sans-serif">
<h1>Step {step}</h1>{body}</body></html>""",
        )

    def _rows(self, model, **where) -> list:
        with self.app.app_context():
            db.session.remove()
            query = sa.select(model).where(model.site_id == self.site_id)
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            rows = list(db.session.scalars(query.order_by(model.id)))
            for row in rows:
                db.session.expunge(row)
            return rows

    def responses(self, **where) -> list[Answer]:
        return self._rows(Answer, **where)

    def events(self, **where) -> list[Event]:
        return self._rows(Event, **where)

    def step_key(self, step_id: int) -> str:
        with self.app.app_context():
            return db.session.get(Step, step_id).key


@dataclass
class PageWatch:
    """Console errors, page errors and request hosts seen by a page."""

    errors: list[str] = field(default_factory=list)
    hosts: set[str] = field(default_factory=set)
    allowed_errors: list[str] = field(default_factory=list)


@pytest.fixture
def widget(app, collector, host):
    return Widget(app, collector, host)


@pytest.fixture
def shop(app, collector, widget):
    """The demo site on the live collector; shipping's prompt comes sooner, to keep the test short."""
    with app.app_context():
        site, _ = demo.ensure_demo_site(db.session, [collector.url])
        site.settings = {**site.settings, "per_session": 10}
        for prompt in db.session.scalars(sa.select(Prompt).where(Prompt.trigger == "after_ms")):
            prompt.delay_ms = 300
        db.session.commit()
        widget.site_id, widget.public_key = site.id, site.public_key
    return widget


@pytest.fixture
def watch():
    return PageWatch()


@pytest.fixture
def page(browser, watch, collector, host):
    """A fresh browser context (empty storage) and page; fails the test on console errors."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    page.set_default_timeout(5000)
    page.on("console", lambda m: m.type == "error" and watch.errors.append(f"{m.text} at {m.location.get('url')}"))
    page.on("pageerror", lambda e: watch.errors.append(f"pageerror: {e}"))
    page.on("request", lambda r: watch.hosts.add(r.url.split("/")[2]))
    yield page
    context.close()
    # The collector's own pages have no favicon; that 404 is the browser's, not the widget's.
    errors = [e for e in watch.errors if not any(a in e for a in [*watch.allowed_errors, "/favicon.ico"])]
    assert not errors, f"console errors: {errors}"
    allowed = {collector.url.split("/")[2], host.url.split("/")[2]}
    assert watch.hosts <= allowed, f"requests to other hosts: {watch.hosts - allowed}"


def shadow(page, selector: str = "stepsense-widget"):
    """The widget's host element, waited for."""
    return page.wait_for_selector(selector, state="attached")
