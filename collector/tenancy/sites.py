"""Sites (tenants): creation, settings, and the cached view the public endpoints use.

Public endpoints run for every widget request, so they read a small frozen
snapshot of the site from a per-process cache instead of the database.
"""

import time
from dataclasses import dataclass
from threading import Lock
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from collector.analytics import maintenance
from collector.analytics.visits import DEFAULT_TIMEOUT_MINUTES
from collector.common.errors import Conflict, NotFound
from collector.common.time import utcnow
from collector.models import ApiKey, Journey, Prompt, Site, Step
from collector.tenancy import invalidation
from collector.tenancy.keys import create_api_key, end_sessions, new_public_key

DEFAULT_SETTINGS: dict[str, Any] = {
    "sampling": 1.0,  # share of visitors who may be asked at all
    "events_sampling": 1.0,  # share of sessions whose step views are sent
    "per_step_days": 7,  # after answering at a step, don't ask there again for N days
    "per_session": 2,  # at most K prompts per browser session
    "dismiss_days": 30,  # a dismissal silences the widget for N days
    "respect_dnt": True,  # ask nothing when Do-Not-Track or Global Privacy Control is on
    "session_timeout_minutes": DEFAULT_TIMEOUT_MINUTES,  # funnel: inactivity that ends a session
    "locale": None,  # None: the page's <html lang>
    "theme": {
        "accent": "#4f46e5",
        "background": None,  # None: follow prefers-color-scheme
        "text": None,
        "font": None,  # None: the system UI font
        "position": "bottom-right",
        "radius": 12,
    },
}


@dataclass(frozen=True)
class SiteSnapshot:
    id: int
    public_key: str
    origins: frozenset[str]
    auto_register: bool


def normalise_origin(origin: str) -> str:
    """``https://Shop.example.com/`` → ``https://shop.example.com``; raises ValueError if not an origin."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"not an http(s) origin: {origin!r}")
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username:
        raise ValueError(f"an origin has no path, query or credentials: {origin!r}")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default_port = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme}://{host}{port}"


def merged_settings(site: Site) -> dict[str, Any]:
    """The site's settings with defaults filled in, themes merged key by key."""
    stored = site.settings or {}
    settings = {**DEFAULT_SETTINGS, **stored}
    settings["theme"] = {**DEFAULT_SETTINGS["theme"], **(stored.get("theme") or {})}
    return settings


def create_site(
    session: Session, name: str, origins: list[str], scopes: tuple[str, ...] = ("admin",)
) -> tuple[Site, str]:
    """Create a site with an admin key; returns the site and the key's secret."""
    site = Site(
        name=name,
        public_key=new_public_key(),
        origins=sorted({normalise_origin(o) for o in origins}),
        settings={},
    )
    session.add(site)
    session.flush()
    _, secret = create_api_key(session, site, list(scopes), name="admin")
    return site, secret


class _SiteCache:
    """Snapshots by public key, kept for SITE_CACHE_SECONDS; 0 disables caching."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._sites: dict[str, tuple[float, SiteSnapshot | None]] = {}
        self._origins: tuple[float, frozenset[str]] | None = None

    def site(self, session: Session, public_key: str, stale_ok: bool = False) -> SiteSnapshot | None:
        """The site's snapshot, read again after SITE_CACHE_SECONDS. With ``stale_ok``
        (the queued ingest path, which must keep accepting while the database is
        down) an expired snapshot is used when the database can't be read."""
        ttl = current_app.config["SITE_CACHE_SECONDS"]
        now = time.monotonic()
        hit = self._sites.get(public_key)
        if hit and now - hit[0] < ttl:
            return hit[1]
        try:
            row = session.execute(
                sa.select(Site.id, Site.public_key, Site.origins, Site.auto_register).where(
                    Site.public_key == public_key
                )
            ).first()
        except sa.exc.DBAPIError:
            if not (stale_ok and hit):
                raise
            session.rollback()
            return hit[1]
        snapshot = (
            SiteSnapshot(row.id, row.public_key, frozenset(row.origins or ()), row.auto_register) if row else None
        )
        with self._lock:
            if len(self._sites) > 10_000:  # bound memory against key-guessing floods
                self._sites.clear()
            self._sites[public_key] = (now, snapshot)
        return snapshot

    def forget(self, public_key: str | None = None) -> None:
        """Drop one site's snapshot (or all) and the origins of all sites: it changed."""
        with self._lock:
            if public_key is None:
                self._sites.clear()
            else:
                self._sites.pop(public_key, None)
            self._origins = None

    def all_origins(self, session: Session) -> frozenset[str]:
        """Every origin any site allows: enough to answer a CORS preflight."""
        ttl = current_app.config["SITE_CACHE_SECONDS"]
        now = time.monotonic()
        if self._origins and now - self._origins[0] < ttl:
            return self._origins[1]
        origins: set[str] = set()
        for site_origins in session.scalars(sa.select(Site.origins)):
            origins.update(site_origins or ())
        self._origins = (now, frozenset(origins))
        return self._origins[1]

    def clear(self) -> None:
        with self._lock:
            self._sites.clear()
            self._origins = None


