"""Evaluating alert rules: A rule fires once when its condition becomes true for a step, and again only
after it was false in between (``firing_steps`` remembers which steps are
firing); too few answers leave the step's state as it was. A digest rule
instead makes one digest per period once it is due (``collector.alerts.digest``).
Each firing is an ``AlertDelivery`` per channel of the rule (its target, and
e-mail when it has recipients; see ``collector.alerts.delivery``).

A payload names up to three comments by id (``comments``: ``[{"id", "step"}]``),
the window's most negative ones at the step; their stored text is read when
the delivery is sent, so an answer erased meanwhile is not sent.

    X-Stepsense-Signature: sha256=<hex HMAC-SHA256(rule secret, "<timestamp>." + raw body)>
    X-Stepsense-Timestamp: <Unix seconds of this attempt>
    X-Stepsense-Delivery: <delivery id, the same on every retry>
"""

from __future__ import annotations

import logging
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.alerts import digest, friction_above, theme_rising
from collector.alerts.rules import channels
from collector.analytics import funnel, visits
from collector.analytics.stats import Moments, holm, two_proportions, welch
from collector.common.time import as_utc
from collector.models import AlertDelivery, AlertRule, Journey, Response, Step

log = logging.getLogger(__name__)


@dataclass
class Finding:
    """One step's measurement; ``triggered`` is None when either period has too few answers."""

    step: Step
    triggered: bool | None
    value: float | None
    baseline: float | None
    p_value: float | None
    n: int
    baseline_n: int
    theme: dict[str, Any] | None = None  # theme_rising: key, label, count, baseline_count
    counts: dict[str, int] | None = None  # friction_above: count, baseline_count (sessions with the signal)

    @property
    def state_key(self) -> str:
        """What fires once per transition: the step, or the step's theme (``payment/paypal``)."""
        return self.step.key if self.theme is None else f"{self.step.key}/{self.theme['key']}"


def _sums(session: Session, rule: AlertRule, start: datetime, end: datetime) -> dict[int, dict[str, float]]:
    """n, Σ emotion, Σ emotion² and exit-intent answers per step in [start, end)."""
    conditions = [Response.journey_id == rule.journey_id, Response.created_at >= start, Response.created_at < end]
    if rule.step_id is not None:
        conditions.append(Response.step_id == rule.step_id)
    query = (
        sa.select(
            Response.step_id,
            sa.func.count().label("n"),
            sa.func.coalesce(sa.func.sum(Response.emotion), 0.0).label("total"),
            sa.func.coalesce(sa.func.sum(Response.emotion * Response.emotion), 0.0).label("total_sq"),
            sa.func.coalesce(sa.func.sum(sa.case((Response.trigger == "exit_intent", 1), else_=0)), 0).label("exits"),
        )
        .where(*conditions)
        .group_by(Response.step_id)
    )
    return {row.step_id: row._asdict() for row in session.execute(query)}


def _moments(row: dict[str, float] | None) -> Moments:
    if not row:
        return Moments(0, 0.0, 0.0)
    return Moments(int(row["n"]), float(row["total"]), float(row["total_sq"]))


def window_of(rule: AlertRule, now: datetime) -> dict[str, datetime]:
    """The window ending ``now`` and the baseline period just before it."""
    if rule.kind == "friction_above":
        return friction_above.window_of(rule, now)
    to = as_utc(now)
    if rule.kind == "abandonment_above_previous":
        settings = rule.journey.site.settings or {}
        to -= visits.timeout_of(settings)
    start = to - timedelta(hours=rule.window_hours)
    return {"from": start, "to": to, "baseline_from": start - timedelta(hours=rule.window_hours), "baseline_to": start}


def measure(session: Session, rule: AlertRule, now: datetime) -> list[Finding]:
    """Evaluate the rule's condition for each step it covers, at ``now``."""
    window = window_of(rule, now)
    if rule.kind == "abandonment_above_previous":
        return _rounded(_abandonment(session, rule, window))
    if rule.kind == "theme_rising":
        return _rounded(_holm([Finding(**found) for found in theme_rising.measure(session, rule, window)], rule.alpha))
    if rule.kind == "friction_above":
        found = friction_above.measure(session, rule, window)
        return _rounded(_holm([Finding(**finding) for finding in found], rule.alpha))
    current = _sums(session, rule, window["from"], window["to"])
    previous = _sums(session, rule, window["baseline_from"], window["baseline_to"])
    steps = [rule.step] if rule.step is not None else list(rule.journey.steps)
    findings = []
    for step in steps:
        now_m, before_m = _moments(current.get(step.id)), _moments(previous.get(step.id))
        if rule.kind == "emotion_drop":
            finding = Finding(step, None, now_m.mean, before_m.mean, None, now_m.n, before_m.n)
            if now_m.n >= rule.min_n and before_m.n >= rule.min_n:
                result = welch(now_m, before_m)
                finding.p_value = result.p_value if result else 1.0
                finding.triggered = bool(result and result.diff < 0)
        else:
            exits_now = int((current.get(step.id) or {}).get("exits", 0))
            exits_before = int((previous.get(step.id) or {}).get("exits", 0))
            share = exits_now / now_m.n if now_m.n else None
            baseline = exits_before / before_m.n if before_m.n else None
            finding = Finding(step, None, share, baseline, None, now_m.n, before_m.n)
            if now_m.n >= rule.min_n:
                finding.triggered = share > rule.threshold
        findings.append(finding)
    if rule.kind == "emotion_drop":
        _holm(findings, rule.alpha)
    return _rounded(findings)


