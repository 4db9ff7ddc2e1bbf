"""The curve's friction block: per step, the share of its sessions that showed each
signal (95% Wilson intervals), the friction index (share with any signal), how
signals relate to abandonment and to stated emotion, and the ``friction`` flag.

Read from ``friction_rollups`` for day-aligned (or open) windows, otherwise
recomputed from the raw events (``collector/analytics/friction.py``); both give the
same numbers. A session belongs to a window and segment by its first event, like
the funnel's; ``url_path`` and ``attr`` filters do not apply (reported in
``ignored_filters``).

The flag: a step's index against the pooled index of the journey's other steps,
two-proportion z-test, one-sided (only "above" flags), Holm-adjusted across the
steps tested; a step is tested when it and the rest each have at least ``MIN_N``
sessions.

With ``compare=device|locale|variant`` each compared group of a step gets its own
``friction`` (sessions, shares, index) from the same rollups or raw pass, grouped by
that column. Visitor type and attributes are not rollup keys: their groups' ``friction`` is null.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.analytics import friction
from collector.analytics.core import ALPHA, EXTRA_FILTERS, MIN_N, SEGMENT, rollup_conditions, round_p, round_to
from collector.analytics.stats import holm, two_proportions, wilson
from collector.common.time import as_utc
from collector.common.vocabulary import FRICTION_SIGNALS
from collector.models import FrictionRollup, Journey

IGNORED_FILTERS = EXTRA_FILTERS  # friction rollups are keyed like the curve's: day and segment
Counts = dict[int, dict[str, list[int]]]  # step id -> signal -> [sessions, abandoned, answered, negative]


def rollups_apply(filters: dict[str, Any]) -> bool:
    """Whether the rollups can answer: a day-aligned (or open) window."""
    return all(filters.get(name) is None or as_utc(filters[name]).time() == time(0) for name in ("from", "to"))


def read_counts(session: Session, journey: Journey, filters: dict[str, Any]) -> tuple[str, Counts]:
    """("rollups" or "raw", per step and signal the summed counters) for a window and segment."""
    source, grouped = read_group_counts(session, journey, filters)
    return source, grouped.get(None) or _counts()


def _counts() -> Counts:
    return defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))


def read_group_counts(
    session: Session, journey: Journey, filters: dict[str, Any], by: str | None = None
) -> tuple[str, dict[str | None, Counts]]:
    """As ``read_counts``, per value of the segment column ``by`` (device, locale or variant;
    sessions without one belong to no group), or all under None without ``by``."""
    grouped: dict[str | None, Counts] = defaultdict(_counts)
    if rollups_apply(filters):
        keys = [getattr(FrictionRollup, by)] if by else []  # the group's column, first
        query = (
            sa.select(
                *keys,
                FrictionRollup.step_id,
                FrictionRollup.signal,
                *(sa.func.sum(getattr(FrictionRollup, name)) for name in friction.ROLLUP_COUNTERS),
            )
            .where(*rollup_conditions(FrictionRollup, journey.id, filters))
            .group_by(*keys, FrictionRollup.step_id, FrictionRollup.signal)
        )
        for row in session.execute(query):
            value, (step_id, signal, *sums) = (row[0], row[1:]) if by else (None, row)
            if by and not value:
                continue
            grouped[value][step_id][signal] = [int(total or 0) for total in sums]
        return "rollups", grouped
    start = as_utc(filters["from"]) if filters.get("from") is not None else None
    end = as_utc(filters["to"]) if filters.get("to") is not None else None
    for _session_id, rows in friction.raw_sessions(session, journey.id):
        for row in rows:
            if (start and row.first_at < start) or (end and row.first_at >= end):
                continue
            if any(filters.get(name) is not None and getattr(row, name) != filters[name] for name in SEGMENT):
                continue
            value = getattr(row, by) if by else None
            if by and not value:
                continue
            entry = grouped[value][row.step_id][row.signal]
            for index, count in enumerate((1, row.abandoned, row.answered, row.negative)):
                entry[index] += count
    return "raw", grouped


def _rate(count: int, n: int) -> dict[str, Any]:
    low, high = wilson(count, n)
    return {
        "sessions": count,
        "share": round_to(count / n) if n else None,
        "ci_low": round_to(low),
        "ci_high": round_to(high),
    }


def _split(with_signal: list[int], view: list[int], count: int, n: int) -> dict[str, Any]:
    """Sessions with vs without the signal: ``count`` of ``n`` (counter indexes) each."""
    a, a_n = with_signal[count], with_signal[n]
    b, b_n = view[count] - a, view[n] - a_n
    test = two_proportions(a, a_n, b, b_n) if a_n and b_n else None
    return {
        "with": {"count": a, "n": a_n, **_interval(a, a_n)},
        "without": {"count": b, "n": b_n, **_interval(b, b_n)},
        "difference": None
        if test is None
        else {
            "diff": round_to(test.diff),
            "ci_low": round_to(test.ci_low),
            "ci_high": round_to(test.ci_high),
            "p_value": round_p(test.p_value),
        },
    }


def _interval(count: int, n: int) -> dict[str, Any]:
    low, high = wilson(count, n)
    return {"rate": round_to(count / n) if n else None, "ci_low": round_to(low), "ci_high": round_to(high)}


def shares(signals: dict[str, list[int]]) -> dict[str, Any]:
    """Sessions that viewed the step, each signal's share of them and the index (any signal)."""
    n = signals.get(friction.VIEW, [0])[0]
    return {
        "sessions": n,
        "signals": {name: _rate(signals.get(name, [0])[0], n) for name in FRICTION_SIGNALS},
        "index": _rate(signals.get(friction.ANY, [0])[0], n),
    }


