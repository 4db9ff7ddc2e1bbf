"""Database models: tenants (sites), their keys, journeys, what visitors send,
the rollups kept at ingest, alerts and themes; one module per group of tables.

The schema is created only by the Alembic migrations in ``migrations/``.
Every module of the package is imported here, so that SQLAlchemy knows all
classes before a relationship names one, and callers import from
``collector.models``.
"""

from collector.common.time import utcnow
from collector.models.alerts import AlertDelivery, AlertRule
from collector.models.answers import Event, Response, TrappedClientId
from collector.models.base import BigId
from collector.models.rollups import (
    FrictionRollup,
    FrictionSession,
    FunnelDuration,
    FunnelJourneyRollup,
    FunnelRollup,
    RollupKey,
    StepRollup,
    ThemeRollup,
)
from collector.models.tenancy import ApiKey, Journey, Prompt, Site, Step
from collector.models.themes import ResponseTheme, ThemeCuration, ThemeModelRow

__all__ = [
    "AlertDelivery",
    "AlertRule",
    "ApiKey",
    "BigId",
    "Event",
    "FrictionRollup",
    "FrictionSession",
    "FunnelDuration",
    "FunnelJourneyRollup",
    "FunnelRollup",
    "Journey",
    "Prompt",
    "Response",
    "ResponseTheme",
    "RollupKey",
    "Site",
    "Step",
    "StepRollup",
    "ThemeCuration",
    "ThemeModelRow",
    "ThemeRollup",
    "TrappedClientId",
    "utcnow",
]
