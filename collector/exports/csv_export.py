"""``csv``: one row per answer, UTF-8 with a BOM (Excel then reads it as UTF-8),
free-text cells guarded against formula injection, streamed.

The rows come from one query (``base.response_query``) that already renders
text: ISO timestamps, JSON attributes, and the formula guard's first-character
rule (``'`` before a leading = + - @ tab or CR) applied by the database. On
PostgreSQL the database writes the CSV itself (``COPY (query) TO STDOUT WITH
CSV``), read chunk by chunk. SQLite has no COPY: SQLite joins each row's
fields into one line and Python writes it as-is (``_sqlite_rows``; see
bench/EXPORT.md). Both write LF line ends and parse the same.

A row holding a line break (``base.LINE_BREAKS``: CR, LF, U+2028 …) anywhere
is written by Python instead, with ``base.csv_lines`` and ``base.guard``: every
cell with a break quoted (COPY quotes only CR and LF, the csv module with LF
line ends only LF), and a formula after a break guarded too (``"fine\\n=2+3"``
is written ``"fine\\n'=2+3"``), so a spreadsheet that splits the row or the
cell there meets no formula. Such rows are rare; the others keep their bytes.
"""

import csv
import re
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.common.database import dialect_name
from collector.exports.base import (
    BATCH,
    LINE_BREAKS,
    RESPONSE_HEADER,
    Progress,
    csv_lines,
    guarded_row,
    has_line_break,
    response_query,
)
from collector.models import Journey, Response

BOM = "\ufeff"
CHUNK = 64 * 1024
# SQLite lines: the two float columns (printed by Python, see _sqlite_rows)
# sit between two joined runs of text; attributes come last, on their own.
POLARITY, EMOTION = RESPONSE_HEADER.index("polarity"), RESPONSE_HEADER.index("emotion")
assert EMOTION == POLARITY + 1 and RESPONSE_HEADER[-1] == "attributes"
# A line made of plain fields has one comma after each field but attributes.
PLAIN_COMMAS = len(RESPONSE_HEADER) - 1
# The line breaks but LF as COPY writes them (UTF-8), each with its last byte:
# the byte is looked for first (memchr speed), the break itself only if the
# byte occurs. A regex, as sre finds a literal at memchr speed too, where
# ``bytes in`` steps through a multi-byte needle at about 1 ns a byte.
BREAK_BYTES = tuple((mark.encode()[-1:], re.compile(re.escape(mark.encode()))) for mark in LINE_BREAKS if mark != "\n")


def _header() -> bytes:
    return (BOM + csv_lines([RESPONSE_HEADER])[0]).encode("utf-8")


def _has_inner_break(data: bytes | bytearray, rows: int) -> bool:
    """Whether ``rows`` rows of COPY output hold a line break besides their line ends."""
    return data.count(b"\n") != rows or any(last in data and mark.search(data) for last, mark in BREAK_BYTES)


def _rewritten(row: bytes) -> bytes:
    """A COPY row holding a line break, read back and written by Python: every
    cell with a break quoted, and ``guard`` applied after the breaks too (it
    leaves the database's first-character guard as it is)."""
    cells = next(csv.reader([row.decode("utf-8")]))
    return csv_lines([guarded_row(cells)])[0].encode("utf-8")


def _copied(data: bytearray, ends: list[int]) -> bytes:
    """A chunk of COPY output (rows ending at ``ends``), with any row holding a
    line break rewritten; most chunks hold none and are passed on as they are."""
    if not _has_inner_break(data, len(ends)):
        return bytes(data)
    out, start = [], 0
    for end in ends:
        row = bytes(data[start:end])
        out.append(_rewritten(row) if _has_inner_break(row, 1) else row)
        start = end
    return b"".join(out)


