"""Answers as the CX API lists them, and the filters shared with curves and exports."""

import re

import marshmallow as ma
from marshmallow import fields, validate

from collector.api.fields import (
    ATTRIBUTE_NAME_PATTERN,
    MAX_ATTRIBUTE_LENGTH,
    TIME_RANGE,
    FullMatch,
    Key,
    Locale,
    OpaqueId,
    UTCDateTime,
)
from collector.common.vocabulary import DEVICES, KINDS, TRIGGERS

LABELS = ("positive", "neutral", "negative")


class AttributeFilter(fields.String):
    """``key:value``, matching answers whose attribute ``key`` equals ``value`` (as text)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        key, separator, wanted = text.partition(":")
        if not separator or not re.fullmatch(ATTRIBUTE_NAME_PATTERN, key) or len(wanted) > MAX_ATTRIBUTE_LENGTH:
            raise ma.ValidationError("Use key:value, e.g. plan:pro.")
        return key, wanted


class SegmentArgsSchema(ma.Schema):
    """Time window and segment: the filters every analytical endpoint takes."""

    from_ = UTCDateTime(
        data_key="from",
        attribute="from",
        metadata={"description": f"Inclusive start (ISO 8601), {TIME_RANGE}; 422 outside. Leave out for no start."},
    )
    to = UTCDateTime(
        metadata={"description": f"Exclusive end (ISO 8601), {TIME_RANGE}; 422 outside. Leave out for no end."}
    )
    variant = fields.String(validate=validate.Length(min=1, max=64))
    device = fields.String(validate=validate.OneOf(DEVICES))
    locale = Locale()
    url_path = fields.String(validate=validate.Length(min=1, max=512), metadata={"description": "URL path prefix."})
    language = fields.String(
        validate=FullMatch(r"^[a-z]{2}$", error="Use an ISO 639-1 code such as de."),
        metadata={
            "description": "Answers whose comment is in this language (ISO 639-1); impressions and the funnel can't be split by it."
        },
    )
    attr = fields.List(
        AttributeFilter(),
        validate=validate.Length(max=5),
        metadata={"description": "Attribute filter key:value; repeat to require several."},
    )

    @ma.validates_schema
    def window_is_ordered(self, data: dict, **kwargs) -> None:
        if data.get("from") and data.get("to") and data["from"] >= data["to"]:
            raise ma.ValidationError("'from' must be before 'to'.", "to")


class ResponseArgsSchema(SegmentArgsSchema):
    journey = Key()
    step = Key()
    kind = fields.String(validate=validate.OneOf(KINDS))
    trigger = fields.String(validate=validate.OneOf(TRIGGERS))
    visitor_id = OpaqueId()
    has_comment = fields.Boolean()
    sentiment = fields.String(validate=validate.OneOf(LABELS))
    theme = Key(
        metadata={"description": "Answers whose comment carries this theme key (GET /v1/journeys/{key}/themes)."}
    )
    cursor = fields.String(validate=validate.Length(max=64))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class SentimentSchema(ma.Schema):
    polarity = fields.Float(allow_none=True)
    subjectivity = fields.Float(allow_none=True)
    label = fields.String(allow_none=True)


class KeySchema(ma.Schema):
    key = fields.String()


class ResponseOutSchema(ma.Schema):
    id = fields.Integer()
    client_id = fields.String()
    journey = fields.Pluck("KeySchema", "key")
    step = fields.Pluck("KeySchema", "key")
    kind = fields.String()
    score = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True, metadata={"description": "Personal data already redacted."})
    sentiment = fields.Nested(SentimentSchema, metadata={"description": "Null fields when there is no comment."})
    language = fields.String(
        allow_none=True,
        metadata={
            "description": "ISO 639-1 code of the comment's language, detected (the locale as a prior); null without a comment."
        },
    )
    emotion = fields.Float()
    themes = fields.List(
        fields.String(),
        metadata={
            "description": "Theme keys of the comment, primary first; empty when it fits none or its step has no themes yet."
        },
    )
    scorer_version = fields.String()
    trigger = fields.String()
    visitor_id = fields.String(allow_none=True)
    session_id = fields.String(allow_none=True)
    url_path = fields.String(allow_none=True)
    device = fields.String(allow_none=True)
    locale = fields.String(allow_none=True)
    variant = fields.String(allow_none=True)
    visitor_type = fields.String(
        allow_none=True, metadata={"description": "new or returning; null if the widget did not say."}
    )
    attributes = fields.Dict(allow_none=True)
    created_at = UTCDateTime()


class ResponsePageSchema(ma.Schema):
    items = fields.List(fields.Nested(ResponseOutSchema))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "Pass as `cursor` for the next page; null on the last."}
    )
