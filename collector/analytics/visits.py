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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.common.time import as_utc
from collector.models import Event, Response, Site, Step

FUNNEL_TYPES = ("step_view", "journey_complete", "error", "retry")
DEFAULT_TIMEOUT_MINUTES = 30
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


class EventRow(NamedTuple):
    """A funnel event of a browser session, ``created_at`` in UTC (``event_row`` makes one from a select)."""

    id: int
    created_at: datetime
    type: str
    step_id: int
    device: str | None
    locale: str | None
    variant: str | None


class AnswerRow(NamedTuple):
    """An answer of a browser session: when (UTC), where and how it felt (``answer_row`` makes one from a select)."""

    id: int
    created_at: datetime
    step_id: int
    emotion: float


class StepTime(NamedTuple):
    """A timed stretch of a visit: at ``step_id`` (``COMPLETION``: the whole way to completion), bucketed seconds."""

    step_id: int
    seconds: int


@dataclass(slots=True)
class StepCounts:
    """What sessions did at one step: one visit's flags and counts, or sums of visits (module docstring)."""

    reached: int = 0
    continued: int = 0
    abandoned: int = 0
    retried: int = 0
    views: int = 0
    errors: int = 0
    negative: int = 0
    negative_abandoned: int = 0
    positive: int = 0
    positive_abandoned: int = 0

    def __iter__(self) -> Iterator[int]:
        """The counts in ``STEP_COUNTERS`` order, the rollup columns'."""
        return iter(
            (
                self.reached,
                self.continued,
                self.abandoned,
                self.retried,
                self.views,
                self.errors,
                self.negative,
                self.negative_abandoned,
                self.positive,
                self.positive_abandoned,
            )
        )

    def add(self, other: StepCounts, sign: int = 1) -> None:
        """Add (``sign=-1``: take away) another visit's or sum's counts."""
        self.reached += sign * other.reached
        self.continued += sign * other.continued
        self.abandoned += sign * other.abandoned
        self.retried += sign * other.retried
        self.views += sign * other.views
        self.errors += sign * other.errors
        self.negative += sign * other.negative
        self.negative_abandoned += sign * other.negative_abandoned
        self.positive += sign * other.positive
        self.positive_abandoned += sign * other.positive_abandoned


@dataclass(slots=True)
class JourneyCounts:
    """Sessions of a journey and how many of them completed it."""

    sessions: int = 0
    completed: int = 0

    def __iter__(self) -> Iterator[int]:
        """The counts in ``JOURNEY_COUNTERS`` order, the rollup columns'."""
        return iter((self.sessions, self.completed))


STEP_COUNTERS = tuple(counter.name for counter in fields(StepCounts))
JOURNEY_COUNTERS = tuple(counter.name for counter in fields(JourneyCounts))


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
    steps: dict[int, StepCounts] = field(default_factory=dict)
    durations: list[StepTime] = field(default_factory=list)
    first_view: dict[int, int] = field(default_factory=dict)  # step id -> index of its first view among the step views

    def step(self, step_id: int) -> StepCounts:
        """The counts at a step, created empty on first use."""
        counts = self.steps.get(step_id)
        if counts is None:
            counts = self.steps[step_id] = StepCounts()
        return counts


def visits_of(
    events: Iterable[EventRow], answers: Iterable[AnswerRow], timeout: timedelta, positions: dict[int, int]
) -> list[Visit]:
    """Split one browser session's journey events into sessions and measure each.

    ``events`` and ``answers`` in any order, their times in one convention
    (``event_row`` and ``answer_row`` give UTC, once per row read).
    """
    ordered = sorted(events, key=lambda event: (event.created_at, event.id))
    runs: list[list[EventRow]] = []
    for event in ordered:
        if runs and event.created_at - runs[-1][-1].created_at <= timeout:
            runs[-1].append(event)
        else:
            runs.append([event])
    visits = [_measure(run, positions) for run in runs]
    if answers and visits:
        _attach_answers(visits, answers, timeout)
    return visits


def _measure(run: list[EventRow], positions: dict[int, int]) -> Visit:
    first = run[0]
    visit = Visit(first.created_at, run[-1].created_at, first.device or "", first.locale or "", first.variant or "")
    views = [event for event in run if event.type == "step_view"]
    completions = [event for event in run if event.type == "journey_complete"]
    visit.counted = bool(views or completions)
    visit.completed = bool(completions)
    last_view_step = views[-1].step_id if views else None
    for order, event in enumerate(views):
        counts = visit.step(event.step_id)
        counts.views += 1
        if not counts.reached:
            counts.reached = 1
            visit.first_view[event.step_id] = order
    for step_id, order in visit.first_view.items():
        counts = visit.steps[step_id]
        position = positions.get(step_id, -1)
        later = any(positions.get(event.step_id, -1) > position for event in views[order + 1 :])
        counts.continued = int(visit.completed or later)
        counts.abandoned = int(not visit.completed and step_id == last_view_step)
        counts.retried = int(counts.views > 1)
    for event in run:
        if event.type == "error":
            visit.step(event.step_id).errors += 1
        elif event.type == "retry" and event.step_id in visit.first_view:
            visit.steps[event.step_id].retried = 1
    entries = [event for event in run if event.type in ("step_view", "journey_complete")]
    for current, following in zip(entries, entries[1:]):
        if current.type == "step_view":
            visit.durations.append(
                StepTime(current.step_id, bucket_seconds((following.created_at - current.created_at).total_seconds()))
            )
    if completions:
        visit.durations.append(
            StepTime(COMPLETION, bucket_seconds((completions[0].created_at - first.created_at).total_seconds()))
        )
    return visit


