"""Digests: what changed in a journey over the last day or week, against the period before.

**Period.** ``daily``: from ``local_hour`` yesterday to ``local_hour`` today in
the rule's time zone; ``weekly``: from ``local_hour`` on ``weekday`` a week
ago to ``local_hour`` on ``weekday``. The arithmetic is on the local calendar,
so a day across a daylight-saving change lasts 23 or 25 hours and the digest
still comes at the same local hour. The *baseline* is the period of the same
calendar length just before. An hour the clocks skip counts from the moment
of the change; an hour that happens twice, from its first occurrence.

**Due.** The first evaluation at or after a period's end sends it, once
(``last_period_end`` on the rule, and a unique ``period_start`` per delivery
channel); only the latest period is sent after an outage, and none that ended
before the rule was created.

**Content** (``digest_content``, a pure function of ``DigestInputs``): one
section per provider that has something to say, in this order:

* ``emotion``: per step the emotion mean with its 95% t interval (as the
  curve), the baseline's, and the change by Welch's t-test (95% interval,
  p-value Holm-adjusted across the steps with ``min_n`` answers in both
  periods; ``significant`` when the adjusted p < ``alpha``).
* ``abandonment``: per step the funnel's abandonment with its 95% Wilson
  interval, the baseline's, and the change by the two-proportion z-test
  (Holm across steps as above, ``min_n`` sessions reaching the step in both
  periods). As for ``abandonment_above_previous``, both funnel periods end
  one session timeout earlier, so sessions still going on don't count as
  abandoned.
* ``pain_points``: the steps the curve of the period flags (``pain_point``,
  ``drop``, ``unhappy_exit``), with their emotion.
* ``friction``: only when the curve's steps carry ``friction``: each step's
  friction index, the baseline's and the change, with the signals' shares and
  intervals as the curve gives them.
* ``themes``: only when the curve's steps carry ``themes``: themes whose share
  of the step's comments rose (``share_change`` > 0), with a 95% Wilson
  interval of the share unless the theme gives one.

Each section with changes lists under ``moved`` the (up to) three steps that
moved most by absolute change (steps that didn't move at all are left out). ``comments`` holds the ids of a few of the
period's most negative stored (redacted) comments at the flagged and most
moved steps; their text is read when the digest is sent, so an erased answer
never leaves in one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from collector.alerts.rules import WEEKDAYS
from collector.analytics import curves, funnel, theme_report, visits
from collector.analytics.core import round_p, round_to
from collector.analytics.stats import Moments, holm, mean_ci, two_proportions, welch, wilson
from collector.common.time import as_utc, wall_time, zone
from collector.models import AlertRule, Journey

MOVED = 3
MAX_COMMENTS = 3


@dataclass(frozen=True)
class Period:
    """A digest's window [start, end) and the baseline [baseline_start, start), aware UTC."""

    start: datetime
    end: datetime
    baseline_start: datetime
    tz: ZoneInfo

    def window(self) -> dict[str, datetime]:
        return {"from": self.start, "to": self.end, "baseline_from": self.baseline_start, "baseline_to": self.start}


def rule_zone(rule: AlertRule) -> ZoneInfo:
    """The rule's time zone, else its site's ``timezone`` setting, else UTC."""
    settings = rule.journey.site.settings or {}
    for name in (rule.timezone, settings.get("timezone")):
        if name:
            try:
                return zone(name)
            except ValueError:
                continue  # a zone dropped from the database since: fall back
    return zone("UTC")


def period_of(schedule: str, local_hour: int, weekday: str | None, tz: ZoneInfo, now: datetime) -> Period:
    """The latest complete period at ``now`` (see the module docstring)."""
    now = as_utc(now)
    days = 7 if schedule == "weekly" else 1
    wanted = WEEKDAYS.index(weekday) if schedule == "weekly" else None
    day: date = now.astimezone(tz).date()
    while (wanted is not None and day.weekday() != wanted) or wall_time(day, local_hour, tz) > now:
        day -= timedelta(days=1)
    return Period(
        wall_time(day - timedelta(days=days), local_hour, tz),
        wall_time(day, local_hour, tz),
        wall_time(day - timedelta(days=2 * days), local_hour, tz),
        tz,
    )


