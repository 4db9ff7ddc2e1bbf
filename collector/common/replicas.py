"""Read replicas: where the heavy read-only endpoints take their session.

With ``DATABASE_READ_URL`` (one or more streaming replicas, comma-separated),
curves, exports, answer listings and the dashboard's charts read from a
replica; writes, and reads that must see a write just made (journey and site
CRUD, sign-in, the API key check), stay on the primary. A replica is skipped
while it is down or lags the primary by more than REPLICA_MAX_LAG_SECONDS;
with none usable the read goes to the primary, so replicas only ever add
capacity.

Lag is what the replica has not yet replayed: 0 when it has replayed all the
WAL it received (an idle primary sends nothing, which is not lag), else the
age of the last transaction it replayed. Each replica's health is checked at
most once per HEALTH_SECONDS per process; the check is one round trip.
"""

import itertools
import logging
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

HEALTH_SECONDS = 1.0
LAG_SQL = sa.text(
    "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0"
    " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
    " ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


@dataclass
class _Replica:
    url: str
    engine: Engine
    checked: float = 0.0
    usable: bool = False
    lag: float | None = None


class Replicas:
    """The replicas of one app, each with its engine and last health check."""

    def __init__(self, urls: list[str], max_lag: float, engine_options: dict | None = None) -> None:
        self.max_lag = max_lag
        self._replicas = [
            _Replica(
                url,
                sa.create_engine(
                    url, **{"pool_pre_ping": False, "connect_args": {"connect_timeout": 2}, **(engine_options or {})}
                ),
            )
            for url in urls
        ]
        self._turn = itertools.count()
        self._lock = threading.Lock()

    def pick(self) -> Engine | None:
        """A usable replica's engine, taking turns between them; None if none is usable."""
        if not self._replicas:
            return None
        start = next(self._turn)
        for offset in range(len(self._replicas)):
            replica = self._replicas[(start + offset) % len(self._replicas)]
            if self._healthy(replica):
                return replica.engine
        return None

    def _healthy(self, replica: _Replica) -> bool:
        now = time.monotonic()
        if now - replica.checked < HEALTH_SECONDS:
            return replica.usable
        with self._lock:
            if now - replica.checked < HEALTH_SECONDS:
                return replica.usable
            try:
                with replica.engine.connect() as conn:
                    replica.lag = float(conn.scalar(LAG_SQL) or 0)
                replica.usable = replica.lag <= self.max_lag
                if not replica.usable:
                    log.warning(
                        "read replica skipped: %.1f s behind (REPLICA_MAX_LAG_SECONDS %s)", replica.lag, self.max_lag
                    )
            except sa.exc.DBAPIError as error:
                replica.engine.dispose()
                replica.usable, replica.lag = False, None
                log.warning("read replica skipped: unreachable (%s)", error.__class__.__name__)
            replica.checked = time.monotonic()
            return replica.usable

    def status(self) -> list[dict]:
        """Each replica's last check, for /healthz and the doctor (host and port only)."""
        return [
            {
                "replica": sa.make_url(r.url).render_as_string(hide_password=True).split("@")[-1],
                "usable": r.usable,
                "lag_seconds": r.lag,
            }
            for r in self._replicas
        ]

    def dispose(self) -> None:
        for replica in self._replicas:
            replica.engine.dispose()


def init_app(app: Flask) -> None:
    """Make the app's replicas from DATABASE_READ_URL, and close read sessions after each request."""
    urls = [url.strip() for url in (app.config.get("DATABASE_READ_URL") or "").split(",") if url.strip()]
    urls = [
        "postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith(("postgres://", "postgresql://")) else url
        for url in urls
    ]
    app.extensions["stepsense.replicas"] = (
        Replicas(urls, float(app.config.get("REPLICA_MAX_LAG_SECONDS") or 5)) if urls else None
    )
    app.teardown_appcontext(_close_read_session)


def read_session(primary: Session) -> Session:
    """The session for this request's read-only queries: on a usable replica, else ``primary``.

    Only for reads that need not see a write of the same request or of the
    client's previous one: the replica may be up to REPLICA_MAX_LAG_SECONDS
    behind.
    """
    if "read_session" in g:
        return g.read_session
    replicas = current_app.extensions.get("stepsense.replicas")
    engine = replicas.pick() if replicas else None
    g.read_session = Session(engine) if engine is not None else primary
    g.read_session_own = engine is not None
    return g.read_session


def _close_read_session(_error: BaseException | None = None) -> None:
    session = g.pop("read_session", None)
    if session is not None and g.pop("read_session_own", False):
        session.close()
