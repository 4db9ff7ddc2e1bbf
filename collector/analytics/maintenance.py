"""Rebuild and verify for the rollup families: the curve's step rollups
(``step_rollups``, see ``collector.analytics.rollups``), the theme rollups
(``theme_rollups``, see ``collector.analytics.theme_rollups``, rebuilt and
verified with the step rollups) and the funnel's three
tables (``funnel_rollups``, ``funnel_journey_rollups``, ``funnel_durations``,
see ``collector.analytics.funnel_rollups``).

How they stay exact:

* **Ingest** (``collector.ingest.store``) adds what it actually inserted, in the
  same transaction as the rows: the curve's sums with one ``INSERT … ON
  CONFLICT DO UPDATE SET c = c + excluded.c`` (resends skipped by
  ``client_id`` are not counted), the funnel the exact difference each touched
  session makes.
* **Erasure** (``collector.privacy.erasure``) recomputes the (journey, day) pairs the
  erased visitor touched, from the rows that remain — never a float subtraction
  (``rollup_days``, ``rebuild_days``).
* **Journey, step and site deletion** cascade to their rollups (foreign keys
  ``ON DELETE CASCADE``); moving a step or changing the session timeout
  rebuilds the funnel (``rebuild_funnel``).
* **Re-scoring** and **retention** call :func:`rebuild_days` /
  :func:`rebuild_rollups` for what they changed.

``stepsense rollups rebuild`` recomputes everything (or one site/journey);
``stepsense rollups verify`` compares the stored rollups with a raw
recomputation and exits 1 on any difference. Emotion sums are floats, so
verify allows a relative error of 1e-9; every count must match exactly.
"""

from collections.abc import Collection
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from collector.analytics import theme_rollups
from collector.analytics.core import SEGMENT, day_of, day_ranges, rollup_scope
from collector.analytics.funnel_rollups import write_totals
from collector.analytics.rollups import COUNTERS, KEY, RESPONSE_COUNTERS, Sums, differences, response_sums, zero_sums
from collector.analytics.visits import (
    JOURNEY_COUNTERS,
    STEP_COUNTERS,
    JourneyCounts,
    StepCounts,
    Totals,
    raw_visits,
    rollup_prefix,
    session_timeout,
    step_positions,
)
from collector.common.database import Bind, as_date
from collector.models import Event, FunnelDuration, FunnelJourneyRollup, FunnelRollup, Journey, Response, StepRollup

FUNNEL_TABLES = (FunnelRollup, FunnelJourneyRollup, FunnelDuration)


# --- The curve's step rollups --------------------------------------------------------------------


def _raw_queries(dialect: str, site_id: int | None, journey_id: int | None, days: Collection[date] | None):
    """The rollup rows recomputed from raw answers and from raw impression events."""
    selects = []
    for model, sums, extra in (
        (Response, response_sums(), []),
        (Event, [sa.func.count().label("impressions")], [Event.type == "impression"]),
    ):
        day = day_of(model.created_at, dialect).label("day")
        dims = [sa.func.coalesce(getattr(model, name), "").label(name) for name in SEGMENT]
        conditions = list(extra)
        if site_id is not None:
            conditions.append(model.site_id == site_id)
        if journey_id is not None:
            conditions.append(model.journey_id == journey_id)
        if days is not None:
            conditions.append(day_ranges(model.created_at, days))
        selects.append(
            sa.select(model.site_id, model.journey_id, model.step_id, day, *dims, *sums)
            .where(*conditions)
            .group_by(model.site_id, model.journey_id, model.step_id, day, *dims)
        )
    return selects