site_cache = _SiteCache()


def widget_config(session: Session, site_id: int) -> dict[str, Any]:
    """What the widget needs: settings, and the active prompts of each step.

    Every page view downloads this, so steps that auto-registration made and
    that ask nothing are left out (and journeys left without steps): a bot
    making up names can't grow it. Steps the CX team defined stay even without
    prompts, since the widget sends step views (the funnel) only for steps it
    knows. ``last`` marks the last step listed, which completes the journey.
    """
    site = session.get(Site, site_id)
    rows = session.execute(
        sa.select(Journey.key, Step.key, Step.position, Step.id, Step.auto_registered)
        .join(Step, Step.journey_id == Journey.id)
        .where(Journey.site_id == site_id)
        .order_by(Journey.key, Step.position)
    ).all()
    prompts: dict[int, list[Prompt]] = {}
    for prompt in session.scalars(
        sa.select(Prompt)
        .join(Step, Prompt.step_id == Step.id)
        .join(Journey, Step.journey_id == Journey.id)
        .where(Journey.site_id == site_id, Prompt.active.is_(True))
        .order_by(Prompt.id)
    ):
        prompts.setdefault(prompt.step_id, []).append(prompt)

    journeys: dict[str, dict] = {}
    for journey_key, step_key, position, step_id, auto_registered in rows:
        if auto_registered and step_id not in prompts:
            continue
        steps = journeys.setdefault(journey_key, {"steps": {}})["steps"]
        steps[step_key] = {"position": position, "last": False, "prompts": prompts.get(step_id, [])}
    for journey in journeys.values():
        journey["steps"][next(reversed(journey["steps"]))]["last"] = True
    return {"site": site.public_key, "settings": merged_settings(site), "journeys": journeys}


def embed_snippet(site: Site, host_url: str) -> str:
    return f'<script async src="{host_url.rstrip("/")}/widget.js" data-site="{site.public_key}"></script>'


def update_site(session: Session, site: Site, values: dict[str, Any]) -> Site:
    """Apply a partial update; settings and theme are merged, not replaced."""
    for name in ("name", "auto_register", "retention_days"):
        if name in values:
            setattr(site, name, values[name])
    if "origins" in values:
        site.origins = sorted({normalise_origin(origin) for origin in values["origins"]})
    if "settings" in values:
        stored = dict(site.settings or {})
        new = dict(values["settings"])
        if "theme" in new:
            new["theme"] = {**(stored.get("theme") or {}), **new["theme"]}
        site.settings = {**stored, **new}
        if new.get("session_timeout_minutes", stored.get("session_timeout_minutes")) != stored.get(
            "session_timeout_minutes"
        ):
            session.flush()  # sessions are cut differently now
            maintenance.rebuild_funnel(session, site_id=site.id)
    session.commit()
    site_cache.forget(site.public_key)
    invalidation.announce(site.public_key)
    return site


def list_keys(session: Session, site: Site) -> list[ApiKey]:
    return list(session.scalars(sa.select(ApiKey).where(ApiKey.site_id == site.id).order_by(ApiKey.id)))


def issue_key(session: Session, site: Site, scopes: list[str], name: str = "") -> tuple[ApiKey, str]:
    key, secret = create_api_key(session, site, scopes, name)
    session.commit()
    return key, secret


def _own_key(session: Session, site: Site, key_id: int) -> ApiKey:
    key = session.scalar(sa.select(ApiKey).where(ApiKey.id == key_id, ApiKey.site_id == site.id))
    if key is None:
        raise NotFound(f"No key {key_id}.")
    return key


def revoke_key(session: Session, site: Site, key_id: int) -> None:
    key = _own_key(session, site, key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        end_sessions(key)
    session.commit()


def rotate_key(session: Session, site: Site, key_id: int) -> tuple[ApiKey, str]:
    old = _own_key(session, site, key_id)
    if old.revoked_at is not None:
        raise Conflict(f"Key {key_id} is revoked.")
    key, secret = create_api_key(session, site, old.scopes, old.name)
    old.revoked_at = utcnow()
    end_sessions(old)
    session.commit()
    return key, secret
