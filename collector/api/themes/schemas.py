"""Themes of comments per step as the CX API returns them, and their curation
(see docs/themes.md, "Stored themes and the API")."""

import marshmallow as ma
from marshmallow import fields, validate

from collector.api.fields import Key, UTCDateTime
from collector.api.responses.schemas import SegmentArgsSchema


class ThemesArgsSchema(SegmentArgsSchema):
    """The curve's filters, one step, and whether to show hidden themes."""

    step = Key(metadata={"description": "Only this step."})
    include_hidden = fields.Boolean(load_default=False, metadata={"description": "Also list themes a CX user hid."})


class SentimentCountsSchema(ma.Schema):
    negative = fields.Integer()
    neutral = fields.Integer()
    positive = fields.Integer()


class EmotionSchema(ma.Schema):
    mean = fields.Float(allow_none=True)
    ci_low = fields.Float(allow_none=True, metadata={"description": "95% Student t interval; null below 2 comments."})
    ci_high = fields.Float(allow_none=True)
    n = fields.Integer()


class ThemeRowSchema(ma.Schema):
    key = fields.String(metadata={"description": "Stable across rebuilds; never changes with the label."})
    label = fields.String()
    count = fields.Integer(metadata={"description": "Comments in the window carrying the theme (primary or not)."})
    primary = fields.Integer(metadata={"description": "Comments whose first theme it is."})
    share = fields.Float(metadata={"description": "count / all the step's comments in the window."})
    sentiment = fields.Nested(SentimentCountsSchema)
    emotion = fields.Nested(EmotionSchema)
    phrases = fields.List(fields.String())
    examples = fields.List(fields.String(), metadata={"description": "Up to 3 comments as stored (redacted)."})
    share_change = fields.Float(
        allow_none=True,
        metadata={"description": "share − share in the previous window of equal length; null without from and to."},
    )
    pinned = fields.Boolean()
    hidden = fields.Boolean()


class ModelInfoSchema(ma.Schema):
    version = fields.Integer(metadata={"description": "Counts the step's rebuilds."})
    comments = fields.Integer(metadata={"description": "Comments the model was built from."})


class StepThemesSchema(ma.Schema):
    step = fields.String()
    name = fields.String()
    comments = fields.Integer(metadata={"description": "The step's comments in the window and segment."})
    themes = fields.List(fields.Nested(ThemeRowSchema))
    model = fields.Nested(
        ModelInfoSchema,
        allow_none=True,
        metadata={"description": "Null until `stepsense themes rebuild` has built the step."},
    )


class ThemesWindowSchema(ma.Schema):
    from_ = UTCDateTime(data_key="from", attribute="from", allow_none=True)
    to = UTCDateTime(allow_none=True)


class JourneyThemesSchema(ma.Schema):
    journey = fields.String()
    window = fields.Nested(ThemesWindowSchema)
    steps = fields.List(fields.Nested(StepThemesSchema))


class CurveThemeSchema(ma.Schema):
    key = fields.String()
    label = fields.String()
    count = fields.Integer()
    share = fields.Float()


ThemeKey = Key


class ThemePatchSchema(ma.Schema):
    label = fields.String(validate=validate.Length(min=1, max=80))
    pinned = fields.Boolean()
    hidden = fields.Boolean()

    @ma.validates_schema
    def not_empty(self, data: dict, **kwargs) -> None:
        if not data:
            raise ma.ValidationError("Send label, pinned or hidden.", "_schema")


class MergeSchema(ma.Schema):
    keys = fields.List(ThemeKey(), required=True, validate=validate.Length(min=1, max=20))
    into = ThemeKey(required=True)


class SplitSchema(ma.Schema):
    label = fields.String(required=True, validate=validate.Length(min=1, max=80))
    phrases = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={"description": "Comments containing one of these (as lemmas, in order) get the theme first."},
    )
    key = ThemeKey(metadata={"description": "Default: the label's slug."})
    parent = ThemeKey(metadata={"description": "Only comments whose primary theme is this one."})


class SplitRuleSchema(ma.Schema):
    key = fields.String()
    label = fields.String()
    phrases = fields.List(fields.String())
    parent = fields.String(allow_none=True)


class CurationSchema(ma.Schema):
    renames = fields.Dict(keys=fields.String(), values=fields.String())
    merges = fields.Dict(keys=fields.String(), values=fields.String())
    splits = fields.List(fields.Nested(SplitRuleSchema))
    pinned = fields.List(fields.String())
    hidden = fields.List(fields.String())


class CurationResultSchema(ma.Schema):
    step = fields.String()
    curation = fields.Nested(CurationSchema)
    rebuilt = fields.Boolean(
        allow_none=True,
        metadata={
            "description": "True: the step was rebuilt with it; false: the next `stepsense themes rebuild` applies it."
        },
    )
    themes = fields.List(
        fields.Nested(ThemeRowSchema), metadata={"description": "The step's themes over all its comments."}
    )