def rebuild_rollups(
    session: Session, site_id: int | None = None, journey_id: int | None = None, days: Collection[date] | None = None
) -> int:
    """Recompute both rollup families of a site, a journey and/or some UTC days
    (all when None) from the raw rows, the step rollups in bulk SQL; returns the
    step rollup rows written.

    Runs in the caller's transaction and does not commit, so a re-scoring batch
    and its rollups land together. Call it after changing emotion, score,
    sentiment, trigger or comment of stored answers, with the days they were
    created on (``rollup_days`` finds them).
    """
    if days is not None and not days:
        return 0
    dialect = session.get_bind().dialect.name
    session.execute(sa.delete(StepRollup).where(*rollup_scope(StepRollup, site_id, journey_id, days)))
    responses, impressions = _raw_queries(dialect, site_id, journey_id, days)
    columns = ["site_id", "journey_id", "step_id", "day", *SEGMENT]
    responses = responses.add_columns(sa.literal(0).label("impressions"))
    session.execute(sa.insert(StepRollup).from_select([*columns, *COUNTERS], responses))
    # Impressions of (step, day, segment)s without answers need a row of their own.
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    zeros = [sa.literal(0).label(name) for name in RESPONSE_COUNTERS]
    selected = list(impressions.selected_columns)
    events = impressions.with_only_columns(*selected[:-1], *zeros, selected[-1])
    statement = insert(StepRollup).from_select([*columns, *COUNTERS], events)
    statement = statement.on_conflict_do_update(
        index_elements=list(KEY), set_={"impressions": statement.excluded.impressions}
    )
    session.execute(statement)
    theme_rollups.rebuild(session, site_id=site_id, journey_id=journey_id, days=days)
    rebuild_funnel(session, site_id=site_id, journey_id=journey_id, days=days)
    return session.scalar(
        sa.select(sa.func.count()).select_from(StepRollup).where(*rollup_scope(StepRollup, site_id, journey_id, days))
    )


def rollup_days(
    session: Session, site_id: int, visitor_id: str | None = None, *conditions: sa.ColumnElement[bool]
) -> dict[int, set[date]]:
    """Per journey, the UTC days holding a site's answers and events of ``visitor_id``
    (when given) and answers matching extra ``conditions`` on Response: what
    ``rebuild_days`` must recompute after those rows change or go."""
    dialect = session.get_bind().dialect.name
    found: dict[int, set[date]] = {}
    for model in (Response, Event):
        if model is Event and conditions:
            continue
        where = [model.site_id == site_id, *(conditions if model is Response else ())]
        if visitor_id is not None:
            where.append(model.visitor_id == visitor_id)
        day = day_of(model.created_at, dialect)
        for journey_id, day_value in session.execute(sa.select(model.journey_id, day).where(*where).distinct()):
            found.setdefault(journey_id, set()).add(as_date(day_value))
    return found


def rebuild_days(session: Session, days_by_journey: dict[int, set[date]]) -> None:
    """Recompute the given (journey, day) rollups; the caller commits."""
    for journey_id, days in sorted(days_by_journey.items()):
        rebuild_rollups(session, journey_id=journey_id, days=days)


def compare_rollups(session: Session, site_id: int | None = None, journey_id: int | None = None) -> list[str]:
    """Differences between the stored rollups of both families and a raw recomputation (empty when exact)."""
    dialect = session.get_bind().dialect.name
    expected: dict[tuple, Sums] = {}
    responses, impressions = _raw_queries(dialect, site_id, journey_id, None)
    for query, names in ((responses, RESPONSE_COUNTERS), (impressions, ("impressions",))):
        for row in session.execute(query).mappings():
            key = (row["journey_id"], as_date(row["day"]), row["step_id"], *(row[name] for name in SEGMENT))
            entry = expected.setdefault(key, zero_sums())
            for name in names:
                entry[name] = row[name]
    stored = {
        (row.journey_id, as_date(row.day), row.step_id, row.device, row.locale, row.variant): {
            name: getattr(row, name) for name in COUNTERS
        }
        for row in session.scalars(sa.select(StepRollup).where(*rollup_scope(StepRollup, site_id, journey_id)))
    }
    describe = "rollup journey={} day={} step={} device={!r} locale={!r} variant={!r}".format
    found = differences(expected, stored, COUNTERS, lambda key: describe(*key))
    themes = theme_rollups.compare(session, site_id=site_id, journey_id=journey_id)
    return found + themes + compare_funnel(session, site_id=site_id, journey_id=journey_id)


# --- The funnel's rollups -----------------------------------------------------------------------


def journeys_in_scope(session: Bind, site_id: int | None, journey_id: int | None) -> list[sa.Row]:
    """The journeys (``id``, ``site_id``) of a site, or one journey, or all (None): what a
    rebuild or verify of the curve's, the funnel's or friction's rollups walks."""
    query = sa.select(Journey.id, Journey.site_id).order_by(Journey.id)
    if site_id is not None:
        query = query.where(Journey.site_id == site_id)
    if journey_id is not None:
        query = query.where(Journey.id == journey_id)
    return list(session.execute(query).all())


