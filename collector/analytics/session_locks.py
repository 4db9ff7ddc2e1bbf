"""Per-session advisory locks (PostgreSQL), shared by the funnel's and friction's rollups.

Both recompute each session an ingest touches from the session's stored rows, so
two transactions writing one session must take turns: the second waits for the
first to commit, and its reads then see the first's rows. One lock per (journey,
session) serves both, so an ingest takes all its sessions' locks in one statement
(``collector.ingest.store``), and when the funnel or friction asks again for
sessions already locked in the same transaction, nothing is sent. SQLite has one
writer at a time and needs none.

The keys are those the funnel's lock used before friction shared it, so a
process of the previous release and one of this release still exclude each
other for the funnel during a rolling upgrade.
"""

import hashlib
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from collector.common.database import Bind, dialect_name

_LOCK = sa.text("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(CAST(:keys AS bigint[])) AS k")
_HELD = "stepsense.session_locks"  # conn.info: (the transaction, the sessions it has locked)


def lock_sessions(bind: Bind, sessions: Iterable[tuple[int, str]]) -> None:
    """Lock the (journey id, session id) sessions until the end of the transaction,
    in key order (so two writers of the same sessions cannot deadlock)."""
    if dialect_name(bind) != "postgresql":
        return
    conn = bind if isinstance(bind, Connection) else bind.connection()
    held = _held(conn)
    wanted = set(sessions) - held
    if wanted:
        conn.execute(_LOCK, {"keys": sorted({_key(journey_id, session_id) for journey_id, session_id in wanted})})
        held.update(wanted)


def _held(conn: Connection) -> set[tuple[int, str]]:
    """The sessions locked in ``conn``'s current transaction (conn.info outlives transactions)."""
    transaction = conn.get_transaction()
    owner, keys = conn.info.get(_HELD, (None, set()))
    if owner is not transaction:
        keys = set()
        conn.info[_HELD] = (transaction, keys)
    return keys


def _key(journey_id: int, session_id: str) -> int:
    digest = hashlib.blake2b(f"funnel:{journey_id}:{session_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
