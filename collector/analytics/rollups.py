"""Rollups: per site, journey, step, UTC day and segment (device, locale,
variant), the sums a curve needs, so a curve over millions of answers reads a
few thousand rows.

How they stay exact:

* **Ingest** (``collector.ingest.store``) adds the answers and impressions actually
  inserted (resends skipped by ``client_id`` are not counted) with one
  ``INSERT … ON CONFLICT DO UPDATE SET c = c + excluded.c``, in the same
  transaction as the rows themselves.
* **Erasure** (``collector.privacy.erasure``) recomputes the (journey, day) pairs the
  erased visitor touched, from the rows that remain — never a float subtraction.
* **Journey, step and site deletion** cascade to their rollups (foreign keys
  ``ON DELETE CASCADE``).
* **Re-scoring** calls :func:`rebuild_rollups` for what it changed.

``stepsense rollups rebuild`` recomputes everything (or one site/journey);
``stepsense rollups verify`` compares the stored rollups with a raw
recomputation and exits 1 on any difference. Emotion sums are floats, so
verify allows a relative error of 1e-9; every count must match exactly.
"""

from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from collector.analytics.core import SEGMENT, day_of, day_ranges
from collector.common.database import as_date, upsert_adding
from collector.common.time import as_utc
from collector.models import Event, Response, StepRollup

KEY = ("journey_id", "day", "step_id", *SEGMENT)
RESPONSE_COUNTERS = (
    "n", "emotion_sum", "emotion_sq", "csat_n", "csat_satisfied", "ces_n", "ces_sum", "ces_sq",
    "nps_n", "nps_promoters", "nps_detractors", "exit_intent", "comments", "negative_comments",
)
COUNTERS = (*RESPONSE_COUNTERS, "impressions")
FLOAT_COUNTERS = ("emotion_sum", "emotion_sq")
RELATIVE_TOLERANCE = 1e-9


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _sum_if(condition: sa.ColumnElement[bool], value: sa.ColumnElement) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)


def response_sums() -> list[sa.ColumnElement]:
    """Aggregates over ``responses`` named like the rollup counters; the raw
    curve path and the rebuild share them, so both count the same way."""
    rated = Response.score.is_not(None)
    is_csat = (Response.kind == "csat") & rated
    is_ces = (Response.kind == "ces") & rated
    is_nps = (Response.kind == "nps") & rated
    return [
        sa.func.count().label("n"),
        sa.func.coalesce(sa.func.sum(Response.emotion), 0.0).label("emotion_sum"),
        sa.func.coalesce(sa.func.sum(Response.emotion * Response.emotion), 0.0).label("emotion_sq"),
        _count_if(is_csat).label("csat_n"),
        _count_if(is_csat & (Response.score >= 4)).label("csat_satisfied"),
        _count_if(is_ces).label("ces_n"),
        _sum_if(is_ces, Response.score).label("ces_sum"),
        _sum_if(is_ces, Response.score * Response.score).label("ces_sq"),
        _count_if(is_nps).label("nps_n"),
        _count_if(is_nps & (Response.score >= 9)).label("nps_promoters"),
        _count_if(is_nps & (Response.score <= 6)).label("nps_detractors"),
        _count_if(Response.trigger == "exit_intent").label("exit_intent"),
        _count_if(Response.comment.is_not(None)).label("comments"),
        _count_if(Response.sentiment_label == "negative").label("negative_comments"),
    ]


def _response_counters(row: dict[str, Any]) -> dict[str, float]:
    """What one answer adds to its rollup row (the Python twin of response_sums)."""
    kind, score, emotion = row["kind"], row.get("score"), float(row["emotion"])
    rated = score is not None
    csat, ces, nps = (rated and kind == "csat"), (rated and kind == "ces"), (rated and kind == "nps")
    return {
        "n": 1,
        "emotion_sum": emotion,
        "emotion_sq": emotion * emotion,
        "csat_n": int(csat),
        "csat_satisfied": int(csat and score >= 4),
        "ces_n": int(ces),
        "ces_sum": score if ces else 0,
        "ces_sq": score * score if ces else 0,
        "nps_n": int(nps),
        "nps_promoters": int(nps and score >= 9),
        "nps_detractors": int(nps and score <= 6),
        "exit_intent": int(row.get("trigger") == "exit_intent"),
        "comments": int(row.get("comment") is not None),
        "negative_comments": int(row.get("sentiment_label") == "negative"),
        "impressions": 0,
    }


def _key(row: dict[str, Any]) -> tuple:
    day = as_utc(row["created_at"]).date()
    return (row["journey_id"], day, row["step_id"], row.get("device") or "", row.get("locale") or "", row.get("variant") or "")


def _upsert(session: Session, totals: dict[tuple, dict[str, Any]], counters: Sequence[str]) -> None:
    rows = [dict(zip(KEY, key), **values) for key, values in sorted(totals.items())]
    upsert_adding(session, StepRollup.__table__, rows, KEY, counters)


