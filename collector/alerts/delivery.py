"""Delivering alerts: signed webhook POSTs, Slack and Teams messages and e-mails, with retries.

Each ``AlertDelivery`` goes to one channel of its rule. ``webhook``: the
payload as JSON, POSTed with
    X-Stepsense-Signature: sha256=<hex HMAC-SHA256(rule secret, "<timestamp>." + raw body)>
    X-Stepsense-Timestamp: <Unix seconds of this attempt>
    X-Stepsense-Delivery: <delivery id, the same on every retry>

``slack`` and ``teams``: the payload rendered as a Block Kit message or an
Adaptive Card (``collector.alerts.slack``/``teams``), POSTed unsigned (those
services don't verify signatures) through the same guarded client, so the
SSRF guard and the deadline apply to them too. ``email``: rendered by
``collector.alerts.mail`` and handed to the SMTP server of ``SMTP_URL``.
Comment ids in the payload are resolved to their stored text just before
sending.

A 2xx answer (or the SMTP server's acceptance) delivers it; anything else (including redirects, refused
addresses and attempts not answered within ``TIMEOUT_SECONDS`` in total) is
retried 1, 2, 4, … minutes later, up to ``MAX_ATTEMPTS`` attempts, then
marked failed. Each attempt is committed as claimed before it is sent and its
outcome recorded after, so no transaction is open while a receiver is talked
to; ``collector/alerts/webhooks.py`` does the sending (SSRF guard with the checked
address pinned, one deadline for the whole attempt).

Body: ``{"rule": {"id", "name"}, "journey", "step", "kind", "window": {"hours",
"from", "to", "baseline_from", "baseline_to"}, "value", "baseline",
"baseline_n", "threshold", "p_value", "n", "fired_at", "dashboard_url",
"comments": [{"id", "step", "text", "polarity"}]}``, and ``"test": true`` on
test deliveries; a digest's body is described in ``collector.alerts.digest``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from collector.alerts import mail, webhooks
from collector.alerts.evaluate import evaluate_rules, new_delivery, payload_for_test
from collector.alerts.messages import message
from collector.alerts.rules import channels, check_webhook_url
from collector.alerts.slack import slack_message
from collector.alerts.teams import teams_message
from collector.common.errors import Invalid, NotFound, TooMany
from collector.common.metrics import ALERT_DELIVERIES
from collector.common.time import as_utc
from collector.models import AlertDelivery, AlertRule, Response, Site

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# The whole attempt — DNS, connect, TLS, request, status line and headers — not each read.
TIMEOUT_SECONDS = 5
# An attempt in progress keeps its delivery out of other runs' reach this long;
# far longer than an attempt can take, so only a process that died frees it early.
CLAIM_SECONDS = 60
TESTS_PER_MINUTE = 5
TEST_WINDOW_SECONDS = 60
DELIVERY_BATCH = 100
MAX_ERROR_LENGTH = 500

# (url, body, headers, total timeout in seconds) -> HTTP status; raises on network failure.
HttpPost = Callable[[str, bytes, dict[str, str], float], int]
NOT_CONFIGURED = "e-mail is not configured on this server (SMTP_URL, SMTP_FROM)"


@dataclass(frozen=True)
class Outgoing:
    """What one attempt sends, read from the database before any of it is sent."""

    delivery_id: int
    channel: str
    url: str
    secret: str
    body: bytes
    test: bool
    mail: EmailMessage | None = None
    recipients: tuple[str, ...] = ()
    smtp: mail.SmtpSettings | None = None


def smtp_settings() -> mail.SmtpSettings | None:
    """The app's SMTP server (SMTP_URL, SMTP_FROM), or None when e-mail is not configured."""
    config = current_app.config
    return mail.SmtpSettings.from_config(config.get("SMTP_URL"), config.get("SMTP_FROM"))


def address_policy() -> webhooks.AddressPolicy:
    """Where this app's webhooks may go (SSRF guard): public addresses, plus
    ALERTS_ALLOWED_PRIVATE_NETWORKS, or anywhere with ALERTS_ALLOW_PRIVATE_TARGETS."""
    config = current_app.config
    return webhooks.AddressPolicy.from_settings(
        config.get("ALERTS_ALLOW_PRIVATE_TARGETS"), config.get("ALERTS_ALLOWED_PRIVATE_NETWORKS")
    )


def pinned_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST with the app's address policy (see ``collector.alerts.webhooks.post``)."""
    return webhooks.post(url, body, headers, timeout, address_policy())


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Stepsense-Signature value of a body sent at ``timestamp``.

    The timestamp is signed with the body, so a receiver that refuses old
    timestamps also refuses a captured request replayed later.
    """
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failed attempt: 1, 2, 4, … minutes."""
    return timedelta(minutes=2 ** (attempts - 1))


