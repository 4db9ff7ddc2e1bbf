"""``svg``: the emotional journey line as a standalone SVG.

Steps run along x in step order, the emotion mean (−1..1) on y, with the 95%
interval as a shaded band, pain points and drops marked, and each step's
name and n underneath. Presentation attributes only (no CSS, no scripts, no
external fonts), so Miro, Figma, Smaply and UXPressia import it as drawn.
Each step's group carries its numbers as ``data-*`` attributes. Under the
names, drop-off bars: sessions reaching each step (bar height, share of all
sessions) with the part that abandoned there in red.
"""

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from collector.exports.base import Progress, curve, display_text, emotion_fill, emotion_stroke
from collector.exports.chart import TICKS, Plot, band_outline, bar, runs
from collector.exports.themes import top_keys, top_text
from collector.models import Journey

SPACING = 160
LEFT = 70
RIGHT = 30
TOP = 78
PLOT_HEIGHT = 220
BOTTOM = 96
FUNNEL_HEIGHT = 70  # drop-off bars under the step names
PAIN = "#c0392b"
LINE = "#2c5d8f"
NAME_CHARS = 22


def _fmt(value: Any) -> str:
    return "" if value is None else str(value)


def _shorten(text: str, limit: int = NAME_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _funnel_data(funnel: dict[str, Any] | None) -> dict[str, str]:
    if not funnel:
        return {}
    return {
        "data-sessions": _fmt(funnel["sessions"]),
        "data-continued": _fmt(funnel["continued"]["rate"]),
        "data-abandonment": _fmt(funnel["abandonment"]["rate"]),
        "data-retry": _fmt(funnel["retry"]["rate"]),
        "data-error-rate": _fmt(funnel["errors"]["rate"]),
        "data-time-on-step-median": _fmt(funnel["time_on_step"]["median"]),
    }


def _drop_off_bar(group: ET.Element, px: float, top: float, funnel: dict[str, Any], sessions: int) -> None:
    """Sessions reaching the step as a bar (full height = all sessions), the abandoned part in red."""
    width, height = 48, FUNNEL_HEIGHT - 22
    bottom = top + height
    reached_y, reached_h = bar(funnel["sessions"] / sessions, bottom, height)
    lost_y, lost_h = bar(funnel["abandonment"]["count"] / sessions, bottom, height)
    ET.SubElement(
        group,
        "rect",
        {
            "x": str(px - width / 2),
            "y": str(reached_y),
            "width": str(width),
            "height": str(reached_h),
            "fill": "#9db7d3",
        },
    )
    ET.SubElement(
        group,
        "rect",
        {
            "x": str(px - width / 2),
            "y": str(lost_y),
            "width": str(width),
            "height": str(lost_h),
            "fill": PAIN,
            "fill-opacity": "0.8",
        },
    )
    rate = funnel["abandonment"]["rate"]
    ET.SubElement(
        group, "text", {"x": str(px), "y": str(bottom + 16), "text-anchor": "middle", "fill": "#555555"}
    ).text = f"{funnel['sessions']} sessions" + (f" · {rate:.0%} drop" if rate is not None else "")


def render(data: dict[str, Any]) -> str:
    """The SVG text for a serialised curve."""
    steps = data["steps"]
    width = max(480, LEFT + SPACING * max(1, len(steps)) + RIGHT)
    sessions = (data.get("funnel") or {}).get("sessions") or 0
    height = TOP + PLOT_HEIGHT + BOTTOM + (FUNNEL_HEIGHT if sessions else 0)

    def x(index: int) -> float:
        return LEFT + SPACING * index + SPACING / 2

    y = Plot(TOP, PLOT_HEIGHT).y

    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "version": "1.1",
            "width": str(width),
            "height": str(height),
            "viewBox": f"0 0 {width} {height}",
            "font-family": "Helvetica, Arial, sans-serif",
            "font-size": "12",
            "fill": "#222222",
        },
    )
    name = display_text(data.get("name") or data.get("journey"))
    ET.SubElement(svg, "title").text = f"Emotional journey: {name}"
    window = data.get("window") or {}
    span = f"{(window.get('from') or 'start')[:10]} to {(window.get('to') or 'now')[:10]}"
    total = (data.get("overall") or {}).get("responses", 0)
    ET.SubElement(
        svg, "desc"
    ).text = (
        f"Emotion mean per step (−1 very negative, +1 very positive) with 95% confidence band; {span}; {total} answers."
    )
    ET.SubElement(svg, "rect", {"x": "0", "y": "0", "width": str(width), "height": str(height), "fill": "#ffffff"})
    ET.SubElement(
        svg, "text", {"x": str(LEFT), "y": "28", "font-size": "18", "font-weight": "bold"}
    ).text = f"{name}: emotional journey"
    segment = [
        f"{key}={display_text(value)}" for key, value in (data.get("segment") or {}).items() if value and key != "attr"
    ] + [display_text(a) for a in (data.get("segment") or {}).get("attr") or []]
    ET.SubElement(svg, "text", {"x": str(LEFT), "y": "50", "fill": "#555555"}).text = (
        f"{span} · {total} answers"
        + (f" · {', '.join(segment)}" if segment else "")
        + " · band: 95% CI · red: pain point"
    )

    axis = ET.SubElement(svg, "g", {"id": "axis"})
    for tick in TICKS:
        ET.SubElement(
            axis,
            "line",
            {
                "x1": str(LEFT),
                "x2": str(width - RIGHT),
                "y1": str(y(tick)),
                "y2": str(y(tick)),
                "stroke": "#999999" if tick == 0 else "#e3e3e3",
                "stroke-width": "1",
                **({"stroke-dasharray": "4 3"} if tick == 0 else {}),
            },
        )
        ET.SubElement(
            axis, "text", {"x": str(LEFT - 8), "y": str(y(tick) + 4), "text-anchor": "end", "fill": "#666666"}
        ).text = f"{tick:+g}" if tick else "0"
    ET.SubElement(
        axis,
        "text",
        {
            "x": "16",
            "y": str(TOP + PLOT_HEIGHT / 2),
            "fill": "#666666",
            "text-anchor": "middle",
            "transform": f"rotate(-90 16 {TOP + PLOT_HEIGHT / 2})",
        },
    ).text = "emotion"

    band = ET.SubElement(svg, "g", {"id": "ci-band", "fill": LINE, "fill-opacity": "0.16", "stroke": "none"})
    for run in runs(
        [
            (x(i), y(s["emotion"]["ci_low"]), y(s["emotion"]["ci_high"]))
            if s["emotion"]["ci_low"] is not None
            else None
            for i, s in enumerate(steps)
        ]
    ):
        if len(run) == 1:
            px, low, high = run[0]
            ET.SubElement(
                band, "rect", {"x": str(px - 6), "y": str(high), "width": "12", "height": str(round(low - high, 2))}
            )
        else:
            ET.SubElement(band, "polygon", {"points": band_outline(run)})

    line = ET.SubElement(svg, "g", {"id": "emotion-line", "fill": "none", "stroke": LINE, "stroke-width": "2.5"})
    for run in runs(
        [(x(i), y(s["emotion"]["mean"])) if s["emotion"]["mean"] is not None else None for i, s in enumerate(steps)]
    ):
        if len(run) > 1:
            ET.SubElement(
                line, "polyline", {"points": " ".join(f"{px},{py}" for px, py in run), "stroke-linejoin": "round"}
            )

    for index, step in enumerate(steps):
        emotion, flags = step["emotion"], step.get("flags") or []
        group = ET.SubElement(
            svg,
            "g",
            {
                "id": f"step-{index}",
                "data-step": display_text(step["step"]),
                "data-position": _fmt(step["position"]),
                "data-responses": _fmt(step["responses"]),
                "data-emotion-mean": _fmt(emotion["mean"]),
                "data-emotion-ci-low": _fmt(emotion["ci_low"]),
                "data-emotion-ci-high": _fmt(emotion["ci_high"]),
                "data-flags": " ".join(flags),
                "data-top-themes": display_text(top_text(step)),
                "data-top-theme-keys": top_keys(step),
                **_funnel_data(step.get("funnel")),
            },
        )
        px = x(index)
        label = display_text(step["name"])
        ET.SubElement(group, "title").text = label
        if emotion["mean"] is not None:
            py = y(emotion["mean"])
            pain = "pain_point" in flags
            ET.SubElement(
                group,
                "circle",
                {
                    "cx": str(px),
                    "cy": str(py),
                    "r": "9" if pain else "6",
                    "fill": PAIN if pain else emotion_fill(emotion["mean"]),
                    "stroke": PAIN if pain else emotion_stroke(emotion["mean"]),
                    "stroke-width": "2",
                },
            )
            ET.SubElement(
                group, "text", {"x": str(px), "y": str(py - 14), "text-anchor": "middle", "font-weight": "bold"}
            ).text = f"{emotion['mean']:+.2f}"
            marks = (["pain point"] if pain else []) + (["▼ drop"] if "drop" in flags else [])
            if marks:
                ET.SubElement(
                    group,
                    "text",
                    {"x": str(px), "y": str(py + 24), "text-anchor": "middle", "fill": PAIN, "font-weight": "bold"},
                ).text = " · ".join(marks)
            if pain and step.get("themes"):  # why it hurts: the pain point's largest theme
                top = step["themes"][0]
                ET.SubElement(
                    group,
                    "text",
                    {"x": str(px), "y": str(py + 40), "text-anchor": "middle", "fill": PAIN, "class": "top-theme"},
                ).text = f"“{_shorten(display_text(top['label']))}” {top['share']:.0%}"
        else:
            ET.SubElement(
                group, "text", {"x": str(px), "y": str(y(0) - 8), "text-anchor": "middle", "fill": "#999999"}
            ).text = "no answers"
        base = TOP + PLOT_HEIGHT
        ET.SubElement(
            group, "line", {"x1": str(px), "x2": str(px), "y1": str(base), "y2": str(base + 6), "stroke": "#999999"}
        )
        ET.SubElement(
            group, "text", {"x": str(px), "y": str(base + 24), "text-anchor": "middle", "font-weight": "bold"}
        ).text = _shorten(label)
        ET.SubElement(
            group, "text", {"x": str(px), "y": str(base + 42), "text-anchor": "middle", "fill": "#555555"}
        ).text = f"n = {step['responses']}"
        if sessions:
            _drop_off_bar(group, px, base + BOTTOM - 30, step["funnel"], sessions)
    ET.indent(svg)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(svg, encoding="unicode") + "\n"


def write(session: Session, journey: Journey, filters: dict[str, Any], progress: Progress = None) -> Iterator[bytes]:
    yield render(curve(session, journey, filters)).encode("utf-8")