def add_responses(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    """Add newly inserted answers (column dicts as ingest built them) to the rollups."""
    totals: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        key = _key(row)
        counters = _response_counters(row)
        if key in totals:
            for name in RESPONSE_COUNTERS:
                totals[key][name] += counters[name]
        else:
            totals[key] = {"site_id": row["site_id"], **counters}
    _upsert(session, totals, RESPONSE_COUNTERS)


def add_events(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    """Add newly inserted events to the rollups; only impressions are counted."""
    totals: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        if row.get("type") != "impression":
            continue
        entry = totals.setdefault(_key(row), {"site_id": row["site_id"], **dict.fromkeys(COUNTERS, 0)})
        entry["impressions"] += 1
    _upsert(session, totals, ("impressions",))


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


def _rollup_conditions(site_id: int | None, journey_id: int | None, days: Collection[date] | None) -> list:
    conditions = []
    if site_id is not None:
        conditions.append(StepRollup.site_id == site_id)
    if journey_id is not None:
        conditions.append(StepRollup.journey_id == journey_id)
    if days is not None:
        conditions.append(StepRollup.day.in_(sorted(set(days))))
    return conditions


def rebuild_rollups(session: Session, site_id: int | None = None, journey_id: int | None = None,
                    days: Collection[date] | None = None) -> int:
    """Recompute the rollups of a site, a journey and/or some UTC days (all when
    None) from the raw rows, in bulk SQL; returns the rollup rows written.

    Runs in the caller's transaction and does not commit, so a re-scoring batch
    and its rollups land together. Call it after changing emotion, score,
    sentiment, trigger or comment of stored answers, with the days they were
    created on (``rollup_days`` finds them).
    """
    if days is not None and not days:
        return 0
    dialect = session.get_bind().dialect.name
    session.execute(sa.delete(StepRollup).where(*_rollup_conditions(site_id, journey_id, days)))
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
    statement = statement.on_conflict_do_update(index_elements=list(KEY), set_={"impressions": statement.excluded.impressions})
    session.execute(statement)
    from collector.analytics import funnel  # funnel imports this module's neighbours; import late

    funnel.rebuild_funnel(session, site_id=site_id, journey_id=journey_id, days=days)
    return session.scalar(sa.select(sa.func.count()).select_from(StepRollup).where(*_rollup_conditions(site_id, journey_id, days)))


def rollup_days(session: Session, site_id: int, visitor_id: str | None = None,
                *conditions: sa.ColumnElement[bool]) -> dict[int, set[date]]:
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
    """Differences between the stored rollups and a raw recomputation (empty when exact)."""
    dialect = session.get_bind().dialect.name
    expected: dict[tuple, dict[str, float]] = {}
    responses, impressions = _raw_queries(dialect, site_id, journey_id, None)
    for query, names in ((responses, RESPONSE_COUNTERS), (impressions, ("impressions",))):
        for row in session.execute(query).mappings():
            key = (row["journey_id"], as_date(row["day"]), row["step_id"], *(row[name] for name in SEGMENT))
            entry = expected.setdefault(key, dict.fromkeys(COUNTERS, 0))
            for name in names:
                entry[name] = row[name]
    stored = {
        (row.journey_id, as_date(row.day), row.step_id, row.device, row.locale, row.variant): {name: getattr(row, name) for name in COUNTERS}
        for row in session.scalars(sa.select(StepRollup).where(*_rollup_conditions(site_id, journey_id, None)))
    }
    differences = []
    for key in sorted(expected.keys() | stored.keys(), key=str):
        want, have = expected.get(key), stored.get(key)
        label = "journey={} day={} step={} device={!r} locale={!r} variant={!r}".format(*key)
        if have is None:
            differences.append(f"missing rollup: {label}")
        elif want is None:
            differences.append(f"extra rollup: {label}")
        else:
            for name in COUNTERS:
                if not _same(name, want[name], have[name]):
                    differences.append(f"{label}: {name} is {have[name]}, raw says {want[name]}")
    from collector.analytics import funnel

    return differences + funnel.compare_funnel(session, site_id=site_id, journey_id=journey_id)


def _same(name: str, want: float, have: float) -> bool:
    if name in FLOAT_COUNTERS:
        return abs(float(want) - float(have)) <= RELATIVE_TOLERANCE * max(1.0, abs(float(want)))
    return int(want) == int(have)


@click.group("rollups", help="Rebuild or verify the curve and funnel rollups.")
def rollups_group() -> None:
    pass


@rollups_group.command("rebuild")
@click.option("--site", "site_id", type=int, help="Only this site id.")
@click.option("--journey", "journey_id", type=int, help="Only this journey id.")
@with_appcontext
def rebuild_command(site_id: int | None, journey_id: int | None) -> None:
    """Recompute rollups from the stored answers and events."""
    from collector.extensions import db

    written = rebuild_rollups(db.session, site_id=site_id, journey_id=journey_id)
    db.session.commit()
    click.echo(f"rebuilt {written} rollup rows")


@rollups_group.command("verify")
@click.option("--site", "site_id", type=int, help="Only this site id.")
@click.option("--journey", "journey_id", type=int, help="Only this journey id.")
@with_appcontext
def verify_command(site_id: int | None, journey_id: int | None) -> None:
    """Compare rollups with a raw recomputation; print differences, exit 1 if any."""
    from collector.extensions import db

    differences = compare_rollups(db.session, site_id=site_id, journey_id=journey_id)
    for line in differences:
        click.echo(line)
    if differences:
        click.echo(f"{len(differences)} difference(s)", err=True)
        raise SystemExit(1)
    click.echo("rollups match the raw data")
