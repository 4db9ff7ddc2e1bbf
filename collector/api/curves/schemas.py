"""The emotional curve as the CX API returns it (see DESIGN.md, "Curve JSON")."""

import marshmallow as ma
from marshmallow import fields

from collector.api.fields import UTCDateTime


class IntervalSchema(ma.Schema):
    mean = fields.Float(allow_none=True)
    ci_low = fields.Float(allow_none=True)
    ci_high = fields.Float(allow_none=True)


class CsatSchema(ma.Schema):
    n = fields.Integer()
    score = fields.Float(allow_none=True, metadata={"description": "Share of 4-5 answers, 0-1."})
    ci_low = fields.Float(allow_none=True)
    ci_high = fields.Float(allow_none=True)


class CesSchema(IntervalSchema):
    n = fields.Integer()


class NpsSchema(ma.Schema):
    n = fields.Integer()
    score = fields.Float(allow_none=True, metadata={"description": "% promoters − % detractors, −100..100."})
    promoters = fields.Integer()
    detractors = fields.Integer()


class ExitIntentSchema(ma.Schema):
    count = fields.Integer()


class CommentsSchema(ma.Schema):
    count = fields.Integer()
    negative_share = fields.Float(allow_none=True)


class CurveStepSchema(ma.Schema):
    step = fields.String()
    name = fields.String()
    position = fields.Integer()
    responses = fields.Integer()
    impressions = fields.Integer()
    response_rate = fields.Float(allow_none=True)
    emotion = fields.Nested(IntervalSchema)
    csat = fields.Nested(CsatSchema)
    ces = fields.Nested(CesSchema)
    nps = fields.Nested(NpsSchema)
    exit_intent = fields.Nested(ExitIntentSchema)
    comments = fields.Nested(CommentsSchema)
    flags = fields.List(fields.String())


class WindowSchema(ma.Schema):
    from_ = UTCDateTime(data_key="from", attribute="from", allow_none=True)
    to = UTCDateTime(allow_none=True)


class CurveSchema(ma.Schema):
    journey = fields.String()
    name = fields.String()
    window = fields.Nested(WindowSchema)
    steps = fields.List(fields.Nested(CurveStepSchema))
