"""The dashboard's themes, kept between its 30-second refreshes and brought up to date cheaply.

Why: a refresh used to recompute the themes report (and the curve's top
themes) from every answer of the window, seconds at 100k answers
(``bench/themes_store.py``), though between two refreshes only a few answers
arrive. The report's parts are sums over answers (:class:`theme_report.Parts`),
so a refresh adds the answers stored since the last one instead.

What a kept entry (per process, per journey and filters) is checked against,
with index-only look-ups:

* the step models' versions (a rebuild or a curation changes the labels and
  every comment's themes): any change recomputes;
* the site's answers, their number and largest id: when the number grew by
  exactly the answers above the kept largest id, those are added; otherwise
  (an erasure, retention, a transaction that committed an older id late)
  the entry is recomputed, so an erased comment is never shown again;
* its age: after ``FULL_REFRESH_SECONDS`` it is recomputed anyway, which
  bounds what the checks cannot see (answers rescored in place, comments
  themed late by a catch-up) and refreshes the examples, which are otherwise
  fetched once per theme.

The themes API itself always recomputes (it is what ``bench/themes_store.py``
measures against a rebuild).
"""

from __future__ import annotations

import copy
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from threading import Lock
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from collector.analytics import theme_report
from collector.analytics.theme_report import Parts
from collector.models import Journey, Response, ThemeModelRow

#: A kept entry older than this is recomputed from every answer.
FULL_REFRESH_SECONDS = 300
#: Entries kept per process (journeys × filter choices being looked at).
ENTRIES = 64


@dataclass
class _Entry:
    models: tuple
    count: int
    last: int
    at: float
    parts: Parts
    examples: dict[tuple[int, str, str], list[str]] = field(default_factory=dict)


class ReportCache:
    """Journey and filters → the report's parts as of a data stamp (a small LRU)."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()

    def parts(self, session: Session, journey: Journey, filters: dict[str, Any]) -> _Entry:
        """The entry for these filters, brought up to date with the database."""
        key = (journey.id, _filters_key(filters))
        models = tuple(
            session.execute(
                sa.select(ThemeModelRow.step_id, ThemeModelRow.version)
                .where(ThemeModelRow.journey_id == journey.id)
                .order_by(ThemeModelRow.step_id)
            ).all()
        )
        count, last = session.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.max(Response.id), 0)).where(
                Response.site_id == journey.site_id
            )
        ).one()
        with self._lock:
            entry = self._entries.get(key)
        now = time.monotonic()
        fresh = entry is not None and entry.models == models and now - entry.at < FULL_REFRESH_SECONDS
        if fresh and (entry.count, entry.last) != (count, last):
            added = session.scalar(
                sa.select(sa.func.count()).where(Response.site_id == journey.site_id, Response.id > entry.last)
            )
            fresh = entry.count + added == count
            if fresh:
                # A new entry, not the kept one changed: two refreshes at once must not both add.
                parts = copy.deepcopy(entry.parts)
                parts.add(theme_report.aggregate(session, journey, filters, after=entry.last))
                entry = _Entry(models, count, last, entry.at, parts, entry.examples)
        if not fresh:
            parts = theme_report.aggregate(session, journey, filters)
            entry = _Entry(models, count, last, now, parts)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > ENTRIES:
                self._entries.popitem(last=False)
        return entry


def _filters_key(filters: dict[str, Any]) -> tuple:
    return tuple(
        sorted(
            (name, value.isoformat() if isinstance(value, datetime) else repr(value)) for name, value in filters.items()
        )
    )


def report_cache() -> ReportCache:
    """This app's cache (per process)."""
    return current_app.extensions.setdefault("stepsense.theme_reports", ReportCache())


def cached_journey_themes(session: Session, journey: Journey, filters: dict[str, Any]) -> dict[str, Any]:
    """:func:`theme_report.journey_themes` for the dashboard, from the kept parts."""
    entry = report_cache().parts(session, journey, filters)
    return theme_report.report(session, journey, filters, entry.parts, examples=entry.examples)


def cached_top_themes(session: Session, journey: Journey, filters: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    """:func:`theme_report.top_themes` for the dashboard's curve, from the same kept parts."""
    entry = report_cache().parts(session, journey, filters)
    return theme_report.top_themes(session, journey, filters, parts=entry.parts)
