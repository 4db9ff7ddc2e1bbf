"""Behavioural friction per step: which sessions showed which signal where, kept exact at ingest.

Definitions (full write-up with thresholds: ``docs/friction.md``):

* A *session* is one browser session id (``session_id``) in one journey. Only
  sessions with a ``step_view`` count; a step counts for a session when the session
  viewed it (``view``), and a signal counts only at a step the session viewed, so a
  share never exceeds 1.
* Signals: the widget's ``rage_click``, ``dead_click``, ``error_click``,
  ``js_error`` and ``form_error`` events, and ``quick_back``, derived here: the
  session's step views (consecutive views of one step merged) go P → Q → P with P
  placed before Q in the journey and the return within ``QUICK_BACK_SECONDS`` of
  arriving at Q; the signal belongs to Q, the step the session left. ``any``: the
  session showed at least one signal at the step (the step's friction index).
* Every row of a session has its day and segment: the UTC day, device, locale and
  variant of the session's first (friction or step) event in the journey, as the
  funnel does, so "with" and "without" a signal always split the same sessions.
* Per session and step: ``abandoned`` when the session did not complete the journey
  and its last step view was this step; ``answered`` when it answered a prompt there;
  ``negative`` when the mean emotion of those answers is below 0.

Storage: ``friction_sessions`` holds one row per (journey, session, step, signal)
with those flags; ``friction_rollups`` sums them per journey, step, signal, day and
segment. Ingest recomputes each touched session from all its stored events and
answers (the rows just inserted included), compares with its stored rows and writes
the difference: integers, so late, queued and duplicate events land where a full
recomputation puts them. A PostgreSQL advisory lock per session, shared with the
funnel (``session_locks``), serialises concurrent writers of one session (SQLite
has one writer).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from collector.analytics.maintenance import journeys_in_scope
from collector.analytics.session_locks import lock_sessions
from collector.analytics.visits import EVENT_COLUMNS
from collector.common.database import Bind, as_date, dialect_name, session_rows_query, upsert_adding
from collector.common.time import as_utc
from collector.common.vocabulary import FRICTION_SIGNALS
from collector.models import Event, FrictionRollup, FrictionSession, Response, Step

WIDGET_SIGNALS = FRICTION_SIGNALS[:5]
RELEVANT_TYPES = ("step_view", "journey_complete", *WIDGET_SIGNALS)
QUICK_BACK_SECONDS = 10
VIEW, ANY = "view", "any"
KEY_COLUMNS = ("day", "device", "locale", "variant")
FLAGS = ("abandoned", "answered", "negative")
ROLLUP_COUNTERS = ("sessions", *FLAGS)


@dataclass(frozen=True)
class SessionRow:
    """What one session contributes for one step and signal."""

    step_id: int
    signal: str
    day: date
    device: str
    locale: str
    variant: str
    abandoned: int
    answered: int
    negative: int
    first_at: datetime


def session_rows(events: Iterable[tuple], answers: Iterable[tuple], positions: dict[int, int]) -> list[SessionRow]:
    """Recompute one session's rows from its events and answers.

    ``events``: (id, created_at, type, step_id, device, locale, variant) of
    ``RELEVANT_TYPES``; ``answers``: (created_at, step_id, emotion); any order.
    """
    ordered = sorted(((as_utc(e[1]), e[0], *e[2:]) for e in events), key=lambda e: (e[0], e[1]))
    views = [e for e in ordered if e[2] == "step_view"]
    if not views:
        return []
    first = ordered[0]
    key = (first[0].date(), first[4] or "", first[5] or "", first[6] or "")
    completed = any(e[2] == "journey_complete" for e in ordered)
    last_step = views[-1][3]
    emotions: dict[int, list[float]] = defaultdict(list)
    for _created_at, step_id, emotion in answers:
        if emotion is not None:
            emotions[step_id].append(float(emotion))
    signals: dict[int, set[str]] = defaultdict(set)
    viewed = {e[3] for e in views}
    for event in ordered:
        if event[2] in WIDGET_SIGNALS and event[3] in viewed:
            signals[event[3]].add(event[2])
    for step_id in quick_backs(views, positions):
        signals[step_id].add("quick_back")
    rows = []
    for step_id in sorted(viewed):
        values = emotions.get(step_id, [])
        flags = (
            int(not completed and step_id == last_step),
            int(bool(values)),
            int(bool(values) and sum(values) / len(values) < 0),
        )
        names = [VIEW, *sorted(signals.get(step_id, ())), *([ANY] if signals.get(step_id) else [])]
        rows += [SessionRow(step_id, name, *key, *flags, first[0]) for name in names]
    return rows


def quick_backs(views: list[tuple], positions: dict[int, int]) -> set[int]:
    """Steps a session left by going back to the step before within QUICK_BACK_SECONDS
    (``views`` in time order: (created_at, id, type, step_id, ...))."""
    entries: list[tuple] = []
    for view in views:
        if not entries or entries[-1][3] != view[3]:
            entries.append(view)  # a reload of the same step is no move
    left = set()
    for before, current, after in zip(entries, entries[1:], entries[2:]):
        went_back = after[3] == before[3] and positions.get(before[3], -1) < positions.get(current[3], -1)
        if went_back and (after[0] - current[0]).total_seconds() <= QUICK_BACK_SECONDS:
            left.add(current[3])
    return left


# --- Ingest ------------------------------------------------------------------------------------------

# Built once per dialect (True: PostgreSQL), with bind parameters.
_SESSION_EVENTS = session_rows_query(EVENT_COLUMNS, Event.journey_id, Event.session_id, Event.type.in_(RELEVANT_TYPES))
_SESSION_ANSWERS = session_rows_query(
    (Response.session_id, Response.created_at, Response.step_id, Response.emotion),
    Response.journey_id,
    Response.session_id,
)
_STORED = session_rows_query(
    (
        FrictionSession.session_id,
        FrictionSession.step_id,
        FrictionSession.signal,
        *(FrictionSession.__table__.c[name] for name in (*KEY_COLUMNS, *FLAGS)),
    ),
    FrictionSession.journey_id,
    FrictionSession.session_id,
)
_POSITIONS = sa.select(Step.id, Step.position).where(Step.journey_id == sa.bindparam("journey_id"))


def update_sessions(conn: Bind, site_id: int, rows: Iterable[dict[str, Any]], answers: bool = False) -> None:
    """Bring friction up to date after inserting ``rows`` (events, or answers with
    ``answers=True``); in the caller's transaction."""
    touched = sorted(
        {
            (row["journey_id"], row["session_id"])
            for row in rows
            if row.get("session_id") and (answers or row.get("type") in RELEVANT_TYPES)
        }
    )
    if touched:
        reconcile(conn, site_id, touched, adding=True)


