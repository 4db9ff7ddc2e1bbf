"""CORS for the public endpoints, limited to the origins each site allows.

A preflight is answered for any origin that some site allows (the site is
only known once the body is read); the request itself is accepted only from
an origin of the site named by its ``site_key``. Requests without an
``Origin`` header come from servers and scripts, not browsers, and CORS does
not apply to them.
"""

from flask import Response, g, request
from sqlalchemy.exc import DBAPIError

from collector.common.errors import Forbidden
from collector.extensions import db
from collector.tenancy.sites import SiteSnapshot, site_cache

PREFLIGHT_MAX_AGE = 86400


def check_origin(site: SiteSnapshot) -> None:
    """Refuse a browser request from an origin the site has not allowed."""
    origin = request.headers.get("Origin")
    if origin is None:
        return
    if origin not in site.origins:
        raise Forbidden("This origin is not allowed for the site.", details={"origin": origin})
    g.cors_origin = origin


def _allowed_by_some_site(origin: str) -> bool:
    """Whether any site allows ``origin``; False while the database is unreachable,
    so an outage's 503 is not turned into a 500 by this after_request hook
    (the widget then sees a network failure and retries, as it should)."""
    try:
        return origin in site_cache.all_origins(db.session)
    except DBAPIError:
        db.session.rollback()
        return False


def add_cors_headers(response: Response) -> Response:
    """after_request hook of the public blueprint."""
    origin = request.headers.get("Origin")
    if not origin:
        return response
    response.vary.add("Origin")
    if request.method == "OPTIONS":
        if _allowed_by_some_site(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        return response
    # Errors are readable by any origin some site allows, so the widget can
    # tell a rejected answer (drop it) from a network failure (retry it).
    if g.get("cors_origin") == origin or (response.status_code >= 400 and _allowed_by_some_site(origin)):
        response.headers["Access-Control-Allow-Origin"] = origin
    return response
