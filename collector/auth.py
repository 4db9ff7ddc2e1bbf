"""Keys: generating them, storing only their hashes, and checking Bearer tokens.

Secret keys are 256-bit random tokens, so a plain SHA-256 is enough to store
them (a slow password hash protects guessable secrets, not random ones) and
keeps the check cheap on every request.
"""

import functools
from copy import deepcopy
import hashlib
import hmac
import secrets
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app, g, request
from flask_smorest.utils import deepupdate
from sqlalchemy.orm import Session

from collector.errors import abort
from collector.extensions import db, limiter
from collector.models import ApiKey, Site

SCOPES = ("read", "write", "admin")
PREFIX_LENGTH = 12  # "sk_" and 9 random characters: unique enough to find the row


def new_public_key() -> str:
    return "pk_" + secrets.token_urlsafe(16)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(session: Session, site: Site, scopes: list[str], name: str = "") -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is never stored or shown again."""
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise ValueError(f"scopes must be a non-empty subset of {', '.join(SCOPES)}")
    secret = "sk_" + secrets.token_urlsafe(32)
    key = ApiKey(
        site=site,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        key_hash=hash_secret(secret),
        scopes=[scope for scope in SCOPES if scope in scopes],
    )
    session.add(key)
    session.flush()
    return key, secret


def end_sessions(key: ApiKey) -> None:
    """End every dashboard session signed in with ``key``, cookies saved before included:
    sessions carry the key's generation, and this moves it on (atomically, in SQL)."""
    key.session_generation = ApiKey.session_generation + 1


def find_api_key(session: Session, secret: str) -> ApiKey | None:
    """The live key matching ``secret``, compared in constant time."""
    if not secret.startswith("sk_") or len(secret) < PREFIX_LENGTH:
        return None
    key = session.scalar(sa.select(ApiKey).where(ApiKey.prefix == secret[:PREFIX_LENGTH]))
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.key_hash, hash_secret(secret)):
        return None
    return key


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
        limited = limiter.shared_limit(_per_key, scope="api-key", key_func=_key_identity,
                                       error_message=_limit_message)(view)

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                abort(401, "Send a secret key as 'Authorization: Bearer sk_…'.",
                      headers={"WWW-Authenticate": 'Bearer realm="stepsense"'})
            key = find_api_key(db.session, token.strip())
            if key is None:
                abort(401, "The API key is unknown or revoked.",
                      headers={"WWW-Authenticate": 'Bearer realm="stepsense", error="invalid_token"'})
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


def has_scope(key: ApiKey, scope: str) -> bool:
    granted = set(key.scopes)
    if "admin" in granted:
        return True
    if scope == "read" and "write" in granted:
        return True
    return scope in granted