def reconcile(conn: Bind, site_id: int, touched: Iterable[tuple[int, str]], adding: bool = False) -> None:
    """Recompute the (journey id, session id) sessions and write what changed to
    ``friction_sessions`` and ``friction_rollups`` (used by ingest, erasure and retention).

    ``adding``: only rows were added since the sessions were last reconciled
    (ingest). A session's stored rows come from its events, so a journey whose
    sessions have no relevant events then has none to compare with, and its read
    is skipped: one statement less for the answers of sessions without events.
    """
    touched = sorted(set(touched))
    if not touched:
        return
    lock_sessions(conn, touched)
    by_journey: dict[int, list[str]] = defaultdict(list)
    for journey_id, session_id in touched:
        by_journey[journey_id].append(session_id)
    delta: dict[tuple, list[int]] = {}
    for journey_id, session_ids in by_journey.items():
        wanted = _recompute(conn, journey_id, session_ids)
        if wanted is None and adding:
            continue
        wanted = wanted or {}
        stored = _stored_sessions(conn, journey_id, session_ids)
        gone = [key for key in stored if wanted.get(key) != stored[key]]
        fresh = [key for key in wanted if wanted[key] != stored.get(key)]
        for key in gone:
            _count(delta, journey_id, key, stored[key], -1)
        for key in fresh:
            _count(delta, journey_id, key, wanted[key], 1)
        table = FrictionSession.__table__
        for session_id, step_id, signal in gone:
            conn.execute(
                sa.delete(table).where(
                    table.c.journey_id == journey_id,
                    table.c.session_id == session_id,
                    table.c.step_id == step_id,
                    table.c.signal == signal,
                )
            )
        if fresh:
            conn.execute(
                sa.insert(table), [_session_values(site_id, journey_id, key, wanted[key]) for key in sorted(fresh)]
            )
    _write_delta(conn, site_id, delta)


