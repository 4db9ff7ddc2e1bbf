"""The emotional curve of a journey: per step, in step order, how visitors feel.

Everything is computed from sums (n, Σx, Σx², counts), read from the rollups
when the filters allow it and from one GROUP BY over the raw answers
otherwise. Full write-up with examples: ``docs/curves.md``.

Per step (a *step answer* is any stored response at that step):

* ``responses`` n; ``impressions`` prompt impressions (events of type
  ``impression``); ``response_rate`` = n / impressions (null without
  impressions, or when an attribute filter is set: events carry no attributes).
* ``emotion``: mean of the emotion score with a 95% Student t interval,
  mean ± t(0.975, n−1)·s/√n, s the sample (n−1) standard deviation; null
  interval below n = 2.
* ``csat``: share of CSAT answers scoring 4–5, 95% Wilson score interval.
* ``ces``: mean CES score (1–7) with the same t interval as emotion.
* ``nps``: 100·(promoters 9–10 − detractors 0–6)/n, with n and both counts.
* ``exit_intent``: ``count`` of answers given to exit-intent prompts at the
  step, and ``share`` = that count / all exit-intent answers in the journey
  (same window and segment): the step's share of the journey's abandonment
  feedback. Null when the journey has none.
* ``comments``: ``count``, ``negative`` (sentiment label negative),
  ``negative_share`` = negative / count, and ``most_negative`` /
  ``most_positive``: up to 3 comments each, lowest / highest polarity among
  negative / positive ones (redacted at ingest), read from ``responses``
  through the index (step_id, sentiment_label, polarity).

Flags (both use Welch's unequal-variance t-test on emotion sums, need
n ≥ ``MIN_N`` (30) on each side, and correct for testing every step with Holm's
step-down method at α = 0.05; the p-values are shown under ``tests``):

* ``pain_point``: the step's mean is below the mean of *all other* answers in
  the journey (step vs rest, not vs a mean that contains the step) and the
  Holm-adjusted two-sided p < 0.05.
* ``drop``: the step's mean is below the previous step's (position order) and
  the Holm-adjusted two-sided p < 0.05 (pairs where both steps have n ≥ 30).
* ``unhappy_exit`` (emotion meets behaviour): sessions that answered
  negatively at the step abandon there significantly more than those that
  answered positively (two-proportion z, n ≥ 30 each, Holm across steps; see
  ``collector/analytics/funnel.py``). ``pain_point`` and ``drop`` stay emotion-only.

Per step, ``funnel`` holds the step's funnel numbers (``collector/analytics/funnel.py``),
and the curve's ``funnel`` the journey's sessions, completion and time to
completion, for the same window and device/locale/variant segment.

``interval=day|week``: each step also gets ``series``, one entry per UTC day
or ISO week (Monday start) that has data in the journey, with the same
metrics as the step.

``compare=variant``: two variants, named with ``variants=A,B`` or else the
two with the most answers (then in name order). Per step, ``compare`` holds
each variant's metrics and the difference B − A: emotion by Welch's t-test
(95% interval with Welch–Satterthwaite df), CSAT share by a two-proportion
z-test (pooled SE for the test, unpooled Wald 95% interval). ``significant``
needs p < 0.05 and n ≥ 30 in both variants (no multiplicity correction: one
pre-declared comparison per step).

``compare=device|locale|visitor_type|attr:NAME`` (and ``variant``): groups,
tests and Holm across steps × groups are added by ``compare.py``.

Source: ``rollups`` when the window starts and ends on UTC midnight (or is
open) and the segment uses only device, locale and variant; ``raw``
otherwise (url_path prefix, attributes, sub-day windows). Both give the same
numbers (``tests/analytics/test_rollups.py``).
"""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.analytics import compare, friction_curve, funnel, rollups, theme_report
from collector.analytics.core import (
    ALPHA,
    MIN_N,
    SEGMENT,
    day_aligned,
    day_of,
    large_enough,
    raw_conditions,
    rollup_conditions,
    round_p,
    round_to,
    segment_in_rollups,
    share_difference,
    significant,
)
from collector.analytics.responses import response_filters
from collector.analytics.rollups import Sums
from collector.analytics.stats import Moments, holm_adjusted, mean_ci, welch, wilson
from collector.common.database import as_date
from collector.common.time import as_utc
from collector.models import Event, Journey, Response, StepRollup

