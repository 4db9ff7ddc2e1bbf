"""The curve's step rollups: per site, journey, step, UTC day and segment
(device, locale, variant), the sums a curve needs, so a curve over millions of
answers reads a few thousand rows.

``response_sums`` counts in SQL (the raw curve and the rebuild share it) what
``add_responses`` and ``add_events`` add at ingest for the rows actually
inserted (resends skipped by ``client_id`` are not counted), with one
``INSERT … ON CONFLICT DO UPDATE SET c = c + excluded.c`` in the same
transaction as the rows themselves. Rebuild and verify of these and of the
funnel's rollups: ``collector.analytics.maintenance``.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.analytics.core import SEGMENT
from collector.common.database import upsert_adding
from collector.common.time import as_utc
from collector.models import Response, StepRollup

KEY = ("journey_id", "day", "step_id", *SEGMENT)
RESPONSE_COUNTERS = (
    "n",
    "emotion_sum",
    "emotion_sq",
    "csat_n",
    "csat_satisfied",
    "ces_n",
    "ces_sum",
    "ces_sq",
    "nps_n",
    "nps_promoters",
    "nps_detractors",
    "exit_intent",
    "comments",
    "negative_comments",
)
COUNTERS = (*RESPONSE_COUNTERS, "impressions")
Sums = dict[str, float]


# Emotion sums are floats, added in another order at ingest than by a recomputation.
FLOAT_COUNTERS = ("emotion_sum", "emotion_sq")
RELATIVE_TOLERANCE = 1e-9


def differences(
    expected: Mapping[tuple, Mapping[str, Any]],
    stored: Mapping[tuple, Mapping[str, Any]],
    counters: Sequence[str],
    describe: Callable[[tuple], str],
) -> list[str]:
    """What ``stepsense rollups verify`` reports for one rollup table, keyed rows
    recomputed from raw rows against the stored ones: rows missing or extra, and
    counters that differ (counts exactly, emotion sums within a relative 1e-9)."""
    found = []
    for key in sorted(expected.keys() | stored.keys(), key=str):
        want, have = expected.get(key), stored.get(key)
        if have is None:
            found.append(f"missing {describe(key)}")
        elif want is None:
            found.append(f"extra {describe(key)}")
        else:
            found += [
                f"{describe(key)}: {name} is {have[name]}, raw says {want[name]}"
                for name in counters
                if not _same(name, want[name], have[name])
            ]
    return found


def _same(name: str, want: float, have: float) -> bool:
    if name in FLOAT_COUNTERS:
        return abs(float(want) - float(have)) <= RELATIVE_TOLERANCE * max(1.0, abs(float(want)))
    return int(want) == int(have)


def zero_sums() -> Sums:
    """Every counter at zero: where a curve or comparison starts adding a step's,
    bucket's or group's rows, and what it reports for one with none."""
    return dict.fromkeys(COUNTERS, 0)


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _sum_if(condition: sa.ColumnElement[bool], value: sa.ColumnElement) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)


def response_sums() -> list[sa.ColumnElement]:
    """Aggregates over ``responses`` named like the rollup counters; the raw
    curve path and the rebuild share them, so both count the same way."""
    rated = Response.score.is_not(None)
    is_csat = (Response.kind == "csat") & rated
    is_ces = (Response.kind == "ces") & rated
    is_nps = (Response.kind == "nps") & rated
    return [
        sa.func.count().label("n"),
        sa.func.coalesce(sa.func.sum(Response.emotion), 0.0).label("emotion_sum"),
        sa.func.coalesce(sa.func.sum(Response.emotion * Response.emotion), 0.0).label("emotion_sq"),
        _count_if(is_csat).label("csat_n"),
        _count_if(is_csat & (Response.score >= 4)).label("csat_satisfied"),
        _count_if(is_ces).label("ces_n"),
        _sum_if(is_ces, Response.score).label("ces_sum"),
        _sum_if(is_ces, Response.score * Response.score).label("ces_sq"),
        _count_if(is_nps).label("nps_n"),
        _count_if(is_nps & (Response.score >= 9)).label("nps_promoters"),
        _count_if(is_nps & (Response.score <= 6)).label("nps_detractors"),
        _count_if(Response.trigger == "exit_intent").label("exit_intent"),
        _count_if(Response.comment.is_not(None)).label("comments"),
        _count_if(Response.sentiment_label == "negative").label("negative_comments"),
    ]


def _response_counters(row: dict[str, Any]) -> dict[str, float]:
    """What one answer adds to its rollup row (the Python twin of response_sums)."""
    kind, score, emotion = row["kind"], row.get("score"), float(row["emotion"])
    rated = score is not None
    csat, ces, nps = (rated and kind == "csat"), (rated and kind == "ces"), (rated and kind == "nps")
    return {
        "n": 1,
        "emotion_sum": emotion,
        "emotion_sq": emotion * emotion,
        "csat_n": int(csat),
        "csat_satisfied": int(csat and score >= 4),
        "ces_n": int(ces),
        "ces_sum": score if ces else 0,
        "ces_sq": score * score if ces else 0,
        "nps_n": int(nps),
        "nps_promoters": int(nps and score >= 9),
        "nps_detractors": int(nps and score <= 6),
        "exit_intent": int(row.get("trigger") == "exit_intent"),
        "comments": int(row.get("comment") is not None),
        "negative_comments": int(row.get("sentiment_label") == "negative"),
        "impressions": 0,
    }


def _key(row: dict[str, Any]) -> tuple:
    day = as_utc(row["created_at"]).date()
    return (
        row["journey_id"],
        day,
        row["step_id"],
        row.get("device") or "",
        row.get("locale") or "",
        row.get("variant") or "",
    )


def _upsert(session: Session, totals: dict[tuple, dict[str, Any]], counters: Sequence[str]) -> None:
    rows = [dict(zip(KEY, key), **values) for key, values in sorted(totals.items())]
    upsert_adding(session, StepRollup.__table__, rows, KEY, counters)


def add_responses(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    """Add newly inserted answers (column dicts as ingest built them) to the rollups."""
    totals: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        key = _key(row)
        counters = _response_counters(row)
        if key in totals:
            for name in RESPONSE_COUNTERS:
                totals[key][name] += counters[name]
        else:
            totals[key] = {"site_id": row["site_id"], **counters}
    _upsert(session, totals, RESPONSE_COUNTERS)


def add_events(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    """Add newly inserted events to the rollups; only impressions are counted."""
    totals: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        if row.get("type") != "impression":
            continue
        entry = totals.setdefault(_key(row), {"site_id": row["site_id"], **zero_sums()})
        entry["impressions"] += 1
    _upsert(session, totals, ("impressions",))
