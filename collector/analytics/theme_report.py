"""Reading a journey's themes for a window and segment, from the stored rows.

Nothing is re-clustered or re-assigned here. For a window of whole UTC days
(or none) and a segment of only device, locale and variant (``from_rollups``),
the theme groups are summed from ``theme_rollups``
(``analytics.theme_rollups``) and the step's comments from the curve's
``step_rollups.comments``: a few thousand rows at a million answers. Otherwise
(a window to the second, ``url_path``, ``attr``, ``language`` or another
filter only answers carry, or only the answers after an id as the dashboard
cache asks) they come from ``response_themes`` joined with the answers the
filters select (``analytics.responses.response_filters``). Both paths give the
same numbers: emotion sums are added in integer units (``units``), so their
order does not matter. Examples are always read from the answers. The
numbers per theme are those of ``analytics.themes.summarise``:

* ``count`` comments carrying the theme at all, ``primary`` those whose first
  theme it is, ``share`` = count / all the step's comments in the window
  (themed or not);
* ``sentiment``: those comments by sentiment label; ``emotion``: mean
  emotion score of their answers with the 95 % Student t interval;
* ``examples``: up to three of their comments as stored now (an erased
  comment is gone), among the theme's latest 500 in the window: those
  containing the label first, then mid-length;
* ``share_change``: share now − share in the previous window of equal length
  (same segment, the same stored assignments), null without both ``from``
  and ``to`` or when that window had no comments.

Labels, phrases, pinned and hidden come from the step's stored model (curated).
Themes with no comment in the window are left out unless pinned; hidden ones
unless ``include_hidden``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.analytics.core import day_aligned, rollup_conditions, segment_in_rollups
from collector.analytics.responses import response_filters
from collector.analytics.stats import Moments, mean_ci
from collector.analytics.theme_store import model_cache
from collector.analytics.themes import ThemeModel
from collector.common.time import as_utc
from collector.models import Journey, Response, ResponseTheme, Step, StepRollup, ThemeRollup

SENTIMENTS = ("negative", "neutral", "positive")
# Emotion sums are kept in these integer units (scores have four decimals, squares eight).
EMOTION_UNITS = 10**4
EMOTION_SQ_UNITS = 10**8
# Filters the rollups are not keyed by: with any of them set, the report reads raw rows.
RAW_ONLY = ("kind", "language", "trigger", "visitor_id", "sentiment", "has_comment", "url_path", "attr")
EXAMPLES = 3
# Candidates fetched per theme for the examples; duplicates are dropped in Python.
CANDIDATES = 10
# The examples are picked among this many of the theme's latest comments in the window.
RECENT = 500


def _models(session: Session, step_ids: Iterable[int]) -> dict[int, Any]:
    """Each step's loaded model entry (through the per-process cache, by version)."""
    entries, _ = model_cache().get(session, step_ids, 0)
    return entries


def _after(after: int | None) -> list[Any]:
    return [Response.id > after] if after is not None else []


def units(column: sa.ColumnElement, scale: int) -> sa.ColumnElement[int]:
    """The sum of ``column`` in integer units of 1/``scale``: emotion scores have four
    decimals, so per answer (and per rollup row, a few thousand answers at most) this is
    exact, and summing integers is exact in any order: the rollups and the raw join give
    the same emotion to the last digit, where float sums would differ in the last bits."""
    return sa.func.coalesce(sa.func.sum(sa.cast(sa.func.round(column * scale), sa.BigInteger)), 0)


def from_rollups(filters: dict[str, Any], after: int | None = None) -> bool:
    """Whether the rollups can answer: all answers (no ``after``), whole UTC days, and
    only the segment columns they are keyed by (no filter only raw answers carry)."""
    raw_only = any(filters.get(name) not in (None, "", (), []) for name in RAW_ONLY)
    return after is None and day_aligned(filters) and segment_in_rollups(filters) and not raw_only


def _totals(session: Session, journey: Journey, filters: dict[str, Any], after: int | None = None) -> dict[int, int]:
    if from_rollups(filters, after):
        summed = (
            sa.select(StepRollup.step_id, sa.func.sum(StepRollup.comments))
            .where(*rollup_conditions(StepRollup, journey.id, filters))
            .group_by(StepRollup.step_id)
        )
        return {step_id: int(n) for step_id, n in session.execute(summed) if n}
    query = (
        sa.select(Response.step_id, sa.func.count())
        .where(
            Response.journey_id == journey.id,
            Response.comment.is_not(None),
            *response_filters(filters),
            *_after(after),
        )
        .group_by(Response.step_id)
    )
    return dict(session.execute(query).all())