COMMENTS_PER_SIDE = 3


class GroupKey(NamedTuple):
    """What a group of sums is for: a step, and the UTC day and variant when grouped by them (else None)."""

    step_id: int
    day: date | None
    variant: str | None


def _add(total: Sums, part: Sums) -> Sums:
    for name in rollups.COUNTERS:
        total[name] += part[name] or 0
    return total


def _read_rollups(session: Session, journey: Journey, filters: dict[str, Any], by_day: bool, by_variant: bool):
    groups = [StepRollup.step_id]
    if by_day:
        groups.append(StepRollup.day)
    if by_variant:
        groups.append(StepRollup.variant)
    query = (
        sa.select(*groups, *(sa.func.sum(getattr(StepRollup, name)).label(name) for name in rollups.COUNTERS))
        .where(*rollup_conditions(StepRollup, journey.id, filters))
        .group_by(*groups)
    )
    for row in session.execute(query).mappings():
        yield _group_key(row, by_day, by_variant), dict(row)


def _read_raw(session: Session, journey: Journey, filters: dict[str, Any], by_day: bool, by_variant: bool):
    dialect = session.get_bind().dialect.name
    for model in (Response, Event):
        groups = [model.step_id]
        if by_day:
            groups.append(day_of(model.created_at, dialect).label("day"))
        if by_variant:
            groups.append(model.variant)
        if model is Response:
            sums = rollups.response_sums()
            conditions = response_filters(filters)
        else:
            if not impressions_countable(filters):
                continue  # events carry no attributes or language: impressions unknown
            sums = [sa.func.count().label("impressions")]
            conditions = [Event.type == "impression", *raw_conditions(Event, filters)]
        query = sa.select(*groups, *sums).where(model.journey_id == journey.id, *conditions).group_by(*groups)
        for row in session.execute(query).mappings():
            yield _group_key(row, by_day, by_variant), dict(row)


def impressions_countable(filters: dict[str, Any]) -> bool:
    """Impressions are events, and events carry no attributes or comment language:
    with those filters the response rate is unknown."""
    return not (filters.get("attr") or filters.get("language"))


def _group_key(row, by_day: bool, by_variant: bool) -> GroupKey:
    day = as_date(row["day"]) if by_day else None
    variant = (row["variant"] or None) if by_variant else None
    return GroupKey(row["step_id"], day, variant)


def aggregate(
    session: Session,
    journey: Journey,
    filters: dict[str, Any],
    *,
    by_day: bool = False,
    by_variant: bool = False,
    source: str | None = None,
) -> tuple[str, dict[GroupKey, Sums]]:
    """Sums per group (step id, day or None, variant or None) and where they came from.

    ``source="raw"`` forces the GROUP BY over the raw rows (benchmarks, checks).
    """
    source = source or ("rollups" if day_aligned(filters) and segment_in_rollups(filters) else "raw")
    reader = _read_rollups if source == "rollups" else _read_raw
    groups: dict[GroupKey, Sums] = {}
    for key, row in reader(session, journey, filters, by_day, by_variant):
        _add(groups.setdefault(key, rollups.zero_sums()), {name: row.get(name, 0) for name in rollups.COUNTERS})
    return source, groups


def emotion_moments(sums: Sums) -> Moments:
    return Moments(int(sums["n"]), float(sums["emotion_sum"]), float(sums["emotion_sq"]))