def _recompute(conn: Bind, journey_id: int, session_ids: list[str]) -> dict[tuple, tuple] | None:
    """The rows the sessions should have; None when none of them has a relevant event."""
    events: dict[str, list[tuple]] = defaultdict(list)
    replies: dict[str, list[tuple]] = defaultdict(list)
    pg = dialect_name(conn) == "postgresql"
    for row in conn.execute(_SESSION_EVENTS[pg], {"journey_id": journey_id, "session_ids": session_ids}):
        events[row[0]].append(tuple(row[1:]))
    if not events:  # only sessions with events have friction rows to compute (see session_rows)
        return None
    for row in conn.execute(_SESSION_ANSWERS[pg], {"journey_id": journey_id, "session_ids": sorted(events)}):
        replies[row[0]].append(tuple(row[1:]))
    positions = dict(conn.execute(_POSITIONS, {"journey_id": journey_id}).all())
    wanted = {}
    for session_id, session_events in events.items():
        for row in session_rows(session_events, replies.get(session_id, []), positions):
            wanted[(session_id, row.step_id, row.signal)] = _values(row)
    return wanted


def _values(row: SessionRow) -> tuple:
    return (row.day, row.device, row.locale, row.variant, row.abandoned, row.answered, row.negative)


def _stored_sessions(conn: Bind, journey_id: int, session_ids: list[str]) -> dict[tuple, tuple]:
    query = _STORED[dialect_name(conn) == "postgresql"]
    rows = conn.execute(query, {"journey_id": journey_id, "session_ids": session_ids})
    return {(row[0], row[1], row[2]): (as_date(row[3]), *row[4:]) for row in rows}


def _session_values(site_id: int, journey_id: int, key: tuple, values: tuple) -> dict[str, Any]:
    return {
        "site_id": site_id,
        "journey_id": journey_id,
        "session_id": key[0],
        "step_id": key[1],
        "signal": key[2],
        **dict(zip((*KEY_COLUMNS, *FLAGS), values)),
    }


def _count(delta: dict[tuple, list[int]], journey_id: int, key: tuple, values: tuple, sign: int) -> None:
    """Add a session row (``key`` = (session, step, signal)) to the rollup delta, or take it away."""
    day, device, locale, variant, *flags = values
    counts = delta.setdefault((journey_id, day, key[1], key[2], device, locale, variant), [0] * len(ROLLUP_COUNTERS))
    for index, value in enumerate((1, *flags)):
        counts[index] += sign * value


def _write_delta(conn: Bind, site_id: int, delta: dict[tuple, list[int]]) -> None:
    rows = [
        {
            "site_id": site_id,
            **dict(zip(("journey_id", "day", "step_id", "signal", "device", "locale", "variant"), key)),
            **dict(zip(ROLLUP_COUNTERS, counts)),
        }
        for key, counts in sorted(delta.items())
        if any(counts)
    ]
    upsert_adding(
        conn,
        FrictionRollup.__table__,
        rows,
        ("journey_id", "day", "step_id", "signal", "device", "locale", "variant"),
        ROLLUP_COUNTERS,
    )


# --- Maintenance: raw recomputation, rebuild, verify, erasure, retention --------------------------------


def raw_sessions(session: Bind, journey_id: int) -> Iterator[tuple[str, list[SessionRow]]]:
    """Every session of a journey recomputed from the stored events and answers."""
    events: dict[str, list[tuple]] = defaultdict(list)
    replies: dict[str, list[tuple]] = defaultdict(list)
    query = sa.select(*EVENT_COLUMNS).where(
        Event.journey_id == journey_id, Event.session_id.is_not(None), Event.type.in_(RELEVANT_TYPES)
    )
    for row in session.execute(query):
        events[row[0]].append(tuple(row[1:]))
    answers = sa.select(Response.session_id, Response.created_at, Response.step_id, Response.emotion).where(
        Response.journey_id == journey_id,
        Response.session_id.in_(
            sa.select(Event.session_id).where(Event.journey_id == journey_id, Event.type == "step_view")
        ),
    )
    for row in session.execute(answers):
        replies[row[0]].append(tuple(row[1:]))
    positions = dict(session.execute(_POSITIONS, {"journey_id": journey_id}).all())
    for session_id in sorted(events):
        yield session_id, session_rows(events[session_id], replies.get(session_id, []), positions)


