"""The funnel of a journey: how sessions move through its steps, beside how they feel.

Definitions (full write-up with examples: ``docs/funnel.md``):

* Only events with a ``session_id`` of the types ``step_view``,
  ``journey_complete``, ``error`` and ``retry`` count. Per journey, a browser
  session's events, in time order (ties by id, i.e. arrival), form *sessions*
  split by inactivity: an event more than ``session_timeout_minutes`` (site
  setting, default 30) after the previous one starts a new session. A session
  counts when it has a step view or a completion; its day and segment (device,
  locale, variant) are those of its first event.
* ``reached``: sessions with a view of the step. ``continued``: of those, the
  ones that afterwards viewed a step placed later in the journey or completed
  it (skipping optional steps counts as continuing). ``abandoned``: sessions
  that did not complete and whose last step view was this step.
  ``retried``: sessions that entered the step more than once or sent a
  ``retry`` event there. ``error_rate``: error events / step views.
* Completion rate: completed sessions (with a ``journey_complete``) / sessions.
  Time to completion: first event to first completion. Time on step: from a
  step view to the next step view or completion of the session; the last
  step of an abandoned session has no end and is not timed.
* Times are whole seconds, bucketed (exact below 2 minutes, 10 s steps below
  20 minutes, whole minutes above); medians and p90 are nearest-rank over the
  buckets, the same from the rollups as from the raw events.
* Rates carry 95% Wilson intervals; variant comparisons B − A use the
  two-proportion z-test (as the curve's CSAT comparison).
* Emotion meets behaviour: a session *answered negatively* at a step when the
  mean emotion of its answers there (answers of the same ``session_id`` within
  the session's span plus the timeout) is below 0, *positively* above 0. The
  abandonment of both groups at the step is compared (negative − positive).

Rollups: ``funnel_rollups`` (per step), ``funnel_journey_rollups`` (sessions,
completions) and ``funnel_durations`` (time histograms), keyed by journey, UTC
day of the session's start and segment. Ingest recomputes each touched
session from its stored events and answers twice — without and with the rows
just inserted — and adds the difference (integers, so exact), serialised per
session by the write lock (SQLite) or an advisory lock (PostgreSQL). That way
late, out-of-order and duplicate events and sessions split or merged by a
late event land exactly where a full recomputation puts them.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.analytics.core import (ALPHA, EXTRA_FILTERS, SEGMENT, day_aligned, in_segment, large_enough, rate,
                                      rollup_conditions, share_difference, time_window)
from collector.analytics.stats import holm_adjusted
from collector.common.database import dialect_name, upsert_adding
from collector.common.time import as_utc
from collector.models import (Event, FunnelDuration, FunnelJourneyRollup, FunnelRollup, Journey, Response, Site,
                              Step)

FUNNEL_TYPES = ("step_view", "journey_complete", "error", "retry")
DEFAULT_TIMEOUT_MINUTES = 30
STEP_COUNTERS = ("reached", "continued", "abandoned", "retried", "views", "errors",
                 "negative", "negative_abandoned", "positive", "positive_abandoned")
JOURNEY_COUNTERS = ("sessions", "completed")
COMPLETION = 0  # step_id of time-to-completion rows in funnel_durations
READ_CHUNK = 20_000


def bucket_seconds(seconds: float) -> int:
    """A duration in whole seconds at the funnel's resolution (see the module docstring)."""
    whole = max(0, int(seconds))
    if whole < 120:
        return whole
    if whole < 1200:
        return whole - whole % 10
    return whole - whole % 60


@dataclass
class Visit:
    """One session of one journey: what it adds to the funnel."""

    start: datetime
    end: datetime
    device: str
    locale: str
    variant: str
    counted: bool = False
    completed: bool = False
    steps: dict[int, list[int]] = field(default_factory=dict)
    durations: list[tuple[int, int]] = field(default_factory=list)
    first_view: dict[int, int] = field(default_factory=dict)

    def step(self, step_id: int) -> list[int]:
        return self.steps.setdefault(step_id, [0] * len(STEP_COUNTERS))


R, C, A, T, V, E, NEG, NEG_A, POS, POS_A = range(len(STEP_COUNTERS))


def visits_of(events: list[tuple], answers: list[tuple], timeout: timedelta, positions: dict[int, int]) -> list[Visit]:
    """Split one browser session's journey events into sessions and measure each.

    ``events``: (id, created_at, type, step_id, device, locale, variant);
    ``answers``: (created_at, step_id, emotion); any order.
    """
    ordered = sorted(((as_utc(e[1]), e[0], e[2], e[3], e[4], e[5], e[6]) for e in events), key=lambda e: (e[0], e[1]))
    runs: list[list[tuple]] = []
    for event in ordered:
        if runs and event[0] - runs[-1][-1][0] <= timeout:
            runs[-1].append(event)
        else:
            runs.append([event])
    visits = [_measure(run, positions) for run in runs]
    if answers and visits:
        _attach_answers(visits, answers, timeout)
    return visits