def metrics(sums: Sums, impressions_known: bool = True) -> dict[str, Any]:
    """Responses, rates, emotion, CSAT, CES and NPS of one group of answers."""
    n = int(sums["n"])
    emotion = emotion_moments(sums)
    low, high = mean_ci(emotion)
    ces = Moments(int(sums["ces_n"]), float(sums["ces_sum"]), float(sums["ces_sq"]))
    ces_low, ces_high = mean_ci(ces)
    csat_n, satisfied = int(sums["csat_n"]), int(sums["csat_satisfied"])
    csat_low, csat_high = wilson(satisfied, csat_n)
    nps_n, promoters, detractors = int(sums["nps_n"]), int(sums["nps_promoters"]), int(sums["nps_detractors"])
    impressions = int(sums["impressions"]) if impressions_known else None
    return {
        "responses": n,
        "impressions": impressions,
        "response_rate": round_to(n / impressions) if impressions else None,
        "emotion": {"mean": round_to(emotion.mean), "ci_low": round_to(low), "ci_high": round_to(high), "n": n},
        "csat": {
            "n": csat_n,
            "score": round_to(satisfied / csat_n) if csat_n else None,
            "ci_low": round_to(csat_low),
            "ci_high": round_to(csat_high),
        },
        "ces": {"n": ces.n, "mean": round_to(ces.mean), "ci_low": round_to(ces_low), "ci_high": round_to(ces_high)},
        "nps": {
            "n": nps_n,
            "score": round(100 * (promoters - detractors) / nps_n, 1) if nps_n else None,
            "promoters": promoters,
            "detractors": detractors,
        },
    }


def _test_entry(result, adjusted: float) -> dict[str, Any]:
    return {
        "diff": round_to(result.diff),
        "t": round_to(result.statistic),
        "df": round_to(result.df, 1),
        "p_value": round_p(result.p_value),
        "p_adjusted": round_p(adjusted),
    }


def flag_steps(step_sums: list[Sums], total: Sums) -> tuple[list[list[str]], list[dict[str, Any]]]:
    """Flags and the tests behind them, per step in order (see the module docstring)."""
    count = len(step_sums)
    flags: list[list[str]] = [[] for _ in range(count)]
    tests: list[dict[str, Any]] = [{"pain_point": None, "drop": None} for _ in range(count)]
    whole = emotion_moments(total)
    for name, pairs in (
        (
            "pain_point",
            [(i, emotion_moments(step_sums[i]), whole - emotion_moments(step_sums[i])) for i in range(count)],
        ),
        ("drop", [(i, emotion_moments(step_sums[i]), emotion_moments(step_sums[i - 1])) for i in range(1, count)]),
    ):
        results = {i: welch(a, b) for i, a, b in pairs if large_enough(a.n, b.n)}
        tested = {i: result for i, result in results.items() if result is not None}
        for i, p_adjusted in holm_adjusted({i: result.p_value for i, result in tested.items()}).items():
            result = tested[i]
            tests[i][name] = _test_entry(result, p_adjusted)
            if p_adjusted < ALPHA and result.diff < 0:
                flags[i].append(name)
    return flags, tests


