"""Rollups kept current at ingest: the curve's, the funnel's and friction's."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from collector.extensions import db
from collector.models.base import BigId


class RollupKey:
    """The columns every rollup table is keyed by: whose, which journey, which UTC
    day and which segment. Missing segment values are stored as "" so the key is
    unique on both databases (NULLs never collide in a unique constraint)."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(sa.Date)
    device: Mapped[str] = mapped_column(sa.String(16), default="")
    locale: Mapped[str] = mapped_column(sa.String(35), default="")
    variant: Mapped[str] = mapped_column(sa.String(64), default="")


class StepRollup(RollupKey, db.Model):
    """Per site, journey, step, UTC day and segment (device, locale, variant): the
    sums a curve needs, kept current at ingest (see ``collector/analytics/rollups.py``)."""

    __tablename__ = "step_rollups"
    __table_args__ = (
        # Also the curve's index: a journey over a range of days.
        sa.UniqueConstraint("journey_id", "day", "step_id", "device", "locale", "variant", name="uq_step_rollups_key"),
    )

    step_id: Mapped[int] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"), index=True)
    n: Mapped[int] = mapped_column(default=0)
    emotion_sum: Mapped[float] = mapped_column(default=0.0)
    emotion_sq: Mapped[float] = mapped_column(default=0.0)
    csat_n: Mapped[int] = mapped_column(default=0)
    csat_satisfied: Mapped[int] = mapped_column(default=0)
    ces_n: Mapped[int] = mapped_column(default=0)
    ces_sum: Mapped[int] = mapped_column(default=0)
    ces_sq: Mapped[int] = mapped_column(default=0)
    nps_n: Mapped[int] = mapped_column(default=0)
    nps_promoters: Mapped[int] = mapped_column(default=0)
    nps_detractors: Mapped[int] = mapped_column(default=0)
    exit_intent: Mapped[int] = mapped_column(default=0)
    comments: Mapped[int] = mapped_column(default=0)
    negative_comments: Mapped[int] = mapped_column(default=0)
    impressions: Mapped[int] = mapped_column(default=0)


class FunnelRollup(RollupKey, db.Model):
    """Per journey, step, UTC day of the session's start and segment: how sessions
    moved through the step (see ``collector/analytics/funnel_rollups.py``), kept current at ingest."""

    __tablename__ = "funnel_rollups"
    __table_args__ = (
        sa.UniqueConstraint(
            "journey_id", "day", "step_id", "device", "locale", "variant", name="uq_funnel_rollups_key"
        ),
    )

    step_id: Mapped[int] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"), index=True)
    reached: Mapped[int] = mapped_column(default=0)
    continued: Mapped[int] = mapped_column(default=0)
    abandoned: Mapped[int] = mapped_column(default=0)
    retried: Mapped[int] = mapped_column(default=0)
    views: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    negative: Mapped[int] = mapped_column(default=0)
    negative_abandoned: Mapped[int] = mapped_column(default=0)
    positive: Mapped[int] = mapped_column(default=0)
    positive_abandoned: Mapped[int] = mapped_column(default=0)


class FunnelJourneyRollup(RollupKey, db.Model):
    """Per journey, UTC day of the session's start and segment: sessions and completions."""

    __tablename__ = "funnel_journey_rollups"
    __table_args__ = (
        sa.UniqueConstraint("journey_id", "day", "device", "locale", "variant", name="uq_funnel_journey_rollups_key"),
    )

    sessions: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)


class FunnelDuration(RollupKey, db.Model):
    """A histogram of times: per journey, day, segment and duration bucket, how many
    stays on a step (``step_id``) or completed sessions (``step_id`` 0) took that long.
    Medians and p90s come from it exactly, at the bucket resolution."""

    __tablename__ = "funnel_durations"
    __table_args__ = (
        sa.UniqueConstraint(
            "journey_id", "day", "step_id", "device", "locale", "variant", "seconds", name="uq_funnel_durations_key"
        ),
    )

    # 0: time to completion of the journey; no foreign key, so 0 can exist.
    step_id: Mapped[int] = mapped_column()
    seconds: Mapped[int] = mapped_column()
    count: Mapped[int] = mapped_column(default=0)


class FrictionSession(RollupKey, db.Model):
    """One (journey, browser session, step, signal) seen: a friction signal, ``quick_back``,
    ``any`` or ``view``; keyed by the session's day and segment, with whether the session
    abandoned and answered (negatively) at the step (see ``collector/analytics/friction.py``)."""

    __tablename__ = "friction_sessions"
    __table_args__ = (
        sa.UniqueConstraint("journey_id", "session_id", "step_id", "signal", name="uq_friction_sessions_key"),
        sa.Index("ix_friction_sessions_site_day", "site_id", "day"),
        sa.Index("ix_friction_sessions_step", "step_id"),
    )

    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"))
    session_id: Mapped[str] = mapped_column(sa.String(64))
    signal: Mapped[str] = mapped_column(sa.String(24))
    abandoned: Mapped[int] = mapped_column(default=0)
    answered: Mapped[int] = mapped_column(default=0)
    negative: Mapped[int] = mapped_column(default=0)


class FrictionRollup(RollupKey, db.Model):
    """Per journey, step, signal, UTC day of the session's start and segment: sessions
    that showed the signal there, and of them how many abandoned, answered, answered negatively."""

    __tablename__ = "friction_rollups"
    __table_args__ = (
        sa.UniqueConstraint(
            "journey_id", "day", "step_id", "signal", "device", "locale", "variant", name="uq_friction_rollups_key"
        ),
        sa.Index("ix_friction_rollups_site_day", "site_id", "day"),
        sa.Index("ix_friction_rollups_step", "step_id"),
    )

    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"))
    signal: Mapped[str] = mapped_column(sa.String(24))
    sessions: Mapped[int] = mapped_column(default=0)
    abandoned: Mapped[int] = mapped_column(default=0)
    answered: Mapped[int] = mapped_column(default=0)
    negative: Mapped[int] = mapped_column(default=0)


class ThemeRollup(RollupKey, db.Model):
    """Per journey, step, UTC day of the answer, segment and theme key: the answers
    carrying the theme, how many as their primary one, by sentiment label, and their
    emotion sums; what a themes report reads instead of ``response_themes`` joined
    with ``responses`` (see ``collector/analytics/theme_rollups.py``)."""

    __tablename__ = "theme_rollups"
    __table_args__ = (
        sa.UniqueConstraint(
            "journey_id", "day", "step_id", "device", "locale", "variant", "theme_key", name="uq_theme_rollups_key"
        ),
        sa.Index("ix_theme_rollups_step", "step_id"),
    )

    step_id: Mapped[int] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"))
    theme_key: Mapped[str] = mapped_column(sa.String(64))
    n: Mapped[int] = mapped_column(default=0)
    primary: Mapped[int] = mapped_column(default=0)
    negative: Mapped[int] = mapped_column(default=0)
    neutral: Mapped[int] = mapped_column(default=0)
    positive: Mapped[int] = mapped_column(default=0)
    emotion_sum: Mapped[float] = mapped_column(default=0.0)
    emotion_sq: Mapped[float] = mapped_column(default=0.0)
