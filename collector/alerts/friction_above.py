"""The ``friction_above`` alert kind: a friction signal's share at a step rose against the
previous window.

The share is the one the curve's friction block shows (docs/friction.md): sessions that
showed the rule's ``signal`` at the step / sessions that viewed the step. Both periods are
read from ``friction_rollups``, which are kept per UTC day, so the window is whole UTC
days: it ends at the last midnight before now and spans ``window_hours`` (a multiple of
24, checked by ``rules``); the baseline is the same number of days just before. A day is
thus judged once it is over, and the day in progress never against a full one.

Per step a two-proportion z-test compares the window's share with the baseline's; the
p-values of the steps tested are Holm-adjusted together by ``evaluate``, as for the other
kinds. A step is tested when both periods have at least ``min_n`` sessions that viewed it; otherwise
its state is unknown. Plain dicts come back (``evaluate`` makes them findings), so this
module does not import ``evaluate``.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from collector.analytics import friction, friction_curve
from collector.analytics.stats import two_proportions
from collector.common.time import as_utc
from collector.models import AlertRule


def window_of(rule: AlertRule, now: datetime) -> dict[str, datetime]:
    """Whole UTC days: the window ending at the last midnight before ``now``, and the one before it."""
    moment = as_utc(now)
    to = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    start = to - timedelta(hours=rule.window_hours)
    return {"from": start, "to": to, "baseline_from": start - timedelta(hours=rule.window_hours), "baseline_to": start}


def _counts(session: Session, rule: AlertRule, start: datetime, end: datetime) -> dict[int, tuple[int, int]]:
    """Per step id: (sessions with the signal, sessions that viewed the step) in [start, end)."""
    # Whole days, so read_counts answers from the rollups.
    _source, counts = friction_curve.read_counts(session, rule.journey, {"from": start, "to": end})
    return {
        step_id: (signals.get(rule.signal, [0])[0], signals.get(friction.VIEW, [0])[0])
        for step_id, signals in counts.items()
    }


def measure(session: Session, rule: AlertRule, window: dict[str, datetime]) -> list[dict[str, Any]]:
    """One finding (as a dict of ``evaluate.Finding``'s fields) per step the rule covers,
    with its unadjusted p-value."""
    now = _counts(session, rule, window["from"], window["to"])
    before = _counts(session, rule, window["baseline_from"], window["baseline_to"])
    findings = []
    for step in [rule.step] if rule.step is not None else list(rule.journey.steps):
        (count, n), (count_before, baseline_n) = now.get(step.id, (0, 0)), before.get(step.id, (0, 0))
        finding = {
            "step": step,
            "triggered": None,
            "value": count / n if n else None,
            "baseline": count_before / baseline_n if baseline_n else None,
            "p_value": None,
            "n": n,
            "baseline_n": baseline_n,
            "counts": {"count": count, "baseline_count": count_before},
        }
        if n >= rule.min_n and baseline_n >= rule.min_n:
            result = two_proportions(count, n, count_before, baseline_n)
            finding["p_value"] = result.p_value if result else 1.0
            finding["triggered"] = bool(result and result.diff > 0)
        findings.append(finding)
    return findings
