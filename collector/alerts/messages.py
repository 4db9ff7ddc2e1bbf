"""What an alert or digest says, in words, before any service's format.

``message(payload)`` turns a delivery's payload (comments resolved to their
stored, redacted text) into a ``Message``: a title, a one-line summary, facts
(label, value), sections of lines, a few comments and the dashboard link, all
plain text. ``slack``, ``teams`` and ``email`` render it, each escaping for
its own markup and keeping to its own limits, so what is said lives here once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# A comment is quoted, not reproduced: one line, at most this many characters.
COMMENT_CHARS = 280
ELLIPSIS = "…"

KIND_TITLES = {
    "emotion_drop": "emotion dropped",
    "exit_share_above": "exit-intent share above threshold",
    "abandonment_above_previous": "abandonment rose",
    "theme_rising": "a theme is rising",
    "friction_above": "friction rose",
}
FLAG_NAMES = {"pain_point": "pain point", "drop": "drop from the previous step", "unhappy_exit": "unhappy exits"}


@dataclass
class Message:
    """One alert or digest as plain text; renderers escape and trim it."""

    title: str
    summary: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    context: str = ""
    link: str | None = None


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + ELLIPSIS


def one_line(text: str) -> str:
    """Whitespace (line breaks included) collapsed to single spaces: a quote can't start a list or heading."""
    return re.sub(r"\s+", " ", text or "").strip()


def _signed(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:+.{digits}f}"


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def _points(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:+.0f} pts"


def _interval(low: float | None, high: float | None, formatter, lead: str = " (", close: str = ")") -> str:
    if low is None or high is None:
        return ""
    return f"{lead}95% CI {formatter(low)} to {formatter(high)}{close}"


def _moment(text: str | None) -> str:
    if not text:
        return "?"
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.strftime("%Y-%m-%d %H:%M")


def _window_text(window: dict[str, Any]) -> str:
    if window.get("local_from"):
        return f"{window['local_from'][:16].replace('T', ' ')} to {window['local_to'][:16].replace('T', ' ')}"
    return f"{_moment(window.get('from'))} to {_moment(window.get('to'))} UTC"


def _comments(payload: dict[str, Any]) -> list[str]:
    quotes = []
    for comment in payload.get("comments") or []:
        text = one_line(comment.get("text") or "")
        if text:
            step = comment.get("step")
            quotes.append(clip(f"{text}" + (f" ({step})" if step else ""), COMMENT_CHARS))
    return quotes


def _alert(payload: dict[str, Any]) -> Message:
    kind, rule = payload.get("kind"), payload.get("rule") or {}
    step = payload.get("step") or "every step"
    where = f"{payload.get('journey')} / {step}"
    value, baseline = payload.get("value"), payload.get("baseline")
    if kind == "emotion_drop":
        reading = f"emotion {_signed(value)} (was {_signed(baseline)})"
        facts = [
            ("Emotion", f"{_signed(value)} (n {payload.get('n')})"),
            ("Previous period", f"{_signed(baseline)} (n {payload.get('baseline_n')})"),
        ]
    elif kind == "exit_share_above":
        reading = f"exit-intent share {_share(value)} (threshold {_share(payload.get('threshold'))})"
        facts = [
            ("Exit-intent share", f"{_share(value)} of {payload.get('n')} answers"),
            ("Threshold", _share(payload.get("threshold"))),
            ("Previous period", _share(baseline)),
        ]
    elif kind in ("theme_rising", "friction_above"):
        shares = payload.get("shares") or {}
        what = (
            f"theme '{(payload.get('theme') or {}).get('label', '?')}'"
            if kind == "theme_rising"
            else str(payload.get("signal") or "?").replace("_", " ")
        )
        unit = "comments" if kind == "theme_rising" else "sessions"
        reading = f"{what} in {_share(value)} of {unit} (was {_share(baseline)})"
        facts = [
            ("Theme" if kind == "theme_rising" else "Signal", what),
            ("Share", f"{_share(value)}: {shares.get('count', '?')} of {payload.get('n')} {unit}"),
            (
                "Previous period",
                f"{_share(baseline)}: {shares.get('baseline_count', '?')} of {payload.get('baseline_n')} {unit}",
            ),
        ]
    else:
        reading = f"abandonment {_share(value)} (was {_share(baseline)})"
        facts = [
            ("Abandonment", f"{_share(value)} of {payload.get('n')} sessions"),
            ("Previous period", f"{_share(baseline)} of {payload.get('baseline_n')} sessions"),
        ]
    facts = [("Journey", str(payload.get("journey"))), ("Step", step), *facts]
    if payload.get("p_value") is not None:
        facts.append(("p-value", f"{payload['p_value']:.2g}"))
    facts.append(("Window", _window_text(payload.get("window") or {})))
    title = f"{rule.get('name')}: {KIND_TITLES.get(kind, kind)}"
    if payload.get("test"):
        return Message(
            f"Test: {rule.get('name')}",
            f"A test of the Stepsense alert rule on {where}: it reaches you.",
            facts[:2],
            context=f"Stepsense · {kind} · test",
            link=payload.get("dashboard_url"),
        )
    return Message(
        title,
        f"{where}: {reading}",
        facts,
        [],
        _comments(payload),
        f"Stepsense · {kind} · fired {_moment(payload.get('fired_at'))} UTC",
        payload.get("dashboard_url"),
    )