def _attach_answers(visits: list[Visit], answers: Iterable[AnswerRow], timeout: timedelta) -> None:
    emotions: dict[tuple[int, int], list[float]] = defaultdict(list)  # (visit index, step id) -> emotions
    for answer in answers:
        for index, visit in enumerate(visits):
            if visit.start <= answer.created_at <= visit.end + timeout:
                emotions[(index, answer.step_id)].append(float(answer.emotion))
                break
    for (index, step_id), values in emotions.items():
        visit = visits[index]
        if step_id not in visit.first_view:
            continue
        counts = visit.steps[step_id]
        mean = sum(values) / len(values)
        if mean < 0:
            counts.negative, counts.negative_abandoned = 1, counts.abandoned
        elif mean > 0:
            counts.positive, counts.positive_abandoned = 1, counts.abandoned


@dataclass
class Totals:
    """Funnel sums of visits grouped by a key prefix (journey, day and segment in the
    rollups; the variant or None in a read): ``steps`` by (*prefix, step id),
    ``journeys`` by the prefix, ``durations`` counts by (*prefix, step id, seconds)."""

    steps: dict[tuple, StepCounts] = field(default_factory=dict)
    journeys: dict[tuple, JourneyCounts] = field(default_factory=dict)
    durations: dict[tuple, int] = field(default_factory=dict)

    def add(self, prefix: tuple, visit: Visit, sign: int = 1) -> None:
        """Add (``sign=-1``: take away) what a visit adds under ``prefix``."""
        if visit.counted:
            journey = self.journeys.get(prefix)
            if journey is None:
                journey = self.journeys[prefix] = JourneyCounts()
            journey.sessions += sign
            journey.completed += sign * int(visit.completed)
        for step_id, counts in visit.steps.items():
            key = (*prefix, step_id)
            entry = self.steps.get(key)
            if entry is None:
                entry = self.steps[key] = StepCounts()
            entry.add(counts, sign)
        for step_id, seconds in visit.durations:
            key = (*prefix, step_id, seconds)
            self.durations[key] = self.durations.get(key, 0) + sign

    def nonzero(self) -> Totals:
        """The same sums without all-zero entries (left where a session moved away)."""
        return Totals(
            {k: v for k, v in self.steps.items() if any(v)},
            {k: v for k, v in self.journeys.items() if any(v)},
            {k: v for k, v in self.durations.items() if v},
        )


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


# What the session reads select, here and at ingest (funnel_rollups): the session id, then the
# fields of EventRow / AnswerRow.
EVENT_COLUMNS = (
    Event.session_id,
    Event.id,
    Event.created_at,
    Event.type,
    Event.step_id,
    Event.device,
    Event.locale,
    Event.variant,
)
ANSWER_COLUMNS = (Response.session_id, Response.id, Response.created_at, Response.step_id, Response.emotion)


def event_row(row: Sequence[Any]) -> EventRow:
    """A row selected with ``EVENT_COLUMNS`` as an EventRow in UTC (SQLite hands back naive UTC)."""
    _, event_id, created_at, event_type, step_id, device, locale, variant = row
    return EventRow(event_id, as_utc(created_at), event_type, step_id, device, locale, variant)


def answer_row(row: Sequence[Any]) -> AnswerRow:
    """A row selected with ``ANSWER_COLUMNS`` as an AnswerRow in UTC."""
    _, answer_id, created_at, step_id, emotion = row
    return AnswerRow(answer_id, as_utc(created_at), step_id, emotion)


def raw_visits(
    session: Session,
    journey_id: int,
    timeout: timedelta,
    positions: dict[int, int],
    touching: sa.ColumnElement[bool] | None = None,
    answers_touching: sa.ColumnElement[bool] | None = None,
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
    replies: dict[str, list[AnswerRow]] = defaultdict(list)
    for row in session.execute(sa.select(*ANSWER_COLUMNS).where(*answer_scope)):
        replies[row.session_id].append(answer_row(row))
    query = sa.select(*EVENT_COLUMNS).where(*event_scope).order_by(Event.session_id, Event.created_at, Event.id)
    result = session.execute(query.execution_options(yield_per=READ_CHUNK))
    current, batch = None, []
    for row in result:
        if row.session_id != current:
            if batch:
                yield from visits_of(batch, replies.get(current, ()), timeout, positions)
            current, batch = row.session_id, []
        batch.append(event_row(row))
    if batch:
        yield from visits_of(batch, replies.get(current, ()), timeout, positions)
