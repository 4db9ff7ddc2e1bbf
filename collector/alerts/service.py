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
  ``collector/funnel.py``) is above the previous period's by a two-proportion
  z-test, p < ``alpha`` (Holm-corrected over steps as above), with at least
  ``min_n`` sessions reaching the step in each period. Both periods end one
  session timeout before now, so sessions still in progress are not counted
  as abandoned.

A rule fires once when its condition becomes true for a step, and again only
after it was false in between (``firing_steps`` remembers which steps are
firing); too few answers leave the step's state as it was. Each firing is an
``AlertDelivery``: the JSON body below, POSTed with

    X-Stepsense-Signature: sha256=<hex HMAC-SHA256(rule secret, "<timestamp>." + raw body)>
    X-Stepsense-Timestamp: <Unix seconds of this attempt>
    X-Stepsense-Delivery: <delivery id, the same on every retry>

A 2xx answer delivers it; anything else (including redirects and timeouts
after ``TIMEOUT_SECONDS``) is retried 1, 2, 4, … minutes later, up to
``MAX_ATTEMPTS`` attempts, then marked failed.

Body: ``{"rule": {"id", "name"}, "journey", "step", "kind", "window": {"hours",
"from", "to", "baseline_from", "baseline_to"}, "value", "baseline",
"baseline_n", "threshold", "p_value", "n", "fired_at", "dashboard_url"}``, and
``"test": true`` on test deliveries.

``stepsense alerts run`` evaluates and delivers once (for cron); setting
``ALERTS_SCHEDULER_SECONDS`` above 0 does the same in a background thread of
each app process.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import ipaddress
import json
import logging
import secrets
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from collector.analytics import funnel, visits
from collector.tenancy import journeys
from collector.common.errors import Invalid, NotFound
from collector.models import AlertDelivery, AlertRule, Journey, Response, Site, Step
from collector.common.time import as_utc, utcnow
from collector.analytics.stats import Moments, holm, two_proportions, welch

log = logging.getLogger(__name__)

KINDS = ("emotion_drop", "exit_share_above", "abandonment_above_previous")
STATUSES = ("pending", "delivered", "failed")
MAX_ATTEMPTS = 8
TIMEOUT_SECONDS = 5
DELIVERY_BATCH = 100
MAX_ERROR_LENGTH = 500

HttpPost = Callable[[str, bytes, dict[str, str], float], int]


# --- Rules ------------------------------------------------------------------

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


def _check_rule(rule: AlertRule) -> None:
    if rule.kind == "exit_share_above" and rule.threshold is None:
        raise Invalid("An exit_share_above rule needs a threshold between 0 and 1.",
              details={"threshold": ["Required for exit_share_above."]})


def create_rule(session: Session, site: Site, values: dict[str, Any]) -> AlertRule:
    """Create a rule; its secret is generated unless given, and readable on the returned rule."""
    journey = journeys.get_journey(session, site, values["journey_key"])
    rule = AlertRule(
        site_id=site.id,
        journey=journey,
        step=_step_of(journey, values.get("step_key")),
        name=values.get("name") or values["kind"],
        kind=values["kind"],
        webhook_url=check_webhook_url(values["webhook_url"]),
        secret=values.get("secret") or new_secret(),
        firing_steps=[],
        **{name: values[name] for name in ("window_hours", "threshold", "alpha", "min_n", "active") if name in values},
    )
    _check_rule(rule)
    session.add(rule)
    session.commit()
    return rule


def update_rule(session: Session, rule: AlertRule, values: dict[str, Any]) -> AlertRule:
    """Change a rule; a changed condition forgets which steps were firing."""
    if "step_key" in values:
        rule.step = _step_of(rule.journey, values["step_key"])
    if "webhook_url" in values:
        rule.webhook_url = check_webhook_url(values["webhook_url"])
    for name in ("name", "window_hours", "threshold", "alpha", "min_n", "active"):
        if name in values:
            setattr(rule, name, values[name])
    _check_rule(rule)
    if set(values) & {"step_key", "window_hours", "threshold", "alpha", "min_n"}:
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


# --- Evaluation -------------------------------------------------------------

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
        tested = [f for f in findings if f.p_value is not None]
        for finding, adjusted in zip(tested, holm([f.p_value for f in tested])):
            finding.p_value = adjusted
            finding.triggered = finding.triggered and adjusted < rule.alpha
    return _rounded(findings)


