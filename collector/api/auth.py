"""Bearer authentication of the CX endpoints, their per-key rate limit, and
its OpenAPI description."""

import functools
from collections.abc import Callable
from copy import deepcopy

from flask import current_app, g, request
from flask_smorest.utils import deepupdate

from collector.api.errors import abort
from collector.extensions import db, limiter
from collector.tenancy.keys import find_api_key, has_scope


def _per_key() -> str:
    return current_app.config["RATELIMIT_API_PER_KEY"]


def _key_identity() -> str:
    return f"api-key:{g.api_key.id}"


def _limit_message() -> str:
    return f"Too many requests with this API key (at most {_per_key()}); retry after Retry-After seconds."


def require_scope(scope: str) -> Callable:
    """Decorate a CX view: a Bearer key of the right scope sets ``g.site``.

    ``admin`` implies every scope; ``write`` implies ``read``. Each key then
    draws on one budget for all CX endpoints, RATELIMIT_API_PER_KEY, kept by
    the key's id (not the client's address, which many scripts of one team may
    share, or one script may change); past it, 429 before the view runs.
    """

    def decorator(view: Callable) -> Callable:
        # Checked when called, that is after the key is known.
        limited = limiter.shared_limit(_per_key, scope="api-key", key_func=_key_identity, error_message=_limit_message)(
            view
        )

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                abort(
                    401,
                    "Send a secret key as 'Authorization: Bearer sk_…'.",
                    headers={"WWW-Authenticate": 'Bearer realm="stepsense"'},
                )
            key = find_api_key(db.session, token.strip())
            if key is None:
                abort(
                    401,
                    "The API key is unknown or revoked.",
                    headers={"WWW-Authenticate": 'Bearer realm="stepsense", error="invalid_token"'},
                )
            if not has_scope(key, scope):
                abort(403, f"This key lacks the '{scope}' scope.")
            g.api_key = key
            g.site = key.site
            return limited(*args, **kwargs)

        # Documented in the OpenAPI spec, as flask-smorest's own decorators do.
        wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))
        wrapper._apidoc["manual_doc"] = deepupdate(
            deepcopy(wrapper._apidoc.get("manual_doc", {})),
            {
                "security": [{"bearerAuth": []}],
                "responses": {"401": "UNAUTHORIZED", "403": "FORBIDDEN", "429": "TOO_MANY_REQUESTS"},
            },
        )
        return wrapper

    return decorator
