"""``csv``: one row per answer, UTF-8 with a BOM (Excel then reads it as UTF-8),
text cells guarded against formula injection, streamed batch by batch."""

import csv
import io
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from collector.exports.base import FREE_TEXT, RESPONSE_HEADER, Progress, guard, response_batches
from collector.models import Journey

BOM = "\ufeff"


def guarded_rows(rows: list[tuple]) -> list[list]:
    """The batch with every free-text cell made inert (numbers stay numbers)."""
    out = []
    for row in rows:
        row = list(row)
        for i in FREE_TEXT:
            value = row[i]
            if value and value[0] in "=+-@\t\r":
                row[i] = guard(value)
        out.append(row)
    return out


def write(session: Session, journey: Journey, filters: dict[str, Any], progress: Progress = None) -> Iterator[bytes]:
    """Yield the CSV file in chunks of one batch of answers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(RESPONSE_HEADER)
    for rows in response_batches(session, journey, filters):
        writer.writerows(guarded_rows(rows))
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        if progress:
            progress(len(rows))
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")