def _measure(run: list[tuple], positions: dict[int, int]) -> Visit:
    first = run[0]
    visit = Visit(first[0], run[-1][0], first[4] or "", first[5] or "", first[6] or "")
    views = [(index, event) for index, event in enumerate(run) if event[2] == "step_view"]
    completions = [event for event in run if event[2] == "journey_complete"]
    visit.counted = bool(views or completions)
    visit.completed = bool(completions)
    last_view_step = views[-1][1][3] if views else None
    for order, (index, event) in enumerate(views):
        step_id = event[3]
        counters = visit.step(step_id)
        counters[V] += 1
        if not counters[R]:
            counters[R] = 1
            visit.first_view[step_id] = order
    for step_id, order in visit.first_view.items():
        counters = visit.steps[step_id]
        position = positions.get(step_id, -1)
        later = any(positions.get(event[3], -1) > position for _, event in views[order + 1:])
        counters[C] = int(visit.completed or later)
        counters[A] = int(not visit.completed and step_id == last_view_step)
        counters[T] = int(counters[V] > 1)
    for event in run:
        if event[2] == "error":
            visit.step(event[3])[E] += 1
        elif event[2] == "retry" and event[3] in visit.first_view:
            visit.steps[event[3]][T] = 1
    entries = [event for event in run if event[2] in ("step_view", "journey_complete")]
    for current, following in zip(entries, entries[1:]):
        if current[2] == "step_view":
            visit.durations.append((current[3], bucket_seconds((following[0] - current[0]).total_seconds())))
    if completions:
        visit.durations.append((COMPLETION, bucket_seconds((completions[0][0] - first[0]).total_seconds())))
    return visit


def _attach_answers(visits: list[Visit], answers: list[tuple], timeout: timedelta) -> None:
    emotions: dict[tuple[int, int], list[float]] = defaultdict(list)
    for created_at, step_id, emotion in answers:
        moment = as_utc(created_at)
        for index, visit in enumerate(visits):
            if visit.start <= moment <= visit.end + timeout:
                emotions[(index, step_id)].append(float(emotion))
                break
    for (index, step_id), values in emotions.items():
        visit = visits[index]
        if step_id not in visit.first_view:
            continue
        counters = visit.steps[step_id]
        mean = sum(values) / len(values)
        if mean < 0:
            counters[NEG], counters[NEG_A] = 1, counters[A]
        elif mean > 0:
            counters[POS], counters[POS_A] = 1, counters[A]


@dataclass
class Totals:
    """Funnel sums grouped by a key prefix (e.g. day and segment, or variant)."""

    steps: dict[tuple, list[int]] = field(default_factory=dict)
    journeys: dict[tuple, list[int]] = field(default_factory=dict)
    durations: dict[tuple, int] = field(default_factory=dict)

    def add(self, prefix: tuple, visit: Visit, sign: int = 1) -> None:
        if visit.counted:
            entry = self.journeys.setdefault(prefix, [0, 0])
            entry[0] += sign
            entry[1] += sign * int(visit.completed)
        for step_id, counters in visit.steps.items():
            entry = self.steps.setdefault((*prefix, step_id), [0] * len(STEP_COUNTERS))
            for index, value in enumerate(counters):
                entry[index] += sign * value
        for step_id, seconds in visit.durations:
            key = (*prefix, step_id, seconds)
            self.durations[key] = self.durations.get(key, 0) + sign

    def nonzero(self) -> Totals:
        return Totals({k: v for k, v in self.steps.items() if any(v)}, {k: v for k, v in self.journeys.items() if any(v)},
                      {k: v for k, v in self.durations.items() if v})


def rollup_prefix(visit: Visit) -> tuple:
    """The rollup key of a visit: UTC day of its start and its segment."""
    return visit.start.date(), visit.device, visit.locale, visit.variant


# Built once with bind parameters, like the session queries below: ingest runs them in every write.
_SITE_SETTINGS = sa.select(Site.settings).where(Site.id == sa.bindparam("site_id"))
_STEP_POSITIONS = sa.select(Step.id, Step.position).where(Step.journey_id == sa.bindparam("journey_id"))


def timeout_of(settings: dict[str, Any]) -> timedelta:
    """The inactivity that ends a session, from a site's settings (the one place of the default)."""
    return timedelta(minutes=settings.get("session_timeout_minutes") or DEFAULT_TIMEOUT_MINUTES)


