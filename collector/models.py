"""Database models: tenants (sites), their keys, journeys, and what visitors send.

The schema is created only by the Alembic migrations in ``migrations/``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from collector.common.time import utcnow
from collector.extensions import db

# Big integer ids on PostgreSQL; SQLite only auto-increments INTEGER PRIMARY KEY.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Site(db.Model):
    """A tenant: one website (or app) that embeds the widget."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    public_key: Mapped[str] = mapped_column(sa.String(40), unique=True)
    origins: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Unknown journeys/steps sent by the widget are created on the fly when true,
    # rejected with 422 when false (for sites that manage their journeys by API).
    auto_register: Mapped[bool] = mapped_column(default=True)
    retention_days: Mapped[int | None] = mapped_column(default=None)
    # Widget behaviour: sampling, caps, locale, theme, do-not-track; see schemas.
    settings: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    journeys: Mapped[list[Journey]] = relationship(
        back_populates="site", cascade="all, delete-orphan", passive_deletes=True
    )


class ApiKey(db.Model):
    """A secret key for the CX API; only its SHA-256 is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    # The first characters of the key, kept to find the row and to show in listings.
    prefix: Mapped[str] = mapped_column(sa.String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64))
    scopes: Mapped[list[str]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Dashboard sessions carry this number; sign-out, rotation and revocation
    # increment it, so a session cookie saved before then no longer signs in.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    site: Mapped[Site] = relationship()


class Journey(db.Model):
    """A micro-journey such as checkout, addressed by a key unique within its site."""

    __tablename__ = "journeys"
    __table_args__ = (sa.UniqueConstraint("site_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # Made by ingest because the widget named it (Site.auto_register), not by the CX team.
    auto_registered: Mapped[bool] = mapped_column(default=False, server_default="0")

    site: Mapped[Site] = relationship(back_populates="journeys")
    steps: Mapped[list[Step]] = relationship(
        back_populates="journey",
        order_by="Step.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Step(db.Model):
    """One step of a journey; ``position`` orders the curve."""

    __tablename__ = "steps"
    __table_args__ = (sa.UniqueConstraint("journey_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(default=0)
    # Made by ingest because the widget named it; left out of the widget config until it has a prompt.
    auto_registered: Mapped[bool] = mapped_column(default=False, server_default="0")

    journey: Mapped[Journey] = relationship(back_populates="steps")
    prompts: Mapped[list[Prompt]] = relationship(
        back_populates="step",
        order_by="Prompt.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Prompt(db.Model):
    """What the widget asks at a step, and when."""

    __tablename__ = "prompts"

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    trigger: Mapped[str] = mapped_column(sa.String(16), default="inline")
    # Wording per locale, e.g. {"en": "How easy was paying?", "de": "..."}.
    text: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    # {"max_score": 2, "text": {...}}: ask for a comment after a low score.
    follow_up: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    delay_ms: Mapped[int | None] = mapped_column()
    scroll_percent: Mapped[int | None] = mapped_column()
    event_name: Mapped[str | None] = mapped_column(sa.String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    step: Mapped[Step] = relationship(back_populates="prompts")


class Response(db.Model):
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
    visitor_id: Mapped[str | None] = mapped_column(sa.String(64))
    session_id: Mapped[str | None] = mapped_column(sa.String(64))
    url_path: Mapped[str | None] = mapped_column(sa.String(512))
    device: Mapped[str | None] = mapped_column(sa.String(16))
    locale: Mapped[str | None] = mapped_column(sa.String(35))
    variant: Mapped[str | None] = mapped_column(sa.String(64))
    # new or returning: had this browser a visitor id before the session? (VISITOR_TYPES)
    visitor_type: Mapped[str | None] = mapped_column(sa.String(16))
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


class Event(db.Model):
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
    visitor_id: Mapped[str | None] = mapped_column(sa.String(64))
    session_id: Mapped[str | None] = mapped_column(sa.String(64))
    url_path: Mapped[str | None] = mapped_column(sa.String(512))
    device: Mapped[str | None] = mapped_column(sa.String(16))
    locale: Mapped[str | None] = mapped_column(sa.String(35))
    variant: Mapped[str | None] = mapped_column(sa.String(64))
    visitor_type: Mapped[str | None] = mapped_column(sa.String(16))
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
        sa.UniqueConstraint("journey_id", "day", "step_id", "device", "locale", "variant", name="uq_funnel_rollups_key"),
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
        sa.UniqueConstraint("journey_id", "day", "step_id", "device", "locale", "variant", "seconds",
                            name="uq_funnel_durations_key"),
    )

    # 0: time to completion of the journey; no foreign key, so 0 can exist.
    step_id: Mapped[int] = mapped_column()
    seconds: Mapped[int] = mapped_column()
    count: Mapped[int] = mapped_column(default=0)


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


class ThemeModelRow(db.Model):
    """A step's theme model (``collector.analytics.themes``), stored without its
    assignments, which live per answer in ``response_themes``; see
    ``collector/analytics/theme_store.py``."""

    __tablename__ = "theme_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"), unique=True)
    # Counts the step's rebuilds: workers reload their compiled model when it changes.
    version: Mapped[int] = mapped_column(default=1)
    model: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    comments: Mapped[int] = mapped_column(default=0)
    built_through_response_id: Mapped[int | None] = mapped_column(BigId)
    # Hash of the curation and engine version the model was built with.
    source_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    built_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class ResponseTheme(db.Model):
    """One theme of one answer's comment; ``rank`` 0 is the primary theme."""

    __tablename__ = "response_themes"
    __table_args__ = (sa.Index("ix_response_themes_step_theme", "step_id", "theme_key", "response_id"),)

    response_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    theme_key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(sa.SmallInteger, default=0)


class ThemeCuration(db.Model):
    """What a CX user decided about a step's themes (``Curation.to_dict()``)."""

    __tablename__ = "theme_curations"

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"), unique=True)
    curation: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class FrictionSession(RollupKey, db.Model):
    """One (journey, browser session, step, signal) seen: a friction signal, ``quick_back``,
    ``any`` or ``view``; keyed by the session's day and segment, with whether the session
    abandoned and answered (negatively) at the step (see ``collector/analytics/friction.py``)."""

    __tablename__ = "friction_sessions"
    __table_args__ = (
        sa.UniqueConstraint("journey_id", "session_id", "step_id", "signal", name="uq_friction_sessions_key"),
        sa.Index("ix_friction_sessions_site_day", "site_id", "day"),
    )

    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"), index=True)
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
        sa.UniqueConstraint("journey_id", "day", "step_id", "signal", "device", "locale", "variant",
                            name="uq_friction_rollups_key"),
        sa.Index("ix_friction_rollups_site_day", "site_id", "day"),
    )

    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"), index=True)
    signal: Mapped[str] = mapped_column(sa.String(24))
    sessions: Mapped[int] = mapped_column(default=0)
    abandoned: Mapped[int] = mapped_column(default=0)
    answered: Mapped[int] = mapped_column(default=0)
    negative: Mapped[int] = mapped_column(default=0)