def _holm(findings: list[Finding], alpha: float) -> list[Finding]:
    """Holm's step-down over the tested steps (or themes): a rule covering many steps
    would otherwise fire by chance on one of them."""
    tested = [f for f in findings if f.p_value is not None]
    for finding, adjusted in zip(tested, holm([f.p_value for f in tested])):
        finding.p_value = adjusted
        finding.triggered = finding.triggered and adjusted < alpha
    return findings


def _abandonment(session: Session, rule: AlertRule, window: dict[str, datetime]) -> list[Finding]:
    """Abandonment per step, window vs baseline, from the funnel (raw events: hour windows)."""
    periods = []
    for start, end in ((window["from"], window["to"]), (window["baseline_from"], window["baseline_to"])):
        _, totals = funnel.aggregate(session, rule.journey, {"from": start, "to": end}, source="raw")
        periods.append(
            {step_id: dict(zip(visits.STEP_COUNTERS, values)) for (_, step_id), values in totals.steps.items()}
        )
    findings = []
    for step in [rule.step] if rule.step is not None else list(rule.journey.steps):
        now_c, before_c = (period.get(step.id) or {"reached": 0, "abandoned": 0} for period in periods)
        n, baseline_n = now_c["reached"], before_c["reached"]
        finding = Finding(
            step,
            None,
            now_c["abandoned"] / n if n else None,
            before_c["abandoned"] / baseline_n if baseline_n else None,
            None,
            n,
            baseline_n,
        )
        if n >= rule.min_n and baseline_n >= rule.min_n:
            result = two_proportions(now_c["abandoned"], n, before_c["abandoned"], baseline_n)
            finding.p_value = result.p_value if result else 1.0
            finding.triggered = bool(result and result.diff > 0)
        findings.append(finding)
    return _holm(findings, rule.alpha)


def _rounded(findings: list[Finding]) -> list[Finding]:
    for finding in findings:
        for name in ("value", "baseline", "p_value"):
            value = getattr(finding, name)
            if value is not None:
                setattr(finding, name, round(value, 6) if name != "p_value" else float(f"{value:.6g}"))
    return findings


