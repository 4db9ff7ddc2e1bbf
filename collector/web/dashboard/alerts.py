"""The alerts page: rules with their state, a form for a new rule, the latest deliveries,
and test sends."""

from typing import Any
from urllib.parse import urlsplit

import marshmallow as ma
from flask import current_app, flash, g, redirect, render_template, request, url_for

from collector import alerts
from collector.api.alerts.schemas import AlertRuleSchema
from collector.common.errors import DomainError, NotFound, TooMany
from collector.common.time import utcnow
from collector.common.vocabulary import FRICTION_SIGNALS
from collector.extensions import db
from collector.tenancy import journeys
from collector.web.dashboard.blueprint import bp
from collector.web.dashboard.filters import errors_text
from collector.web.dashboard.session import can_write

DELIVERIES_SHOWN = 50
# The form's text fields as the API's schema takes them; empty ones are left out (its defaults).
TEXT_FIELDS = ("name", "journey", "step", "kind", "signal", "target", "webhook_url")
NUMBER_FIELDS = {"window_hours": int, "min_n": int, "threshold": float, "alpha": float}


def _alerts_context(**extra: Any) -> dict[str, Any]:
    rules = alerts.list_rules(db.session, g.site)
    return {
        "rules": rules,
        "rule_names": {rule.id: rule.name for rule in rules},
        "hosts": {rule.id: urlsplit(rule.webhook_url).netloc for rule in rules},
        "deliveries": alerts.list_deliveries(db.session, g.site, {"limit": DELIVERIES_SHOWN}),
        "can_write": can_write(),
        "journeys": journeys.list_journeys(db.session, g.site),
        "kinds": alerts.KINDS,
        "targets": alerts.TARGETS,
        "signals": FRICTION_SIGNALS,
        "created": None,
        **extra,
    }


def _rule_form(form) -> dict[str, Any]:
    """The new-rule form as the API's request body would be (the schema checks it)."""
    raw: dict[str, Any] = {name: form[name].strip() for name in TEXT_FIELDS if form.get(name, "").strip()}
    for name, kind in NUMBER_FIELDS.items():
        if form.get(name, "").strip():
            try:
                raw[name] = kind(form[name])
            except ValueError:
                raw[name] = form[name]  # the schema reports it
    recipients = [address.strip() for address in form.get("email_to", "").replace(";", ",").split(",")]
    if any(recipients):
        raw["email_to"] = [address for address in recipients if address]
    return raw


@bp.post("/alerts")
def add_alert():
    """Create a rule from the form, checked by the API's schema. Its signing secret is
    shown on the page this once (not flashed: the session cookie is readable)."""
    if not can_write():
        flash("Creating a rule needs a key with the write scope.", "error")
        return render_template("dashboard/alerts.html", **_alerts_context()), 403
    raw = _rule_form(request.form)
    try:
        rule = alerts.create_rule(db.session, g.site, AlertRuleSchema().load(raw))
    except ma.ValidationError as exc:
        flash(errors_text(exc), "error")
        return render_template("dashboard/alerts.html", **_alerts_context(form=raw)), 422
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        status = 404 if isinstance(exc, NotFound) else 422
        return render_template("dashboard/alerts.html", **_alerts_context(form=raw)), status
    return render_template("dashboard/alerts.html", **_alerts_context(created=rule)), 201


@bp.get("/alerts")
def alerts_page():
    """The site's alert rules with their state, and the latest webhook deliveries."""
    return render_template("dashboard/alerts.html", **_alerts_context())


@bp.post("/alerts/<int:rule_id>/test")
def test_alert(rule_id):
    """Send a rule's test webhook now and show the outcome."""
    if not can_write():
        flash("Sending a test needs a key with the write scope.", "error")
        return render_template("dashboard/alerts.html", **_alerts_context()), 403
    try:
        rule = alerts.get_rule(db.session, g.site, rule_id)
    except NotFound as exc:
        flash(exc.message, "error")
        return render_template("dashboard/alerts.html", **_alerts_context()), 404
    try:
        delivery = alerts.send_test(
            db.session, rule, utcnow(), current_app.config.get("PUBLIC_URL") or request.host_url
        )
    except TooMany as exc:
        flash(exc.message, "error")
        return render_template("dashboard/alerts.html", **_alerts_context()), 429
    if delivery.status == "delivered":
        flash(f"Test delivered to '{rule.name}' (HTTP {delivery.response_code}).", "info")
    else:
        flash(f"Test to '{rule.name}' failed: {delivery.last_error}.", "error")
    return redirect(url_for("dashboard.alerts_page"))
