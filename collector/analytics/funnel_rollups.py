"""The funnel's rollups: ``funnel_rollups`` (per step), ``funnel_journey_rollups``
(sessions, completions) and ``funnel_durations`` (time histograms), keyed by
journey, UTC day of the session's start and segment; written at ingest and
by rebuild (``collector.analytics.maintenance``), read for day-aligned windows.

Ingest recomputes each touched session from its stored events and answers
twice — without and with the rows just inserted — and adds the difference
(integers, so exact), serialised per session by the write lock (SQLite) or an
advisory lock (PostgreSQL). That way late, out-of-order and duplicate events
and sessions split or merged by a late event land exactly where a full
recomputation puts them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.analytics.core import SEGMENT, rollup_conditions
from collector.analytics.session_locks import lock_sessions
from collector.analytics.visits import (
    ANSWER_COLUMNS,
    EVENT_COLUMNS,
    FUNNEL_TYPES,
    JOURNEY_COUNTERS,
    READ_CHUNK,
    STEP_COUNTERS,
    AnswerRow,
    EventRow,
    JourneyCounts,
    StepCounts,
    Totals,
    answer_row,
    event_row,
    rollup_prefix,
    session_timeout,
    step_positions,
    visits_of,
)
from collector.common.database import dialect_name, session_rows_query, upsert_adding
from collector.models import Event, FunnelDuration, FunnelJourneyRollup, FunnelRollup, Journey, Response

# Built once with bind parameters: ingest runs them for every answer and event
# with a session id, and building them cost several times more than running them.
# One of each per dialect (True: PostgreSQL, see session_rows_query).
_SESSION_EVENTS = session_rows_query(EVENT_COLUMNS, Event.journey_id, Event.session_id, Event.type.in_(FUNNEL_TYPES))
_SESSION_ANSWERS = session_rows_query(ANSWER_COLUMNS, Response.journey_id, Response.session_id)


def update_sessions(
    session: Session, site_id: int, rows: Iterable[dict[str, Any]], new_ids: Collection[int], answers: bool = False
) -> None:
    """Bring the funnel rollups up to date after inserting ``rows`` (events, or answers
    with ``answers=True``) whose ids are ``new_ids``; in the caller's transaction."""
    touched = sorted(
        {
            (row["journey_id"], row["session_id"])
            for row in rows
            if row.get("session_id") and (answers or row.get("type") in FUNNEL_TYPES)
        }
    )
    if not touched or not new_ids:
        return
    pg = dialect_name(session) == "postgresql"
    lock_sessions(session, touched)  # concurrent ingests of one session see each other's rows in turn
    timeout = None
    new_events, new_answers = (set(), set(new_ids)) if answers else (set(new_ids), set())
    delta = Totals()
    by_journey: dict[int, list[str]] = defaultdict(list)
    for journey_id, session_id in touched:
        by_journey[journey_id].append(session_id)
    for journey_id, session_ids in by_journey.items():
        events: dict[str, list[EventRow]] = defaultdict(list)
        replies: dict[str, list[AnswerRow]] = defaultdict(list)
        for row in session.execute(_SESSION_EVENTS[pg], {"journey_id": journey_id, "session_ids": session_ids}):
            events[row.session_id].append(event_row(row))
        if not events:
            continue  # answers of sessions without funnel events add nothing
        timeout = timeout or session_timeout(session, site_id)
        positions = step_positions(session, journey_id)
        for row in session.execute(_SESSION_ANSWERS[pg], {"journey_id": journey_id, "session_ids": session_ids}):
            replies[row.session_id].append(answer_row(row))
        for session_id in session_ids:
            all_events, all_answers = events.get(session_id, []), replies.get(session_id, [])
            before_events = [event for event in all_events if event.id not in new_events]
            before_answers = [answer for answer in all_answers if answer.id not in new_answers]
            for visit in visits_of(before_events, before_answers, timeout, positions):
                delta.add((journey_id, *rollup_prefix(visit)), visit, -1)
            for visit in visits_of(all_events, all_answers, timeout, positions):
                delta.add((journey_id, *rollup_prefix(visit)), visit, 1)
    write_totals(session, site_id, delta.nonzero(), adding=True)


def write_totals(session: Session, site_id: int, totals: Totals, adding: bool) -> None:
    """Store totals keyed (journey_id, day, device, locale, variant, …): added to the
    rows there (ingest) or inserted into emptied ones (rebuild)."""
    plans = (
        (
            FunnelRollup.__table__,
            totals.steps,
            ("journey_id", "day", *SEGMENT, "step_id"),
            STEP_COUNTERS,
            ("journey_id", "day", "step_id", *SEGMENT),
        ),
        (
            FunnelJourneyRollup.__table__,
            totals.journeys,
            ("journey_id", "day", *SEGMENT),
            JOURNEY_COUNTERS,
            ("journey_id", "day", *SEGMENT),
        ),
        (
            FunnelDuration.__table__,
            {k: [v] for k, v in totals.durations.items()},
            ("journey_id", "day", *SEGMENT, "step_id", "seconds"),
            ("count",),
            ("journey_id", "day", "step_id", *SEGMENT, "seconds"),
        ),
    )
    for table, groups, names, counters, conflict in plans:
        rows = [
            {"site_id": site_id, **dict(zip(names, key)), **dict(zip(counters, values))}
            for key, values in sorted(groups.items())
        ]
        if adding:
            # Sorted like the unique key, so concurrent writers lock rows in one order.
            rows.sort(key=lambda row: tuple(row[name] for name in conflict))
            upsert_adding(session, table, rows, conflict, counters)
        else:
            for start in range(0, len(rows), READ_CHUNK):
                session.execute(sa.insert(table), rows[start : start + READ_CHUNK])


def read_rollups(session: Session, journey: Journey, filters: dict[str, Any], by_variant: bool) -> Totals:
    """Sums of the rollups for a day-aligned window and segment, keyed by (variant or None, …)."""
    totals = Totals()

    def variant_group(model) -> list:
        return [model.variant] if by_variant else []

    def prefix(row) -> tuple:
        return ((row.variant or None),) if by_variant else (None,)

    groups = [*variant_group(FunnelRollup), FunnelRollup.step_id]
    sums = [sa.func.sum(getattr(FunnelRollup, name)).label(name) for name in STEP_COUNTERS]
    query = sa.select(*groups, *sums).where(*rollup_conditions(FunnelRollup, journey.id, filters)).group_by(*groups)
    for row in session.execute(query):
        totals.steps[(*prefix(row), row.step_id)] = StepCounts(
            **{name: int(row._mapping[name] or 0) for name in STEP_COUNTERS}
        )
    groups = variant_group(FunnelJourneyRollup)
    query = sa.select(
        *groups,
        sa.func.sum(FunnelJourneyRollup.sessions).label("sessions"),
        sa.func.sum(FunnelJourneyRollup.completed).label("completed"),
    ).where(*rollup_conditions(FunnelJourneyRollup, journey.id, filters))
    if groups:
        query = query.group_by(*groups)
    for row in session.execute(query):
        if row.sessions is not None:
            totals.journeys[prefix(row)] = JourneyCounts(int(row.sessions), int(row.completed))
    groups = [*variant_group(FunnelDuration), FunnelDuration.step_id, FunnelDuration.seconds]
    query = (
        sa.select(*groups, sa.func.sum(FunnelDuration.count).label("durations"))
        .where(*rollup_conditions(FunnelDuration, journey.id, filters))
        .group_by(*groups)
    )
    for row in session.execute(query):
        totals.durations[(*prefix(row), row.step_id, row.seconds)] = int(row.durations)
    return totals.nonzero()