def session_timeout(session: Session, site_id: int) -> timedelta:
    """A site's session timeout, read with a prepared query (ingest asks on every write)."""
    return timeout_of(session.scalar(_SITE_SETTINGS, {"site_id": site_id}) or {})


def step_positions(session: Session, journey_id: int) -> dict[int, int]:
    """Step id -> position in the journey: what "later in the journey" means for continuing."""
    return dict(session.execute(_STEP_POSITIONS, {"journey_id": journey_id}).all())


_EVENT_COLUMNS = (Event.session_id, Event.id, Event.created_at, Event.type, Event.step_id, Event.device, Event.locale, Event.variant)
_ANSWER_COLUMNS = (Response.session_id, Response.id, Response.created_at, Response.step_id, Response.emotion)
# Built once with bind parameters: ingest runs them for every answer and event
# with a session id, and building them cost several times more than running them.
_SESSION_EVENTS = sa.select(*_EVENT_COLUMNS).where(
    Event.journey_id == sa.bindparam("journey_id"),
    Event.session_id.in_(sa.bindparam("session_ids", expanding=True)),
    Event.type.in_(FUNNEL_TYPES),
)
_SESSION_ANSWERS = sa.select(*_ANSWER_COLUMNS).where(
    Response.journey_id == sa.bindparam("journey_id"),
    Response.session_id.in_(sa.bindparam("session_ids", expanding=True)),
)


# --- Ingest: recompute the touched sessions, add the difference ---------------------------------------


def _lock_key(journey_id: int, session_id: str) -> int:
    digest = hashlib.blake2b(f"funnel:{journey_id}:{session_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def update_sessions(session: Session, site_id: int, rows: Iterable[dict[str, Any]], new_ids: Collection[int],
                    answers: bool = False) -> None:
    """Bring the funnel rollups up to date after inserting ``rows`` (events, or answers
    with ``answers=True``) whose ids are ``new_ids``; in the caller's transaction."""
    touched = sorted({(row["journey_id"], row["session_id"]) for row in rows
                      if row.get("session_id") and (answers or row.get("type") in FUNNEL_TYPES)})
    if not touched or not new_ids:
        return
    if dialect_name(session) == "postgresql":
        # Concurrent ingests of one session must see each other's rows in turn (see docstring).
        keys = sorted({_lock_key(*key) for key in touched})
        session.execute(sa.text("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(CAST(:keys AS bigint[])) AS k"),
                        {"keys": keys})
    timeout = None
    new_events, new_answers = (set(), set(new_ids)) if answers else (set(new_ids), set())
    delta = Totals()
    by_journey: dict[int, list[str]] = defaultdict(list)
    for journey_id, session_id in touched:
        by_journey[journey_id].append(session_id)
    for journey_id, session_ids in by_journey.items():
        events: dict[str, list[tuple]] = defaultdict(list)
        replies: dict[str, list[tuple]] = defaultdict(list)
        for row in session.execute(_SESSION_EVENTS, {"journey_id": journey_id, "session_ids": session_ids}):
            events[row[0]].append(tuple(row[1:]))
        if not events:
            continue  # answers of sessions without funnel events add nothing
        timeout = timeout or session_timeout(session, site_id)
        positions = step_positions(session, journey_id)
        for row in session.execute(_SESSION_ANSWERS, {"journey_id": journey_id, "session_ids": session_ids}):
            replies[row[0]].append(tuple(row[1:]))
        for session_id in session_ids:
            all_events, all_answers = events.get(session_id, []), replies.get(session_id, [])
            before_events = [e for e in all_events if e[0] not in new_events]
            before_answers = [a[1:] for a in all_answers if a[0] not in new_answers]
            for visit in visits_of(before_events, before_answers, timeout, positions):
                delta.add((journey_id, *rollup_prefix(visit)), visit, -1)
            for visit in visits_of(all_events, [a[1:] for a in all_answers], timeout, positions):
                delta.add((journey_id, *rollup_prefix(visit)), visit, 1)
    write_totals(session, site_id, delta.nonzero(), adding=True)


