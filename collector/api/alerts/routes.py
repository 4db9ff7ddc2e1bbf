"""CX API: alert rules on journeys and the log of their webhook deliveries."""

from flask import current_app, g, request
from flask.views import MethodView

from collector import alerts
from collector.api.alerts.schemas import (
    AlertDeliveryListSchema,
    AlertDeliverySchema,
    AlertRuleListSchema,
    AlertRulePatchSchema,
    AlertRuleSchema,
    DeliveryArgsSchema,
    NewAlertRuleSchema,
    TestArgsSchema,
)
from collector.api.auth import require_scope
from collector.api.hooks import require_json_body
from collector.api.json_input import Blueprint
from collector.common.time import utcnow
from collector.extensions import db

blp = Blueprint(
    "alerts",
    __name__,
    url_prefix="/v1/alerts",
    description="Alert rules and digests, delivered as signed webhooks, Slack, Teams or e-mail.",
)
blp.before_request(require_json_body)


def _base_url() -> str:
    return current_app.config.get("PUBLIC_URL") or request.host_url


@blp.route("/rules")
class Rules(MethodView):
    @require_scope("read")
    @blp.response(200, AlertRuleListSchema)
    def get(self):
        """The site's alert rules (never their secrets)."""
        return {"items": alerts.list_rules(db.session, g.site)}

    @require_scope("write")
    @blp.arguments(AlertRuleSchema)
    @blp.response(201, NewAlertRuleSchema)
    @blp.alt_response(404, description="No such journey or step on this site.")
    def post(self, values):
        """Create a rule; the response holds its signing `secret`, shown only this once."""
        return alerts.create_rule(db.session, g.site, values)


@blp.route("/rules/<int:rule_id>")
class RuleById(MethodView):
    @require_scope("read")
    @blp.response(200, AlertRuleSchema)
    @blp.alt_response(404, description="No such rule on this site.")
    def get(self, rule_id):
        """One rule with its last state."""
        return alerts.get_rule(db.session, g.site, rule_id)

    @require_scope("write")
    @blp.arguments(AlertRulePatchSchema)
    @blp.response(200, AlertRuleSchema)
    @blp.alt_response(404, description="No such rule on this site.")
    def patch(self, values, rule_id):
        """Change a rule; fields left out keep their values. A changed condition resets its state."""
        return alerts.update_rule(db.session, alerts.get_rule(db.session, g.site, rule_id), values)

    @require_scope("write")
    @blp.response(204)
    @blp.alt_response(404, description="No such rule on this site.")
    def delete(self, rule_id):
        """Delete a rule with its deliveries."""
        alerts.delete_rule(db.session, alerts.get_rule(db.session, g.site, rule_id))


@blp.route("/rules/<int:rule_id>/test", methods=["POST"])
@require_scope("write")
@blp.arguments(TestArgsSchema, location="query")
@blp.response(200, AlertDeliverySchema)
@blp.alt_response(404, description="No such rule on this site.")
def test_rule(args, rule_id):
    """Send a test (`"test": true`) to the rule's target now, once, and answer with the delivery.

    `?channel=email` tests the e-mail copies of a rule with another target. A digest's
    test is the digest of its latest period as it stands.

    The attempt ends within 5 s in total (DNS, connect, TLS, request and the receiver's
    status line and headers), so `status` is `delivered` or `failed` (see `last_error`),
    never `pending`. At most one test per site at a time and 5 per minute, whichever
    key asks; beyond that 429 with `Retry-After` (seconds) and nothing is sent.
    """
    rule = alerts.get_rule(db.session, g.site, rule_id)
    return alerts.send_test(db.session, rule, utcnow(), _base_url(), channel=args.get("channel"))


@blp.route("/deliveries", methods=["GET"])
@require_scope("read")
@blp.arguments(DeliveryArgsSchema, location="query")
@blp.response(200, AlertDeliveryListSchema)
def list_deliveries(args):
    """Recent webhook deliveries, newest first, with status, attempts and the last error."""
    return {"items": alerts.list_deliveries(db.session, g.site, args)}
