"""The emotional curve of a journey: per step, in step order, how visitors feel.

Formulas (see DESIGN.md): emotion mean with a 95% normal interval; CSAT as
the share of 4–5 answers with a Wilson interval; CES as the mean score; NPS
as % promoters (9–10) − % detractors (0–6).
"""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.models import Event, Journey, Response, Step
from collector.responses import as_utc, response_filters
from collector.stats import mean_ci, wilson


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _avg_if(condition: sa.ColumnElement[bool], value: sa.ColumnElement) -> sa.ColumnElement[float]:
    return sa.func.avg(sa.case((condition, value), else_=None))


def step_aggregates(session: Session, journey: Journey, filters: dict[str, Any]) -> dict[int, sa.Row]:
    """One GROUP BY over the journey's answers, keyed by step id."""
    is_csat = Response.kind == "csat"
    is_ces = Response.kind == "ces"
    is_nps = Response.kind == "nps"
    query = (
        sa.select(
            Response.step_id,
            sa.func.count().label("n"),
            sa.func.avg(Response.emotion).label("emotion_mean"),
            sa.func.avg(Response.emotion * Response.emotion).label("emotion_sq"),
            _count_if(is_csat).label("csat_n"),
            _count_if(is_csat & (Response.score >= 4)).label("csat_satisfied"),
            _count_if(is_ces).label("ces_n"),
            _avg_if(is_ces, Response.score).label("ces_mean"),
            _avg_if(is_ces, Response.score * Response.score).label("ces_sq"),
            _count_if(is_nps).label("nps_n"),
            _count_if(is_nps & (Response.score >= 9)).label("nps_promoters"),
            _count_if(is_nps & (Response.score <= 6)).label("nps_detractors"),
            _count_if(Response.trigger == "exit_intent").label("exit_intent"),
            _count_if(Response.sentiment_label == "negative").label("negative_comments"),
            _count_if(Response.comment.is_not(None)).label("comments"),
        )
        .where(Response.journey_id == journey.id, *response_filters(filters))
        .group_by(Response.step_id)
    )
    return {row.step_id: row for row in session.execute(query)}


def impressions_by_step(session: Session, journey: Journey, filters: dict[str, Any]) -> dict[int, int]:
    """How often a prompt was shown at each step, for response rates."""
    conditions = [Event.journey_id == journey.id, Event.type == "impression"]
    if filters.get("from") is not None:
        conditions.append(Event.created_at >= as_utc(filters["from"]))
    if filters.get("to") is not None:
        conditions.append(Event.created_at < as_utc(filters["to"]))
    for name in ("variant", "device", "locale"):
        if filters.get(name) is not None:
            conditions.append(getattr(Event, name) == filters[name])
    query = sa.select(Event.step_id, sa.func.count()).where(*conditions).group_by(Event.step_id)
    return dict(session.execute(query).all())


def step_summary(step: Step, row: sa.Row | None, impressions: int) -> dict[str, Any]:
    """The curve entry of one step from its aggregate row."""
    n = row.n if row else 0
    emotion_mean = row.emotion_mean if row else None
    low, high = mean_ci(n, emotion_mean, row.emotion_sq if row else None)
    csat_n = row.csat_n if row else 0
    csat_low, csat_high = wilson(row.csat_satisfied, csat_n) if row else (None, None)
    ces_n = row.ces_n if row else 0
    ces_low, ces_high = mean_ci(ces_n, row.ces_mean if row else None, row.ces_sq if row else None)
    nps_n = row.nps_n if row else 0
    return {
        "step": step.key,
        "name": step.name,
        "position": step.position,
        "responses": n,
        "impressions": impressions,
        "response_rate": round(n / impressions, 4) if impressions else None,
        "emotion": {"mean": _round(emotion_mean), "ci_low": _round(low), "ci_high": _round(high)},
        "csat": {
            "n": csat_n,
            "score": _round(row.csat_satisfied / csat_n) if csat_n else None,
            "ci_low": _round(csat_low),
            "ci_high": _round(csat_high),
        },
        "ces": {"n": ces_n, "mean": _round(row.ces_mean if row else None), "ci_low": _round(ces_low), "ci_high": _round(ces_high)},
        "nps": {
            "n": nps_n,
            "score": round(100 * (row.nps_promoters - row.nps_detractors) / nps_n, 1) if nps_n else None,
            "promoters": row.nps_promoters if row else 0,
            "detractors": row.nps_detractors if row else 0,
        },
        "exit_intent": {"count": row.exit_intent if row else 0},
        "comments": {
            "count": row.comments if row else 0,
            "negative_share": _round(row.negative_comments / row.comments) if row and row.comments else None,
        },
        "flags": [],
    }


def journey_curve(session: Session, journey: Journey, filters: dict[str, Any]) -> dict[str, Any]:
    """Per-step summary of a journey for a window and segment."""
    rows = step_aggregates(session, journey, filters)
    impressions = impressions_by_step(session, journey, filters)
    return {
        "journey": journey.key,
        "name": journey.name,
        "window": {"from": filters.get("from"), "to": filters.get("to")},
        "steps": [step_summary(step, rows.get(step.id), impressions.get(step.id, 0)) for step in journey.steps],
    }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)
