"""The analytics core: what the curve and the funnel share, defined once.

* **Significance.** A test may flag only with at least ``MIN_N`` answers (or
  sessions) on each side, at level ``ALPHA``. Published numbers are rounded to
  four decimals (``round_to``), p-values to four significant digits
  (``round_p``), as small ones matter.
* **Shares.** ``rate``: count / n with its 95% Wilson interval;
  ``share_difference``: a − b of two shares by the two-proportion z-test. The
  funnel's rates and the curve's CSAT comparison are both built from these.
* **Window and segment.** A request's ``from`` / ``to`` (UTC, ``to``
  exclusive) and its segment: the ``SEGMENT`` columns (device, locale,
  variant), which every rollup row is keyed by besides its UTC day, plus the
  ``EXTRA_FILTERS`` (url_path prefix, attributes) that only raw rows can
  apply. ``raw_conditions`` / ``time_window`` select raw rows,
  ``rollup_conditions`` rollup rows; ``day_of`` and ``day_ranges`` are the UTC
  day of a timestamp and the timestamps of some UTC days, in SQL.
* **Which rows can answer.** Rollups hold whole UTC days of the segment
  columns: they can serve a window that is ``day_aligned``, and (for the
  curve, whose answers carry the extra filters) only when
  ``segment_in_rollups``. The funnel ignores the extra filters, so a
  day-aligned window is all it needs.
"""

from collections.abc import Collection
from datetime import date, time
from typing import Any

import sqlalchemy as sa

from collector.analytics.stats import two_proportions, wilson
from collector.common.time import as_utc, day_end, day_start

MIN_N = 30
ALPHA = 0.05
SEGMENT = ("device", "locale", "variant")
EXTRA_FILTERS = ("url_path", "attr", "language")
Filters = dict[str, Any]


# --- Rounding and significance ---------------------------------------------------------------------


def round_to(value: float | None, digits: int = 4) -> float | None:
    """A published number: ``digits`` decimals (None stays None)."""
    return None if value is None else round(float(value), digits)


def round_p(value: float) -> float:
    """A published p-value: four significant digits, as small ones matter."""
    return float(f"{value:.4g}")


def large_enough(*sizes: float) -> bool:
    """Whether every side of a test has at least ``MIN_N`` observations."""
    return all(size >= MIN_N for size in sizes)


def significant(p_value: float, *sizes: float) -> bool:
    """p < ``ALPHA`` with at least ``MIN_N`` observations on every side."""
    return large_enough(*sizes) and p_value < ALPHA


def rate(count: int, n: int) -> dict[str, Any]:
    """count / n with its 95% Wilson interval (no interval when count > n, as for errors per view)."""
    low, high = wilson(count, n) if 0 <= count <= n else (None, None)
    return {
        "count": count,
        "n": n,
        "rate": round_to(count / n) if n else None,
        "ci_low": round_to(low),
        "ci_high": round_to(high),
    }


def share_difference(a_count: int, a_n: int, b_count: int, b_n: int) -> dict[str, Any] | None:
    """a − b of two shares: two-proportion z-test, 95% Wald interval; significant at p < 0.05 with n ≥ 30 each."""
    result = two_proportions(a_count, a_n, b_count, b_n)
    if result is None:
        return None
    return {
        "diff": round_to(result.diff),
        "ci_low": round_to(result.ci_low),
        "ci_high": round_to(result.ci_high),
        "z": round_to(result.statistic),
        "p_value": round_p(result.p_value),
        "significant": significant(result.p_value, a_n, b_n),
    }


# --- Which rows can answer -------------------------------------------------------------------------


def day_aligned(filters: Filters) -> bool:
    """Whether the window starts and ends on UTC midnight (or is open): whole rollup days."""
    for name in ("from", "to"):
        moment = filters.get(name)
        if moment is not None and as_utc(moment).time() != time(0):
            return False
    return True


def segment_in_rollups(filters: Filters) -> bool:
    """Whether the segment uses only the ``SEGMENT`` columns the rollups are keyed by."""
    return not any(filters.get(name) for name in EXTRA_FILTERS)


# --- Window and segment as SQL ---------------------------------------------------------------------


def time_window(column: sa.ColumnElement, filters: Filters) -> list[sa.ColumnElement[bool]]:
    """``from <= column < to`` for the bounds that are set."""
    conditions = []
    if filters.get("from") is not None:
        conditions.append(column >= as_utc(filters["from"]))
    if filters.get("to") is not None:
        conditions.append(column < as_utc(filters["to"]))
    return conditions


def starts_with(column: sa.ColumnElement[str], prefix: str) -> sa.ColumnElement[bool]:
    """``column LIKE prefix%`` with the prefix's own ``%``, ``_`` and ``\\`` taken literally."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(escaped + "%", escape="\\")


def raw_conditions(model: Any, filters: Filters) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses for raw rows (events; answers add their own filters): window, segment, url_path prefix."""
    conditions = time_window(model.created_at, filters)
    for name in SEGMENT:
        if filters.get(name) is not None:
            conditions.append(getattr(model, name) == filters[name])
    if filters.get("url_path"):
        conditions.append(starts_with(model.url_path, filters["url_path"]))
    return conditions


def in_segment(item: Any, filters: Filters) -> bool:
    """Whether an object with the ``SEGMENT`` attributes (a funnel visit) matches the segment filters."""
    return not any(filters.get(name) is not None and getattr(item, name) != filters[name] for name in SEGMENT)


def rollup_conditions(model: Any, journey_id: int, filters: Filters) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses that select a journey's rollup rows (curve or funnel: keyed by
    UTC day and the segment columns) for a request's window and segment."""
    where = [model.journey_id == journey_id]
    if filters.get("from") is not None:
        where.append(model.day >= as_utc(filters["from"]).date())
    if filters.get("to") is not None:
        where.append(model.day < as_utc(filters["to"]).date())
    for name in SEGMENT:
        if filters.get(name) is not None:
            where.append(getattr(model, name) == filters[name])
    return where


def rollup_scope(
    model: Any,
    site_id: int | None = None,
    journey_id: int | None = None,
    days: Collection[date] | None = None,
    step_id: int | None = None,
) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses for the rollup rows a rebuild or verify covers: of a site, journey,
    step and/or UTC days (all when None)."""
    where = [
        column == value
        for column, value in (
            (model.site_id, site_id),
            (model.journey_id, journey_id),
            (model.step_id, step_id),
        )
        if value is not None
    ]
    if days is not None:
        where.append(model.day.in_(sorted(set(days))))
    return where


def day_of(column: sa.ColumnElement, dialect: str) -> sa.ColumnElement[date]:
    """The UTC calendar day of a timestamp column, in SQL."""
    if dialect == "postgresql":
        return sa.cast(sa.func.timezone("UTC", column), sa.Date)
    # SQLite stores UTC wall time as text.
    return sa.func.date(column, type_=sa.Date)


def day_ranges(column: sa.ColumnElement, days: Collection[date]) -> sa.ColumnElement[bool]:
    """``column`` within any of ``days`` (UTC), as index-friendly ranges."""
    return sa.or_(*(sa.and_(column >= day_start(day), column < day_end(day)) for day in sorted(set(days))))
