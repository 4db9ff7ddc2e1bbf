"""Coordinates of the inline curve chart and its funnel and friction strips (geometry
shared with the SVG export through ``collector.exports.chart``)."""

from typing import Any

from collector.common.vocabulary import FRICTION_SIGNALS
from collector.exports.chart import TICKS, Plot, band_outline, bar

CHART = {"width": 720, "height": 300, "left": 44, "right": 24, "top": 20, "bottom": 64}
FUNNEL_STRIP = {"height": 96, "top": 8, "bar": 60}
FRICTION_STRIP = {"height": 84, "top": 10, "bar": 40}


def dig(mapping: Any, *path: str) -> Any:
    """``mapping[a][b]…`` or None when any part is missing: the curve may grow or lack keys."""
    for name in path:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(name)
    return mapping


def curve_chart(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Coordinates for the inline SVG: one point per step, emotion −1..1 on y."""
    width, height = CHART["width"], CHART["height"]
    left, right, top, bottom = CHART["left"], CHART["right"], CHART["top"], CHART["bottom"]
    plot_w, plot_h = width - left - right, height - top - bottom

    y_of = Plot(top, plot_h, digits=1).y

    count = len(steps)
    points = []
    for index, step in enumerate(steps):
        x = round(left + (plot_w * (index + 0.5) / count if count else plot_w / 2), 1)
        mean = dig(step, "emotion", "mean")
        low, high = dig(step, "emotion", "ci_low"), dig(step, "emotion", "ci_high")
        flags = [flag for flag in (step.get("flags") or []) if flag in ("pain_point", "drop")]
        points.append(
            {
                "x": x,
                "y": y_of(mean) if mean is not None else y_of(0),
                "has_data": mean is not None,
                "mean": mean,
                "low": low,
                "high": high,
                "y_low": y_of(low) if low is not None else None,
                "y_high": y_of(high) if high is not None else None,
                "name": step.get("name") or step.get("step") or "",
                "n": step.get("responses") or 0,
                "flags": flags,
            }
        )
    with_data = [p for p in points if p["has_data"]]
    line = " ".join(f"{p['x']},{p['y']}" for p in with_data)
    banded = [p for p in with_data if p["y_low"] is not None and p["y_high"] is not None]
    band = band_outline([(p["x"], p["y_low"], p["y_high"]) for p in banded]) if len(banded) >= 2 else ""
    ticks = [{"value": v, "y": y_of(v)} for v in TICKS]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": height - bottom,
        "points": points,
        "line": line,
        "band": band,
        "ticks": ticks,
        "funnel": funnel_bars(steps, points),
        "friction": friction_cells(steps, points),
    }


def funnel_bars(steps: list[dict[str, Any]], points: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The funnel strip under the emotion line: per step a bar for the share of sessions
    reaching it, its abandoned part in red, at the same x as the curve's point."""
    sessions = max((dig(step, "funnel", "sessions") or 0 for step in steps), default=0)
    total = max(sessions, max((dig(step, "funnel", "reached", "n") or 0 for step in steps), default=0))
    if not total:
        return None
    height, top, bar_height = FUNNEL_STRIP["height"], FUNNEL_STRIP["top"], FUNNEL_STRIP["bar"]
    bars = []
    for step, point in zip(steps, points):
        bottom = top + bar_height
        reached_y, reached_h = bar((dig(step, "funnel", "sessions") or 0) / total, bottom, bar_height, digits=1)
        lost_y, lost_h = bar((dig(step, "funnel", "abandonment", "count") or 0) / total, bottom, bar_height, digits=1)
        bars.append(
            {
                "x": round(point["x"] - 20, 1),
                "cx": point["x"],
                "width": 40,
                "y": reached_y,
                "h": reached_h,
                "lost_y": lost_y,
                "lost_h": lost_h,
                "sessions": dig(step, "funnel", "sessions") or 0,
                "abandonment": dig(step, "funnel", "abandonment", "rate"),
                "label_y": bottom + 16,
            }
        )
    return {"height": height, "bars": bars, "total": total}


def friction_cells(steps: list[dict[str, Any]], points: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The friction strip under the emotion line: per step, at the curve point's x, a bar for
    its friction index (the share of its sessions with any signal) scaled to the highest
    step's, the step's most common signal, and whether the curve flags it (``friction``:
    significantly above the journey's other steps). None when no step has sessions."""
    if not any(dig(step, "friction", "sessions") for step in steps):
        return None
    highest = max((dig(step, "friction", "index", "share") or 0 for step in steps), default=0)
    top, bar_height = FRICTION_STRIP["top"], FRICTION_STRIP["bar"]
    cells = []
    for step, point in zip(steps, points):
        share = dig(step, "friction", "index", "share")
        y, h = bar((share or 0) / highest if highest else 0, top + bar_height, bar_height, digits=1)
        signals = [
            {"name": name, "share": dig(step, "friction", "signals", name, "share")}
            for name in FRICTION_SIGNALS
            if dig(step, "friction", "signals", name, "sessions")
        ]
        signals.sort(key=lambda signal: -(signal["share"] or 0))
        cells.append(
            {
                "step": step.get("step") or "",
                "name": step.get("name") or step.get("step") or "",
                "x": round(point["x"] - 20, 1),
                "cx": point["x"],
                "width": 40,
                "track_y": top,
                "track_h": bar_height,
                "y": y,
                "h": h,
                "sessions": dig(step, "friction", "sessions") or 0,
                "share": share,
                "ci_low": dig(step, "friction", "index", "ci_low"),
                "ci_high": dig(step, "friction", "index", "ci_high"),
                "signals": signals,
                "flagged": "friction" in (step.get("flags") or []),
                "label_y": top + bar_height + 16,
                "signal_y": top + bar_height + 30,
            }
        )
    return {"height": FRICTION_STRIP["height"], "cells": cells, "legend_y": top + bar_height / 2 + 4}


THEMES_SHOWN = 6


def _tone(sentiment: dict[str, int] | None) -> str:
    """The sentiment most of a theme's comments have (negative wins a tie: it is what hurts)."""
    counts = sentiment or {}
    negative, neutral, positive = (counts.get(name) or 0 for name in ("negative", "neutral", "positive"))
    if not negative + neutral + positive:
        return "none"
    if negative >= max(neutral, positive):
        return "negative"
    return "positive" if positive > neutral else "neutral"


def theme_panels(body: dict[str, Any] | None, limit: int = THEMES_SHOWN) -> list[dict[str, Any]]:
    """Per step of ``theme_report.journey_themes``, bars for its largest themes: width by share
    (the step's largest theme spans the panel), tone by the comments' sentiment, and the change
    of share against the previous window (None without one)."""
    panels = []
    for step in (body or {}).get("steps") or []:
        themes = list(step.get("themes") or [])[:limit]
        widest = max((theme["share"] or 0 for theme in themes), default=0)
        bars = []
        for theme in themes:
            change = theme.get("share_change")
            bars.append(
                {
                    "key": theme["key"],
                    "label": theme["label"],
                    "count": theme["count"],
                    "share": theme["share"] or 0,
                    "width": round(100 * (theme["share"] or 0) / widest, 1) if widest else 0,
                    "tone": _tone(theme.get("sentiment")),
                    "change": change,
                    "trend": None
                    if change is None
                    else ("rising" if change > 0 else "falling" if change < 0 else "flat"),
                }
            )
        panels.append(
            {
                "step": step["step"],
                "name": step.get("name") or step["step"],
                "comments": step.get("comments") or 0,
                "has_model": step.get("model") is not None,
                "bars": bars,
            }
        )
    return panels
