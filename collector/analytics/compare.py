"""Personas: a journey's steps compared across groups of visitors (``compare=``).

``compare`` names the dimension that forms the groups:

* ``variant``, ``device``, ``locale``: the answer's own field; read from the
  rollups when the curve is (``source`` says so), else from the raw answers.
* ``visitor_type``: ``new`` or ``returning`` (the widget says whether the
  browser had a visitor id before the session). It is not a rollup dimension,
  so this comparison always reads the raw answers and events.
* ``attr:NAME``: the answer's attribute NAME as text. Raw answers only;
  events carry no attributes, so impressions and response rates are null.

Answers without a value for the dimension belong to no group.

Groups: as named with ``groups=`` (or ``variants=`` for variants), two or
more; else for ``variant`` the two with most answers (as before), and for the
other dimensions the ``MAX_GROUPS`` with most answers; in name order.

Tests (emotion, Welch's unequal-variance t on the sums, per step):

* two groups: B − A, the second group against the first (the A/B shape);
* more groups: each group against the *rest* of the compared groups' answers
  at that step (not against a mean that contains the group, and not against
  an arbitrary reference group, whose choice would change the answer).

A test needs n ≥ ``MIN_N`` on both sides; those that run form one family
across steps × groups, adjusted with Holm's step-down method, and
``significant`` means Holm-adjusted p < ``ALPHA``. Tests with too few answers
are listed with ``p_adjusted`` null and ``significant`` false.

For ``compare=variant`` the step's earlier keys stay as they were
(``variants``, ``emotion`` and ``csat`` B − A with the unadjusted
``significant``, ``funnel``); ``by``, ``groups`` and ``tests`` are added.
"""

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.analytics import rollups
from collector.analytics.core import ALPHA, MIN_N, SEGMENT, raw_conditions, rollup_conditions, round_p, round_to
from collector.analytics.responses import response_filters
from collector.analytics.rollups import Sums
from collector.analytics.stats import Moments, holm, welch
from collector.common.errors import Invalid
from collector.models import Event, Journey, Response, StepRollup

MAX_GROUPS = 8
COLUMNS = ("variant", "device", "locale", "visitor_type")
ATTR = "attr:"
PATTERN = r"^(variant|device|locale|visitor_type|attr:[A-Za-z0-9_.-]{1,40})$"
Describe = Callable[[Sums, bool], dict[str, Any]]


def parse(compare: str) -> tuple[str, str | None]:
    """``("device", None)`` for ``device``, ``("attr", "plan")`` for ``attr:plan``."""
    if compare.startswith(ATTR) and compare[len(ATTR) :]:
        return "attr", compare[len(ATTR) :]
    if compare in COLUMNS:
        return compare, None
    raise Invalid("Compare by variant, device, locale, visitor_type or attr:NAME.", details={"compare": [compare]})


def check(filters: dict[str, Any]) -> None:
    """A dimension can be a filter or a comparison, not both (one group would be left)."""
    by, name = parse(filters["compare"])
    if by in COLUMNS and filters.get(by) is not None:
        raise Invalid(
            f"Filter by one {by} or compare by {by}, not both.", details={"compare": [f"Drop '{by}' to compare."]}
        )
    if by == "attr" and any(key == name for key, _ in filters.get("attr") or ()):
        raise Invalid(
            f"Filter by attribute {name} or compare by it, not both.",
            details={"compare": [f"Drop attr {name}:… to compare."]},
        )


def _column(model: Any, by: str, name: str | None) -> sa.ColumnElement | None:
    if by == "attr":
        return model.attributes[name].as_string() if model is Response else None
    return getattr(model, by)


def _queries(journey: Journey, filters: dict[str, Any], by: str, name: str | None, source: str) -> Iterable[sa.Select]:
    if source == "rollups" and by in SEGMENT:
        group = getattr(StepRollup, by).label("grp")
        yield (
            sa.select(
                StepRollup.step_id, group, *(sa.func.sum(getattr(StepRollup, c)).label(c) for c in rollups.COUNTERS)
            )
            .where(*rollup_conditions(StepRollup, journey.id, filters))
            .group_by(StepRollup.step_id, group)
        )
        return
    group = _column(Response, by, name).label("grp")
    yield (
        sa.select(Response.step_id, group, *rollups.response_sums())
        .where(Response.journey_id == journey.id, *response_filters(filters))
        .group_by(Response.step_id, group)
    )
    column = _column(Event, by, name)
    if column is not None and not filters.get("attr"):
        group = column.label("grp")
        yield (
            sa.select(Event.step_id, group, sa.func.count().label("impressions"))
            .where(Event.journey_id == journey.id, Event.type == "impression", *raw_conditions(Event, filters))
            .group_by(Event.step_id, group)
        )


