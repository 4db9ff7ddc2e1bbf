"""``csv``: one row per answer, UTF-8 with a BOM (Excel then reads it as UTF-8),
free-text cells guarded against formula injection, streamed.

The rows come from one query (``base.response_query``) that already renders
text: ISO timestamps, JSON attributes, and the formula guard (``'`` before a
leading = + - @ tab or CR) applied by the database. On PostgreSQL the
database writes the CSV itself (``COPY (query) TO STDOUT WITH CSV``), read
chunk by chunk. SQLite has no COPY: Python's csv module writes the plain
tuples of the driver's cursor, ``BATCH`` rows at a time (measured faster than
having SQLite quote and join the fields in the query; see bench/EXPORT.md).
Both write LF line ends and parse the same.
"""

import csv
import io
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from collector.database import dialect_name
from collector.exports.base import BATCH, RESPONSE_HEADER, Progress, response_query
from collector.models import Journey

BOM = "\ufeff"
CHUNK = 64 * 1024


def _header() -> bytes:
    buffer = io.StringIO()
    buffer.write(BOM)
    csv.writer(buffer, lineterminator="\n").writerow(RESPONSE_HEADER)
    return buffer.getvalue().encode("utf-8")


def _copy_rows(session: Session, journey: Journey, filters: dict[str, Any], progress: Progress) -> Iterator[bytes]:
    """PostgreSQL: the database's CSV writer, in the session's transaction."""
    query = response_query(session, journey, filters, guarded=True)
    compiled = query.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    cursor = session.connection().connection.driver_connection.cursor()
    pending, rows = bytearray(), 0
    try:
        # psycopg binds the parameters client-side for COPY.
        with cursor.copy(f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)", compiled.params) as copy:
            for data in copy:  # one row per chunk
                pending += data
                rows += 1
                if len(pending) >= CHUNK:
                    yield bytes(pending)
                    pending.clear()
                if progress and rows % BATCH == 0:
                    progress(BATCH)
    finally:
        cursor.close()
    if pending:
        yield bytes(pending)
    if progress and rows % BATCH:
        progress(rows % BATCH)


def _sqlite_rows(session: Session, journey: Journey, filters: dict[str, Any], progress: Progress) -> Iterator[bytes]:
    """SQLite: the csv module over the rows of the driver's cursor.

    SQLAlchemy compiles the query and binds the filters; the rows are then read
    from its DBAPI cursor, as the plain tuples sqlite3 makes (SQLAlchemy's own
    rows cost more than the csv module). ``fetchmany`` steps SQLite through the
    query, so memory holds one batch.
    """
    result = session.connection().execute(response_query(session, journey, filters, guarded=True))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    try:
        while rows := result.cursor.fetchmany(BATCH):
            writer.writerows(rows)
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            if progress:
                progress(len(rows))
    finally:
        result.close()


def write(session: Session, journey: Journey, filters: dict[str, Any], progress: Progress = None) -> Iterator[bytes]:
    """Yield the CSV file in chunks: the header, then the answers."""
    yield _header()
    if dialect_name(session) == "postgresql":
        yield from _copy_rows(session, journey, filters, progress)
    else:
        yield from _sqlite_rows(session, journey, filters, progress)
