"""The key's own site: settings the widget follows, and API keys."""

import marshmallow as ma
from marshmallow import fields, validate

from collector.api.fields import FullMatch, Locale, UTCDateTime
from collector.common.time import zone
from collector.tenancy.keys import SCOPES
from collector.tenancy.sites import normalise_origin

COLOR = FullMatch(r"^#[0-9A-Fa-f]{3}(?:[0-9A-Fa-f]{3})?$", error="Use a hex colour such as #4f46e5.")


def _valid_timezone(value: str) -> None:
    try:
        zone(value)
    except ValueError as error:
        raise ma.ValidationError(str(error)) from None


class ThemeSchema(ma.Schema):
    accent = fields.String(validate=COLOR)
    background = fields.String(allow_none=True, validate=COLOR)
    text = fields.String(allow_none=True, validate=COLOR)
    font = fields.String(
        allow_none=True,
        validate=FullMatch(r"^[A-Za-z0-9 ,'\"-]{1,120}$", error="Use a CSS font-family list."),
    )
    position = fields.String(validate=validate.OneOf(["bottom-right", "bottom-left", "top-right", "top-left"]))
    radius = fields.Integer(strict=True, validate=validate.Range(min=0, max=32))


class SiteSettingsSchema(ma.Schema):
    sampling = fields.Float(
        validate=validate.Range(min=0, max=1), metadata={"description": "Share of visitors who may be asked."}
    )
    events_sampling = fields.Float(
        validate=validate.Range(min=0, max=1), metadata={"description": "Share of sessions whose step views are sent."}
    )
    per_step_days = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=365),
        metadata={"description": "Don't ask again at a step for N days after an answer."},
    )
    per_session = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=20), metadata={"description": "At most K prompts per session."}
    )
    dismiss_days = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=365),
        metadata={"description": "A dismissal silences the widget for N days."},
    )
    session_timeout_minutes = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=1440),
        metadata={
            "description": "Funnel: a session ends after this many minutes without an event (changing it rebuilds the funnel)."
        },
    )
    respect_dnt = fields.Boolean(metadata={"description": "Ask nothing under Do-Not-Track or Global Privacy Control."})
    locale = Locale(allow_none=True)
    timezone = fields.String(
        allow_none=True,
        validate=[validate.Length(max=64), _valid_timezone],
        metadata={"description": "IANA time zone (e.g. Europe/Berlin) of digest rules that name none; null: UTC."},
    )
    theme = fields.Nested(ThemeSchema)


def _valid_origin(value: str) -> None:
    try:
        normalise_origin(value)
    except ValueError as error:
        raise ma.ValidationError(str(error)) from None


class SiteSchema(ma.Schema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    public_key = fields.String(dump_only=True)
    origins = fields.List(
        fields.String(validate=[validate.Length(max=200), _valid_origin]), validate=validate.Length(max=50)
    )
    auto_register = fields.Boolean(
        metadata={"description": "Create unknown journeys/steps the widget sends (else 422)."}
    )
    retention_days = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=3650))
    settings = fields.Nested(SiteSettingsSchema)
    embed_snippet = fields.String(dump_only=True)
    created_at = UTCDateTime(dump_only=True)


class SitePatchSchema(SiteSchema):
    """A site change: fields left out keep their values; settings merge key by key."""


class ApiKeySchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(load_default="", validate=validate.Length(max=120))
    prefix = fields.String(dump_only=True, metadata={"description": "First characters of the secret, to recognise it."})
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True, validate=validate.Length(min=1))
    created_at = UTCDateTime(dump_only=True)
    revoked_at = UTCDateTime(dump_only=True, allow_none=True)


class NewApiKeySchema(ApiKeySchema):
    secret_key = fields.String(dump_only=True, metadata={"description": "Shown once; only its hash is stored."})


class ApiKeyListSchema(ma.Schema):
    items = fields.List(fields.Nested(ApiKeySchema))
