"""Engine set-up and the few statements that differ between SQLite and PostgreSQL.

The statement helpers take an ORM ``Session`` or a Core ``Connection`` (answer
ingest writes on a Connection: fewer layers per statement).
"""

import functools
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

Bind = Session | Connection


def dialect_name(bind: Bind) -> str:
    """``"sqlite"`` or ``"postgresql"``, for a Session or a Connection."""
    return bind.dialect.name if isinstance(bind, Connection) else bind.get_bind().dialect.name


def configure_engine(engine: Engine) -> None:
    """Turn on WAL and foreign keys for every SQLite connection.

    WAL lets the dashboard read while workers write; synchronous=NORMAL in WAL
    mode survives a killed process (not a power cut) without an fsync per commit.
    """
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def insert_ignoring_conflicts(
    session: Bind,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    conflict_columns: Sequence[str],
    returning: Sequence[sa.ColumnElement],
) -> list[sa.Row]:
    """INSERT rows, silently skipping those that collide on ``conflict_columns``.

    Returns the requested columns of the rows actually inserted, which is how
    idempotent ingest tells new answers from retries.
    """
    if not rows:
        return []
    insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    statement = insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns)).returning(*returning)
    # Rows as executemany parameters, not .values(rows): the statement then
    # compiles once per process (a multi-row VALUES recompiles on every call)
    # and SQLAlchemy still sends one multi-row INSERT. RETURNING lists only
    # the rows that were inserted.
    return list(session.execute(statement, list(rows)).all())


def upsert_adding(
    session: Bind,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    conflict_columns: Sequence[str],
    counter_columns: Sequence[str],
) -> None:
    """INSERT rows; where one collides on ``conflict_columns``, add its counters
    to the stored row's instead (INSERT … ON CONFLICT DO UPDATE SET c = c + excluded.c).

    Rows must have distinct keys; callers sort them so concurrent writers take
    row locks in the same order.
    """
    if not rows:
        return
    statement = _adding_upsert(dialect_name(session), table, tuple(conflict_columns), tuple(counter_columns))
    # Rows as executemany parameters: the statement is built and compiled
    # once per process, not on every call.
    session.execute(statement, list(rows))


@functools.cache
def _adding_upsert(dialect: str, table: sa.Table, conflict_columns: tuple[str, ...], counter_columns: tuple[str, ...]) -> sa.Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(conflict_columns),
        set_={name: table.c[name] + statement.excluded[name] for name in counter_columns},
    )


def as_date(value: Any) -> date:
    """A day computed in SQL: PostgreSQL returns a date, SQLite its ISO text."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