def _iso(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat().replace("+00:00", "Z") if moment is not None else None


def dashboard_url(base_url: str | None, journey: Journey) -> str | None:
    if not base_url:
        return None
    return f"{base_url.rstrip('/')}/dashboard/?{urllib.parse.urlencode({'journey': journey.key})}"


MAX_COMMENTS = 3


def negative_comments(
    session: Session, rule: AlertRule, step: Step, window: dict[str, datetime]
) -> list[dict[str, Any]]:
    """Ids of the window's most negative comments at the step (a few, for the message)."""
    ids = session.scalars(
        sa.select(Response.id)
        .where(
            Response.step_id == step.id,
            Response.comment.is_not(None),
            Response.polarity.is_not(None),
            Response.created_at >= window["from"],
            Response.created_at < window["to"],
        )
        .order_by(Response.polarity.asc(), Response.id.asc())
        .limit(MAX_COMMENTS)
    ).all()
    return [{"id": comment_id, "step": step.key} for comment_id in ids]


def build_digest_payload(
    rule: AlertRule,
    period: digest.Period,
    content: dict[str, Any],
    now: datetime,
    base_url: str | None,
    test: bool = False,
) -> dict[str, Any]:
    """The body of one digest: its period (UTC and local), sections and comment ids."""
    window = {name: _iso(moment) for name, moment in period.window().items()}
    window["hours"] = round((period.end - period.start).total_seconds() / 3600, 2)
    window["local_from"] = period.start.astimezone(period.tz).isoformat()
    window["local_to"] = period.end.astimezone(period.tz).isoformat()
    payload = {
        "rule": {"id": rule.id, "name": rule.name},
        "journey": rule.journey.key,
        "journey_name": rule.journey.name,
        "step": None,
        "kind": "digest",
        "schedule": rule.schedule,
        "timezone": period.tz.key,
        "window": window,
        "sections": content["sections"],
        "comments": content["comments"],
        "fired_at": _iso(now),
        "dashboard_url": dashboard_url(base_url, rule.journey),
    }
    if test:
        payload["test"] = True
    return payload


def payload_for_test(session: Session, rule: AlertRule, now: datetime, base_url: str | None) -> dict[str, Any]:
    """What a test sends: an empty firing, or for a digest the latest period's digest as it stands."""
    if rule.kind != "digest":
        return build_payload(rule, None, now, base_url, test=True)
    period = digest.latest_period(rule, now)
    content = digest.digest_content(digest.gather(session, rule, period))
    return build_digest_payload(rule, period, content, now, base_url, test=True)


def build_payload(
    rule: AlertRule, finding: Finding | None, now: datetime, base_url: str | None, test: bool = False
) -> dict[str, Any]:
    """The webhook body for one firing (or a test, with ``finding`` None)."""
    window = window_of(rule, now)
    step = finding.step if finding else rule.step
    payload = {
        "rule": {"id": rule.id, "name": rule.name},
        "journey": rule.journey.key,
        "step": step.key if step is not None else None,
        "kind": rule.kind,
        "window": {"hours": rule.window_hours, **{name: _iso(moment) for name, moment in window.items()}},
        "value": finding.value if finding else None,
        "baseline": finding.baseline if finding else None,
        "baseline_n": finding.baseline_n if finding else None,
        "threshold": rule.threshold if rule.kind == "exit_share_above" else None,
        "p_value": finding.p_value if finding else None,
        "n": finding.n if finding else None,
        "fired_at": _iso(now),
        "dashboard_url": dashboard_url(base_url, rule.journey),
        "comments": [],
    }
    if rule.kind == "theme_rising":  # the share of the step's comments carrying the theme
        payload["theme"] = (
            {name: finding.theme[name] for name in ("key", "label")} if finding and finding.theme else None
        )
        payload["shares"] = (
            {
                "window": finding.value,
                "baseline": finding.baseline,
                "count": finding.theme["count"],
                "baseline_count": finding.theme["baseline_count"],
            }
            if finding and finding.theme
            else None
        )
    if rule.kind == "friction_above":  # the share of the step's sessions showing the signal
        payload["signal"] = rule.signal
        payload["shares"] = (
            {"window": finding.value, "baseline": finding.baseline, **finding.counts}
            if finding and finding.counts
            else None
        )
    if test:
        payload["test"] = True
    return payload


def new_delivery(
    session: Session,
    rule: AlertRule,
    payload: dict[str, Any],
    now: datetime,
    channel: str | None = None,
    period_start: datetime | None = None,
) -> AlertDelivery:
    """A pending delivery of ``payload`` to one of the rule's channels (its target by default)."""
    delivery = AlertDelivery(
        rule=rule,
        fired_at=as_utc(now),
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=as_utc(now),
        channel=channel or rule.target,
        period_start=as_utc(period_start) if period_start is not None else None,
    )
    session.add(delivery)
    return delivery


def _fire(
    session: Session, rule: AlertRule, payload: dict[str, Any], now: datetime, period_start: datetime | None = None
) -> list[AlertDelivery]:
    return [new_delivery(session, rule, payload, now, channel, period_start) for channel in channels(rule)]


def evaluate_digest(
    session: Session, rule: AlertRule, now: datetime, base_url: str | None = None
) -> list[AlertDelivery]:
    """Make the digest of the period that just ended, once per period (see ``collector.alerts.digest``)."""
    rule.last_evaluated_at = as_utc(now)
    period = digest.due_period(rule, now)
    if period is None:
        return []
    content = digest.digest_content(digest.gather(session, rule, period))
    rule.last_period_end, rule.last_state = period.end, "ok"
    return _fire(session, rule, build_digest_payload(rule, period, content, now, base_url), now, period.start)


def evaluate_rule(session: Session, rule: AlertRule, now: datetime, base_url: str | None = None) -> list[AlertDelivery]:
    """Measure one rule and queue deliveries for each step whose condition just became true."""
    if rule.kind == "digest":
        return evaluate_digest(session, rule, now, base_url)
    findings = measure(session, rule, now)
    was_firing = set(rule.firing_steps or [])
    firing = {f.state_key for f in findings if f.triggered}
    unknown = {f.state_key for f in findings if f.triggered is None}
    window = window_of(rule, now)
    deliveries = []
    for finding in findings:
        if finding.triggered and finding.state_key not in was_firing:
            payload = build_payload(rule, finding, now, base_url)
            payload["comments"] = negative_comments(session, rule, finding.step, window)
            deliveries.extend(_fire(session, rule, payload, now))
    rule.firing_steps = sorted(firing | (was_firing & unknown))
    if rule.firing_steps:
        rule.last_state = "firing"
    elif len(unknown) < len(findings):
        rule.last_state = "ok"
    rule.last_evaluated_at = as_utc(now)
    return deliveries


def evaluate_rules(session: Session, now: datetime, base_url: str | None = None) -> list[AlertDelivery]:
    """Evaluate every active rule at ``now``; returns the new (pending) deliveries, committed.

    Rules are locked while evaluated (skipped if another process holds them,
    on PostgreSQL), so overlapping runs do not fire twice.
    """
    rules = session.scalars(
        sa.select(AlertRule).where(AlertRule.active.is_(True)).order_by(AlertRule.id).with_for_update(skip_locked=True)
    ).all()
    deliveries: list[AlertDelivery] = []
    for rule in rules:
        deliveries.extend(evaluate_rule(session, rule, now, base_url))
    session.commit()
    return deliveries
