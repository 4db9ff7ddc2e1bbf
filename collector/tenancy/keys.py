"""Keys: generating them, storing only their hashes, and finding the key of a secret.

Secret keys are 256-bit random tokens, so a plain SHA-256 is enough to store
them (a slow password hash protects guessable secrets, not random ones) and
keeps the check cheap on every request.
"""

import hashlib
import hmac
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

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


def has_scope(key: ApiKey, scope: str) -> bool:
    granted = set(key.scopes)
    if "admin" in granted:
        return True
    if scope == "read" and "write" in granted:
        return True
    return scope in granted
