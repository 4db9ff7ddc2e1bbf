"""``drawio``: the draw.io / diagrams.net CSV import format (Arrange > Insert >
Advanced > CSV).

One rounded box per step, placed at x = step index × 200 and y by the emotion
mean (higher emotion higher on the page: y = (1 − mean) × 150, so +1 sits at
0 and −1 at 300; steps without answers sit on the neutral line), filled by
emotion, connected in step order. Every metric is a column, so draw.io keeps
it as shape data (Edit Data), the step's funnel numbers included (sessions,
continue/abandonment/retry/error rates, time on step, abandonment of negative
vs positive answerers) and the top themes (``top_themes``: label and share, ``;``
between; ``top_theme_keys``); the label adds the drop-off share. draw.io adds its insert point to left/top.

Escaping: no line break (``base.LINE_BREAKS``) is left in a value: each is
folded to a space, or dropped if XML forbids it (draw.io splits the file on
newlines). Values are written by ``base.csv_lines`` with ``base.guard``, as in
every CSV export, since a spreadsheet may open this file too: a step named
``=HYPERLINK(…)`` is ``'=HYPERLINK(…)`` in the ``name`` column. Bidi controls
are dropped; the one HTML column (``caption``, the label, which starts with
``<b>``) is HTML-escaped, so a name like ``<b>`` shows as text.
"""

import html
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from collector.exports.base import (
    Progress,
    csv_lines,
    curve,
    emotion_fill,
    emotion_stroke,
    funnel_cells,
    guard,
    one_line,
)
from collector.exports.friction_cells import FRICTION_COLUMNS, friction_cells
from collector.exports.themes import top_keys, top_text
from collector.models import Journey

X_STEP = 200
Y_SCALE = 150
HEADER = """## Stepsense emotional journey: one shape per step, y by emotion mean (higher = better).
# label: %caption%
# style: rounded=1;whiteSpace=wrap;html=1;fillColor=%fill%;strokeColor=%stroke%;fontSize=12;
# namespace: stepsense-
# connect: {"from": "next", "to": "id", "invert": false, "style": "curved=0;endArrow=blockThin;endFill=1;strokeColor=#666666;"}
# width: 140
# height: 70
# padding: 0
# ignore: id,fill,stroke,next
# nodespacing: 40
# levelspacing: 100
# edgespacing: 40
# layout: none
# left: x
# top: y
"""
COLUMNS = (
    "id",
    "step",
    "name",
    "caption",
    "position",
    "x",
    "y",
    "fill",
    "stroke",
    "next",
    "responses",
    "emotion",
    "emotion_ci_low",
    "emotion_ci_high",
    "csat",
    "ces",
    "nps",
    "exit_share",
    "negative_share",
    "flags",
    "sessions",
    "continue_rate",
    "abandonment",
    "retry_rate",
    "error_rate",
    "time_on_step_median_s",
    "time_on_step_p90_s",
    "abandonment_negative",
    "abandonment_positive",
)
FUNNEL_COLUMNS = COLUMNS[-9:]
COLUMNS = (*COLUMNS, "top_themes", "top_theme_keys", *FRICTION_COLUMNS)


def _text(value: Any) -> Any:
    return "" if value is None else value


def rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One CSV row per step, as dicts keyed by ``COLUMNS``."""
    steps = data["steps"]
    out = []
    for index, step in enumerate(steps):
        mean = step["emotion"]["mean"]
        name = one_line(step["name"])
        summary = f"emotion {mean:+.2f} · n {step['responses']}" if mean is not None else "no answers"
        flags = step.get("flags") or []
        if flags:
            summary += " · " + ", ".join(flag.replace("_", " ") for flag in flags)
        abandonment = (step.get("funnel") or {}).get("abandonment", {}).get("rate")
        if abandonment is not None:
            summary += f" · {abandonment:.0%} drop"
        out.append(
            {
                "id": f"s{index}",
                "step": one_line(step["step"]),
                "name": name,
                "caption": f"<b>{html.escape(name)}</b><br>{html.escape(summary)}",
                "position": step["position"],
                "x": index * X_STEP,
                "y": round((1 - (mean if mean is not None else 0.0)) * Y_SCALE),
                "fill": emotion_fill(mean),
                "stroke": emotion_stroke(mean),
                "next": f"s{index + 1}" if index + 1 < len(steps) else "",
                "responses": step["responses"],
                "emotion": _text(mean),
                "emotion_ci_low": _text(step["emotion"]["ci_low"]),
                "emotion_ci_high": _text(step["emotion"]["ci_high"]),
                "csat": _text(step["csat"]["score"]),
                "ces": _text(step["ces"]["mean"]),
                "nps": _text(step["nps"]["score"]),
                "exit_share": _text(step["exit_intent"]["share"]),
                "negative_share": _text(step["comments"]["negative_share"]),
                "flags": " ".join(flags),
                **{column: _text(value) for column, value in zip(FUNNEL_COLUMNS, funnel_cells(step))},
                "top_themes": top_text(step),
                "top_theme_keys": top_keys(step),
                **{column: _text(value) for column, value in zip(FRICTION_COLUMNS, friction_cells(step))},
            }
        )
    return out


def render(data: dict[str, Any]) -> str:
    """The draw.io CSV text for a serialised curve."""
    table = [COLUMNS] + [
        [guard(value) if isinstance(value, str) else value for value in map(row.get, COLUMNS)] for row in rows(data)
    ]
    return HEADER + "".join(csv_lines(table))


def write(session: Session, journey: Journey, filters: dict[str, Any], progress: Progress = None) -> Iterator[bytes]:
    yield render(curve(session, journey, filters)).encode("utf-8")
