"""What every export shares: the curve as the API serves it, the answers in
batches, and the text guards (spreadsheet formulas, bidi controls, XML)."""

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.analytics.curves import journey_curve
from collector.analytics.emotion import SCORING_VERSION
from collector.analytics.responses import response_filters
from collector.common.time import as_utc
from collector.models import Journey, Response, Step

Progress = Callable[[int], None] | None
BATCH = 5000

# A spreadsheet treats a cell starting with one of these as a formula (or, for
# tab and CR, may drop them and then see one): OWASP "CSV injection".
FORMULA_START = frozenset("=+-@\t\r")
# Where str.splitlines() ends a line. LibreOffice splits an unquoted CSV row at
# a CR or LF; other readers (Python's among them) split at the rest too. So
# every CSV writer quotes a cell holding any of them (``csv_lines``), and the
# guard treats what follows each as the start of a line (``guard``).
LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_FORMULA_AT_LINE_START = re.compile(f"(?:^|(?<=[{LINE_BREAKS}]))(?=[{re.escape(''.join(sorted(FORMULA_START)))}])")
# Embedding, override and isolate controls (U+202A-E, U+2066-9): they reorder
# the text around them ("Trojan Source"), so display formats drop them.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Not allowed in XML 1.0 (SVG, XLSX, draw.io's mxGraph model).
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

RESPONSE_HEADER = (
    "id",
    "created_at",
    "journey",
    "step",
    "step_name",
    "kind",
    "score",
    "comment",
    "sentiment_label",
    "polarity",
    "emotion",
    "scorer_version",
    "trigger",
    "device",
    "locale",
    "variant",
    "url_path",
    "visitor_id",
    "session_id",
    "attributes",
)
# The free-text columns of RESPONSE_HEADER: the ones the formula guard applies to
# (the others are keys, numbers, times and fixed words).
GUARDED = frozenset(
    {"step_name", "comment", "device", "locale", "variant", "url_path", "visitor_id", "session_id", "attributes"}
)
GUARDED_INDEXES = frozenset(RESPONSE_HEADER.index(name) for name in GUARDED)


def has_line_break(text: str) -> bool:
    """Whether ``text`` holds one of ``LINE_BREAKS``.

    Spelled out as ``in`` tests, each a memchr-speed scan: on an export line
    that is about 4x faster than a regex character class, and the SQLite CSV
    export runs it on every line (bench/EXPORT.md).
    """
    return (
        "\n" in text
        or "\r" in text
        or "\u2028" in text
        or "\u2029" in text
        or "\x85" in text
        or "\x0b" in text
        or "\x0c" in text
        or "\x1c" in text
        or "\x1d" in text
        or "\x1e" in text
    )


def guard(text: str | None) -> str | None:
    """Make a text cell inert in a spreadsheet: ``'`` before a formula character
    (``FORMULA_START``) that starts the cell or follows a line break in it.

    ``"=2+3"`` becomes ``"'=2+3"`` and ``"fine\\n=2+3"`` ``"fine\\n'=2+3"``: a
    reader that splits the cell, or the row, at a break still meets no formula.
    The one guard of every CSV writer; ``_guard_sql`` is its first-character
    rule in SQL, and guarding a guarded text changes nothing, so Python can
    finish what the database began.
    """
    if text and isinstance(text, str) and (text[0] in FORMULA_START or has_line_break(text)):
        return _FORMULA_AT_LINE_START.sub("'", text)
    return text


def guarded_row(row: Sequence[Any]) -> list[Any]:
    """A ``response_query`` row with ``guard`` applied to its free-text columns."""
    return [guard(value) if index in GUARDED_INDEXES else value for index, value in enumerate(row)]


class _Records(list):
    """A file for ``csv.writer`` that keeps each record it writes as one string."""

    write = list.append


