"""The curve's friction block as the CX API returns it (docs/friction.md)."""

import marshmallow as ma
from marshmallow import fields

from collector.common.vocabulary import FRICTION_SIGNALS


class SignalShareSchema(ma.Schema):
    sessions = fields.Integer(metadata={"description": "Sessions that showed the signal at the step."})
    share = fields.Float(allow_none=True, metadata={"description": "Of the sessions that viewed the step."})
    ci_low = fields.Float(allow_none=True)
    ci_high = fields.Float(allow_none=True)


class GroupRateSchema(ma.Schema):
    count = fields.Integer()
    n = fields.Integer()
    rate = fields.Float(allow_none=True)
    ci_low = fields.Float(allow_none=True)
    ci_high = fields.Float(allow_none=True)


class RateDifferenceSchema(ma.Schema):
    diff = fields.Float()
    ci_low = fields.Float(allow_none=True)
    ci_high = fields.Float(allow_none=True)
    p_value = fields.Float()


class WithWithoutSchema(ma.Schema):
    with_ = fields.Nested(GroupRateSchema, data_key="with", attribute="with")
    without = fields.Nested(GroupRateSchema)
    difference = fields.Nested(
        RateDifferenceSchema, allow_none=True, metadata={"description": "with − without, z-test."}
    )


class FrictionTestSchema(ma.Schema):
    diff = fields.Float()
    p_value = fields.Float()
    p_adjusted = fields.Float()


class GroupFrictionSchema(ma.Schema):
    """A compared group's friction at a step: shares only, no test between groups."""

    sessions = fields.Integer(metadata={"description": "The group's sessions that viewed the step."})
    signals = fields.Dict(
        keys=fields.String(metadata={"enum": list(FRICTION_SIGNALS)}), values=fields.Nested(SignalShareSchema)
    )
    index = fields.Nested(SignalShareSchema, metadata={"description": "The group's sessions with any signal."})


class StepFrictionSchema(ma.Schema):
    sessions = fields.Integer(metadata={"description": "Sessions that viewed the step."})
    signals = fields.Dict(
        keys=fields.String(metadata={"enum": list(FRICTION_SIGNALS)}), values=fields.Nested(SignalShareSchema)
    )
    index = fields.Nested(SignalShareSchema, metadata={"description": "Sessions with any signal at the step."})
    abandonment = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(WithWithoutSchema),
        metadata={"description": "Abandonment at the step, sessions with vs without the signal ('any': some signal)."},
    )
    emotion = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(WithWithoutSchema),
        metadata={"description": "Share of answering sessions whose answers were negative, with vs without."},
    )
    test = fields.Nested(
        FrictionTestSchema, allow_none=True, metadata={"description": "Index vs the journey's other steps."}
    )


class FrictionMethodSchema(ma.Schema):
    source = fields.String()
    signals = fields.List(fields.String())
    min_n = fields.Integer()
    alpha = fields.Float()
    test = fields.String()
    ignored_filters = fields.List(fields.String())