def representative_comments(
    session: Session, journey: Journey, filters: dict[str, Any], counts: dict[int, Sums]
) -> dict[int, dict[str, list]]:
    """Up to three most negative and three most positive comments per step, in one round trip.

    ``counts`` holds each step's sums, whose comment counters tell which sides
    have no comments: those are not queried, as looking for an absent comment
    walks every comment of the step (seconds on a million answers).
    """
    found = {step_id: {"most_negative": [], "most_positive": []} for step_id in counts}
    columns = (
        Response.step_id,
        Response.id,
        Response.comment,
        Response.polarity,
        Response.sentiment_label,
        Response.created_at,
    )
    # No journey_id condition: the step implies it, and it would tempt the planner
    # towards the (journey_id, created_at) index instead of the ordered one.
    conditions = [Response.comment.is_not(None), Response.polarity.is_not(None), *response_filters(filters)]
    parts = []
    for step_id, sums in counts.items():
        negative = sums["negative_comments"]
        for label, order, present in (
            ("negative", (Response.polarity.asc(), Response.id.asc()), negative > 0),
            ("positive", (Response.polarity.desc(), Response.id.desc()), sums["comments"] > negative),
        ):
            if not present:
                continue
            part = (
                sa.select(*columns)
                .where(Response.step_id == step_id, Response.sentiment_label == label, *conditions)
                .order_by(*order)
                .limit(COMMENTS_PER_SIDE)
                .subquery()
            )
            parts.append(sa.select(part))
    if not parts:
        return found
    for row in session.execute(sa.union_all(*parts)).mappings():
        side = "most_negative" if row["sentiment_label"] == "negative" else "most_positive"
        found[row["step_id"]][side].append(
            {
                "id": row["id"],
                "text": row["comment"],
                "polarity": round_to(row["polarity"]),
                "created_at": as_utc(row["created_at"]),
            }
        )
    for sides in found.values():
        sides["most_negative"].sort(key=lambda item: (item["polarity"], item["id"]))
        sides["most_positive"].sort(key=lambda item: (-item["polarity"], -item["id"]))
    return found


def choose_variants(groups: dict[GroupKey, Sums], named: list[str] | None) -> list[str]:
    """The two variants to compare: as named, else the two largest (in name order)."""
    if named:
        return list(named)
    sizes: dict[str, float] = {}
    for key, sums in groups.items():
        if key.variant is not None:
            sizes[key.variant] = sizes.get(key.variant, 0) + sums["n"]
    largest = sorted((v for v in sizes if sizes[v] > 0), key=lambda v: (-sizes[v], v))[:2]
    return sorted(largest)


def compare_step(per_variant: dict[str, Sums], variants: list[str], impressions_known: bool) -> dict[str, Any]:
    """B − A for one step: emotion (Welch) and CSAT share (two-proportion z)."""
    entry: dict[str, Any] = {
        "variants": {v: metrics(per_variant.get(v, rollups.zero_sums()), impressions_known) for v in variants},
        "emotion": None,
        "csat": None,
    }
    if len(variants) != 2:
        return entry
    a, b = (per_variant.get(v, rollups.zero_sums()) for v in variants)
    emotion = welch(emotion_moments(b), emotion_moments(a))
    if emotion is not None:
        entry["emotion"] = {
            "diff": round_to(emotion.diff),
            "ci_low": round_to(emotion.ci_low),
            "ci_high": round_to(emotion.ci_high),
            "t": round_to(emotion.statistic),
            "df": round_to(emotion.df, 1),
            "p_value": round_p(emotion.p_value),
            "significant": significant(emotion.p_value, a["n"], b["n"]),
        }
    entry["csat"] = share_difference(
        int(b["csat_satisfied"]), int(b["csat_n"]), int(a["csat_satisfied"]), int(a["csat_n"])
    )
    return entry


def _bucket(day: date, interval: str) -> date:
    return day - timedelta(days=day.weekday()) if interval == "week" else day