def rebuild_funnel(
    session: Session, site_id: int | None = None, journey_id: int | None = None, days: Collection[date] | None = None
) -> int:
    """Recompute the funnel rollups of a site, a journey and/or the sessions that
    started on some UTC days (all when None) from the raw rows; returns the rows
    written. Runs in the caller's transaction.

    With ``days``, sessions that started earlier but have rows on those days
    (answers re-scored, events erased) are recomputed too.
    """
    if days is not None and not days:
        return 0
    written = 0
    for journey in journeys_in_scope(session, site_id, journey_id):
        timeout, positions = session_timeout(session, journey.site_id), step_positions(session, journey.id)
        wanted = None if days is None else set(days)
        if wanted is not None:
            for visit in raw_visits(
                session,
                journey.id,
                timeout,
                positions,
                day_ranges(Event.created_at, wanted),
                day_ranges(Response.created_at, wanted),
            ):
                wanted.add(visit.start.date())
        totals = Totals()
        touching = None if wanted is None else day_ranges(Event.created_at, wanted)
        for visit in raw_visits(session, journey.id, timeout, positions, touching):
            if wanted is None or visit.start.date() in wanted:
                totals.add((journey.id, *rollup_prefix(visit)), visit)
        for model in FUNNEL_TABLES:
            conditions = [model.journey_id == journey.id]
            if wanted is not None:
                conditions.append(model.day.in_(sorted(wanted)))
            session.execute(sa.delete(model).where(*conditions))
        totals = totals.nonzero()
        write_totals(session, journey.site_id, totals, adding=False)
        written += len(totals.steps) + len(totals.journeys) + len(totals.durations)
    return written


def drop_funnel_before(session: Session, site_id: int, day: date) -> None:
    """Delete a site's funnel rollups of sessions that started before ``day`` (retention)."""
    for model in FUNNEL_TABLES:
        session.execute(sa.delete(model).where(model.site_id == site_id, model.day < day))


def compare_funnel(session: Session, site_id: int | None = None, journey_id: int | None = None) -> list[str]:
    """Differences between the stored funnel rollups and a raw recomputation (empty when exact).
    All-zero stored rows (left by a session that moved to another day) count as absent."""
    found = []
    for journey in journeys_in_scope(session, site_id, journey_id):
        timeout, positions = session_timeout(session, journey.site_id), step_positions(session, journey.id)
        expected = Totals()
        for visit in raw_visits(session, journey.id, timeout, positions):
            expected.add(rollup_prefix(visit), visit)
        expected = expected.nonzero()
        stored = _stored_funnel(session, journey.id)
        for name, want, have in (
            ("steps", expected.steps, stored.steps),
            ("journey", expected.journeys, stored.journeys),
            ("durations", expected.durations, stored.durations),
        ):
            for key in sorted(want.keys() | have.keys(), key=str):
                if want.get(key) != have.get(key):
                    found.append(
                        f"funnel {name} journey={journey.id} key={key}: stored {_shown(have.get(key))}, "
                        f"raw says {_shown(want.get(key))}"
                    )
    return found


def _stored_funnel(session: Session, journey_id: int) -> Totals:
    """A journey's stored funnel rollups, keyed like ``compare_funnel``'s recomputation: (day, *segment, …)."""
    totals = Totals()

    def key(row) -> tuple:
        return (as_date(row.day), *(getattr(row, name) for name in SEGMENT))

    def columns(model, *names: str) -> list:
        return [model.day, *(getattr(model, name) for name in (*SEGMENT, *names))]

    query = sa.select(*columns(FunnelRollup, "step_id", *STEP_COUNTERS)).where(FunnelRollup.journey_id == journey_id)
    for row in session.execute(query):
        totals.steps[(*key(row), row.step_id)] = StepCounts(**{name: row._mapping[name] for name in STEP_COUNTERS})
    query = sa.select(*columns(FunnelJourneyRollup, *JOURNEY_COUNTERS)).where(
        FunnelJourneyRollup.journey_id == journey_id
    )
    for row in session.execute(query):
        totals.journeys[key(row)] = JourneyCounts(row.sessions, row.completed)
    query = sa.select(*columns(FunnelDuration, "step_id", "seconds", "count")).where(
        FunnelDuration.journey_id == journey_id
    )
    for row in session.execute(query):
        totals.durations[(*key(row), row.step_id, row.seconds)] = row._mapping["count"]  # Row.count is tuple's method
    return totals.nonzero()


def _shown(counts: StepCounts | JourneyCounts | int | None) -> list[int] | int | None:
    """Counts as verify prints them: a list in the rollup columns' order."""
    return counts if counts is None or isinstance(counts, int) else list(counts)


# --- Command line -------------------------------------------------------------------------------
