"""Alerts: rules over a journey's recent answers, and the signed webhooks they send.

A rule looks at the last ``window_hours`` hours (the *window*, ending now) of
one step, or of every step on its own when it names none:

* ``emotion_drop``: the window's emotion mean is below the previous period of
  the same length (the *baseline*) by Welch's t-test, two-sided p < ``alpha``,
  with at least ``min_n`` answers in each period. A rule over every step
  corrects for testing them all with Holm's method; ``p_value`` is then the
  adjusted one.
* ``exit_share_above``: of the window's answers at the step (at least
  ``min_n``), the share given to exit-intent prompts is above ``threshold``
  (0–1). The baseline is the previous period's share.

* ``abandonment_above_previous``: the funnel's abandonment at the step (sessions
  whose last step it was without completing / sessions reaching it, see
  ``collector/analytics/funnel.py``) is above the previous period's by a two-proportion
  z-test, p < ``alpha`` (Holm-corrected over steps as above), with at least
  ``min_n`` sessions reaching the step in each period. Both periods end one
  session timeout before now, so sessions still in progress are not counted
  as abandoned.
* ``theme_rising``: a theme's share of the step's comments (docs/themes.md) is
  above the previous period's by a two-proportion z-test, p < ``alpha``,
  Holm-corrected over all (step, theme) pairs, with at least ``min_n``
  comments at the step in each period (``collector/alerts/theme_rising.py``).
  It fires once per (step, theme): ``firing_steps`` lists ``step/theme``.
* ``friction_above``: the share of the step's sessions showing the friction
  ``signal`` (one of ``FRICTION_SIGNALS``, docs/friction.md) is above the
  previous period's by a two-proportion z-test, p < ``alpha``, Holm-corrected
  over steps, with at least ``min_n`` sessions viewing the step in each period.
  Read from the friction rollups, kept per UTC day: ``window_hours`` is a
  multiple of 24 and the window ends at the last UTC midnight
  (``collector/alerts/friction_above.py``).

* ``digest``: no condition; a summary of the journey sent ``daily`` or
  ``weekly`` (on ``weekday``) at ``local_hour`` in ``timezone`` (null: the
  site's ``timezone`` setting, else UTC), see ``collector.alerts.digest``.

Every rule has a ``target``: ``webhook`` (the signed JSON POST), ``slack``
(Block Kit to an incoming webhook), ``teams`` (an Adaptive Card to a Teams
webhook) or ``email`` (to ``email_to`` over SMTP). A rule with another target
and ``email_to`` recipients e-mails them too.
"""

from __future__ import annotations

import logging
import secrets
import urllib.parse
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.common.errors import Invalid, NotFound
from collector.common.time import zone
from collector.common.vocabulary import FRICTION_SIGNALS
from collector.models import AlertDelivery, AlertRule, Journey, Site, Step
from collector.tenancy import journeys

log = logging.getLogger(__name__)

KINDS = ("emotion_drop", "exit_share_above", "abandonment_above_previous", "theme_rising", "friction_above", "digest")
STATUSES = ("pending", "delivered", "failed")
TARGETS = ("webhook", "slack", "teams", "email")
SCHEDULES = ("daily", "weekly")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_RECIPIENTS = 10
DIGEST_FIELDS = ("schedule", "local_hour", "timezone", "weekday")
DIGEST_DEFAULTS = {"schedule": "daily", "local_hour": 9}


def new_secret() -> str:
    """A random signing secret for a rule's webhooks."""
    return "whsec_" + secrets.token_urlsafe(32)


def check_webhook_url(url: str) -> str:
    """The URL if it is an absolute http(s) URL; ValueError otherwise."""
    parts = urllib.parse.urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("The webhook URL must be an absolute http:// or https:// URL.")
    return url


def list_rules(session: Session, site: Site) -> Sequence[AlertRule]:
    return session.scalars(sa.select(AlertRule).where(AlertRule.site_id == site.id).order_by(AlertRule.id)).all()


def get_rule(session: Session, site: Site, rule_id: int) -> AlertRule:
    """The site's rule; 404 for unknown ids and other sites' rules alike."""
    rule = session.scalar(sa.select(AlertRule).where(AlertRule.id == rule_id, AlertRule.site_id == site.id))
    if rule is None:
        raise NotFound(f"No alert rule {rule_id}.")
    return rule


def _step_of(journey: Journey, key: str | None) -> Step | None:
    if key is None:
        return None
    for step in journey.steps:
        if step.key == key:
            return step
    raise NotFound(f"No step '{key}' in journey '{journey.key}'.")


def check_timezone(name: str) -> str:
    """The name if it is an IANA time zone; ValueError otherwise."""
    zone(name)
    return name


def signal_problems(kind: str | None, signal: str | None, window_hours: int | None) -> dict[str, list[str]]:
    """What is wrong with a rule's ``signal`` and window for its kind (empty when nothing):
    a friction_above rule watches one signal over whole days, no other kind has a signal.
    The API's schema and ``_check_rule`` both ask this, so the rule lives here once."""
    problems: dict[str, list[str]] = {}
    if kind == "friction_above":
        if signal is None:
            problems["signal"] = [f"Required for friction_above: one of {', '.join(FRICTION_SIGNALS)}."]
        if window_hours is not None and window_hours % 24:
            problems["window_hours"] = ["friction_above reads daily rollups: a multiple of 24 hours."]
    elif signal is not None:
        problems["signal"] = ["Only for kind friction_above."]
    return problems


