"""The emotional curve as the CX API returns it (see DESIGN.md, "Curve JSON",
and docs/curves.md for every formula)."""

import marshmallow as ma
from marshmallow import fields, validate
from webargs.fields import DelimitedList

from collector.analytics import compare as personas
from collector.api.curves.friction_schemas import FrictionMethodSchema, GroupFrictionSchema, StepFrictionSchema
from collector.api.fields import FullMatch, UTCDateTime
from collector.api.responses.schemas import SegmentArgsSchema
from collector.api.themes.schemas import CurveThemeSchema


class CurveArgsSchema(SegmentArgsSchema):
    """The segment filters, plus a time series and an A/B comparison."""

    interval = fields.String(
        validate=validate.OneOf(("day", "week")),
        metadata={"description": "Add a per-step time series by UTC day or ISO week."},
    )
    compare = fields.String(
        validate=FullMatch(personas.PATTERN, error="Use variant, device, locale, visitor_type or attr:NAME."),
        metadata={
            "description": "Compare groups of visitors per step: by variant, device, locale, visitor_type (new or "
            "returning) or attr:NAME (an answer attribute; NAME 1-40 letters, digits, '_', '-' or '.'). "
            "Two groups: B − A; more: each group vs the rest; emotion tests Holm-adjusted across "
            "steps × groups (docs/curves.md, Personas).",
            "example": "device",
        },
    )
    groups = DelimitedList(
        fields.String(validate=validate.Length(min=1, max=200)),
        metadata={
            "description": f"The groups to compare, two to {personas.MAX_GROUPS}, e.g. desktop,mobile; default: the two "
            f"variants with most answers, or up to {personas.MAX_GROUPS} groups with most answers."
        },
    )
    variants = DelimitedList(
        fields.String(validate=validate.Length(min=1, max=64)),
        metadata={
            "description": "The two variants to compare, A,B (compare=variant; same as groups=A,B); "
            "default: the two with most answers."
        },
    )

    @ma.validates_schema
    def comparison_is_consistent(self, data: dict, **kwargs) -> None:
        variants, groups, by = data.get("variants"), data.get("groups"), data.get("compare")
        if variants is not None:
            if by != "variant":
                raise ma.ValidationError("Only with compare=variant.", "variants")
            if len(variants) != 2 or variants[0] == variants[1]:
                raise ma.ValidationError("Name two different variants, e.g. A,B.", "variants")
            if groups is not None:
                raise ma.ValidationError("Name the variants in groups or in variants, not both.", "groups")
        if groups is not None:
            if by is None:
                raise ma.ValidationError("Only with compare.", "groups")
            if not 2 <= len(groups) <= personas.MAX_GROUPS or len(set(groups)) != len(groups):
                raise ma.ValidationError(
                    f"Name two to {personas.MAX_GROUPS} different groups, e.g. desktop,mobile.", "groups"
                )
        if by in personas.COLUMNS and data.get(by) is not None:
            raise ma.ValidationError(f"Filter by one {by} or compare by {by}, not both.", "compare")
        if (
            by
            and by.startswith(personas.ATTR)
            and any(key == by[len(personas.ATTR) :] for key, _ in data.get("attr") or ())
        ):
            raise ma.ValidationError("Filter by an attribute or compare by it, not both.", "compare")

    @ma.post_load
    def variants_from_groups(self, data: dict, **kwargs) -> dict:
        """compare=variant&groups=A,B,C is the generalised variants=A,B."""
        if data.get("compare") == "variant" and data.get("groups"):
            data["variants"] = data["groups"]
        return data


class IntervalSchema(ma.Schema):
    mean = fields.Float(allow_none=True)
    ci_low = fields.Float(allow_none=True)
    ci_high = fields.Float(allow_none=True)
    n = fields.Integer()


class CsatSchema(ma.Schema):
    n = fields.Integer()
    score = fields.Float(allow_none=True, metadata={"description": "Share of 4-5 answers, 0-1."})
    ci_low = fields.Float(allow_none=True, metadata={"description": "95% Wilson interval."})
    ci_high = fields.Float(allow_none=True)


class CesSchema(IntervalSchema):
    pass


class NpsSchema(ma.Schema):
    n = fields.Integer()
    score = fields.Float(allow_none=True, metadata={"description": "% promoters − % detractors, −100..100."})
    promoters = fields.Integer()
    detractors = fields.Integer()


class ExitIntentSchema(ma.Schema):
    count = fields.Integer()
    share = fields.Float(
        allow_none=True,
        metadata={"description": "Exit-intent answers at this step / all exit-intent answers in the journey."},
    )


class CommentSchema(ma.Schema):
    id = fields.Integer()
    text = fields.String(metadata={"description": "Personal data already redacted."})
    polarity = fields.Float()
    created_at = UTCDateTime()


class CommentsSchema(ma.Schema):
    count = fields.Integer()
    negative = fields.Integer()
    negative_share = fields.Float(allow_none=True)
    most_negative = fields.List(fields.Nested(CommentSchema))
    most_positive = fields.List(fields.Nested(CommentSchema))