def _groups(
    session: Session, journey: Journey, filters: dict[str, Any], after: int | None = None
) -> dict[tuple[int, str], dict[str, Any]]:
    """Per (step id, theme key): counts by sentiment, primaries, emotion sums (answers after ``after`` only)."""
    if from_rollups(filters, after):
        return _rollup_groups(session, journey, filters)
    query = (
        sa.select(
            ResponseTheme.step_id,
            ResponseTheme.theme_key,
            Response.sentiment_label,
            sa.func.count().label("n"),
            sa.func.sum(sa.case((ResponseTheme.rank == 0, 1), else_=0)).label("primary"),
            units(Response.emotion, EMOTION_UNITS).label("sum"),
            units(Response.emotion * Response.emotion, EMOTION_SQ_UNITS).label("sq"),
        )
        .join(Response, Response.id == ResponseTheme.response_id)
        .where(ResponseTheme.journey_id == journey.id, *response_filters(filters), *_after(after))
        .group_by(ResponseTheme.step_id, ResponseTheme.theme_key, Response.sentiment_label)
    )
    groups: dict[tuple[int, str], dict[str, Any]] = {}
    for row in session.execute(query):
        group = groups.setdefault((row.step_id, row.theme_key), _empty_group())
        group["n"] += row.n
        group["primary"] += int(row.primary or 0)
        group["sum"] += int(row.sum or 0)
        group["sq"] += int(row.sq or 0)
        if row.sentiment_label in SENTIMENTS:
            group["sentiment"][row.sentiment_label] += row.n
    return groups


def _rollup_groups(
    session: Session, journey: Journey, filters: dict[str, Any]
) -> dict[tuple[int, str], dict[str, Any]]:
    """:func:`_groups` from ``theme_rollups``: the same sums, added up over days and segments."""
    counters = ("n", "primary", *SENTIMENTS, "emotion_sum", "emotion_sq")
    query = (
        sa.select(
            ThemeRollup.step_id,
            ThemeRollup.theme_key,
            *(sa.func.sum(getattr(ThemeRollup, name)).label(name) for name in counters[:-2]),
            units(ThemeRollup.emotion_sum, EMOTION_UNITS).label("emotion_sum"),
            units(ThemeRollup.emotion_sq, EMOTION_SQ_UNITS).label("emotion_sq"),
        )
        .where(*rollup_conditions(ThemeRollup, journey.id, filters))
        .group_by(ThemeRollup.step_id, ThemeRollup.theme_key)
    )
    groups: dict[tuple[int, str], dict[str, Any]] = {}
    for row in session.execute(query):
        if not row.n:
            continue
        groups[(row.step_id, row.theme_key)] = {
            "n": int(row.n),
            "primary": int(row.primary or 0),
            "sum": int(row.emotion_sum or 0),
            "sq": int(row.emotion_sq or 0),
            "sentiment": {name: int(row._mapping[name] or 0) for name in SENTIMENTS},
        }
    return groups