def _raw_state(session: Bind, journey_id: int) -> tuple[dict[tuple, tuple], dict[tuple, list[int]]]:
    rows: dict[tuple, tuple] = {}
    totals: dict[tuple, list[int]] = {}
    for session_id, computed in raw_sessions(session, journey_id):
        for row in computed:
            key = (session_id, row.step_id, row.signal)
            rows[key] = _values(row)
            _count(totals, journey_id, key, rows[key], 1)
    return rows, totals


def rebuild_friction(session: Bind, site_id: int | None = None, journey_id: int | None = None) -> int:
    """Recompute friction_sessions and friction_rollups from the raw data; rows written."""
    written = 0
    for journey, site in journeys_in_scope(session, site_id, journey_id):
        for model in (FrictionSession, FrictionRollup):
            session.execute(sa.delete(model).where(model.journey_id == journey))
        rows, totals = _raw_state(session, journey)
        if rows:
            session.execute(
                sa.insert(FrictionSession.__table__),
                [_session_values(site, journey, key, values) for key, values in sorted(rows.items())],
            )
        _write_delta(session, site, totals)
        written += len(rows) + len(totals)
    return written


def compare_friction(session: Bind, site_id: int | None = None, journey_id: int | None = None) -> list[str]:
    """Differences between the stored friction rows and a raw recomputation (empty when exact).
    All-zero rollup rows (left by a session that moved day or segment) count as absent."""
    differences = []
    for journey, _site in journeys_in_scope(session, site_id, journey_id):
        want_rows, want_totals = _raw_state(session, journey)
        have_rows = {}
        table = FrictionSession.__table__
        for row in session.execute(
            sa.select(
                table.c.session_id, table.c.step_id, table.c.signal, *(table.c[n] for n in (*KEY_COLUMNS, *FLAGS))
            ).where(table.c.journey_id == journey)
        ):
            have_rows[(row[0], row[1], row[2])] = (as_date(row[3]), *row[4:])
        have_totals = {}
        rollup = FrictionRollup.__table__
        for row in session.execute(
            sa.select(
                rollup.c.journey_id,
                rollup.c.day,
                rollup.c.step_id,
                rollup.c.signal,
                rollup.c.device,
                rollup.c.locale,
                rollup.c.variant,
                *(rollup.c[n] for n in ROLLUP_COUNTERS),
            ).where(rollup.c.journey_id == journey)
        ):
            if any(row[7:]):
                have_totals[(row[0], as_date(row[1]), *row[2:7])] = list(row[7:])
        for name, want, have in (("sessions", want_rows, have_rows), ("rollups", want_totals, have_totals)):
            for key in sorted(want.keys() | have.keys(), key=str):
                if want.get(key) != have.get(key):
                    differences.append(
                        f"friction {name} journey={journey} key={key}: stored {have.get(key)}, raw says {want.get(key)}"
                    )
    return differences


def _sessions(session: Bind, site_id: int, condition: Callable[[Any], sa.ColumnElement[bool]]) -> set[tuple[int, str]]:
    """The (journey id, session id) pairs of the site's events and answers that meet ``condition``."""
    pairs = set()
    for model in (Event, Response):
        pairs |= set(
            session.execute(
                sa.select(model.journey_id, model.session_id)
                .distinct()
                .where(model.site_id == site_id, condition(model), model.session_id.is_not(None))
            ).all()
        )
    return {tuple(pair) for pair in pairs}


def sessions_of_visitor(session: Bind, site_id: int, visitor_id: str) -> set[tuple[int, str]]:
    """The (journey id, session id) pairs a visitor's events and answers belong to: erasure
    reconciles them after deleting the rows."""
    return _sessions(session, site_id, lambda model: model.visitor_id == visitor_id)


def sessions_before(session: Bind, site_id: int, cutoff: datetime) -> set[tuple[int, str]]:
    """Sessions with events or answers before ``cutoff``: retention reconciles them after
    deleting what is older (a session that spans the cutoff keeps its later rows)."""
    return _sessions(session, site_id, lambda model: model.created_at < cutoff)