def welch_t() -> fields.Float:
    """A Welch test's t: null where it would be infinite (``collector.analytics.stats.welch``)."""
    return fields.Float(
        allow_none=True, metadata={"description": "Welch's t; null when neither side varies (p 0 or 1)."}
    )


class FlagTestSchema(ma.Schema):
    diff = fields.Float(metadata={"description": "Difference of emotion means."})
    t = welch_t()
    df = fields.Float()
    p_value = fields.Float()
    p_adjusted = fields.Float(metadata={"description": "Holm-adjusted across the steps tested."})


class StepTestsSchema(ma.Schema):
    pain_point = fields.Nested(
        FlagTestSchema, allow_none=True, metadata={"description": "Step vs the rest of the journey."}
    )
    drop = fields.Nested(FlagTestSchema, allow_none=True, metadata={"description": "Step vs the previous step."})


class MetricsSchema(ma.Schema):
    responses = fields.Integer()
    impressions = fields.Integer(allow_none=True, metadata={"description": "Null with attribute filters."})
    response_rate = fields.Float(allow_none=True)
    emotion = fields.Nested(IntervalSchema)
    csat = fields.Nested(CsatSchema)
    ces = fields.Nested(CesSchema)
    nps = fields.Nested(NpsSchema)


class SeriesPointSchema(MetricsSchema):
    start = fields.Date(metadata={"description": "UTC day, or the Monday of the ISO week."})


class DifferenceSchema(ma.Schema):
    diff = fields.Float()
    ci_low = fields.Float(allow_none=True)
    ci_high = fields.Float(allow_none=True)
    t = welch_t()
    z = fields.Float()
    df = fields.Float()
    p_value = fields.Float()
    significant = fields.Boolean(metadata={"description": "p < 0.05 and n ≥ 30 in both variants."})


class GroupTestSchema(ma.Schema):
    metric = fields.String(metadata={"description": "emotion"})
    group = fields.String()
    against = fields.String(
        metadata={"description": "The other group (two groups: B − A), or rest: the other compared groups."}
    )
    n = fields.Integer()
    n_against = fields.Integer()
    diff = fields.Float(metadata={"description": "Emotion mean of group − against."})
    ci_low = fields.Float(allow_none=True)
    ci_high = fields.Float(allow_none=True)
    t = welch_t()
    df = fields.Float()
    p_value = fields.Float()
    p_adjusted = fields.Float(
        allow_none=True,
        metadata={"description": "Holm-adjusted across steps × groups; null when a side has fewer than 30 answers."},
    )
    significant = fields.Boolean(metadata={"description": "p_adjusted < 0.05."})


class GroupMetricsSchema(MetricsSchema):
    friction = fields.Nested(
        GroupFrictionSchema,
        allow_none=True,
        metadata={
            "description": "compare=device, locale or variant: the group's friction (docs/friction.md); else null."
        },
    )


class StepCompareSchema(ma.Schema):
    by = fields.String(metadata={"description": "The compare value, e.g. device or attr:plan."})
    groups = fields.Dict(keys=fields.String(), values=fields.Nested(GroupMetricsSchema))
    tests = fields.List(fields.Nested(GroupTestSchema))
    variants = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(GroupMetricsSchema),
        metadata={"description": "compare=variant only: the same as groups."},
    )
    emotion = fields.Nested(
        DifferenceSchema,
        allow_none=True,
        metadata={"description": "compare=variant with two variants: Welch t-test, B − A, unadjusted."},
    )
    csat = fields.Nested(
        DifferenceSchema,
        allow_none=True,
        metadata={"description": "compare=variant with two variants: two-proportion z-test, B − A."},
    )
    funnel = fields.Nested("StepFunnelCompareSchema", allow_none=True)


class RateSchema(ma.Schema):
    count = fields.Integer()
    n = fields.Integer()
    rate = fields.Float(allow_none=True, metadata={"description": "count / n."})
    ci_low = fields.Float(allow_none=True, metadata={"description": "95% Wilson interval."})
    ci_high = fields.Float(allow_none=True)


class TimesSchema(ma.Schema):
    n = fields.Integer()
    median = fields.Integer(
        allow_none=True, metadata={"description": "Seconds, nearest rank over the duration buckets."}
    )
    p90 = fields.Integer(allow_none=True)


class ShareDifferenceSchema(ma.Schema):
    diff = fields.Float()
    ci_low = fields.Float(allow_none=True)
    ci_high = fields.Float(allow_none=True)
    z = fields.Float()
    p_value = fields.Float()
    significant = fields.Boolean(metadata={"description": "p < 0.05 and n ≥ 30 on both sides."})


class EmotionAbandonmentSchema(ma.Schema):
    negative = fields.Nested(
        RateSchema, metadata={"description": "Abandonment of sessions answering with emotion < 0 here."}
    )
    positive = fields.Nested(
        RateSchema, metadata={"description": "Abandonment of sessions answering with emotion > 0 here."}
    )
    difference = fields.Nested(ShareDifferenceSchema, allow_none=True, metadata={"description": "Negative − positive."})