def latest_period(rule: AlertRule, now: datetime) -> Period:
    """The digest rule's latest complete period at ``now``."""
    return period_of(
        rule.schedule or "daily",
        rule.local_hour if rule.local_hour is not None else 9,
        rule.weekday,
        rule_zone(rule),
        now,
    )


def due_period(rule: AlertRule, now: datetime) -> Period | None:
    """The period a digest rule should be sent for at ``now``, or None when it was sent already."""
    period = latest_period(rule, now)
    if rule.created_at is not None and period.end <= as_utc(rule.created_at):
        return None
    if rule.last_period_end is not None and period.end <= as_utc(rule.last_period_end):
        return None
    return period


# --- What a digest reads -------------------------------------------------------------------------------


@dataclass
class DigestInputs:
    """Everything a digest says, read from the database (``gather``) and nothing else."""

    steps: list[tuple[str, str]]  # (key, name) in step order
    emotion: dict[str, Moments]
    emotion_before: dict[str, Moments]
    abandonment: dict[str, tuple[int, int]]  # step key -> (abandoned, reached)
    abandonment_before: dict[str, tuple[int, int]]
    curve: dict[str, Any]
    curve_before: dict[str, Any]
    min_n: int = 20
    alpha: float = 0.05


def _abandonment(session: Session, journey: Journey, start: datetime, end: datetime) -> dict[str, tuple[int, int]]:
    moves = funnel.journey_funnel(session, journey, {"from": start, "to": end})
    found = {}
    for step in journey.steps:
        rate = moves["steps"][step.id]["abandonment"]
        found[step.key] = (int(rate["count"]), int(rate["n"]))
    return found


def _emotion(session: Session, journey: Journey, start: datetime, end: datetime) -> dict[str, Moments]:
    _, groups = curves.aggregate(session, journey, {"from": start, "to": end})
    keys = {step.id: step.key for step in journey.steps}
    found = {key: Moments(0, 0.0, 0.0) for key in keys.values()}
    for (step_id, _, _), sums in groups.items():
        if step_id in keys:
            moments = curves.emotion_moments(sums)
            before = found[keys[step_id]]
            found[keys[step_id]] = Moments(
                before.n + moments.n, before.total + moments.total, before.total_sq + moments.total_sq
            )
    return found


def _with_themes(session: Session, journey: Journey, curve: dict[str, Any], period: Period) -> dict[str, Any]:
    """The period's curve with each step's themes as the themes report gives them,
    each with its share's change against the previous period of equal length."""
    report = theme_report.journey_themes(session, journey, {"from": period.start, "to": period.end})
    by_step = {step["step"]: step["themes"] for step in report["steps"]}
    for item in curve["steps"]:
        if by_step.get(item["step"]):
            item["themes"] = by_step[item["step"]]
    return curve


def gather(session: Session, rule: AlertRule, period: Period) -> DigestInputs:
    """Read the two periods' curves, emotion sums and funnels of the rule's journey."""
    journey = rule.journey
    timeout = visits.session_timeout(session, journey.site_id)
    return DigestInputs(
        steps=[(step.key, step.name) for step in journey.steps],
        emotion=_emotion(session, journey, period.start, period.end),
        emotion_before=_emotion(session, journey, period.baseline_start, period.start),
        abandonment=_abandonment(session, journey, period.start - timeout, period.end - timeout),
        abandonment_before=_abandonment(session, journey, period.baseline_start - timeout, period.start - timeout),
        curve=_with_themes(
            session, journey, curves.journey_curve(session, journey, {"from": period.start, "to": period.end}), period
        ),
        curve_before=curves.journey_curve(session, journey, {"from": period.baseline_start, "to": period.start}),
        min_n=rule.min_n,
        alpha=rule.alpha,
    )


# --- Sections ------------------------------------------------------------------------------------------