def journey_curve(
    session: Session, journey: Journey, filters: dict[str, Any], top_themes: Callable = theme_report.top_themes
) -> dict[str, Any]:
    """Per-step summary of a journey for a window and segment (see the module docstring);
    ``top_themes`` reads the steps' largest themes (the dashboard passes its cached reader)."""
    interval = filters.get("interval")
    comparing = filters.get("compare") == "variant"
    if session.get_bind().dialect.name == "postgresql":
        # psycopg prepares a statement after 5 runs; PostgreSQL's generic plan for the
        # comments query ignores the (step, label, polarity) index and scans (0.2 ms -> 700 ms).
        session.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))
    source, groups = aggregate(session, journey, filters, by_day=bool(interval), by_variant=comparing)
    impressions_known = impressions_countable(filters)
    steps = list(journey.steps)

    per_step = {step.id: rollups.zero_sums() for step in steps}
    per_bucket: dict[int, dict[date, Sums]] = {step.id: {} for step in steps}
    per_variant: dict[int, dict[str, Sums]] = {step.id: {} for step in steps}
    for (step_id, day, variant), sums in groups.items():
        if step_id not in per_step:
            continue
        _add(per_step[step_id], sums)
        if interval:
            _add(per_bucket[step_id].setdefault(_bucket(day, interval), rollups.zero_sums()), sums)
        if comparing and variant is not None:
            _add(per_variant[step_id].setdefault(variant, rollups.zero_sums()), sums)
    total = rollups.zero_sums()
    for sums in per_step.values():
        _add(total, sums)

    flags, tests = flag_steps([per_step[step.id] for step in steps], total)
    comments = representative_comments(session, journey, filters, {step.id: per_step[step.id] for step in steps})
    buckets = sorted({bucket for step_buckets in per_bucket.values() for bucket in step_buckets})
    variants = choose_variants(groups, filters.get("variants")) if comparing else []
    moves = funnel.journey_funnel(session, journey, filters, variants if comparing else None)
    unhappy = funnel.unhappy_exit_flags([moves["steps"][step.id] for step in steps])
    step_themes = top_themes(session, journey, filters)

    items = []
    for index, step in enumerate(steps):
        sums = per_step[step.id]
        item = {"step": step.key, "name": step.name, "position": step.position, **metrics(sums, impressions_known)}
        item["exit_intent"] = {
            "count": int(sums["exit_intent"]),
            "share": round_to(sums["exit_intent"] / total["exit_intent"]) if total["exit_intent"] else None,
        }
        item["comments"] = {
            "count": int(sums["comments"]),
            "negative": int(sums["negative_comments"]),
            "negative_share": round_to(sums["negative_comments"] / sums["comments"]) if sums["comments"] else None,
            **comments[step.id],
        }
        item["flags"] = flags[index] + (["unhappy_exit"] if unhappy[index] else [])
        item["tests"] = tests[index]
        item["funnel"] = moves["steps"][step.id]
        item["themes"] = step_themes.get(step.id, [])  # the three largest (docs/themes.md)
        if interval:
            item["series"] = [
                {"start": bucket, **metrics(per_bucket[step.id].get(bucket, rollups.zero_sums()), impressions_known)}
                for bucket in buckets
            ]
        if comparing:
            item["compare"] = compare_step(per_variant[step.id], variants, impressions_known)
            item["compare"]["funnel"] = moves.get("compare", {}).get("steps", {}).get(step.id)
        items.append(item)

    curve = {
        "journey": journey.key,
        "name": journey.name,
        "window": {"from": filters.get("from"), "to": filters.get("to"), "interval": interval},
        "segment": {name: filters.get(name) for name in (*SEGMENT, "url_path", "language")}
        | {"attr": [f"{key}:{value}" for key, value in filters.get("attr") or []]},
        "source": source,
        "method": {"min_n": MIN_N, "alpha": ALPHA, "correction": "holm", "test": "welch"},
        "overall": {**metrics(total, impressions_known), "exit_intent": {"count": int(total["exit_intent"])}},
        "steps": items,
        "funnel": {name: moves[name] for name in ("source", "session_timeout_minutes", "ignored_filters")}
        | moves["overall"],
    }
    friction_curve.add_to_curve(session, journey, filters, steps, items, curve)
    if comparing:
        curve["compare"] = {
            "by": "variant",
            "variants": variants,
            "difference": f"{variants[1]} - {variants[0]}" if len(variants) == 2 else None,
        }
        curve["funnel"]["compare"] = {"completion": (moves.get("compare") or {}).get("completion")}
    if filters.get("compare"):
        compare.add_comparison(session, journey, filters, source, items, curve, metrics, impressions_known)
        friction_curve.add_to_comparison(session, journey, filters, steps, items)
    return curve
