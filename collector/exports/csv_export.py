"""``csv``: one row per answer, UTF-8 with a BOM (Excel then reads it as UTF-8),
free-text cells guarded against formula injection, streamed.

The rows come from one query (``base.response_query``) that already renders
text: ISO timestamps, JSON attributes, and the formula guard (``'`` before a
leading = + - @ tab or CR) applied by the database. On PostgreSQL the
database writes the CSV itself (``COPY (query) TO STDOUT WITH CSV``), read
chunk by chunk. SQLite has no COPY: SQLite joins each row's fields into one
line and Python writes it as-is, handing the rare rows that need quoting to
the csv module (``_sqlite_rows``; see bench/EXPORT.md). Both write LF line
ends and parse the same.
"""

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.common.database import dialect_name
from collector.exports.base import BATCH, RESPONSE_HEADER, Progress, response_query
from collector.models import Journey, Response

BOM = "\ufeff"
CHUNK = 64 * 1024
# SQLite lines: the two float columns (printed by Python, see _sqlite_rows)
# sit between two joined runs of text; attributes come last, on their own.
POLARITY, EMOTION = RESPONSE_HEADER.index("polarity"), RESPONSE_HEADER.index("emotion")
assert EMOTION == POLARITY + 1 and RESPONSE_HEADER[-1] == "attributes"
# A line made of plain fields has one comma after each field but attributes.
PLAIN_COMMAS = len(RESPONSE_HEADER) - 1
NEEDS_QUOTES = re.compile('["\r\n]')  # with an extra comma: what csv may quote
NEWLINE = re.compile("[\r\n]")


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


def _joined(columns: list[sa.ColumnElement]) -> sa.ColumnElement:
    """The columns as one text, comma-separated, NULL as empty: ``a || ',' || b …``.

    ``||`` rather than ``printf('%s,%s', …)`` (a little cheaper): printf's %s
    stops at a NUL character, ``||`` keeps the whole text, as the csv module does.
    """
    fields = [sa.func.ifnull(column, "", type_=sa.Text) for column in columns]
    line = fields[0]
    for field in fields[1:]:
        line = line.op("||")(",").op("||")(field)
    return line


def _sqlite_rows(session: Session, journey: Journey, filters: dict[str, Any], progress: Progress) -> Iterator[bytes]:
    """SQLite: lines joined by the database; the csv module only for rows that need quoting.

    Why: per row, sqlite3 building 20 Python objects and the csv module writing
    them cost about 4.7 µs, most of the export. Here the query returns 5 values
    per row: the text fields before ``polarity`` joined with commas, the two
    floats, the text fields after them joined, and the attributes.
    - Floats stay Python floats: the csv module writes ``str(float)`` (shortest
      round trip: ``1e-05``, ``0.1``); SQLite's printf cannot (``1.0e-05``,
      ``0.10000000000000001``).
    - A line is written as-is when it is plainly what the csv module would
      write: exactly one comma per field (no field holds a comma) and no
      ``"``, CR or LF anywhere. Otherwise (rare: comments with a comma, say) the
      row is read again by id from the same query and the csv module writes it,
      so the output stays byte-identical.
    - Attributes are JSON, which nearly always holds ``"`` and ``,``: Python
      quotes them itself (``"`` doubled, the whole cell in quotes, as the csv
      module does) unless they hold CR or LF, which go to the csv module.
    SQLAlchemy compiles the query and binds the filters; the rows are read from
    its DBAPI cursor, as the plain tuples sqlite3 makes. ``fetchmany`` steps
    SQLite through the query, so memory holds one batch.
    """
    query = response_query(session, journey, filters, guarded=True)
    columns = list(query.selected_columns)
    lines_query = query.with_only_columns(_joined(columns[:POLARITY]), columns[POLARITY], columns[EMOTION],
                                          _joined(columns[EMOTION + 1:-1]), columns[-1])
    result = session.connection().execute(lines_query)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    try:
        while batch := result.cursor.fetchmany(BATCH):
            lines = [f"{head},{'' if polarity is None else polarity},{'' if emotion is None else emotion},{tail},"
                     for head, polarity, emotion, tail, _ in batch]
            redo = {i for i, line in enumerate(lines) if line.count(",") != PLAIN_COMMAS or NEEDS_QUOTES.search(line)}
            for i, (*_, attributes) in enumerate(batch):
                if not attributes or i in redo:
                    continue
                if NEWLINE.search(attributes):
                    redo.add(i)
                elif '"' in attributes or "," in attributes:
                    lines[i] += '"' + attributes.replace('"', '""') + '"'
                else:
                    lines[i] += attributes
            if redo:
                where = {int(batch[i][0].split(",", 1)[0]): i for i in redo}  # the id comes first in a line
                for row in session.connection().execute(query.where(Response.id.in_(list(where)))).cursor.fetchall():
                    writer.writerow(row)
                    lines[where[row[0]]] = buffer.getvalue()[:-1]  # without its line end
                    buffer.seek(0)
                    buffer.truncate()
            lines.append("")  # the last line's end
            yield "\n".join(lines).encode("utf-8")
            if progress:
                progress(len(batch))
    finally:
        result.close()


def write(session: Session, journey: Journey, filters: dict[str, Any], progress: Progress = None) -> Iterator[bytes]:
    """Yield the CSV file in chunks: the header, then the answers."""
    yield _header()
    if dialect_name(session) == "postgresql":
        yield from _copy_rows(session, journey, filters, progress)
    else:
        yield from _sqlite_rows(session, journey, filters, progress)
