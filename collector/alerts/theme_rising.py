"""The ``theme_rising`` alert kind: a theme's share of a step's comments rose against the
previous window.

Per step, the themes of the window and of the baseline period come from the stored
assignments (``analytics.theme_report``, the same numbers as the themes API). For each
theme seen in the window, a two-proportion z-test compares its share (comments carrying
it / the step's comments) with the baseline's; the p-values of all (step, theme) pairs are
Holm-adjusted together by ``evaluate``, as for the other kinds over steps, so watching thirty themes
does not fire thirty times by chance. Both periods need ``min_n`` comments at the step;
otherwise the pair's state is unknown. Plain dicts come back (``evaluate`` makes them
findings), so this module does not import ``evaluate``.
"""

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from collector.analytics import theme_report
from collector.analytics.stats import two_proportions
from collector.models import AlertRule


def _period(session: Session, rule: AlertRule, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    steps = [rule.step] if rule.step is not None else list(rule.journey.steps)
    body = theme_report.journey_themes(session, rule.journey, {"from": start, "to": end}, steps=steps)
    return {step["step"]: step for step in body["steps"]}


def measure(session: Session, rule: AlertRule, window: dict[str, datetime]) -> list[dict[str, Any]]:
    """One finding (as a dict of ``evaluate.Finding``'s fields) per (step, theme) in the window,
    with its unadjusted p-value."""
    now = _period(session, rule, window["from"], window["to"])
    before = _period(session, rule, window["baseline_from"], window["baseline_to"])
    steps = {step.key: step for step in ([rule.step] if rule.step is not None else rule.journey.steps)}
    findings = []
    for key, step in steps.items():
        current, previous = (
            now.get(key) or {"comments": 0, "themes": []},
            before.get(key) or {"comments": 0, "themes": []},
        )
        n, baseline_n = current["comments"], previous["comments"]
        counts_before = {theme["key"]: theme["count"] for theme in previous["themes"]}
        for theme in current["themes"]:
            if not theme["count"]:
                continue  # pinned, but nothing in the window
            count_before = counts_before.get(theme["key"], 0)
            finding = {
                "step": step,
                "triggered": None,
                "value": theme["count"] / n if n else None,
                "baseline": count_before / baseline_n if baseline_n else None,
                "p_value": None,
                "n": n,
                "baseline_n": baseline_n,
                "theme": {
                    "key": theme["key"],
                    "label": theme["label"],
                    "count": theme["count"],
                    "baseline_count": count_before,
                },
            }
            if n >= rule.min_n and baseline_n >= rule.min_n:
                result = two_proportions(theme["count"], n, count_before, baseline_n)
                finding["p_value"] = result.p_value if result else 1.0
                finding["triggered"] = bool(result and result.diff > 0)
            findings.append(finding)
    return findings