def _abandonment(session: Session, rule: AlertRule, window: dict[str, datetime]) -> list[Finding]:
    """Abandonment per step, window vs baseline, from the funnel (raw events: hour windows)."""
    periods = []
    for start, end in ((window["from"], window["to"]), (window["baseline_from"], window["baseline_to"])):
        _, totals = funnel.aggregate(session, rule.journey, {"from": start, "to": end}, source="raw")
        periods.append({step_id: dict(zip(visits.STEP_COUNTERS, values)) for (_, step_id), values in totals.steps.items()})
    findings = []
    for step in [rule.step] if rule.step is not None else list(rule.journey.steps):
        now_c, before_c = (period.get(step.id) or {"reached": 0, "abandoned": 0} for period in periods)
        n, baseline_n = now_c["reached"], before_c["reached"]
        finding = Finding(step, None, now_c["abandoned"] / n if n else None,
                          before_c["abandoned"] / baseline_n if baseline_n else None, None, n, baseline_n)
        if n >= rule.min_n and baseline_n >= rule.min_n:
            result = two_proportions(now_c["abandoned"], n, before_c["abandoned"], baseline_n)
            finding.p_value = result.p_value if result else 1.0
            finding.triggered = bool(result and result.diff > 0)
        findings.append(finding)
    tested = [f for f in findings if f.p_value is not None]
    for finding, adjusted in zip(tested, holm([f.p_value for f in tested])):
        finding.p_value = adjusted
        finding.triggered = finding.triggered and adjusted < rule.alpha
    return findings


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


def build_payload(rule: AlertRule, finding: Finding | None, now: datetime, base_url: str | None,
                  test: bool = False) -> dict[str, Any]:
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
    }
    if test:
        payload["test"] = True
    return payload


def _new_delivery(session: Session, rule: AlertRule, payload: dict[str, Any], now: datetime) -> AlertDelivery:
    delivery = AlertDelivery(rule=rule, fired_at=as_utc(now), payload=payload, status="pending",
                             attempts=0, next_attempt_at=as_utc(now))
    session.add(delivery)
    return delivery


def evaluate_rule(session: Session, rule: AlertRule, now: datetime, base_url: str | None = None) -> list[AlertDelivery]:
    """Measure one rule and queue a delivery for each step whose condition just became true."""
    findings = measure(session, rule, now)
    was_firing = set(rule.firing_steps or [])
    firing = {f.step.key for f in findings if f.triggered}
    unknown = {f.step.key for f in findings if f.triggered is None}
    deliveries = [
        _new_delivery(session, rule, build_payload(rule, finding, now, base_url), now)
        for finding in findings
        if finding.triggered and finding.step.key not in was_firing
    ]
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


# --- Delivery ---------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed delivery: re-POSTing the signed body elsewhere is not ours to decide."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def refuse_private_targets(url: str) -> None:
    """Keep webhooks off the server's own network (SSRF): every address the host
    resolves to must be public, unless ALERTS_ALLOW_PRIVATE_TARGETS is set."""
    if current_app.config["ALERTS_ALLOW_PRIVATE_TARGETS"]:
        return
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for *_, address in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP):
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global:
            raise ValueError(f"{parts.hostname} resolves to a non-public address ({ip}); webhooks go to public hosts only.")


