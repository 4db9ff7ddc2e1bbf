"""Themes in the exports: the curve steps' top three (``key``, ``label``, ``count``,
``share``, docs/themes.md) for the lanes and shapes, and the full list per step from
``analytics.theme_report`` (with the export's filters) for the XLSX sheet and JSON."""

from typing import Any

from sqlalchemy.orm import Session

from collector.analytics import theme_report
from collector.exports.base import json_ready, one_line
from collector.models import Journey

THEMES_HEADER = (
    "Step",
    "Step key",
    "Theme",
    "Theme key",
    "Comments",
    "Share of the step's comments",
    "Primary",
    "Negative",
    "Neutral",
    "Positive",
    "Emotion mean",
    "Share change",
    "Phrases",
    "Examples",
)


def top_text(step: dict[str, Any], separator: str = "; ") -> str:
    """The step's top themes as one line: ``card declined (21%); paypal (12%)``."""
    return separator.join(f"{one_line(theme['label'])} ({theme['share']:.0%})" for theme in step.get("themes") or [])


def top_keys(step: dict[str, Any]) -> str:
    """The step's top theme keys, space-separated (keys are slugs: no spaces)."""
    return " ".join(theme["key"] for theme in step.get("themes") or [])


def journey_themes(session: Session, journey: Journey, filters: dict[str, Any]) -> list[dict[str, Any]]:
    """Per step, its themes in the export's window and segment, JSON-ready."""
    return json_ready(theme_report.journey_themes(session, journey, dict(filters))["steps"])


def sheet_rows(steps: list[dict[str, Any]]) -> list[list[Any]]:
    """The Themes sheet's rows in ``THEMES_HEADER`` order, text unguarded."""
    rows = []
    for step in steps:
        for theme in step["themes"]:
            rows.append(
                [
                    one_line(step["name"]),
                    step["step"],
                    one_line(theme["label"]),
                    theme["key"],
                    theme["count"],
                    theme["share"],
                    theme["primary"],
                    theme["sentiment"]["negative"],
                    theme["sentiment"]["neutral"],
                    theme["sentiment"]["positive"],
                    theme["emotion"]["mean"],
                    theme["share_change"],
                    ", ".join(one_line(p) for p in theme["phrases"]),
                    "\n".join(f"“{one_line(text)}”" for text in theme["examples"]),
                ]
            )
    return rows
