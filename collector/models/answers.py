"""What visitors send: answers, events, and the honeypot's memory."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from collector.common.time import utcnow
from collector.extensions import db

if TYPE_CHECKING:  # relationships name these classes; SQLAlchemy finds them by name
    from collector.models.tenancy import Journey, Step
    from collector.models.themes import ResponseTheme
from collector.models.base import BigId


class VisitContext:
    """Who, in which session, where and in which segment an answer or event happened,
    as the widget reports it: the columns answers and events share, declared once so
    the two tables cannot drift apart (filters, segments and the funnel read both)."""

    visitor_id: Mapped[str | None] = mapped_column(sa.String(64))
    session_id: Mapped[str | None] = mapped_column(sa.String(64))
    url_path: Mapped[str | None] = mapped_column(sa.String(512))
    device: Mapped[str | None] = mapped_column(sa.String(16))
    locale: Mapped[str | None] = mapped_column(sa.String(35))
    variant: Mapped[str | None] = mapped_column(sa.String(64))
    # new or returning: had this browser a visitor id before the session? (VISITOR_TYPES)
    visitor_type: Mapped[str | None] = mapped_column(sa.String(16))


class Response(VisitContext, db.Model):
    """One answer from a visitor: a rating, a comment, or both."""

    __tablename__ = "responses"
    __table_args__ = (
        # Idempotent retries: the widget resends with the same client_id.
        sa.UniqueConstraint("site_id", "client_id"),
        sa.Index("ix_responses_journey_created", "journey_id", "created_at"),
        sa.Index("ix_responses_site_id_desc", "site_id", "id"),
        sa.Index("ix_responses_site_visitor", "site_id", "visitor_id"),
        # The curve's representative comments: most negative / positive per step.
        sa.Index("ix_responses_step_sentiment", "step_id", "sentiment_label", "polarity", "id"),
        # The funnel joins answers to sessions.
        sa.Index("ix_responses_journey_session", "journey_id", "session_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(sa.String(36))
    kind: Mapped[str] = mapped_column(sa.String(16))
    score: Mapped[int | None] = mapped_column()
    comment: Mapped[str | None] = mapped_column(sa.Text)
    polarity: Mapped[float | None] = mapped_column()
    subjectivity: Mapped[float | None] = mapped_column()
    sentiment_label: Mapped[str | None] = mapped_column(sa.String(8))
    # ISO 639-1 of the comment, as the scorer detected it; null without a comment.
    language: Mapped[str | None] = mapped_column(sa.String(8))
    emotion: Mapped[float] = mapped_column()
    scorer_version: Mapped[str] = mapped_column(sa.String(32))
    trigger: Mapped[str] = mapped_column(sa.String(16))
    attributes: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    journey: Mapped[Journey] = relationship(viewonly=True)
    step: Mapped[Step] = relationship(viewonly=True)
    # The comment's themes (collector/analytics/theme_store.py), primary first.
    theme_rows: Mapped[list[ResponseTheme]] = relationship(viewonly=True, order_by="ResponseTheme.rank")

    @property
    def themes(self) -> list[str]:
        return [row.theme_key for row in self.theme_rows]

    @property
    def sentiment(self) -> dict[str, Any]:
        return {"polarity": self.polarity, "subjectivity": self.subjectivity, "label": self.sentiment_label}


class Event(VisitContext, db.Model):
    """Something the widget saw rather than an answer: an impression, a dismissal,
    an exit-intent prompt shown. Response rates and abandonment are computed from these."""

    __tablename__ = "events"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "client_id"),
        sa.Index("ix_events_journey_created", "journey_id", "created_at"),
        sa.Index("ix_events_site_visitor", "site_id", "visitor_id"),
        # The funnel re-reads a session's events at ingest.
        sa.Index("ix_events_journey_session", "journey_id", "session_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(sa.String(36))
    type: Mapped[str] = mapped_column(sa.String(24))
    # For prompt events: which kind of prompt was shown or dismissed.
    kind: Mapped[str | None] = mapped_column(sa.String(16))
    # For site-defined events sent with Stepsense.track(name, props).
    name: Mapped[str | None] = mapped_column(sa.String(64))
    props: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class TrappedClientId(db.Model):
    """The client_id of an answer or event that filled the honeypot: never stored, but
    remembered for a while so a resend is answered as a duplicate, as a real one's is."""

    __tablename__ = "trapped_client_ids"
    __table_args__ = (sa.UniqueConstraint("site_id", "record", "client_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    # "responses" or "events": client_ids are unique per site within each.
    record: Mapped[str] = mapped_column(sa.String(16))
    client_id: Mapped[str] = mapped_column(sa.String(36))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
