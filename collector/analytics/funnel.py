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
from collections.abc import Callable
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.analytics.core import (
    ALPHA,
    EXTRA_FILTERS,
    day_aligned,
    in_segment,
    large_enough,
    rate,
    share_difference,
    time_window,
)
from collector.analytics.funnel_rollups import read_rollups
from collector.analytics.stats import holm_adjusted
from collector.analytics.visits import (
    COMPLETION,
    JourneyCounts,
    StepCounts,
    Totals,
    raw_visits,
    session_timeout,
    step_positions,
)
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


def aggregate(
    session: Session, journey: Journey, filters: dict[str, Any], *, by_variant: bool = False, source: str | None = None
) -> tuple[str, Totals]:
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


def step_funnel(counts: StepCounts, sessions: int, histogram: dict[int, int]) -> dict[str, Any]:
    """The funnel numbers of one step from its summed counts."""
    reached = counts.reached
    return {
        "sessions": reached,
        "reached": rate(reached, sessions),
        "continued": rate(counts.continued, reached),
        "abandonment": rate(counts.abandoned, reached),
        "retry": rate(counts.retried, reached),
        "views": counts.views,
        "errors": rate(counts.errors, counts.views),
        "time_on_step": _times(histogram),
        "emotion_abandonment": {
            "negative": rate(counts.negative_abandoned, counts.negative),
            "positive": rate(counts.positive_abandoned, counts.positive),
            "difference": share_difference(
                counts.negative_abandoned, counts.negative, counts.positive_abandoned, counts.positive
            ),
        },
    }


class Selection(NamedTuple):
    """The sums of some variants (all of them, or one): per step, the journey's, and time histograms
    (step id, ``COMPLETION`` for time to completion -> seconds -> sessions)."""

    steps: dict[int, StepCounts]
    journey: JourneyCounts
    histograms: dict[int, dict[int, int]]


def _select(totals: Totals, wanted: Callable[[str | None], bool]) -> Selection:
    """Sum the totals of the variants ``wanted`` says yes to (keys start with the variant or None)."""
    steps: dict[int, StepCounts] = {}
    for (variant, step_id), counts in totals.steps.items():
        if wanted(variant):
            steps.setdefault(step_id, StepCounts()).add(counts)
    journey = JourneyCounts()
    for (variant,), counts in totals.journeys.items():
        if wanted(variant):
            journey.sessions += counts.sessions
            journey.completed += counts.completed
    histograms: dict[int, dict[int, int]] = defaultdict(dict)
    for (variant, step_id, seconds), count in totals.durations.items():
        if wanted(variant):
            histograms[step_id][seconds] = histograms[step_id].get(seconds, 0) + count
    return Selection(steps, journey, histograms)


def journey_funnel(
    session: Session,
    journey: Journey,
    filters: dict[str, Any],
    variants: list[str] | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Funnel of a journey for a window and segment: ``overall`` plus ``steps`` (by step id),
    and with two ``variants`` the differences B − A of abandonment, continuation and completion."""
    comparing = bool(variants) and len(variants) == 2
    source, totals = aggregate(session, journey, filters, by_variant=comparing, source=source)
    steps = list(journey.steps)
    overall = _select(totals, lambda variant: True)
    sessions = overall.journey.sessions
    empty = StepCounts()
    result = {
        "source": source,
        "session_timeout_minutes": int(session_timeout(session, journey.site_id).total_seconds() // 60),
        "ignored_filters": [name for name in IGNORED_FILTERS if filters.get(name)],
        "overall": {
            "sessions": sessions,
            "completion": rate(overall.journey.completed, sessions),
            "time_to_completion": _times(overall.histograms.get(COMPLETION, {})),
        },
        "steps": {
            step.id: step_funnel(overall.steps.get(step.id, empty), sessions, overall.histograms.get(step.id, {}))
            for step in steps
        },
    }
    if comparing:
        a, b = (_select(totals, lambda variant, name=name: variant == name) for name in variants)
        result["compare"] = {
            "completion": share_difference(
                b.journey.completed, b.journey.sessions, a.journey.completed, a.journey.sessions
            ),
            "steps": {},
        }
        for step in steps:
            at_a, at_b = a.steps.get(step.id, empty), b.steps.get(step.id, empty)
            result["compare"]["steps"][step.id] = {
                "abandonment": share_difference(at_b.abandoned, at_b.reached, at_a.abandoned, at_a.reached),
                "continued": share_difference(at_b.continued, at_b.reached, at_a.continued, at_a.reached),
            }
    return result


def unhappy_exit_flags(step_funnels: list[dict[str, Any]]) -> list[bool]:
    """Per step: negative answerers abandon significantly more than positive ones
    (two-proportion z, n ≥ 30 on both sides, Holm across the steps tested)."""
    tested = {}  # step index -> its negative − positive difference
    for index, funnel in enumerate(step_funnels):
        groups = funnel["emotion_abandonment"]
        diff = groups["difference"]
        if diff and large_enough(groups["negative"]["n"], groups["positive"]["n"]):
            tested[index] = diff
    flags = [False] * len(step_funnels)
    for index, p_adjusted in holm_adjusted({index: diff["p_value"] for index, diff in tested.items()}).items():
        flags[index] = p_adjusted < ALPHA and tested[index]["diff"] > 0
    return flags
