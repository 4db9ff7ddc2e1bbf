"""The funnel of a journey: how sessions move through its steps, beside how they feel.

What a session is and what it adds to each step (reached, continued,
abandoned, retried, errors, times, answers): ``collector.analytics.visits``;
full write-up with examples: ``docs/funnel.md``. This module sums them for a
window and segment — from the rollups (``collector.analytics.funnel_rollups``)
when the window is day-aligned, else recomputed from the raw events — and
turns the sums into the numbers the curve's JSON carries:

* Completion rate: completed sessions (with a ``journey_complete``) / sessions.
  Per step: reached / sessions, and continued, abandonment and retry per
  session that reached it; errors per view.
* Times: medians and p90 are nearest-rank over the buckets, the same from the
  rollups as from the raw events.
* Rates carry 95% Wilson intervals; variant comparisons B − A use the
  two-proportion z-test (as the curve's CSAT comparison).
* Emotion meets behaviour: the abandonment at a step of the sessions that
  answered negatively there and of those that answered positively is compared
  (negative − positive); ``unhappy_exit_flags`` marks the steps where the
  negative ones abandon significantly more (Holm across steps).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.analytics.core import (ALPHA, EXTRA_FILTERS, day_aligned, in_segment, large_enough, rate, share_difference,
                                      time_window)
from collector.analytics.funnel_rollups import read_rollups
from collector.analytics.stats import holm_adjusted
from collector.analytics.visits import COMPLETION, STEP_COUNTERS, Totals, raw_visits, session_timeout, step_positions
from collector.common.time import as_utc
from collector.models import Event, Journey

IGNORED_FILTERS = EXTRA_FILTERS  # sessions are segmented by their first event's device, locale and variant only


def _read_raw(session: Session, journey: Journey, filters: dict[str, Any], by_variant: bool) -> Totals:
    timeout, positions = session_timeout(session, journey.site_id), step_positions(session, journey.id)
    start = as_utc(filters["from"]) if filters.get("from") is not None else None
    end = as_utc(filters["to"]) if filters.get("to") is not None else None
    window = time_window(Event.created_at, filters)
    touching = sa.and_(*window) if window else None
    totals = Totals()
    for visit in raw_visits(session, journey.id, timeout, positions, touching):
        if (start is not None and visit.start < start) or (end is not None and visit.start >= end):
            continue
        if not in_segment(visit, filters):
            continue
        totals.add(((visit.variant or None) if by_variant else None,), visit)
    return totals.nonzero()


def aggregate(session: Session, journey: Journey, filters: dict[str, Any], *, by_variant: bool = False,
              source: str | None = None) -> tuple[str, Totals]:
    """Funnel totals keyed by (variant or None, …) and where they came from;
    ``source="raw"`` forces a recomputation from the events."""
    # The funnel ignores the extra filters, so a day-aligned window is all the rollups need.
    source = source or ("rollups" if day_aligned(filters) else "raw")
    reader = read_rollups if source == "rollups" else _read_raw
    return source, reader(session, journey, filters, by_variant)


def quantile(histogram: dict[int, int], q: float) -> int | None:
    """Nearest-rank quantile of bucketed durations: the smallest value with at
    least ⌈q·n⌉ durations at or below it."""
    n = sum(histogram.values())
    if n <= 0:
        return None
    rank, seen = max(1, math.ceil(q * n)), 0
    for seconds in sorted(histogram):
        seen += histogram[seconds]
        if seen >= rank:
            return seconds
    return None


def _times(histogram: dict[int, int]) -> dict[str, Any]:
    return {"n": sum(histogram.values()), "median": quantile(histogram, 0.5), "p90": quantile(histogram, 0.9)}


def step_funnel(counters: list[int], sessions: int, histogram: dict[int, int]) -> dict[str, Any]:
    """The funnel numbers of one step from its summed counters."""
    c = dict(zip(STEP_COUNTERS, counters))
    reached = c["reached"]
    return {
        "sessions": reached,
        "reached": rate(reached, sessions),
        "continued": rate(c["continued"], reached),
        "abandonment": rate(c["abandoned"], reached),
        "retry": rate(c["retried"], reached),
        "views": c["views"],
        "errors": rate(c["errors"], c["views"]),
        "time_on_step": _times(histogram),
        "emotion_abandonment": {
            "negative": rate(c["negative_abandoned"], c["negative"]),
            "positive": rate(c["positive_abandoned"], c["positive"]),
            "difference": share_difference(c["negative_abandoned"], c["negative"], c["positive_abandoned"], c["positive"]),
        },
    }


def _sum_lists(lists: Iterable[list[int]], width: int) -> list[int]:
    total = [0] * width
    for values in lists:
        for index, value in enumerate(values):
            total[index] += value
    return total


def journey_funnel(session: Session, journey: Journey, filters: dict[str, Any], variants: list[str] | None = None,
                   source: str | None = None) -> dict[str, Any]:
    """Funnel of a journey for a window and segment: ``overall`` plus ``steps`` (by step id),
    and with two ``variants`` the differences B − A of abandonment, continuation and completion."""
    comparing = bool(variants) and len(variants) == 2
    source, totals = aggregate(session, journey, filters, by_variant=comparing, source=source)
    steps = list(journey.steps)

    def select(variant_filter) -> tuple[dict[int, list[int]], list[int], dict[int, dict[int, int]]]:
        per_step: dict[int, list[list[int]]] = defaultdict(list)
        for (variant, step_id), values in totals.steps.items():
            if variant_filter(variant):
                per_step[step_id].append(values)
        journey_total = _sum_lists((v for (variant,), v in totals.journeys.items() if variant_filter(variant)), 2)
        histograms: dict[int, dict[int, int]] = defaultdict(dict)
        for (variant, step_id, seconds), count in totals.durations.items():
            if variant_filter(variant):
                histograms[step_id][seconds] = histograms[step_id].get(seconds, 0) + count
        return ({step_id: _sum_lists(lists, len(STEP_COUNTERS)) for step_id, lists in per_step.items()},
                journey_total, histograms)

    per_step, (sessions, completed), histograms = select(lambda variant: True)
    empty = [0] * len(STEP_COUNTERS)
    result = {
        "source": source,
        "session_timeout_minutes": int(session_timeout(session, journey.site_id).total_seconds() // 60),
        "ignored_filters": [name for name in IGNORED_FILTERS if filters.get(name)],
        "overall": {"sessions": sessions, "completion": rate(completed, sessions),
                    "time_to_completion": _times(histograms.get(COMPLETION, {}))},
        "steps": {step.id: step_funnel(per_step.get(step.id, empty), sessions, histograms.get(step.id, {})) for step in steps},
    }
    if comparing:
        (a_steps, a_journey, _), (b_steps, b_journey, _) = (select(lambda variant, v=v: variant == v) for v in variants)
        result["compare"] = {"completion": share_difference(b_journey[1], b_journey[0], a_journey[1], a_journey[0]), "steps": {}}
        for step in steps:
            a, b = (dict(zip(STEP_COUNTERS, s.get(step.id, empty))) for s in (a_steps, b_steps))
            result["compare"]["steps"][step.id] = {
                "abandonment": share_difference(b["abandoned"], b["reached"], a["abandoned"], a["reached"]),
                "continued": share_difference(b["continued"], b["reached"], a["continued"], a["reached"]),
            }
    return result


def unhappy_exit_flags(step_funnels: list[dict[str, Any]]) -> list[bool]:
    """Per step: negative answerers abandon significantly more than positive ones
    (two-proportion z, n ≥ 30 on both sides, Holm across the steps tested)."""
    tested = []
    for index, funnel in enumerate(step_funnels):
        groups = funnel["emotion_abandonment"]
        diff = groups["difference"]
        if diff and large_enough(groups["negative"]["n"], groups["positive"]["n"]):
            tested.append((index, diff))
    flags = [False] * len(step_funnels)
    for (index, diff), p_adjusted in holm_adjusted(tested, lambda pair: pair[1]["p_value"]):
        flags[index] = p_adjusted < ALPHA and diff["diff"] > 0
    return flags