class StepFunnelSchema(ma.Schema):
    sessions = fields.Integer(metadata={"description": "Sessions that viewed the step."})
    reached = fields.Nested(RateSchema, metadata={"description": "Sessions viewing the step / all sessions."})
    continued = fields.Nested(RateSchema, metadata={"description": "Went on to a later step or completed."})
    abandonment = fields.Nested(
        RateSchema, metadata={"description": "Last step seen in a session that did not complete."}
    )
    retry = fields.Nested(RateSchema, metadata={"description": "Entered the step again, or sent a retry event there."})
    views = fields.Integer()
    errors = fields.Nested(RateSchema, metadata={"description": "Error events per step view."})
    time_on_step = fields.Nested(TimesSchema)
    emotion_abandonment = fields.Nested(EmotionAbandonmentSchema)


class StepFunnelCompareSchema(ma.Schema):
    abandonment = fields.Nested(ShareDifferenceSchema, allow_none=True, metadata={"description": "B − A."})
    continued = fields.Nested(ShareDifferenceSchema, allow_none=True, metadata={"description": "B − A."})


class FunnelSchema(ma.Schema):
    source = fields.String(metadata={"description": "rollups, or raw for sub-day windows."})
    session_timeout_minutes = fields.Integer()
    ignored_filters = fields.List(
        fields.String(), metadata={"description": "url_path and attr do not apply to the funnel."}
    )
    sessions = fields.Integer()
    completion = fields.Nested(RateSchema)
    time_to_completion = fields.Nested(TimesSchema)
    compare = fields.Nested("FunnelCompareSchema", metadata={"description": "With compare=variant only."})


class FunnelCompareSchema(ma.Schema):
    completion = fields.Nested(
        ShareDifferenceSchema, allow_none=True, metadata={"description": "Completion rate, B − A."}
    )


class CurveStepSchema(MetricsSchema):
    step = fields.String()
    name = fields.String()
    position = fields.Integer()
    exit_intent = fields.Nested(ExitIntentSchema)
    comments = fields.Nested(CommentsSchema)
    flags = fields.List(fields.String(), metadata={"description": "pain_point, drop, unhappy_exit, friction."})
    tests = fields.Nested(StepTestsSchema)
    series = fields.List(fields.Nested(SeriesPointSchema), metadata={"description": "With interval only."})
    compare = fields.Nested(StepCompareSchema, metadata={"description": "With compare only."})
    funnel = fields.Nested(
        StepFunnelSchema, metadata={"description": "How sessions moved through the step (docs/funnel.md)."}
    )
    themes = fields.List(
        fields.Nested(CurveThemeSchema),
        metadata={"description": "The step's three largest themes in the window (GET /v1/journeys/{key}/themes)."},
    )
    friction = fields.Nested(
        StepFrictionSchema, metadata={"description": "Behavioural friction at the step (docs/friction.md)."}
    )


class WindowSchema(ma.Schema):
    from_ = UTCDateTime(data_key="from", attribute="from", allow_none=True)
    to = UTCDateTime(allow_none=True)
    interval = fields.String(allow_none=True)


class SegmentSchema(ma.Schema):
    device = fields.String(allow_none=True)
    locale = fields.String(allow_none=True)
    variant = fields.String(allow_none=True)
    url_path = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    attr = fields.List(fields.String())


class MethodSchema(ma.Schema):
    min_n = fields.Integer()
    alpha = fields.Float()
    correction = fields.String()
    test = fields.String()


class OverallSchema(MetricsSchema):
    exit_intent = fields.Nested(ExitIntentSchema)


class CompareSchema(ma.Schema):
    by = fields.String()
    groups = fields.List(fields.String())
    source = fields.String(metadata={"description": "rollups, or raw (visitor_type, attr:NAME, or a raw curve)."})
    against = fields.String(allow_none=True, metadata={"description": "The first group (two groups), or rest."})
    test = fields.String()
    correction = fields.String()
    min_n = fields.Integer()
    alpha = fields.Float()
    variants = fields.List(fields.String(), metadata={"description": "compare=variant only."})
    difference = fields.String(allow_none=True, metadata={"description": "compare=variant only."})


class CurveSchema(ma.Schema):
    journey = fields.String()
    name = fields.String()
    window = fields.Nested(WindowSchema)
    segment = fields.Nested(SegmentSchema)
    source = fields.String(
        metadata={"description": "rollups, or raw for url_path/attribute filters and sub-day windows."}
    )
    method = fields.Nested(MethodSchema)
    overall = fields.Nested(OverallSchema)
    steps = fields.List(fields.Nested(CurveStepSchema))
    compare = fields.Nested(CompareSchema, metadata={"description": "With compare only."})
    funnel = fields.Nested(FunnelSchema, metadata={"description": "Sessions, completion and time to completion."})
    friction = fields.Nested(FrictionMethodSchema, metadata={"description": "How the friction blocks were computed."})
