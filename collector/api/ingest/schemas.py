"""What the widget may send, and what the site config endpoint returns to it."""

import marshmallow as ma
from marshmallow import fields, validate

from collector.api.fields import Attributes, Key, Locale, OpaqueId
from collector.common.vocabulary import DEVICES, EVENT_TYPES, FRICTION_SIGNALS, KINDS, SCALES, TRIGGERS, VISITOR_TYPES

MAX_BATCH = 50
MAX_EVENT_BATCH = 100
MAX_COMMENT = 2000
MAX_AGE_MS = 7 * 24 * 3600 * 1000  # the widget drops what it could not deliver in a week


class VisitContextSchema(ma.Schema):
    """Fields describing where and to whom something happened; shared by answers and events."""

    site_key = fields.String(required=True, validate=validate.Length(min=1, max=40), metadata={"example": "pk_demo"})
    journey = Key(required=True)
    step = Key(required=True, metadata={"example": "payment"})
    client_id = fields.UUID(required=True, metadata={"description": "Random per answer; resending it is a no-op."})
    visitor_id = OpaqueId(allow_none=True)
    session_id = OpaqueId(allow_none=True)
    url_path = fields.String(
        allow_none=True,
        validate=validate.Length(max=2048),
        metadata={"description": "Page path; any query string or fragment is dropped before storage."},
    )
    device = fields.String(allow_none=True, validate=validate.OneOf(DEVICES))
    locale = Locale(allow_none=True)
    variant = fields.String(allow_none=True, validate=validate.Length(max=64))
    visitor_type = fields.String(
        allow_none=True,
        validate=validate.OneOf(VISITOR_TYPES),
        metadata={"description": "new: the browser had no visitor id before this session; returning: it had one."},
    )
    age_ms = fields.Integer(
        allow_none=True,
        strict=True,
        validate=validate.Range(min=0, max=MAX_AGE_MS),
        metadata={
            "description": "Milliseconds from the moment it happened to this request (the widget's "
            "queue holds items while offline). Stored as the time received minus this "
            "age, so the visitor's clock is never trusted. Omitted: the time received."
        },
    )
    hp = fields.String(
        allow_none=True,
        load_only=True,
        validate=validate.Length(max=200),
        metadata={
            "description": "Honeypot: a field people never see; send it empty or omit it. "
            "An answer or event with it filled is acknowledged as usual but not stored."
        },
    )


class ResponseInSchema(VisitContextSchema):
    """One answer as the widget sends it."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    score = fields.Integer(
        allow_none=True,
        strict=True,
        metadata={"description": "csat 1-5, ces 1-7 (7 = very easy), nps 0-10, thumbs 0/1; null for comment"},
    )
    comment = fields.String(allow_none=True, validate=validate.Length(max=MAX_COMMENT))
    trigger = fields.String(load_default="inline", validate=validate.OneOf(TRIGGERS))
    attributes = Attributes(allow_none=True)

    @ma.validates_schema
    def score_fits_kind(self, data: dict, **kwargs) -> None:
        kind, score = data.get("kind"), data.get("score")
        if kind == "comment":
            if score is not None:
                raise ma.ValidationError("A comment has no score.", "score")
            if not (data.get("comment") or "").strip():
                raise ma.ValidationError("A comment response needs a comment.", "comment")
        elif kind in SCALES:
            low, high = SCALES[kind]
            if score is None:
                raise ma.ValidationError(f"A {kind} response needs a score.", "score")
            if not low <= score <= high:
                raise ma.ValidationError(f"A {kind} score is between {low} and {high}.", "score")


class ResponseBatchSchema(ma.Schema):
    responses = fields.List(
        fields.Nested(ResponseInSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH),
    )


class EventInSchema(VisitContextSchema):
    """Something the widget showed or saw: an impression, a dismissal, a step view."""

    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    kind = fields.String(allow_none=True, validate=validate.OneOf(KINDS))
    name = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))
    props = Attributes(allow_none=True)

    @ma.validates_schema
    def friction_props(self, data: dict, **kwargs) -> None:
        """Friction events carry only the described fields (docs/friction.md): never text or values."""
        if data.get("type") in FRICTION_SIGNALS:
            extra = sorted(set(data.get("props") or {}) - set(FRICTION_PROPS))
            if extra:
                raise ma.ValidationError(f"A {data['type']} event carries only {', '.join(FRICTION_PROPS)}.", "props")


# What a friction event's props may hold: the element (tag#id[label]), the click count,
# the error's truncated message, its script path and line, the invalid field's name.
FRICTION_PROPS = ("target", "count", "message", "file", "line", "field", "reason")


class EventBatchSchema(ma.Schema):
    events = fields.List(
        fields.Nested(EventInSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_EVENT_BATCH),
    )


class IngestResultSchema(ma.Schema):
    received = fields.Integer(required=True)
    stored = fields.Integer(metadata={"description": "New records; the rest were retries. Direct path only."})
    queued = fields.Integer(
        metadata={
            "description": "With the ingest log (INGEST_QUEUE_URL, answered 202): items the log durably accepted "
            "for the workers to store; the rest were retries of items it holds."
        }
    )
    duplicates = fields.Integer(required=True)


class FollowUpSchema(ma.Schema):
    max_score = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=10),
        metadata={"description": "Ask for a comment when the score is at most this."},
    )
    text = fields.Dict(keys=Locale(), values=fields.String(validate=validate.Length(max=300)), required=True)


class WidgetPromptSchema(ma.Schema):
    id = fields.Integer()
    kind = fields.String()
    trigger = fields.String()
    text = fields.Dict(keys=fields.String(), values=fields.String())
    follow_up = fields.Nested(FollowUpSchema, allow_none=True)
    delay_ms = fields.Integer(allow_none=True)
    scroll_percent = fields.Integer(allow_none=True)
    event_name = fields.String(allow_none=True)


class WidgetStepSchema(ma.Schema):
    position = fields.Integer()
    last = fields.Boolean(metadata={"description": "Reaching this step completes the journey."})
    prompts = fields.List(fields.Nested(WidgetPromptSchema))


class WidgetJourneySchema(ma.Schema):
    steps = fields.Dict(keys=fields.String(), values=fields.Nested(WidgetStepSchema))


class WidgetConfigSchema(ma.Schema):
    """Everything the widget needs to decide what to ask, when, and how it looks."""

    site = fields.String()
    settings = fields.Dict(metadata={"description": "Sampling, caps, locale, theme, privacy; see SiteSettingsSchema."})
    journeys = fields.Dict(keys=fields.String(), values=fields.Nested(WidgetJourneySchema))