def write_totals(session: Session, site_id: int, totals: Totals, adding: bool) -> None:
    """Store totals keyed (journey_id, day, device, locale, variant, …): added to the
    rows there (ingest) or inserted into emptied ones (rebuild)."""
    plans = (
        (FunnelRollup.__table__, totals.steps, ("journey_id", "day", *SEGMENT, "step_id"), STEP_COUNTERS,
         ("journey_id", "day", "step_id", *SEGMENT)),
        (FunnelJourneyRollup.__table__, totals.journeys, ("journey_id", "day", *SEGMENT), JOURNEY_COUNTERS,
         ("journey_id", "day", *SEGMENT)),
        (FunnelDuration.__table__, {k: [v] for k, v in totals.durations.items()},
         ("journey_id", "day", *SEGMENT, "step_id", "seconds"), ("count",),
         ("journey_id", "day", "step_id", *SEGMENT, "seconds")),
    )
    for table, groups, names, counters, conflict in plans:
        rows = [{"site_id": site_id, **dict(zip(names, key)), **dict(zip(counters, values))}
                for key, values in sorted(groups.items())]
        if adding:
            # Sorted like the unique key, so concurrent writers lock rows in one order.
            rows.sort(key=lambda row: tuple(row[name] for name in conflict))
            upsert_adding(session, table, rows, conflict, counters)
        else:
            for start in range(0, len(rows), READ_CHUNK):
                session.execute(sa.insert(table), rows[start:start + READ_CHUNK])


# --- Recomputing from the raw events -----------------------------------------------------------------


def raw_visits(session: Session, journey_id: int, timeout: timedelta, positions: dict[int, int],
               touching: sa.ColumnElement[bool] | None = None, answers_touching: sa.ColumnElement[bool] | None = None
               ) -> Iterator[Visit]:
    """Every session of a journey (or of the browser sessions with an event matching
    ``touching`` or an answer matching ``answers_touching``), from the raw rows: one
    ordered scan of the events, answers looked up by session."""
    event_scope = [Event.journey_id == journey_id, Event.session_id.is_not(None), Event.type.in_(FUNNEL_TYPES)]
    answer_scope = [Response.journey_id == journey_id, Response.session_id.is_not(None)]
    if touching is not None:
        sessions = sa.select(Event.session_id).where(*event_scope, touching)
        if answers_touching is not None:
            sessions = sessions.union(sa.select(Response.session_id).where(*answer_scope, answers_touching))
        event_scope.append(Event.session_id.in_(sessions))
        answer_scope.append(Response.session_id.in_(sessions))
    replies: dict[str, list[tuple]] = defaultdict(list)
    for row in session.execute(sa.select(*_ANSWER_COLUMNS).where(*answer_scope)):
        replies[row[0]].append((row[2], row[3], row[4]))
    query = sa.select(*_EVENT_COLUMNS).where(*event_scope).order_by(Event.session_id, Event.created_at, Event.id)
    result = session.execute(query.execution_options(yield_per=READ_CHUNK))
    current, batch = None, []
    for row in result:
        if row[0] != current:
            if batch:
                yield from visits_of(batch, replies.get(current, ()), timeout, positions)
            current, batch = row[0], []
        batch.append(tuple(row[1:]))
    if batch:
        yield from visits_of(batch, replies.get(current, ()), timeout, positions)


# --- Reading: totals for a window and segment ---------------------------------------------------------


IGNORED_FILTERS = EXTRA_FILTERS  # sessions are segmented by their first event's device, locale and variant only


def _read_rollups(session: Session, journey: Journey, filters: dict[str, Any], by_variant: bool) -> Totals:
    totals = Totals()

    def grouping(model) -> list:
        return [model.variant] if by_variant else []

    def prefix(row, width: int) -> tuple:
        return ((row[0] or None),) if by_variant else (None,)

    groups = [*grouping(FunnelRollup), FunnelRollup.step_id]
    query = sa.select(*groups, *(sa.func.sum(getattr(FunnelRollup, c)) for c in STEP_COUNTERS)).where(
        *rollup_conditions(FunnelRollup, journey.id, filters)).group_by(*groups)
    for row in session.execute(query):
        totals.steps[(*prefix(row, 1), row[len(groups) - 1])] = [int(v or 0) for v in row[len(groups):]]
    groups = grouping(FunnelJourneyRollup)
    query = sa.select(*groups, sa.func.sum(FunnelJourneyRollup.sessions), sa.func.sum(FunnelJourneyRollup.completed)).where(
        *rollup_conditions(FunnelJourneyRollup, journey.id, filters))
    if groups:
        query = query.group_by(*groups)
    for row in session.execute(query):
        if row[-2] is not None:
            totals.journeys[prefix(row, 0)] = [int(row[-2]), int(row[-1])]
    groups = [*grouping(FunnelDuration), FunnelDuration.step_id, FunnelDuration.seconds]
    query = sa.select(*groups, sa.func.sum(FunnelDuration.count)).where(
        *rollup_conditions(FunnelDuration, journey.id, filters)).group_by(*groups)
    for row in session.execute(query):
        totals.durations[(*prefix(row, 2), row[-3], row[-2])] = int(row[-1])
    return totals.nonzero()


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
    reader = _read_rollups if source == "rollups" else _read_raw
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
