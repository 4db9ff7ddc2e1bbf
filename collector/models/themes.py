"""Theme models per step, each answer's themes, and curation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from collector.common.time import utcnow
from collector.extensions import db
from collector.models.base import BigId


class ThemeModelRow(db.Model):
    """A step's theme model (``collector.analytics.themes``), stored without its
    assignments, which live per answer in ``response_themes``; see
    ``collector/analytics/theme_store.py``."""

    __tablename__ = "theme_models"
    __table_args__ = (sa.Index("ix_theme_models_journey", "journey_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(sa.ForeignKey("journeys.id", ondelete="CASCADE"))
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