def csv_lines(rows: Iterable[Sequence[Any]], line_end: str = "\n") -> list[str]:
    """Each row as one CSV record ending in ``line_end``, as every CSV export writes them.

    The csv module writes them (QUOTE_MINIMAL: ``None`` empty, numbers as
    ``str``, a cell quoted when it holds ``,`` or ``"``), so a row without a
    line break is byte for byte what ``csv.writer(lineterminator=line_end)``
    writes. A record holding any of ``LINE_BREAKS`` is written again with all
    of them as the line terminator (cut off after): the module quotes a cell
    holding "any of the characters in lineterminator", and only those, so
    with ``"\\n"`` it would leave a lone CR or a U+2028 bare, where a
    spreadsheet splits the row and reads the rest of the cell as a new row.
    """
    rows = list(rows)
    records = _Records()
    csv.writer(records, lineterminator="").writerows(rows)
    for index, record in enumerate(records):
        if has_line_break(record):  # rare
            again = _Records()
            csv.writer(again, lineterminator=LINE_BREAKS).writerow(rows[index])
            record = again[0][: -len(LINE_BREAKS)]
        records[index] = record + line_end
    return records


def display_text(text: Any) -> str:
    """Text for labels people look at (SVG, diagrams): no bidi overrides, valid XML."""
    if text is None:
        return ""
    return XML_ILLEGAL.sub("", BIDI_CONTROLS.sub("", str(text)))


def one_line(text: Any) -> str:
    """``display_text`` on one line (draw.io's importer splits its CSV on newlines):
    runs of whitespace, every line break of ``LINE_BREAKS`` among it, become one space."""
    return " ".join(display_text(text).split())


def curve(session: Session, journey: Journey, filters: dict[str, Any], interval: str | None = None) -> dict[str, Any]:
    """The curve as ``GET /v1/journeys/{key}/curve`` sends it for these filters:
    the same service's numbers, with dates and times as ISO 8601 text."""
    values = {
        name: value for name, value in filters.items() if name not in ("format", "interval", "compare", "variants")
    }
    if interval:
        values["interval"] = interval
    return json_ready(journey_curve(session, journey, values))


def json_ready(value: Any) -> Any:
    """``value`` with every date and datetime turned into ISO 8601 text, as JSON carries them."""
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def metadata(session: Session, journey: Journey, filters: dict[str, Any], export_format: str) -> dict[str, Any]:
    """Who/what/when of an export: format, filters, scorer versions, generation time."""
    versions = session.scalars(
        sa.select(Response.scorer_version)
        .where(Response.journey_id == journey.id, *response_filters(filters))
        .distinct()
    ).all()
    return {
        "format": export_format,
        "generated_at": datetime.now(UTC).isoformat(),
        "scorer_version": SCORING_VERSION,
        "scorer_versions_in_data": sorted(versions),
        "filters": filter_values(filters),
    }