def group_sums(
    session: Session, journey: Journey, filters: dict[str, Any], source: str
) -> tuple[str, dict[int, dict[str, Sums]]]:
    """Sums per step id and group, and where they came from (``rollups`` or ``raw``)."""
    by, name = parse(filters["compare"])
    used = "rollups" if source == "rollups" and by in SEGMENT else "raw"
    found: dict[int, dict[str, Sums]] = {}
    for query in _queries(journey, filters, by, name, used):
        for row in session.execute(query).mappings():
            if row["grp"] in (None, ""):
                continue
            sums = found.setdefault(row["step_id"], {}).setdefault(str(row["grp"]), rollups.zero_sums())
            for counter in rollups.COUNTERS:
                sums[counter] += row.get(counter) or 0
    return used, found


def choose_groups(found: dict[int, dict[str, Sums]], named: list[str] | None, by: str) -> list[str]:
    """The groups to compare: as named, else the largest (two for variants), in name order."""
    if named:
        return list(named)
    sizes: dict[str, float] = {}
    for per_group in found.values():
        for group, sums in per_group.items():
            sizes[group] = sizes.get(group, 0) + sums["n"]
    largest = sorted((g for g in sizes if sizes[g] > 0), key=lambda g: (-sizes[g], g))
    return sorted(largest[: 2 if by == "variant" else MAX_GROUPS])


def _moments(sums: Sums) -> Moments:
    return Moments(int(sums["n"]), float(sums["emotion_sum"]), float(sums["emotion_sq"]))


def _pairs(per_group: dict[str, Sums], groups: list[str]) -> list[tuple[str, str, Moments, Moments]]:
    """(group, against, its moments, the other side's) for one step."""
    moments = {g: _moments(per_group.get(g, rollups.zero_sums())) for g in groups}
    if len(groups) == 2:
        return [(groups[1], groups[0], moments[groups[1]], moments[groups[0]])]
    everyone = Moments(0, 0.0, 0.0)
    for g in groups:
        everyone = Moments(
            everyone.n + moments[g].n, everyone.total + moments[g].total, everyone.total_sq + moments[g].total_sq
        )
    return [(g, "rest", moments[g], everyone - moments[g]) for g in groups]


def step_tests(per_step: list[dict[str, Sums]], groups: list[str]) -> list[list[dict[str, Any]]]:
    """Per step, the emotion tests of the groups, Holm-adjusted across steps × groups."""
    tests: list[list[dict[str, Any]]] = [[] for _ in per_step]
    family = []
    for index, per_group in enumerate(per_step):
        for group, against, a, b in _pairs(per_group, groups):
            result = welch(a, b)
            if result is None:
                continue
            entry = {
                "metric": "emotion",
                "group": group,
                "against": against,
                "n": a.n,
                "n_against": b.n,
                "diff": round_to(result.diff),
                "ci_low": round_to(result.ci_low),
                "ci_high": round_to(result.ci_high),
                "t": round_to(result.statistic),
                "df": round_to(result.df, 1),
                "p_value": round_p(result.p_value),
                "p_adjusted": None,
                "significant": False,
            }
            tests[index].append(entry)
            if a.n >= MIN_N and b.n >= MIN_N:
                family.append((entry, result.p_value))
    for (entry, _), adjusted in zip(family, holm([p for _, p in family])):
        entry["p_adjusted"] = round_p(adjusted)
        entry["significant"] = adjusted < ALPHA
    return tests


def add_comparison(
    session: Session,
    journey: Journey,
    filters: dict[str, Any],
    source: str,
    items: list[dict[str, Any]],
    curve: dict[str, Any],
    describe: Describe,
    impressions_known: bool,
) -> None:
    """Add ``by``, ``groups`` and ``tests`` to each step's ``compare`` (``items`` in step order)
    and the comparison's summary to ``curve["compare"]``; see the module docstring."""
    check(filters)
    by, name = parse(filters["compare"])
    used, found = group_sums(session, journey, filters, source)
    if by == "variant" and curve.get("compare", {}).get("variants") is not None:
        groups = list(curve["compare"]["variants"])  # the variants the A/B keys were computed for
    else:
        groups = choose_groups(found, filters.get("groups"), by)
    step_ids = [step.id for step in journey.steps]
    per_step = [found.get(step_id, {}) for step_id in step_ids]
    known = impressions_known and by != "attr"
    tests = step_tests(per_step, groups)
    for item, per_group, step_test in zip(items, per_step, tests):
        block = item.setdefault("compare", {})
        block.update(
            {
                "by": filters["compare"],
                "groups": {g: describe(per_group.get(g, rollups.zero_sums()), known) for g in groups},
                "tests": step_test,
            }
        )
    summary = curve.setdefault("compare", {})
    summary.update(
        {
            "by": filters["compare"],
            "groups": groups,
            "source": used,
            "against": "rest" if len(groups) > 2 else (groups[0] if len(groups) == 2 else None),
            "test": "welch",
            "correction": "holm",
            "min_n": MIN_N,
            "alpha": ALPHA,
        }
    )
