"""Alert rules and their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from collector.common.time import utcnow
from collector.extensions import db

if TYPE_CHECKING:  # relationships name these classes; SQLAlchemy finds them by name
    from collector.models.tenancy import Journey, Step
from collector.models.base import BigId


class AlertRule(db.Model):
    """A condition on a journey's recent answers that posts a signed webhook (or a
    Slack, Teams or e-mail message) when it becomes true, or a digest sent on a
    schedule (see ``collector/alerts/``)."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id", ondelete="CASCADE"), index=True)
    # Null: every step of the journey is checked on its own.
    step_id: Mapped[int | None] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(32))
    # "webhook" (signed JSON), "slack", "teams" or "email"; "" URL for e-mail rules.
    target: Mapped[str] = mapped_column(sa.String(16), default="webhook", server_default="webhook")
    webhook_url: Mapped[str] = mapped_column(sa.String(2048))
    # Recipients of e-mail (the target, or a copy of every firing beside another target).
    email_to: Mapped[list[str] | None] = mapped_column(sa.JSON, default=list)
    # Digest rules only: "daily"/"weekly" at local_hour in timezone (null: the site's), on weekday.
    schedule: Mapped[str | None] = mapped_column(sa.String(16))
    local_hour: Mapped[int | None] = mapped_column()
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    weekday: Mapped[str | None] = mapped_column(sa.String(9))
    # friction_above rules only: the friction signal watched (docs/friction.md).
    signal: Mapped[str | None] = mapped_column(sa.String(16))
    # End of the last period a digest was made for: each period is sent once.
    last_period_end: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Kept readable because signing needs it; the API shows it only on creation.
    secret: Mapped[str] = mapped_column(sa.String(128))
    window_hours: Mapped[int] = mapped_column(default=24)
    threshold: Mapped[float | None] = mapped_column()
    alpha: Mapped[float] = mapped_column(default=0.05)
    min_n: Mapped[int] = mapped_column(default=20)
    active: Mapped[bool] = mapped_column(default=True)
    # "ok" or "firing" after the last evaluation with enough answers; null before.
    last_state: Mapped[str | None] = mapped_column(sa.String(16))
    # Step keys whose condition held at the last evaluation: each fires once per transition.
    firing_steps: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    last_evaluated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    journey: Mapped[Journey] = relationship()
    step: Mapped[Step | None] = relationship()

    @property
    def journey_key(self) -> str:
        return self.journey.key

    @property
    def step_key(self) -> str | None:
        return self.step.key if self.step is not None else None


class AlertDelivery(db.Model):
    """One webhook POST of an alert (or a test), retried with backoff until delivered."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        sa.Index("ix_alert_deliveries_status_next", "status", "next_attempt_at"),
        # One delivery per digest period and channel, whichever process makes it.
        sa.Index("ix_alert_deliveries_period", "rule_id", "channel", "period_start", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(sa.ForeignKey("alert_rules.id", ondelete="CASCADE"), index=True)
    fired_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    # Which of the rule's targets: "webhook", "slack", "teams" or "email".
    channel: Mapped[str] = mapped_column(sa.String(16), default="webhook", server_default="webhook")
    # A digest's period start (null for other kinds).
    period_start: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    response_code: Mapped[int | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    rule: Mapped[AlertRule] = relationship()