def with_comments(session: Session, rule: AlertRule, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with its comment ids resolved to the stored (redacted) text; erased ones are left out."""
    wanted = [c for c in payload.get("comments") or [] if isinstance(c, dict) and isinstance(c.get("id"), int)]
    if not wanted:
        return payload
    rows = session.execute(
        sa.select(Response.id, Response.comment, Response.polarity).where(
            Response.id.in_([c["id"] for c in wanted]), Response.site_id == rule.site_id, Response.comment.is_not(None)
        )
    )
    found = {row.id: row for row in rows}
    comments = [
        {
            **c,
            "text": found[c["id"]].comment,
            "polarity": round(found[c["id"]].polarity, 4) if found[c["id"]].polarity is not None else None,
        }
        for c in wanted
        if c["id"] in found
    ]
    return {**payload, "comments": comments}


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _outgoing(session: Session, delivery: AlertDelivery) -> Outgoing:
    rule, channel = delivery.rule, delivery.channel or "webhook"
    payload = with_comments(session, rule, delivery.payload)
    test = bool(payload.get("test"))
    if channel == "email":
        try:
            smtp = smtp_settings()
        except ValueError:
            smtp = None
        recipients = tuple(rule.email_to or ())
        built = mail.email_message(message(payload), smtp.sender, list(recipients)) if smtp and recipients else None
        return Outgoing(delivery.id, channel, "", rule.secret, b"", test, built, recipients, smtp)
    if channel == "slack":
        body = _json(slack_message(message(payload)))
    elif channel == "teams":
        body = _json(teams_message(message(payload)))
    else:
        body = _json(payload)
    return Outgoing(delivery.id, channel, rule.webhook_url, rule.secret, body, test)


def _send_mail(outgoing: Outgoing) -> tuple[int | None, str | None]:
    if outgoing.smtp is None or outgoing.mail is None:
        return None, NOT_CONFIGURED if outgoing.smtp is None else "no recipients"
    try:
        mail.send(outgoing.smtp, outgoing.mail, list(outgoing.recipients))
    except mail.EmailError as exc:
        return None, str(exc)
    return None, None


def _post(outgoing: Outgoing, http_post: HttpPost | None) -> tuple[int | None, str | None]:
    """Send one attempt; (HTTP status or None, error or None). Touches no database."""
    if outgoing.channel == "email":
        return _send_mail(outgoing)
    http_post = http_post or pinned_post
    headers = {"Content-Type": "application/json", "User-Agent": "Stepsense-Alerts/1"}
    if outgoing.channel == "webhook":
        # The real time of sending, not the run's ``now``: receivers compare it with their clock.
        timestamp = str(int(time.time()))
        headers |= {
            "X-Stepsense-Signature": sign(outgoing.secret, timestamp, outgoing.body),
            "X-Stepsense-Timestamp": timestamp,
            "X-Stepsense-Delivery": str(outgoing.delivery_id),
        }
    try:
        code = http_post(check_webhook_url(outgoing.url), outgoing.body, headers, TIMEOUT_SECONDS)
    except webhooks.WebhookError as exc:
        return None, str(exc)
    except Exception as exc:
        return None, webhooks.describe(exc, TIMEOUT_SECONDS)
    return code, None if 200 <= code < 300 else f"HTTP {code}"


def _record(
    session: Session, outgoing: Outgoing, now: datetime, code: int | None, error: str | None
) -> AlertDelivery | None:
    """Store an attempt's outcome in a new short transaction, committed; None if
    the delivery was deleted (with its rule) meanwhile. Tests are never retried."""
    delivery = session.scalar(sa.select(AlertDelivery).where(AlertDelivery.id == outgoing.delivery_id))
    if delivery is None:
        session.rollback()
        return None
    delivery.response_code = code
    delivery.last_error = error[:MAX_ERROR_LENGTH] if error else None
    if error is None:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", as_utc(now), None
    elif outgoing.test or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = "failed", None
    else:
        delivery.next_attempt_at = as_utc(now) + backoff(delivery.attempts)
    session.commit()
    ALERT_DELIVERIES.labels("retrying" if delivery.status == "pending" else delivery.status).inc()
    return delivery


def _claim(session: Session, delivery: AlertDelivery, now: datetime) -> bool:
    """Count an attempt and move the delivery out of reach for CLAIM_SECONDS, committed.

    The UPDATE only matches while the delivery is still due, so of two
    processes that picked the same row only one sends it (on SQLite too, which
    has no row locks); one that dies mid-attempt leaves it due again later.
    """
    claimed = (
        session.execute(
            sa.update(AlertDelivery)
            .where(
                AlertDelivery.id == delivery.id,
                AlertDelivery.status == "pending",
                AlertDelivery.next_attempt_at <= as_utc(now),
            )
            .values(attempts=AlertDelivery.attempts + 1, next_attempt_at=as_utc(now) + timedelta(seconds=CLAIM_SECONDS))
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    session.commit()
    return claimed


def deliver_pending(
    session: Session, now: datetime, http_post: HttpPost | None = None, limit: int = DELIVERY_BATCH
) -> list[AlertDelivery]:
    """Attempt every pending delivery that is due at ``now``, oldest first.

    Each is claimed and committed before it is sent, and its outcome recorded
    in a new transaction after: no lock or transaction is held while a
    receiver is talked to (an attempt takes up to TIMEOUT_SECONDS).
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
        outgoing = _outgoing(session, delivery)
        if not _claim(session, delivery, now):
            continue
        if outgoing.test:
            # A test's one attempt was cut short (its process stopped): say so
            # rather than send it again minutes later.
            code, error = None, "interrupted: the server stopped during the test"
        else:
            code, error = _post(outgoing, http_post)
        recorded = _record(session, outgoing, now, code, error)
        if recorded is not None:
            done.append(recorded)
    return done


def _claim_test(session: Session, rule: AlertRule, payload: dict[str, Any], now: datetime, channel: str) -> Outgoing:
    """Store a test delivery as in flight (one attempt, claimed), committed; 429
    while another test of the site is in flight or after TESTS_PER_MINUTE tests
    of it in the last minute, whichever key asks.

    Tests of one site are serialised while counting: PostgreSQL locks the
    site's row (FOR NO KEY UPDATE, which doesn't hold up inserts referencing
    it), and SQLite lets one writer in at a time, so the counts after the
    INSERT see every committed test.
    """
    session.execute(sa.select(Site.id).where(Site.id == rule.site_id).with_for_update(key_share=True))
    delivery = new_delivery(session, rule, payload, now, channel)
    delivery.attempts, delivery.next_attempt_at = 1, as_utc(now) + timedelta(seconds=CLAIM_SECONDS)
    session.flush()
    tests = (
        sa.select(AlertDelivery.status, AlertDelivery.next_attempt_at, AlertDelivery.fired_at)
        .join(AlertRule)
        .where(
            AlertRule.site_id == rule.site_id,
            AlertDelivery.id != delivery.id,
            AlertDelivery.fired_at > as_utc(now) - timedelta(seconds=max(TEST_WINDOW_SECONDS, CLAIM_SECONDS)),
            AlertDelivery.payload["test"].as_boolean().is_(True),
        )
    )
    recent = session.execute(tests).all()
    in_flight = [t for t in recent if t.status == "pending" and as_utc(t.next_attempt_at) > as_utc(now)]
    in_window = sorted(
        as_utc(t.fired_at) for t in recent if as_utc(t.fired_at) > as_utc(now) - timedelta(seconds=TEST_WINDOW_SECONDS)
    )
    if in_flight:
        session.rollback()
        raise TooMany(
            f"A test of this site's webhooks is still being sent; try again in {TIMEOUT_SECONDS} s.",
            retry_after=TIMEOUT_SECONDS,
        )
    if len(in_window) >= TESTS_PER_MINUTE:
        session.rollback()
        wait = in_window[-TESTS_PER_MINUTE] + timedelta(seconds=TEST_WINDOW_SECONDS) - as_utc(now)
        seconds = max(1, math.ceil(wait.total_seconds()))
        raise TooMany(
            f"Too many tests: at most {TESTS_PER_MINUTE} a minute per site; try again in {seconds} s.",
            retry_after=seconds,
        )
    outgoing = _outgoing(session, delivery)
    session.commit()
    return outgoing


def send_test(
    session: Session,
    rule: AlertRule,
    now: datetime,
    base_url: str | None = None,
    http_post: HttpPost | None = None,
    channel: str | None = None,
) -> AlertDelivery:
    """Send a test once, now (no retries), to the rule's target or another of its
    ``channel``s, and keep it in the delivery log. A digest's test is the digest of
    its latest period as it stands.

    Bounded like every attempt (TIMEOUT_SECONDS in total) and sent with no
    transaction open; 429 (see ``_claim_test``) keeps one site from tying up
    the workers with tests.
    """
    rule_id = rule.id
    channel = channel or rule.target
    if channel not in channels(rule):
        raise Invalid(
            f"This rule sends nothing by {channel}.", details={"channel": [f"One of: {', '.join(channels(rule))}."]}
        )
    payload = payload_for_test(session, rule, now, base_url)
    session.commit()  # the digest's reads end here, before the site's tests are counted
    outgoing = _claim_test(session, rule, payload, now, channel)
    code, error = _post(outgoing, http_post)
    delivery = _record(session, outgoing, now, code, error)
    if delivery is None:  # the rule was deleted while its test was sent
        raise NotFound(f"No alert rule {rule_id}.")
    return delivery


def run(
    session: Session, now: datetime, base_url: str | None = None, http_post: HttpPost | None = None
) -> dict[str, int]:
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
