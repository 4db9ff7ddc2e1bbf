"""Alert rules and their deliveries (webhooks, Slack, Teams, e-mail) as the CX API reads and writes them."""

import marshmallow as ma
from marshmallow import fields, validate

from collector.alerts.rules import (
    KINDS,
    MAX_RECIPIENTS,
    SCHEDULES,
    STATUSES,
    TARGETS,
    WEEKDAYS,
    check_timezone,
    check_webhook_url,
    signal_problems,
)
from collector.api.fields import Key, UTCDateTime
from collector.common.vocabulary import FRICTION_SIGNALS


def _webhook_url(value: str) -> None:
    try:
        check_webhook_url(value)
    except ValueError as error:
        raise ma.ValidationError(str(error)) from None


def _timezone(value: str) -> None:
    try:
        check_timezone(value)
    except ValueError as error:
        raise ma.ValidationError(str(error)) from None


def Target(**kwargs) -> fields.String:
    return fields.String(
        validate=validate.OneOf(TARGETS),
        metadata={
            "description": "webhook: signed JSON POST to webhook_url; slack: a Block Kit message to a Slack incoming "
            "webhook; teams: an Adaptive Card to a Teams webhook; email: to email_to over SMTP."
        },
        **kwargs,
    )


def EmailTo(**kwargs) -> fields.List:
    return fields.List(
        fields.Email(validate=validate.Length(max=254)),
        validate=validate.Length(max=MAX_RECIPIENTS),
        metadata={
            "description": f"Up to {MAX_RECIPIENTS} addresses. Required for target email; "
            "with another target, each firing is e-mailed to them too.",
            "example": ["cx-team@example.com"],
        },
        **kwargs,
    )


def Schedule(**kwargs) -> fields.String:
    return fields.String(
        validate=validate.OneOf(SCHEDULES),
        metadata={"description": "digest: daily or weekly (default daily)."},
        **kwargs,
    )


def LocalHour(**kwargs) -> fields.Integer:
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=23),
        metadata={"description": "digest: the local hour (0-23) a period ends and the digest is sent (default 9)."},
        **kwargs,
    )


def TimeZone(**kwargs) -> fields.String:
    return fields.String(
        validate=[validate.Length(max=64), _timezone],
        metadata={
            "description": "digest: IANA time zone of local_hour; null follows the site's timezone setting, else UTC.",
            "example": "Europe/Berlin",
        },
        **kwargs,
    )


def Weekday(**kwargs) -> fields.String:
    return fields.String(
        validate=validate.OneOf(WEEKDAYS),
        metadata={"description": "weekly digest: the day its week ends and it is sent."},
        **kwargs,
    )


def Signal(**kwargs) -> fields.String:
    return fields.String(
        validate=validate.OneOf(FRICTION_SIGNALS),
        metadata={
            "description": "friction_above only (required there): the friction signal watched, "
            "its share of the sessions that viewed the step (docs/friction.md).",
            "example": "rage_click",
        },
        **kwargs,
    )


class AlertRuleSchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(validate=validate.Length(min=1, max=120), metadata={"example": "Payment mood drop"})
    journey = Key(required=True, attribute="journey_key")
    step = Key(
        allow_none=True,
        load_default=None,
        attribute="step_key",
        metadata={"example": "payment", "description": "Null: check every step of the journey on its own."},
    )
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    signal = Signal(allow_none=True, load_default=None)
    target = Target(load_default="webhook")
    webhook_url = fields.String(
        validate=[validate.Length(max=2048), _webhook_url],
        metadata={
            "example": "https://hooks.example.com/stepsense",
            "description": "Where webhook, slack and teams rules POST; not for email.",
        },
    )
    email_to = EmailTo(load_default=list)
    schedule = Schedule(allow_none=True, load_default=None)
    local_hour = LocalHour(allow_none=True, load_default=None)
    timezone = TimeZone(allow_none=True, load_default=None)
    weekday = Weekday(allow_none=True, load_default=None)
    secret = fields.String(
        load_only=True,
        validate=validate.Length(min=16, max=128),
        metadata={"description": "HMAC signing secret; generated when left out. Shown only in the create response."},
    )
    window_hours = fields.Integer(
        strict=True,
        load_default=24,
        validate=validate.Range(min=1, max=24 * 90),
        metadata={
            "description": "The window, ending now, and the baseline before it; friction_above: a multiple "
            "of 24 (whole UTC days, ending at the last midnight)."
        },
    )
    threshold = fields.Float(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, max=1),
        metadata={"description": "exit_share_above: the share (0-1) to exceed."},
    )
    alpha = fields.Float(load_default=0.05, validate=validate.Range(min=1e-6, max=0.5, max_inclusive=True))
    min_n = fields.Integer(strict=True, load_default=20, validate=validate.Range(min=2, max=1_000_000))
    active = fields.Boolean(load_default=True)
    last_state = fields.String(
        dump_only=True, allow_none=True, metadata={"description": "ok, firing, or null before enough answers."}
    )
    firing_steps = fields.List(fields.String(), dump_only=True)
    last_evaluated_at = UTCDateTime(dump_only=True, allow_none=True)
    last_period_end = UTCDateTime(
        dump_only=True, allow_none=True, metadata={"description": "digest: end of the last period sent."}
    )
    created_at = UTCDateTime(dump_only=True)

    @ma.validates_schema
    def signal_fits_kind(self, data: dict, **kwargs) -> None:
        if problems := signal_problems(data.get("kind"), data.get("signal"), data.get("window_hours")):
            raise ma.ValidationError(problems)


class NewAlertRuleSchema(AlertRuleSchema):
    """A rule just created: the only response that shows its signing secret."""

    secret = fields.String(
        dump_only=True, metadata={"description": "Verify X-Stepsense-Signature with it; not shown again."}
    )


class AlertRulePatchSchema(ma.Schema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    step = Key(allow_none=True, attribute="step_key")
    signal = Signal(allow_none=True)
    target = Target()
    webhook_url = fields.String(validate=[validate.Length(max=2048), _webhook_url])
    email_to = EmailTo()
    schedule = Schedule(allow_none=True)
    local_hour = LocalHour(allow_none=True)
    timezone = TimeZone(allow_none=True)
    weekday = Weekday(allow_none=True)
    window_hours = fields.Integer(strict=True, validate=validate.Range(min=1, max=24 * 90))
    threshold = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1))
    alpha = fields.Float(validate=validate.Range(min=1e-6, max=0.5))
    min_n = fields.Integer(strict=True, validate=validate.Range(min=2, max=1_000_000))
    active = fields.Boolean()


class AlertRuleListSchema(ma.Schema):
    items = fields.List(fields.Nested(AlertRuleSchema))


class DeliveryArgsSchema(ma.Schema):
    rule_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    status = fields.String(validate=validate.OneOf(STATUSES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class TestArgsSchema(ma.Schema):
    channel = fields.String(
        validate=validate.OneOf(TARGETS),
        metadata={
            "description": "Which of the rule's channels to test: its target (default), or email for its copies."
        },
    )


class AlertDeliverySchema(ma.Schema):
    id = fields.Integer(dump_only=True)
    rule_id = fields.Integer(dump_only=True)
    channel = fields.String(dump_only=True, metadata={"description": "webhook, slack, teams or email."})
    period_start = UTCDateTime(dump_only=True, allow_none=True, metadata={"description": "digest: its period's start."})
    fired_at = UTCDateTime(dump_only=True)
    status = fields.String(dump_only=True, metadata={"description": "pending, delivered or failed."})
    attempts = fields.Integer(dump_only=True)
    next_attempt_at = UTCDateTime(dump_only=True, allow_none=True)
    response_code = fields.Integer(dump_only=True, allow_none=True)
    last_error = fields.String(dump_only=True, allow_none=True)
    delivered_at = UTCDateTime(dump_only=True, allow_none=True)
    payload = fields.Dict(dump_only=True)


class AlertDeliveryListSchema(ma.Schema):
    items = fields.List(fields.Nested(AlertDeliverySchema))