def channels(rule: AlertRule) -> list[str]:
    """Where each firing of the rule goes: its target, and e-mail when it has recipients."""
    return [rule.target] + (["email"] if rule.target != "email" and rule.email_to else [])


def _check_rule(rule: AlertRule) -> None:
    """Rules between fields (each field alone is checked by the API's schema)."""
    if rule.kind == "exit_share_above" and rule.threshold is None:
        raise Invalid(
            "An exit_share_above rule needs a threshold between 0 and 1.",
            details={"threshold": ["Required for exit_share_above."]},
        )
    if problems := signal_problems(rule.kind, rule.signal, rule.window_hours):
        raise Invalid(
            "A friction_above rule watches one friction signal over whole days; other kinds have no signal.",
            details=problems,
        )
    if rule.target != "email" and not rule.webhook_url:
        raise Invalid(
            f"A rule with target {rule.target} needs a webhook_url.",
            details={"webhook_url": [f"Required for target {rule.target}."]},
        )
    if rule.target == "email" and not rule.email_to:
        raise Invalid(
            "A rule with target email needs at least one address in email_to.",
            details={"email_to": ["Required for target email."]},
        )
    if rule.kind == "digest":
        if rule.schedule == "weekly" and rule.weekday is None:
            raise Invalid("A weekly digest needs a weekday.", details={"weekday": ["Required for a weekly digest."]})
        if rule.schedule == "daily" and rule.weekday is not None:
            raise Invalid("A daily digest has no weekday.", details={"weekday": ["Only for a weekly digest."]})
    else:
        given = [name for name in DIGEST_FIELDS if getattr(rule, name) is not None]
        if given:
            raise Invalid(
                "schedule, local_hour, timezone and weekday are for digest rules only.",
                details={name: ["Only for kind digest."] for name in given},
            )


def _set_target(rule: AlertRule, values: dict[str, Any]) -> None:
    if "target" in values:
        rule.target = values["target"]
    if "webhook_url" in values:
        rule.webhook_url = check_webhook_url(values["webhook_url"]) if values["webhook_url"] else ""
    if "email_to" in values:
        rule.email_to = list(values["email_to"] or [])
    for name in DIGEST_FIELDS:
        if name in values:
            setattr(rule, name, values[name])


def create_rule(session: Session, site: Site, values: dict[str, Any]) -> AlertRule:
    """Create a rule; its secret is generated unless given, and readable on the returned rule."""
    journey = journeys.get_journey(session, site, values["journey_key"])
    rule = AlertRule(
        site_id=site.id,
        journey=journey,
        step=_step_of(journey, values.get("step_key")),
        name=values.get("name") or values["kind"],
        kind=values["kind"],
        target="webhook",
        webhook_url="",
        email_to=[],
        secret=values.get("secret") or new_secret(),
        firing_steps=[],
        **{
            name: values[name]
            for name in ("window_hours", "threshold", "alpha", "min_n", "active", "signal")
            if name in values
        },
    )
    _set_target(rule, values)
    if rule.kind == "digest":
        for name, default in DIGEST_DEFAULTS.items():
            if getattr(rule, name) is None:
                setattr(rule, name, default)
    _check_rule(rule)
    session.add(rule)
    session.commit()
    return rule


def update_rule(session: Session, rule: AlertRule, values: dict[str, Any]) -> AlertRule:
    """Change a rule; a changed condition forgets which steps were firing.

    A digest's changed schedule keeps ``last_period_end``: no period that
    ended before the last one sent is sent again.
    """
    if "step_key" in values:
        rule.step = _step_of(rule.journey, values["step_key"])
    _set_target(rule, values)
    for name in ("name", "window_hours", "threshold", "alpha", "min_n", "active", "signal"):
        if name in values:
            setattr(rule, name, values[name])
    _check_rule(rule)
    if set(values) & {"step_key", "window_hours", "threshold", "alpha", "min_n", "signal"}:
        rule.firing_steps, rule.last_state = [], None
    session.commit()
    return rule


def delete_rule(session: Session, rule: AlertRule) -> None:
    """Delete a rule with its deliveries."""
    session.delete(rule)
    session.commit()


def list_deliveries(session: Session, site: Site, values: dict[str, Any]) -> Sequence[AlertDelivery]:
    """The site's most recent deliveries first, optionally of one rule or status."""
    query = sa.select(AlertDelivery).join(AlertRule).where(AlertRule.site_id == site.id)
    if values.get("rule_id") is not None:
        query = query.where(AlertDelivery.rule_id == values["rule_id"])
    if values.get("status"):
        query = query.where(AlertDelivery.status == values["status"])
    return session.scalars(query.order_by(AlertDelivery.id.desc()).limit(values.get("limit", 50))).all()
