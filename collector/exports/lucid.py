"""``lucid``: Lucid's Standard Import (a ``.lucid`` zip holding ``document.json``,
version 1) for Lucidchart and Lucidspark.

One page; one rounded rectangle per step laid out like the draw.io export
(x by step, y by emotion mean, higher is better), filled by emotion, its text
the step name and summary, every metric in ``customData``; lines connect the
steps in order. Text is plain (no markup), bidi controls dropped.
"""

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from collector.exports.base import Progress, curve, display_text, emotion_fill, emotion_stroke
from collector.exports.friction_cells import FRICTION_COLUMNS, friction_cells
from collector.exports.themes import top_keys, top_text
from collector.models import Journey

X_STEP = 240
Y_SCALE = 150
WIDTH = 180
HEIGHT = 90
METRICS = (
    ("responses", ("responses",)),
    ("emotion_mean", ("emotion", "mean")),
    ("emotion_ci_low", ("emotion", "ci_low")),
    ("emotion_ci_high", ("emotion", "ci_high")),
    ("csat", ("csat", "score")),
    ("ces", ("ces", "mean")),
    ("nps", ("nps", "score")),
    ("exit_share", ("exit_intent", "share")),
    ("negative_share", ("comments", "negative_share")),
)
# The step's funnel, as shape data too (missing on curves without a funnel).
FUNNEL_METRICS = (
    ("sessions", ("sessions",)),
    ("continue_rate", ("continued", "rate")),
    ("abandonment", ("abandonment", "rate")),
    ("retry_rate", ("retry", "rate")),
    ("error_rate", ("errors", "rate")),
    ("time_on_step_median_s", ("time_on_step", "median")),
)


def _get(step: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = step
    for name in path:
        value = value[name]
    return value


def document(data: dict[str, Any]) -> dict[str, Any]:
    """``document.json`` for a serialised curve."""
    shapes, lines = [], []
    steps = data["steps"]
    for index, step in enumerate(steps):
        mean = step["emotion"]["mean"]
        flags = step.get("flags") or []
        summary = f"emotion {mean:+.2f} · n {step['responses']}" if mean is not None else "no answers"
        if flags:
            summary += "\n" + ", ".join(flag.replace("_", " ") for flag in flags)
        custom = [
            {"key": "step", "value": display_text(step["step"])},
            {"key": "position", "value": str(step["position"])},
        ]
        custom += [
            {"key": key, "value": "" if _get(step, path) is None else str(_get(step, path))} for key, path in METRICS
        ]
        custom.append({"key": "flags", "value": " ".join(flags)})
        custom += [
            {"key": "top_themes", "value": display_text(top_text(step))},
            {"key": "top_theme_keys", "value": top_keys(step)},
        ]
        if step.get("funnel"):
            custom += [
                {"key": key, "value": "" if _get(step["funnel"], path) is None else str(_get(step["funnel"], path))}
                for key, path in FUNNEL_METRICS
            ]
        if step.get("friction"):
            custom += [
                {"key": key, "value": "" if value is None else str(value)}
                for key, value in zip(FRICTION_COLUMNS, friction_cells(step))
            ]
        shapes.append(
            {
                "id": f"step-{index}",
                "type": "rectangle",
                "boundingBox": {
                    "x": index * X_STEP,
                    "y": round((1 - (mean if mean is not None else 0.0)) * Y_SCALE),
                    "w": WIDTH,
                    "h": HEIGHT,
                },
                "style": {
                    "fill": {"type": "color", "color": emotion_fill(mean)},
                    "stroke": {"color": emotion_stroke(mean), "width": 2, "style": "solid"},
                    "rounding": 12,
                },
                "text": f"{display_text(step['name'])}\n{summary}",
                "customData": custom,
            }
        )
        if index:
            lines.append(
                {
                    "id": f"line-{index}",
                    "lineType": "straight",
                    "stroke": {"color": "#666666", "width": 2, "style": "solid"},
                    "endpoint1": {
                        "type": "shapeEndpoint",
                        "style": "none",
                        "shapeId": f"step-{index - 1}",
                        "position": {"x": 1, "y": 0.5},
                    },
                    "endpoint2": {
                        "type": "shapeEndpoint",
                        "style": "arrow",
                        "shapeId": f"step-{index}",
                        "position": {"x": 0, "y": 0.5},
                    },
                }
            )
    title = display_text(data.get("name") or data.get("journey"))
    return {
        "version": 1,
        "pages": [{"id": "journey", "title": f"{title}: emotional journey"[:100], "shapes": shapes, "lines": lines}],
    }


def render(data: dict[str, Any]) -> bytes:
    """The ``.lucid`` zip for a serialised curve."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("document.json", json.dumps(document(data), ensure_ascii=False, indent=2))
    return buffer.getvalue()


def write(session: Session, journey: Journey, filters: dict[str, Any], progress: Progress = None) -> Iterator[bytes]:
    yield render(curve(session, journey, filters))