def filter_values(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters as JSON-ready values (ISO times, key:value attributes)."""
    out: dict[str, Any] = {}
    for name in ("from", "to", "device", "locale", "variant", "url_path"):
        value = filters.get(name)
        out[name] = as_utc(value).isoformat() if isinstance(value, datetime) else value
    out["attr"] = [f"{key}:{value}" for key, value in filters.get("attr") or []]
    return out


def count_responses(session: Session, journey: Journey, filters: dict[str, Any]) -> int:
    """How many answers a row export will write."""
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Response)
            .where(Response.journey_id == journey.id, *response_filters(filters))
        )
        or 0
    )


def _guard_sql(column: sa.ColumnElement, dialect: str) -> sa.ColumnElement:
    """``guard``'s first-character rule in SQL, so the database's own CSV writer
    (COPY) can be used; a row with a line break anywhere is written again by
    Python (``csv_export``), where ``guard`` also covers what follows a break.

    It tests the first character's code point (``unicode()`` in SQLite, ``ascii()``
    in PostgreSQL, which is the code point despite its name): on SQLite that
    measured cheaper than ``substr``, which copies a string per cell
    (bench/EXPORT.md).
    """
    first = sa.func.unicode(column) if dialect == "sqlite" else sa.func.ascii(column)
    return sa.case((first.in_(sorted(map(ord, FORMULA_START))), sa.literal("'", sa.Text) + column), else_=column)


def response_query(session: Session, journey: Journey, filters: dict[str, Any], guarded: bool) -> sa.Select:
    """The answers in id order, one text-ready column per ``RESPONSE_HEADER`` entry.

    Timestamps come out as ISO 8601 UTC text (``…T12:00:00.123456+00:00``),
    attributes as JSON text; with ``guarded`` every free-text column
    (``GUARDED``) is formula-guarded by the database at its first character.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        created = sa.func.to_char(
            sa.func.timezone("UTC", Response.created_at), 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"', type_=sa.Text
        )
    else:  # SQLAlchemy stores "YYYY-MM-DD HH:MM:SS.ffffff", in UTC
        created = sa.func.replace(sa.type_coerce(Response.created_at, sa.Text), " ", "T", type_=sa.Text) + "+00:00"
    # JSON's None is stored as the JSON text 'null' by the ORM, as SQL NULL by bulk loads.
    attributes = sa.func.nullif(sa.cast(Response.attributes, sa.Text), "null", type_=sa.Text)
    columns = (
        Response.id,
        created,
        sa.literal(journey.key, sa.Text),
        Step.key,
        Step.name,
        Response.kind,
        Response.score,
        Response.comment,
        Response.sentiment_label,
        Response.polarity,
        Response.emotion,
        Response.scorer_version,
        Response.trigger,
        Response.device,
        Response.locale,
        Response.variant,
        Response.url_path,
        Response.visitor_id,
        Response.session_id,
        attributes,
    )
    if guarded:
        columns = tuple(
            _guard_sql(column, dialect) if name in GUARDED else column for column, name in zip(columns, RESPONSE_HEADER)
        )
    return (
        sa.select(*(column.label(name) for column, name in zip(columns, RESPONSE_HEADER)))
        .join(Step, Step.id == Response.step_id)
        .where(Response.journey_id == journey.id, *response_filters(filters))
        .order_by(Response.id)
    )


def response_batches(
    session: Session, journey: Journey, filters: dict[str, Any], guarded: bool = False, batch: int = BATCH
) -> Iterator[Sequence[tuple]]:
    """The rows of ``response_query``, ``batch`` at a time.

    ``yield_per`` makes SQLAlchemy stream: a server-side cursor on PostgreSQL,
    ``fetchmany`` on SQLite, so memory holds one batch whatever the total.
    """
    result = session.connection().execute(
        response_query(session, journey, filters, guarded), execution_options={"yield_per": batch}
    )
    yield from result.partitions()


def emotion_fill(mean: float | None) -> str:
    """A light fill colour for an emotion mean: red (−1) through yellow (0) to green (+1); grey without data."""
    if mean is None:
        return "#eeeeee"
    red, yellow, green = (0xF8, 0xCE, 0xCC), (0xFF, 0xF2, 0xCC), (0xD5, 0xE8, 0xD4)
    t = max(-1.0, min(1.0, float(mean)))
    start, end, f = (yellow, green, t) if t >= 0 else (yellow, red, -t)
    return "#" + "".join(f"{round(a + (b - a) * f):02x}" for a, b in zip(start, end))


def emotion_stroke(mean: float | None) -> str:
    """A darker outline matching ``emotion_fill``."""
    if mean is None:
        return "#999999"
    return "#b85450" if mean < -0.1 else "#82b366" if mean > 0.1 else "#d6b656"


FUNNEL_HEADER = (
    "Sessions",
    "Continued",
    "Abandonment",
    "Retry rate",
    "Error rate",
    "Time on step median (s)",
    "Time on step p90 (s)",
    "Abandonment, negative answers",
    "Abandonment, positive answers",
)


def funnel_cells(step: dict[str, Any]) -> list[Any]:
    """A curve step's funnel numbers in ``FUNNEL_HEADER`` order (rates 0-1, times in seconds)."""
    funnel = step.get("funnel") or {}
    if not funnel:
        return [None] * len(FUNNEL_HEADER)
    groups = funnel["emotion_abandonment"]
    return [
        funnel["sessions"],
        funnel["continued"]["rate"],
        funnel["abandonment"]["rate"],
        funnel["retry"]["rate"],
        funnel["errors"]["rate"],
        funnel["time_on_step"]["median"],
        funnel["time_on_step"]["p90"],
        groups["negative"]["rate"],
        groups["positive"]["rate"],
    ]