def _copy_rows(session: Session, journey: Journey, filters: dict[str, Any], progress: Progress) -> Iterator[bytes]:
    """PostgreSQL: the database's CSV writer, in the session's transaction.

    A chunk is checked for line breaks as a whole (``_copied``) before it is
    passed on: the rows holding one are rewritten by Python.
    """
    query = response_query(session, journey, filters, guarded=True)
    compiled = query.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    cursor = session.connection().connection.driver_connection.cursor()
    pending, ends, rows = bytearray(), [], 0
    try:
        # psycopg binds the parameters client-side for COPY.
        with cursor.copy(f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)", compiled.params) as copy:
            for data in copy:  # one row per chunk
                pending += data
                ends.append(len(pending))
                rows += 1
                if len(pending) >= CHUNK:
                    yield _copied(pending, ends)
                    pending.clear()
                    ends.clear()
                if progress and rows % BATCH == 0:
                    progress(BATCH)
    finally:
        cursor.close()
    if pending:
        yield _copied(pending, ends)
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
    """SQLite: lines joined by the database; ``csv_lines`` only for rows that need quoting.

    Why: per row, sqlite3 building 20 Python objects and the csv module writing
    them cost about 4.7 µs, most of the export. Here the query returns 5 values
    per row: the text fields before ``polarity`` joined with commas, the two
    floats, the text fields after them joined, and the attributes.
    - Floats stay Python floats: the csv module writes ``str(float)`` (shortest
      round trip: ``1e-05``, ``0.1``); SQLite's printf cannot (``1.0e-05``,
      ``0.10000000000000001``).
    - A line is written as-is when it is plainly what ``csv_lines`` would
      write: exactly one comma per field (no field holds a comma) and no
      ``"`` or line break (``has_line_break``) anywhere. Otherwise (rare:
      comments with a comma, say) the row is read again by id and
      ``csv_lines`` writes it: byte-identical for a row without breaks; a row
      with one is quoted and, by ``guard``, guarded after its breaks too.
    - Attributes are JSON, which nearly always holds ``"`` and ``,``: Python
      quotes them itself (``"`` doubled, the whole cell in quotes, as the csv
      module does) unless they hold a line break, which goes to ``csv_lines``.
    SQLAlchemy compiles the query and binds the filters; the rows are read from
    its DBAPI cursor, as the plain tuples sqlite3 makes. ``fetchmany`` steps
    SQLite through the query, so memory holds one batch.
    """
    query = response_query(session, journey, filters, guarded=True)
    columns = list(query.selected_columns)
    lines_query = query.with_only_columns(
        _joined(columns[:POLARITY]),
        columns[POLARITY],
        columns[EMOTION],
        _joined(columns[EMOTION + 1 : -1]),
        columns[-1],
    )
    result = session.connection().execute(lines_query)
    try:
        while batch := result.cursor.fetchmany(BATCH):
            lines = [
                f"{head},{'' if polarity is None else polarity},{'' if emotion is None else emotion},{tail},"
                for head, polarity, emotion, tail, _ in batch
            ]
            redo = {
                i
                for i, line in enumerate(lines)
                if line.count(",") != PLAIN_COMMAS or '"' in line or has_line_break(line)
            }
            for i, (*_, attributes) in enumerate(batch):
                if not attributes or i in redo:
                    continue
                if has_line_break(attributes):
                    redo.add(i)
                elif '"' in attributes or "," in attributes:
                    lines[i] += '"' + attributes.replace('"', '""') + '"'
                else:
                    lines[i] += attributes
            if redo:
                where = {int(batch[i][0].split(",", 1)[0]): i for i in redo}  # the id comes first in a line
                broken = {i for i in redo if has_line_break(lines[i]) or has_line_break(batch[i][-1] or "")}
                rows = session.connection().execute(query.where(Response.id.in_(list(where)))).cursor.fetchall()
                written = csv_lines([guarded_row(row) if where[row[0]] in broken else row for row in rows], "")
                for row, line in zip(rows, written):
                    lines[where[row[0]]] = line
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