def _digest_lines(section: dict[str, Any]) -> list[str]:
    key = section["key"]
    if key == "emotion":
        return [
            f"{row['name'] or row['step']}: {_signed(_row(section, row)['before']['mean'])} → "
            f"{_signed(_row(section, row)['now']['mean'])} (change {_signed(row['diff'])}"
            f"{_interval(_change(section, row).get('ci_low'), _change(section, row).get('ci_high'), _signed, ', ', '')})"
            f"{', significant' if row['significant'] else ''}"
            for row in section.get("moved", [])
        ]
    if key == "abandonment":
        return [
            f"{row['name'] or row['step']}: {_share(_row(section, row)['before']['rate'])} → "
            f"{_share(_row(section, row)['now']['rate'])} (change {_points(row['diff'])}"
            f"{_interval(_change(section, row).get('ci_low'), _change(section, row).get('ci_high'), _points, ', ', '')})"
            f"{', significant' if row['significant'] else ''}"
            for row in section.get("moved", [])
        ]
    if key == "pain_points":
        lines = []
        for row in section.get("steps", []):
            emotion = row.get("emotion") or {}
            flags = ", ".join(FLAG_NAMES.get(flag, flag) for flag in row.get("flags", []))
            lines.append(
                f"{row['name'] or row['step']}: {flags}; emotion {_signed(emotion.get('mean'))}"
                f"{_interval(emotion.get('ci_low'), emotion.get('ci_high'), _signed)}"
            )
        return lines
    if key == "friction":
        return [
            f"{row['name'] or row['step']}: friction index {_signed(row['diff'])}" for row in section.get("moved", [])
        ]
    if key == "themes":
        return [
            f"{theme['label']} at {theme['step']}: {_share(theme.get('share'))} of comments"
            f"{_interval(theme.get('ci_low'), theme.get('ci_high'), _share)} ({_points(theme['share_change'])})"
            for theme in section.get("themes", [])
        ]
    return []


def _row(section: dict[str, Any], moved: dict[str, Any]) -> dict[str, Any]:
    return next(row for row in section["steps"] if row["step"] == moved["step"])


def _change(section: dict[str, Any], moved: dict[str, Any]) -> dict[str, Any]:
    return _row(section, moved).get("change") or {}


SECTION_HEADINGS = {
    "emotion": "Emotion: steps that moved most",
    "abandonment": "Abandonment: steps that moved most",
    "pain_points": "Pain points",
    "friction": "Friction: steps that moved most",
    "themes": "Rising themes",
}


def _digest(payload: dict[str, Any]) -> Message:
    rule, window = payload.get("rule") or {}, payload.get("window") or {}
    schedule = (payload.get("schedule") or "daily").capitalize()
    name = payload.get("journey_name") or payload.get("journey")
    sections = [
        (SECTION_HEADINGS.get(section["key"], section.get("title", "")), lines)
        for section in payload.get("sections") or []
        if (lines := _digest_lines(section))
    ]
    emotion = next((section for section in payload.get("sections") or [] if section["key"] == "emotion"), None)
    answers = [sum(row[side]["n"] for row in emotion["steps"]) if emotion else 0 for side in ("now", "before")]
    facts = [
        ("Journey", str(payload.get("journey"))),
        ("Period", f"{_window_text(window)} ({payload.get('timezone')})"),
        ("Answers", f"{answers[0]} (previous period {answers[1]})"),
    ]
    summary = f"{schedule} digest of {name}, {_window_text(window)}."
    if not sections:
        summary += " No answers or sessions in this period or the one before."
    if payload.get("test"):
        summary = f"A test of the Stepsense digest rule '{rule.get('name')}': {summary}"
    return Message(
        f"{'Test: ' if payload.get('test') else ''}{schedule} digest: {name}",
        summary,
        facts,
        sections,
        _comments(payload),
        f"Stepsense · digest · {rule.get('name')}",
        payload.get("dashboard_url"),
    )


def message(payload: dict[str, Any]) -> Message:
    """The plain-text message of a delivery's payload."""
    return _digest(payload) if payload.get("kind") == "digest" else _alert(payload)