def _examples(
    session: Session, wanted: list[tuple[int, str, str]], filters: dict[str, Any]
) -> dict[tuple[int, str], list[str]]:
    """Up to three comments per (step id, key, label), ranked as ``summarise`` ranks them."""
    found: dict[tuple[int, str], list[str]] = {}
    if not wanted:
        return found
    conditions = response_filters(filters)
    parts = []
    for step_id, key, label in wanted:
        pattern = "%" + label.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        # Ranked among the theme's latest RECENT comments in the window (read backwards on the
        # (step, theme, answer) index), so a theme of 100k comments costs what one of 500 does.
        latest = (
            sa.select(ResponseTheme.step_id, ResponseTheme.theme_key, Response.comment)
            .join(Response, Response.id == ResponseTheme.response_id)
            .where(ResponseTheme.step_id == step_id, ResponseTheme.theme_key == key, *conditions)
            .order_by(ResponseTheme.response_id.desc())
            .limit(RECENT)
            .subquery()
        )
        has_label = sa.case((sa.func.lower(latest.c.comment).like(pattern, escape="\\"), 0), else_=1)
        parts.append(
            sa.select(
                sa.select(latest)
                .order_by(has_label, sa.func.abs(sa.func.length(latest.c.comment) - 60), latest.c.comment)
                .limit(CANDIDATES)
                .subquery()
            )
        )
    # One statement per theme, not their UNION ALL: at 1M answers each takes ~6 ms on PostgreSQL
    # (EXPLAIN ANALYZE in bench/THEMES.md) while the 120 of them as one statement took 34 s.
    for part in parts:
        for row in session.execute(part):
            found.setdefault((row.step_id, row.theme_key), []).append(row.comment)
    labels = {(step_id, key): label.lower() for step_id, key, label in wanted}
    for group, texts in found.items():
        ranked = sorted(
            texts,
            key=lambda text: (labels[group] not in text.strip().lower(), abs(len(text.strip()) - 60), text.strip()),
        )
        found[group] = list(dict.fromkeys(text.strip() for text in ranked if text.strip()))[:EXAMPLES]
    return found


def _previous_window(filters: dict[str, Any]) -> dict[str, Any] | None:
    start, end = filters.get("from"), filters.get("to")
    if start is None or end is None:
        return None
    start, end = as_utc(start), as_utc(end)
    return {**filters, "from": start - (end - start), "to": start}


def _resolve(model: ThemeModel, key: str) -> str | None:
    theme = model.theme(key)
    return theme.key if theme is not None else None


