"""Theme rollups: per journey, step, UTC day of the answer, segment (device,
locale, variant) and theme key, the sums a themes report needs (``n``,
``primary``, the sentiment split, emotion sums), so a report over a million
answers reads a few thousand rows instead of joining ``response_themes`` with
``responses`` (``collector.analytics.theme_report``).

How they stay exact, as the curve's step rollups do:

* **Ingest**: ``theme_store.assign_at_ingest`` adds the theme rows it just
  inserted (``add``) with one ``INSERT … ON CONFLICT DO UPDATE SET c = c +
  excluded.c`` in the same transaction; the queued worker stores through the
  same code (``collector.ingest.store.write_batches``), and a redelivered
  answer is skipped by ``client_id`` before it is themed, so nothing is added twice.
* **Catch-up** (``theme_store._catch_up``) inserts ignoring conflicts, so it
  rebuilds the step's days it themed instead of adding.
* **Rebuild** (``rebuild``): delete and insert-from-select over
  ``response_themes`` JOIN ``responses``, scoped by site, journey, step and
  days; called by ``theme_store.rebuild_step`` (the step, all days, so a
  rebuild or a curation's merge re-keys them) and by
  ``maintenance.rebuild_rollups`` (erasure, re-scoring, retention,
  ``stepsense rollups rebuild``).
* **Verify** (``compare``): part of ``stepsense rollups verify``; counts must
  match exactly, emotion sums within a relative 1e-9.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa

from collector.analytics.core import SEGMENT, day_of, day_ranges, rollup_scope
from collector.analytics.rollups import differences
from collector.common.database import Bind, as_date, dialect_name, upsert_adding
from collector.common.time import as_utc
from collector.models import Response, ResponseTheme, ThemeRollup

KEY = ("journey_id", "day", "step_id", *SEGMENT, "theme_key")
SENTIMENTS = ("negative", "neutral", "positive")
COUNTERS = ("n", "primary", *SENTIMENTS, "emotion_sum", "emotion_sq")


def add(conn: Bind, answers: Iterable[tuple[Mapping[str, Any], Iterable[Mapping[str, Any]]]]) -> None:
    """Add newly inserted theme rows to the rollups: ``answers`` pairs each answer
    (its column dict as ingest built it) with the theme rows written for it."""
    totals: dict[tuple, dict[str, Any]] = {}
    for answer, themes in answers:
        day = as_utc(answer["created_at"]).date()
        segment = tuple(answer.get(name) or "" for name in SEGMENT)
        emotion = float(answer["emotion"] or 0.0)
        label = answer.get("sentiment_label")
        for theme in themes:
            key = (theme["journey_id"], day, theme["step_id"], *segment, theme["theme_key"])
            entry = totals.setdefault(key, {"site_id": answer["site_id"], **dict.fromkeys(COUNTERS, 0)})
            entry["n"] += 1
            entry["primary"] += int(theme["rank"] == 0)
            if label in SENTIMENTS:
                entry[label] += 1
            entry["emotion_sum"] += emotion
            entry["emotion_sq"] += emotion * emotion
    rows = [dict(zip(KEY, key), **values) for key, values in sorted(totals.items())]
    upsert_adding(conn, ThemeRollup.__table__, rows, KEY, COUNTERS)


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def raw_query(
    dialect: str,
    site_id: int | None = None,
    journey_id: int | None = None,
    step_id: int | None = None,
    days: Collection[date] | None = None,
) -> sa.Select:
    """The rollup rows recomputed from ``response_themes`` JOIN ``responses`` (rebuild and verify share it)."""
    day = day_of(Response.created_at, dialect).label("day")
    dims = [sa.func.coalesce(getattr(Response, name), "").label(name) for name in SEGMENT]
    conditions = []
    if site_id is not None:
        conditions.append(Response.site_id == site_id)
    if journey_id is not None:
        conditions.append(ResponseTheme.journey_id == journey_id)
    if step_id is not None:
        conditions.append(ResponseTheme.step_id == step_id)
    if days is not None:
        conditions.append(day_ranges(Response.created_at, days))
    keys = [Response.site_id, ResponseTheme.journey_id, ResponseTheme.step_id, day, *dims, ResponseTheme.theme_key]
    return (
        sa.select(
            *keys,
            sa.func.count().label("n"),
            _count_if(ResponseTheme.rank == 0).label("primary"),
            *(_count_if(Response.sentiment_label == label).label(label) for label in SENTIMENTS),
            sa.func.coalesce(sa.func.sum(Response.emotion), 0.0).label("emotion_sum"),
            sa.func.coalesce(sa.func.sum(Response.emotion * Response.emotion), 0.0).label("emotion_sq"),
        )
        .join(Response, Response.id == ResponseTheme.response_id)
        .where(*conditions)
        .group_by(*keys)
    )


def rebuild(
    conn: Bind,
    site_id: int | None = None,
    journey_id: int | None = None,
    step_id: int | None = None,
    days: Collection[date] | None = None,
) -> None:
    """Recompute the theme rollups of a site, journey, step and/or UTC days (all when
    None) from the stored themes, in the caller's transaction."""
    if days is not None and not days:
        return
    conn.execute(sa.delete(ThemeRollup).where(*rollup_scope(ThemeRollup, site_id, journey_id, days, step_id)))
    query = raw_query(dialect_name(conn), site_id, journey_id, step_id, days)
    columns = ["site_id", "journey_id", "step_id", "day", *SEGMENT, "theme_key", *COUNTERS]
    conn.execute(sa.insert(ThemeRollup).from_select(columns, query))


def drop_before(conn: Bind, site_id: int, day: date) -> None:
    """Delete a site's theme rollups of days before ``day`` (retention)."""
    conn.execute(sa.delete(ThemeRollup).where(ThemeRollup.site_id == site_id, ThemeRollup.day < day))


def compare(conn: Bind, site_id: int | None = None, journey_id: int | None = None) -> list[str]:
    """Differences between the stored theme rollups and a raw recomputation (empty when exact)."""

    def key(row: Any) -> tuple:
        return (row.journey_id, as_date(row.day), row.step_id, *(getattr(row, n) for n in SEGMENT), row.theme_key)

    expected = {
        key(row): {name: row._mapping[name] for name in COUNTERS}
        for row in conn.execute(raw_query(dialect_name(conn), site_id, journey_id))
    }
    stored = {
        key(row): {name: getattr(row, name) for name in COUNTERS}
        for row in conn.execute(
            sa.select(*ThemeRollup.__table__.c).where(*rollup_scope(ThemeRollup, site_id, journey_id))
        )
    }
    describe = "theme rollup journey={} day={} step={} device={!r} locale={!r} variant={!r} theme={!r}".format
    return differences(expected, stored, COUNTERS, lambda key: describe(*key))