def step_block(signals: dict[str, list[int]]) -> dict[str, Any]:
    """One step's friction block from its counters per signal (see the module docstring)."""
    view = signals.get(friction.VIEW, [0, 0, 0, 0])
    block = {
        **shares(signals),
        # Abandonment (index 1 of the sessions at index 0) and negative answers (3 of those who answered, 2).
        "abandonment": {
            name: _split(signals.get(name, [0, 0, 0, 0]), view, 1, 0)
            for name in (friction.ANY, *FRICTION_SIGNALS)
            if signals.get(name)
        },
        "emotion": {
            name: _split(signals.get(name, [0, 0, 0, 0]), view, 3, 2)
            for name in (friction.ANY, *FRICTION_SIGNALS)
            if signals.get(name)
        },
        "test": None,
    }
    return block


def flag_steps(blocks: list[dict[str, Any]]) -> list[bool]:
    """Whether each step's index is significantly above the rest of the journey (Holm)."""
    total_any = sum(block["index"]["sessions"] for block in blocks)
    total_n = sum(block["sessions"] for block in blocks)
    tested, p_values = [], []
    for index, block in enumerate(blocks):
        n, k = block["sessions"], block["index"]["sessions"]
        rest_n, rest_k = total_n - n, total_any - k
        if n < MIN_N or rest_n < MIN_N:
            continue
        result = two_proportions(k, n, rest_k, rest_n)
        if result is None:
            continue
        p = result.p_value / 2 if result.diff > 0 else 1.0
        block["test"] = {"diff": round_to(result.diff), "p_value": round_p(p)}
        tested.append(index)
        p_values.append(p)
    flags = [False] * len(blocks)
    for index, adjusted in zip(tested, holm(p_values)):
        blocks[index]["test"]["p_adjusted"] = round_p(adjusted)
        flags[index] = adjusted < ALPHA
    return flags


def add_to_curve(
    session: Session,
    journey: Journey,
    filters: dict[str, Any],
    steps: list,
    items: list[dict[str, Any]],
    curve: dict[str, Any],
) -> None:
    """Give each step item of a curve its ``friction`` block (and flag), and the curve
    its friction method; ``steps`` and ``items`` in the same order."""
    source, counts = read_counts(session, journey, filters)
    blocks = [step_block(counts.get(step.id, {})) for step in steps]
    for item, block, flagged in zip(items, blocks, flag_steps(blocks)):
        item["friction"] = block
        if flagged:
            item["flags"] = [*item["flags"], "friction"]
    curve["friction"] = {
        "source": source,
        "signals": list(FRICTION_SIGNALS),
        "min_n": MIN_N,
        "alpha": ALPHA,
        "test": "two-proportion z (one-sided), holm",
        "ignored_filters": [name for name in IGNORED_FILTERS if filters.get(name)],
    }


def add_to_comparison(
    session: Session, journey: Journey, filters: dict[str, Any], steps: list, items: list[dict[str, Any]]
) -> None:
    """Give each compared group of each step (``compare.groups[g]``, set by ``compare.py``) its
    ``friction``: sessions, signal shares and index, as the step's block has them. Only by
    device, locale or variant, the rollups' keys (null otherwise); shares only, no test."""
    by = filters["compare"]
    source, grouped = read_group_counts(session, journey, filters, by) if by in SEGMENT else (None, {})
    for step, item in zip(steps, items):
        # compare=variant keeps its older ``variants`` key, the same as ``groups``: both get it.
        for key in ("groups", "variants"):
            for group, metrics in (item["compare"].get(key) or {}).items():
                metrics["friction"] = shares(grouped.get(group, {}).get(step.id, {})) if source else None