def _holm_flags(changes: list[dict[str, Any] | None], alpha: float) -> None:
    """Adjust the tested changes' p-values across steps (Holm) and set ``significant``."""
    tested = [change for change in changes if change is not None and change.pop("tested", False)]
    for change, adjusted in zip(tested, holm([change["p_value"] for change in tested])):
        change["p_adjusted"] = round_p(adjusted)
        change["significant"] = adjusted < alpha
    for change in changes:
        if change is not None:
            change.pop("tested", None)
            change["p_value"] = round_p(change["p_value"])


def _moved(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    changed = [row for row in rows if row["change"] is not None and row["change"]["diff"]]
    changed.sort(key=lambda row: (-abs(row["change"]["diff"]), row["step"]))
    return [
        {
            "step": row["step"],
            "name": row["name"],
            "diff": row["change"]["diff"],
            "significant": row["change"]["significant"],
        }
        for row in changed[:MOVED]
    ]


def _emotion_summary(moments: Moments) -> dict[str, Any]:
    low, high = mean_ci(moments)
    return {"mean": round_to(moments.mean), "ci_low": round_to(low), "ci_high": round_to(high), "n": moments.n}


def emotion_section(inputs: DigestInputs) -> dict[str, Any] | None:
    """Per step emotion now and before, and the change (Welch, Holm)."""
    rows = []
    for key, name in inputs.steps:
        now, before = inputs.emotion[key], inputs.emotion_before[key]
        result = welch(now, before)
        change = None
        if result is not None:
            change = {
                "diff": round_to(result.diff),
                "ci_low": round_to(result.ci_low),
                "ci_high": round_to(result.ci_high),
                "p_value": result.p_value,
                "p_adjusted": None,
                "significant": False,
                "tested": now.n >= inputs.min_n and before.n >= inputs.min_n,
            }
        rows.append(
            {
                "step": key,
                "name": name,
                "now": _emotion_summary(now),
                "before": _emotion_summary(before),
                "change": change,
            }
        )
    _holm_flags([row["change"] for row in rows], inputs.alpha)
    if not any(row["now"]["n"] or row["before"]["n"] for row in rows):
        return None
    return {"key": "emotion", "title": "Emotion", "steps": rows, "moved": _moved(rows)}


def _rate(count: int, n: int) -> dict[str, Any]:
    low, high = wilson(count, n)
    return {
        "rate": round_to(count / n) if n else None,
        "ci_low": round_to(low),
        "ci_high": round_to(high),
        "count": count,
        "n": n,
    }


def _share_change(count: int, n: int, count_before: int, n_before: int, min_n: int) -> dict[str, Any] | None:
    """A share's change against the previous period (two-proportion z); Holm comes later."""
    result = two_proportions(count, n, count_before, n_before)
    if result is None:
        return None
    return {
        "diff": round_to(result.diff),
        "ci_low": round_to(result.ci_low),
        "ci_high": round_to(result.ci_high),
        "p_value": result.p_value,
        "p_adjusted": None,
        "significant": False,
        "tested": n >= min_n and n_before >= min_n,
    }


def abandonment_section(inputs: DigestInputs) -> dict[str, Any] | None:
    """Per step abandonment now and before (Wilson), and the change (two-proportion z, Holm)."""
    rows = []
    for key, name in inputs.steps:
        (count, n), (count_before, n_before) = inputs.abandonment[key], inputs.abandonment_before[key]
        change = _share_change(count, n, count_before, n_before, inputs.min_n)
        rows.append(
            {
                "step": key,
                "name": name,
                "now": _rate(count, n),
                "before": _rate(count_before, n_before),
                "change": change,
            }
        )
    _holm_flags([row["change"] for row in rows], inputs.alpha)
    if not any(row["now"]["n"] or row["before"]["n"] for row in rows):
        return None
    return {"key": "abandonment", "title": "Abandonment", "steps": rows, "moved": _moved(rows)}


def pain_points_section(inputs: DigestInputs) -> dict[str, Any] | None:
    """The steps the period's curve flags, with their emotion."""
    rows = [
        {"step": item["step"], "name": item.get("name"), "flags": list(item["flags"]), "emotion": item.get("emotion")}
        for item in inputs.curve.get("steps", [])
        if item.get("flags")
    ]
    return {"key": "pain_points", "title": "Pain points", "steps": rows} if rows else None


def friction_section(inputs: DigestInputs) -> dict[str, Any] | None:
    """Per step the share of sessions with any friction signal now and before
    (Wilson), and the change (two-proportion z, Holm), from the curves' friction blocks."""
    before = {item["step"]: item.get("friction") or {} for item in inputs.curve_before.get("steps", [])}
    rows = []
    for item in inputs.curve.get("steps", []):
        now = item.get("friction")
        if not now:
            continue
        then = before.get(item["step"]) or {}
        count, n = (now.get("index") or {}).get("sessions") or 0, now.get("sessions") or 0
        count_before, n_before = (then.get("index") or {}).get("sessions") or 0, then.get("sessions") or 0
        change = _share_change(count, n, count_before, n_before, inputs.min_n)
        rows.append(
            {
                "step": item["step"],
                "name": item.get("name"),
                "now": _rate(count, n),
                "before": _rate(count_before, n_before),
                "signals": now.get("signals") or {},
                "change": change,
            }
        )
    _holm_flags([row["change"] for row in rows], inputs.alpha)
    if not any(row["now"]["n"] or row["before"]["n"] for row in rows):
        return None
    return {"key": "friction", "title": "Friction", "steps": rows, "moved": _moved(rows)}


def themes_section(inputs: DigestInputs) -> dict[str, Any] | None:
    """Themes whose share rose — only once curves carry ``themes``."""
    rising = []
    for item in inputs.curve.get("steps", []):
        comments = (item.get("comments") or {}).get("count") or 0
        for theme in item.get("themes") or []:
            change = theme.get("share_change")
            if change is None or change <= 0:
                continue
            low, high = theme.get("ci_low"), theme.get("ci_high")
            if low is None and theme.get("count") is not None and comments:
                low, high = wilson(min(int(theme["count"]), comments), comments)
            rising.append(
                {
                    "step": item["step"],
                    "key": theme.get("key"),
                    "label": theme.get("label") or theme.get("key"),
                    "count": theme.get("count"),
                    "share": theme.get("share"),
                    "ci_low": round_to(low),
                    "ci_high": round_to(high),
                    "share_change": change,
                }
            )
    if not rising:
        return None
    rising.sort(key=lambda theme: (-theme["share_change"], theme["step"], str(theme["key"])))
    return {"key": "themes", "title": "Rising themes", "themes": rising[:5]}


Provider = Callable[[DigestInputs], dict[str, Any] | None]
PROVIDERS: tuple[Provider, ...] = (
    emotion_section,
    abandonment_section,
    pain_points_section,
    friction_section,
    themes_section,
)


def _comment_ids(inputs: DigestInputs, sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A few of the period's most negative comments, from the flagged steps first, then the most moved."""
    wanted: list[str] = []
    for section in sections:
        for row in section.get("steps", []) if section["key"] == "pain_points" else section.get("moved", []):
            if row["step"] not in wanted:
                wanted.append(row["step"])
    by_step = {
        item["step"]: (item.get("comments") or {}).get("most_negative") or [] for item in inputs.curve.get("steps", [])
    }
    found: list[dict[str, Any]] = []
    for rank in range(MAX_COMMENTS):
        for step in wanted:
            if len(found) < MAX_COMMENTS and rank < len(by_step.get(step, [])):
                found.append({"id": by_step[step][rank]["id"], "step": step})
    return found


def digest_content(inputs: DigestInputs, providers: tuple[Provider, ...] = PROVIDERS) -> dict[str, Any]:
    """The digest's sections and comment ids (see the module docstring)."""
    sections = [section for provider in providers if (section := provider(inputs)) is not None]
    return {"sections": sections, "comments": _comment_ids(inputs, sections)}