def urllib_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body`` and return the HTTP status; network errors raise (OSError)."""
    refuse_private_targets(url)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Stepsense-Signature value of a body sent at ``timestamp``.

    The timestamp is signed with the body, so a receiver that refuses old
    timestamps also refuses a captured request replayed later.
    """
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failed attempt: 1, 2, 4, … minutes."""
    return timedelta(minutes=2 ** (attempts - 1))


def attempt(session: Session, delivery: AlertDelivery, now: datetime, http_post: HttpPost | None = None,
            retry: bool = True) -> AlertDelivery:
    """POST one delivery and record the outcome (not committed)."""
    http_post = http_post or urllib_post
    rule = delivery.rule
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    # The real time of sending, not the run's ``now``: receivers compare it with their clock.
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Stepsense-Alerts/1",
        "X-Stepsense-Signature": sign(rule.secret, timestamp, body),
        "X-Stepsense-Timestamp": timestamp,
        "X-Stepsense-Delivery": str(delivery.id),
    }
    delivery.attempts += 1
    code, error = None, None
    try:
        code = http_post(check_webhook_url(rule.webhook_url), body, headers, TIMEOUT_SECONDS)
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except Exception as exc:  # noqa: BLE001 - any failure of the receiver is a failed attempt
        error = f"{type(exc).__name__}: {exc}"
    delivery.response_code = code
    delivery.last_error = error[:MAX_ERROR_LENGTH] if error else None
    if error is None:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", as_utc(now), None
    elif not retry or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = "failed", None
    else:
        delivery.next_attempt_at = as_utc(now) + backoff(delivery.attempts)
    return delivery


def deliver_pending(session: Session, now: datetime, http_post: HttpPost | None = None,
                    limit: int = DELIVERY_BATCH) -> list[AlertDelivery]:
    """Attempt every pending delivery that is due at ``now``, oldest first, committing each.

    Each is locked while posted (skipped by other processes, on PostgreSQL).
    """
    done: list[AlertDelivery] = []
    for _ in range(limit):
        delivery = session.scalar(
            sa.select(AlertDelivery)
            .where(AlertDelivery.status == "pending", AlertDelivery.next_attempt_at <= as_utc(now))
            .order_by(AlertDelivery.next_attempt_at, AlertDelivery.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if delivery is None:
            break
        attempt(session, delivery, now, http_post)
        session.commit()
        done.append(delivery)
    return done


def send_test(session: Session, rule: AlertRule, now: datetime, base_url: str | None = None,
              http_post: HttpPost | None = None) -> AlertDelivery:
    """POST a test payload once, now (no retries), and keep it in the delivery log."""
    delivery = _new_delivery(session, rule, build_payload(rule, None, now, base_url, test=True), now)
    session.flush()
    attempt(session, delivery, now, http_post, retry=False)
    session.commit()
    return delivery


def run(session: Session, now: datetime, base_url: str | None = None, http_post: HttpPost | None = None) -> dict[str, int]:
    """Evaluate the rules, then deliver what is due; counts for logs and the CLI."""
    fired = evaluate_rules(session, now, base_url)
    attempted = deliver_pending(session, now, http_post)
    return {
        "fired": len(fired),
        "attempted": len(attempted),
        "delivered": sum(d.status == "delivered" for d in attempted),
        "failed": sum(d.status == "failed" for d in attempted),
        "retrying": sum(d.status == "pending" for d in attempted),
    }


# --- Cron command and in-process scheduler -----------------------------------

@click.group("alerts", help="Evaluate alert rules and deliver their webhooks.")
def alerts_group() -> None:
    pass


@alerts_group.command("run")
@click.option("--now", "now_text", default=None, metavar="ISO8601",
              help="Evaluate as of this UTC time instead of the clock (replays, tests).")
@with_appcontext
def run_command(now_text: str | None) -> None:
    """Evaluate every active rule once and deliver due webhooks; run it from cron."""
    from flask import current_app

    from collector.extensions import db

    try:
        now = as_utc(datetime.fromisoformat(now_text)) if now_text else utcnow()
    except ValueError:
        raise click.BadParameter("use an ISO 8601 time such as 2026-11-25T18:00:00Z", param_hint="--now") from None
    click.echo(json.dumps(run(db.session, now, current_app.config.get("PUBLIC_URL"))))


def init_app(app: Flask) -> None:
    """Start the background scheduler when ``ALERTS_SCHEDULER_SECONDS`` > 0."""
    seconds = float(app.config.get("ALERTS_SCHEDULER_SECONDS") or 0)
    if seconds > 0:
        app.extensions["alerts_scheduler"] = start_scheduler(app, seconds)


class Scheduler:
    """A daemon thread that calls ``run`` every ``seconds``; ``stop()`` ends it."""

    def __init__(self, app: Flask, seconds: float) -> None:
        self.app, self.seconds = app, seconds
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="stepsense-alerts", daemon=True)

    def _loop(self) -> None:
        from collector.extensions import db

        while not self.stopped.wait(self.seconds):
            with self.app.app_context():
                try:
                    run(db.session, utcnow(), self.app.config.get("PUBLIC_URL"))
                except Exception:  # noqa: BLE001 - keep the thread alive; the next tick retries
                    db.session.rollback()
                    log.exception("alerts run failed")

    def stop(self, timeout: float = 10) -> None:
        self.stopped.set()
        self.thread.join(timeout)


def start_scheduler(app: Flask, seconds: float) -> Scheduler:
    scheduler = Scheduler(app, seconds)
    scheduler.thread.start()
    return scheduler