def _fold(model: ThemeModel, step_id: int, groups: dict[tuple[int, str], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The step's groups under the model's keys (rows written under a key merged since follow it)."""
    folded: dict[str, dict[str, Any]] = {}
    for (group_step, key), group in groups.items():
        target = _resolve(model, key) if group_step == step_id else None
        if target is None:
            continue
        into = folded.setdefault(target, _empty_group())
        for name in ("n", "primary", "sum", "sq"):
            into[name] += group[name]
        for name in SENTIMENTS:
            into["sentiment"][name] += group["sentiment"][name]
    return folded


@dataclass
class Parts:
    """What a report is made of, all of it additive over answers: comments per step and the
    theme groups, now and in the previous window (``None`` without one)."""

    totals: dict[int, int]
    groups: dict[tuple[int, str], dict[str, Any]]
    before_totals: dict[int, int] | None
    before: dict[tuple[int, str], dict[str, Any]] | None

    def add(self, more: Parts) -> None:
        """Add the parts of answers these did not count (in place)."""
        for mine, theirs in ((self.totals, more.totals), (self.before_totals, more.before_totals)):
            for step_id, n in (theirs or {}).items():
                mine[step_id] = mine.get(step_id, 0) + n
        for mine, theirs in ((self.groups, more.groups), (self.before, more.before)):
            for group_key, group in (theirs or {}).items():
                into = mine.setdefault(group_key, _empty_group())
                for name in ("n", "primary", "sum", "sq"):
                    into[name] += group[name]
                for name in SENTIMENTS:
                    into["sentiment"][name] += group["sentiment"][name]


def _empty_group() -> dict[str, Any]:
    return {"n": 0, "primary": 0, "sum": 0, "sq": 0, "sentiment": dict.fromkeys(SENTIMENTS, 0)}


def aggregate(session: Session, journey: Journey, filters: dict[str, Any], after: int | None = None) -> Parts:
    """The report's parts over the answers the filters select (only those with an id above ``after``)."""
    previous = _previous_window(filters)
    return Parts(
        _totals(session, journey, filters, after),
        _groups(session, journey, filters, after),
        _totals(session, journey, previous, after) if previous else None,
        _groups(session, journey, previous, after) if previous else None,
    )


def journey_themes(
    session: Session,
    journey: Journey,
    filters: dict[str, Any],
    steps: list[Step] | None = None,
    include_hidden: bool = False,
) -> dict[str, Any]:
    """The themes API's body: per step in step order, its comments and themes (see the module docstring)."""
    return report(session, journey, filters, aggregate(session, journey, filters), steps, include_hidden)


def report(
    session: Session,
    journey: Journey,
    filters: dict[str, Any],
    parts: Parts,
    steps: list[Step] | None = None,
    include_hidden: bool = False,
    examples: dict[tuple[int, str, str], list[str]] | None = None,
) -> dict[str, Any]:
    """The body of :func:`journey_themes` from its parts; ``examples`` (by step id, key, label)
    are fetched only for the themes it lacks, and the fetched ones are added to it."""
    steps = list(journey.steps) if steps is None else steps
    models = _models(session, [step.id for step in steps])
    examples = {} if examples is None else examples
    result_steps, wanted = [], []
    for step in steps:
        entry = models.get(step.id)
        model = entry.model if entry is not None else None
        total = int(parts.totals.get(step.id, 0))
        themes = []
        if model is not None:
            now, then = _fold(model, step.id, parts.groups), _fold(model, step.id, parts.before or {})
            then_total = int((parts.before_totals or {}).get(step.id, 0))
            for theme in model.themes:
                group = now.get(theme.key)
                if (group is None and not theme.pinned) or (theme.hidden and not include_hidden):
                    continue
                themes.append(
                    _theme_row(
                        theme, group, total, then.get(theme.key), then_total if parts.before is not None else None
                    )
                )
                if group is not None and (step.id, theme.key, theme.label) not in examples:
                    wanted.append((step.id, theme.key, theme.label))
            themes.sort(key=lambda t: (not t["pinned"], -t["count"], t["key"]))
        result_steps.append(
            {
                "step": step.key,
                "name": step.name,
                "comments": total,
                "themes": themes,
                "model": {"version": entry.version, "comments": model.comments} if model is not None else None,
            }
        )
    fetched = _examples(session, wanted, filters)
    for step_id, key, label in wanted:
        examples[(step_id, key, label)] = fetched.get((step_id, key), [])
    for step, item in zip(steps, result_steps):
        model = models[step.id].model if step.id in models else None
        labels = {theme.key: theme.label for theme in model.themes} if model is not None else {}
        for theme in item["themes"]:
            theme["examples"] = list(examples.get((step.id, theme["key"], labels.get(theme["key"], "")), []))
    return {
        "journey": journey.key,
        "window": {"from": filters.get("from"), "to": filters.get("to")},
        "steps": result_steps,
    }


def _theme_row(
    theme, group: dict[str, Any] | None, total: int, before: dict[str, Any] | None, before_total: int | None
) -> dict[str, Any]:
    group = group or _empty_group()
    moments = Moments(group["n"], group["sum"] / EMOTION_UNITS, group["sq"] / EMOTION_SQ_UNITS)
    low, high = mean_ci(moments)
    share = group["n"] / total if total else 0.0
    change = None
    if before_total:
        change = share - (before["n"] if before else 0) / before_total
    return {
        "key": theme.key,
        "label": theme.label,
        "count": group["n"],
        "primary": group["primary"],
        "share": _round(share),
        "sentiment": dict(group["sentiment"]),
        "emotion": {"mean": _round(moments.mean), "ci_low": _round(low), "ci_high": _round(high), "n": moments.n},
        "phrases": list(theme.phrases),
        "examples": [],
        "share_change": _round(change),
        "pinned": theme.pinned,
        "hidden": theme.hidden,
    }


def top_themes(
    session: Session, journey: Journey, filters: dict[str, Any], limit: int = 3, parts: Parts | None = None
) -> dict[int, list[dict[str, Any]]]:
    """Per step id, its largest shown themes (key, label, share, count) for the curve."""
    steps = list(journey.steps)
    models = _models(session, [step.id for step in steps])
    if not any(entry.model is not None for entry in models.values()):
        return {}
    if parts is None:
        parts = Parts(_totals(session, journey, filters), _groups(session, journey, filters), None, None)
    found: dict[int, list[dict[str, Any]]] = {}
    for step in steps:
        model = models[step.id].model
        if model is None:
            continue
        now, total = _fold(model, step.id, parts.groups), int(parts.totals.get(step.id, 0))
        shown = [(theme, now[theme.key]["n"]) for theme in model.themes if theme.key in now and not theme.hidden]
        shown.sort(key=lambda item: (not item[0].pinned, -item[1], item[0].key))
        found[step.id] = [
            {"key": theme.key, "label": theme.label, "count": n, "share": _round(n / total if total else 0.0)}
            for theme, n in shown[:limit]
        ]
    return found


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)
