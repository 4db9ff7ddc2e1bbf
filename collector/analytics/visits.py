"""Funnel sessions ("visits"): a browser session's journey events cut into
sessions by inactivity, and what each session adds to the funnel.

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
  ``retry`` event there. ``views`` and ``errors``: step views and error events.
* Time to completion: first event to first completion. Time on step: from a
  step view to the next step view or completion of the session; the last
  step of an abandoned session has no end and is not timed. Times are whole
  seconds, bucketed (exact below 2 minutes, 10 s steps below 20 minutes, whole
  minutes above).
* Emotion meets behaviour: a session *answered negatively* at a step when the
  mean emotion of its answers there (answers of the same ``session_id`` within
  the session's span plus the timeout) is below 0, *positively* above 0; it
  counts in ``negative`` / ``positive`` and, when it abandoned there, in
  ``negative_abandoned`` / ``positive_abandoned``.

``Totals`` sums visits by a key prefix: the rollups' (journey, day, segment),
or a read's variant.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.common.time import as_utc
from collector.models import Event, Response, Site, Step

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


# Built once with bind parameters, like the session queries of funnel_rollups: ingest runs them in every write.
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


# What the session reads select, here and at ingest (funnel_rollups).
EVENT_COLUMNS = (Event.session_id, Event.id, Event.created_at, Event.type, Event.step_id, Event.device, Event.locale, Event.variant)
ANSWER_COLUMNS = (Response.session_id, Response.id, Response.created_at, Response.step_id, Response.emotion)


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
    for row in session.execute(sa.select(*ANSWER_COLUMNS).where(*answer_scope)):
        replies[row[0]].append((row[2], row[3], row[4]))
    query = sa.select(*EVENT_COLUMNS).where(*event_scope).order_by(Event.session_id, Event.created_at, Event.id)
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
