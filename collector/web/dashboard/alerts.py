"""The alerts page: rules with their state, the latest deliveries, and test sends."""

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, url_for

from collector import alerts
from collector.common.errors import NotFound, TooMany
from collector.common.time import utcnow
from collector.extensions import db
from collector.web.dashboard.blueprint import bp
from collector.web.dashboard.session import can_write

DELIVERIES_SHOWN = 50


def _alerts_context() -> dict[str, Any]:
    rules = alerts.list_rules(db.session, g.site)
    return {
        "rules": rules,
        "rule_names": {rule.id: rule.name for rule in rules},
        "hosts": {rule.id: urlsplit(rule.webhook_url).netloc for rule in rules},
        "deliveries": alerts.list_deliveries(db.session, g.site, {"limit": DELIVERIES_SHOWN}),
        "can_write": can_write(),
    }


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
