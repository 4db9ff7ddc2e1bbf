"""Journeys, steps and prompts as the CX API reads and writes them."""

import marshmallow as ma
from marshmallow import fields, validate

from collector.api.fields import Key, Locale, UTCDateTime
from collector.api.ingest.schemas import FollowUpSchema
from collector.common.vocabulary import KINDS, SCALES, TRIGGERS

AUTO_REGISTERED = (
    "Made by ingest because the widget named it (the site auto-registers), until the CX team "
    "renames or moves it. Such a step is left out of the widget config while it has no active prompt."
)
Name = lambda **kw: fields.String(validate=validate.Length(min=1, max=120), **kw)  # noqa: E731


class StepSchema(ma.Schema):
    key = Key(required=True, metadata={"example": "payment"})
    name = Name(metadata={"example": "Payment"})
    position = fields.Integer(dump_only=True)
    auto_registered = fields.Boolean(dump_only=True, metadata={"description": AUTO_REGISTERED})


class StepCreateSchema(ma.Schema):
    key = Key(required=True, metadata={"example": "payment"})
    name = Name(metadata={"example": "Payment"})
    position = fields.Integer(
        strict=True, validate=validate.Range(min=0), metadata={"description": "Insert here; default: at the end."}
    )


class StepUpdateSchema(ma.Schema):
    name = Name()
    position = fields.Integer(strict=True, validate=validate.Range(min=0))


class JourneySchema(ma.Schema):
    key = Key(required=True)
    name = Name(metadata={"example": "Checkout"})
    steps = fields.List(fields.Nested(StepSchema), validate=validate.Length(max=100))
    created_at = UTCDateTime(dump_only=True)
    auto_registered = fields.Boolean(dump_only=True, metadata={"description": AUTO_REGISTERED})


class JourneyUpdateSchema(ma.Schema):
    name = Name()
    step_order = fields.List(
        Key(), validate=validate.Length(max=100), metadata={"description": "Every step key, in the new order."}
    )


class JourneyListSchema(ma.Schema):
    items = fields.List(fields.Nested(JourneySchema))


Text = lambda **kw: fields.Dict(  # noqa: E731
    keys=Locale(),
    values=fields.String(validate=validate.Length(min=1, max=300)),
    validate=validate.Length(max=30),
    metadata={"example": {"en": "How easy was it to pay?", "de": "Wie einfach war das Bezahlen?"}},
    **kw,
)


class PromptSchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    trigger = fields.String(load_default="inline", validate=validate.OneOf(TRIGGERS))
    text = Text(load_default=dict)
    follow_up = fields.Nested(FollowUpSchema, allow_none=True, load_default=None)
    delay_ms = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=600_000))
    scroll_percent = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=100))
    event_name = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))
    active = fields.Boolean(load_default=True)

    @ma.validates_schema
    def trigger_has_its_setting(self, data: dict, partial=None, **kwargs) -> None:
        trigger = data.get("trigger")
        needs = {"after_ms": "delay_ms", "scroll": "scroll_percent", "event": "event_name"}
        if not partial and trigger in needs and data.get(needs[trigger]) is None:
            raise ma.ValidationError(f"The '{trigger}' trigger needs {needs[trigger]}.", needs[trigger])
        follow_up, kind = data.get("follow_up"), data.get("kind")
        if follow_up and kind in SCALES and follow_up["max_score"] > SCALES[kind][1]:
            raise ma.ValidationError(f"max_score is above the {kind} scale.", "follow_up")


class PromptPatchSchema(PromptSchema):
    """A prompt change: fields left out keep their values."""


class PromptListSchema(ma.Schema):
    items = fields.List(fields.Nested(PromptSchema))
