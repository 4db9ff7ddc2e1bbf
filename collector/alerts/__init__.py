"""Alert rules, their evaluation against the rollups, digests, and their
deliveries: signed webhooks, Slack and Teams messages, e-mail (with the guard
against private targets).

``rules`` holds the rules' CRUD, ``evaluate`` when a rule fires, ``digest``
when a digest is due and what it says, ``delivery`` the sending with retries
and tests, ``messages`` an alert in words and ``slack``/``teams``/``mail`` in
each service's format, ``webhooks`` the guarded HTTP client, ``scheduler`` the
optional background thread. The names below are the
package's API for the HTTP layers and the CLI.

May import tenancy, analytics, models and common.
"""

from collector.alerts.delivery import (
    MAX_ATTEMPTS,
    TESTS_PER_MINUTE,
    address_policy,
    backoff,
    deliver_pending,
    run,
    send_test,
    sign,
)
from collector.alerts.evaluate import build_payload, evaluate_rule, evaluate_rules, measure, window_of
from collector.alerts.rules import (
    KINDS,
    MAX_RECIPIENTS,
    SCHEDULES,
    STATUSES,
    TARGETS,
    WEEKDAYS,
    channels,
    check_timezone,
    check_webhook_url,
    create_rule,
    delete_rule,
    get_rule,
    list_deliveries,
    list_rules,
    update_rule,
)
from collector.alerts.scheduler import init_app

__all__ = [
    "KINDS",
    "MAX_ATTEMPTS",
    "MAX_RECIPIENTS",
    "SCHEDULES",
    "STATUSES",
    "TARGETS",
    "WEEKDAYS",
    "channels",
    "check_timezone",
    "TESTS_PER_MINUTE",
    "address_policy",
    "backoff",
    "build_payload",
    "check_webhook_url",
    "create_rule",
    "delete_rule",
    "deliver_pending",
    "evaluate_rule",
    "evaluate_rules",
    "get_rule",
    "init_app",
    "list_deliveries",
    "list_rules",
    "measure",
    "run",
    "send_test",
    "sign",
    "update_rule",
    "window_of",
]
