"""Re-scoring stored answers after the sentiment scorer or emotion formula changes.

Every answer carries the ``scorer_version`` it was scored with. Re-scoring
walks the answers of an older version in id order, a batch per short
transaction, so ingest keeps running beside it and an interrupted run picks
up where it stopped: finished batches already carry the new version.
"""

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.analytics import maintenance
from collector.analytics.core import day_of
from collector.analytics.emotion import SCORING_VERSION, score_response
from collector.common.database import as_date
from collector.models import Response


def stale_filter() -> sa.ColumnElement[bool]:
    return Response.scorer_version != SCORING_VERSION


def count_stale(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Response).where(stale_filter()))


def rescore(session: Session, batch_size: int = 1000, progress: Callable[[int], None] = lambda n: None) -> int:
    """Re-score every answer of an older version; returns how many were updated."""
    done, last_id = 0, 0
    dialect = session.get_bind().dialect.name
    while True:
        batch = session.execute(
            sa.select(
                Response.id,
                Response.kind,
                Response.score,
                Response.comment,
                Response.locale,
                Response.journey_id,
                day_of(Response.created_at, dialect).label("day"),
            )
            .where(stale_filter(), Response.id > last_id)
            .order_by(Response.id)
            .limit(batch_size)
        ).all()
        if not batch:
            return done
        updates, days = [], {}
        for row in batch:
            scored = score_response(row.kind, row.score, row.comment, row.locale)
            updates.append(
                {
                    "id": row.id,
                    "polarity": scored.polarity,
                    "subjectivity": scored.subjectivity,
                    "sentiment_label": scored.sentiment_label,
                    "language": scored.language,
                    "emotion": scored.emotion,
                    "scorer_version": scored.scorer_version,
                }
            )
            days.setdefault(row.journey_id, set()).add(as_date(row.day))
        session.execute(sa.update(Response), updates)
        maintenance.rebuild_days(session, days)
        session.commit()
        done += len(batch)
        last_id = batch[-1].id
        progress(len(batch))
