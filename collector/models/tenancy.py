"""Sites, their API keys, journeys, steps and prompts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from collector.common.time import utcnow
from collector.extensions import db


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
