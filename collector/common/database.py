"""Engine set-up and the few statements that differ between SQLite and PostgreSQL.

The statement helpers take an ORM ``Session`` or a Core ``Connection`` (answer
ingest writes on a Connection: fewer layers per statement).
"""

import contextlib
import fcntl
import functools
import json
import os
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

Bind = Session | Connection


def dialect_name(bind: Bind) -> str:
    """``"sqlite"`` or ``"postgresql"``, for a Session or a Connection."""
    return bind.dialect.name if isinstance(bind, Connection) else bind.get_bind().dialect.name


def member_of(column: sa.ColumnElement, name: str, on_postgresql: bool) -> sa.ColumnElement:
    """``column IN :name`` for a list given at execution; on PostgreSQL ``column = ANY(:name)``.

    An expanding IN renders a placeholder per value: a batch of an ingest worker
    names 2,000 sessions, and psycopg re-parses such a statement's text on every
    call (it caches only texts up to 4 KB). One array parameter keeps the text
    short and the same for any number of values. SQLite has no arrays.
    """
    if on_postgresql:
        return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(column.type)))
    return column.in_(sa.bindparam(name, expanding=True))


def session_rows_query(
    columns: Sequence[sa.ColumnElement],
    journey_column: sa.ColumnElement,
    session_column: sa.ColumnElement,
    *criteria: sa.ColumnElement,
) -> dict[bool, sa.Select]:
    """``columns`` of a journey's rows for some sessions, one statement per dialect (True: PostgreSQL).

    Ingest's rollups (funnel, friction) run these for every batch with session ids;
    built once, with the bind parameters ``journey_id`` and ``session_ids`` (see
    ``member_of``), since building them cost several times more than running them.
    """
    return {
        pg: sa.select(*columns).where(
            journey_column == sa.bindparam("journey_id"), member_of(session_column, "session_ids", pg), *criteria
        )
        for pg in (False, True)
    }


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


@contextlib.contextmanager
def one_writer_at_a_time(engine: Engine) -> Iterator[None]:
    """Hold an exclusive lock on ``<database file>.writer`` while writing to an SQLite file.

    SQLite lets one process write at a time, and a process that finds the database
    locked polls for it (sleeps of 1, 2, 5, 10, … ms: the busy timeout). Ingest's
    transactions take a few milliseconds, so with two gunicorn workers each would
    often sleep longer than the other's write took. Waiting on a file lock instead,
    the kernel wakes the next writer the moment the lock is released, and the
    answers that arrive meanwhile join its group commit. Each call opens the file
    anew: flock locks belong to an open file, so threads of one process exclude each
    other too. Other databases (and SQLite in memory) need no lock.
    """
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or path.startswith("file:"):
        yield
        return
    fd = os.open(f"{path}.writer", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


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
    if dialect_name(session) == "postgresql" and len(rows) > 1:
        return _insert_json(session, table, rows, conflict_columns, returning)
    insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    statement = insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns)).returning(*returning)
    # Rows as executemany parameters, not .values(rows): the statement then
    # compiles once per process (a multi-row VALUES recompiles on every call)
    # and SQLAlchemy still sends one multi-row INSERT. RETURNING lists only
    # the rows that were inserted.
    return list(session.execute(statement, list(rows)).all())


def _insert_json(
    session: Bind,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    conflict_columns: Sequence[str],
    returning: Sequence[sa.ColumnElement],
) -> list[sa.Row]:
    """PostgreSQL, several rows: ``INSERT … SELECT … FROM jsonb_array_elements(:rows)``,
    the rows sent as one JSON document (each row an array of its values).

    The statement's text is the same for any number of rows, so it is parsed once,
    and the values are encoded by ``json.dumps`` (C) and decoded by PostgreSQL (C).
    A multi-row VALUES list (SQLAlchemy's insertmanyvalues) is new text with a
    placeholder per value, which psycopg splits again on every call (about 0.5 ms
    per row), and one array parameter per column (``unnest``) is adapted value by
    value in Python (about 0.08 ms per row): the ingest workers' main costs before
    this (bench/INGEST.md, round 4).
    """
    columns = tuple(rows[0])
    statement, encoders = _json_insert(
        table, columns, tuple(conflict_columns), tuple(column.name for column in returning)
    )
    document = json.dumps(
        [[encode(row[name]) if encode else row[name] for name, encode in zip(columns, encoders)] for row in rows],
        default=_json_value,
        separators=(",", ":"),
    )
    return list(session.execute(statement, {"rows": document}).all())


def _json_text(column_type: sa.JSON):
    """A JSON column's value as the text SQLAlchemy stores for it: None as JSON null
    unless the column says ``none_as_null``."""

    def encode(value: Any) -> str | None:
        if value is None and column_type.none_as_null:
            return None
        return json.dumps(value)

    return encode


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


@functools.cache
def _json_insert(
    table: sa.Table, columns: tuple[str, ...], conflict: tuple[str, ...], returning: tuple[str, ...]
) -> tuple[sa.TextClause, tuple]:
    """The statement, and per column the encoder of JSON columns' values: their text as
    SQLAlchemy would send it (None as JSON null, keys in the caller's order), carried
    as a JSON string so that jsonb's own key order never touches them."""
    dialect = postgresql.dialect()
    # Rows as JSON arrays (not objects): smaller, and the column order is the statement's;
    # jsonb, so that each row is parsed once, not once per column.
    values = ", ".join(
        f"CAST(r ->> {i} AS {table.c[name].type.compile(dialect=dialect)})" for i, name in enumerate(columns)
    )
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"SELECT {values} FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS r "
        f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING RETURNING {', '.join(returning)}"
    )
    encoders = tuple(
        _json_text(table.c[name].type) if isinstance(table.c[name].type, sa.JSON) else None for name in columns
    )
    return sa.text(sql), encoders


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
def _adding_upsert(
    dialect: str, table: sa.Table, conflict_columns: tuple[str, ...], counter_columns: tuple[str, ...]
) -> sa.Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(conflict_columns),
        set_={name: table.c[name] + statement.excluded[name] for name in counter_columns},
    )


def as_date(value: Any) -> date:
    """A day computed in SQL: PostgreSQL returns a date, SQLite its ISO text."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
