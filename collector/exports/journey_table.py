"""``journey-table`` (CSV), ``journey-table-xlsx`` and ``metrics``: the lanes
journey-mapping tools use (Smaply, UXPressia, TheyDo, a Miro table).

Per step: name, emotion on the −2..+2 scale of emotional-journey lanes
(emotion mean × 2, one decimal), CSAT, CES, NPS, exit share, flags and the
top quotes (the curve's representative comments), the top themes (label and
share of the step's comments, one a line), then the step's funnel
(sessions, continued, abandonment, retry and error rates, time on step,
abandonment of negative vs positive answerers). ``metrics`` is a long
table, one row per metric, step and UTC day (the curve's ``interval=day``
series), for tools that chart NPS/CSAT/CES/emotion over time. Every other
number is the curve endpoint's, unchanged.
"""

from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from collector.exports import xlsx
from collector.exports.base import FUNNEL_HEADER, Progress, csv_lines, curve, funnel_cells, guard, one_line
from collector.exports.csv_export import BOM
from collector.exports.friction_cells import FRICTION_HEADER, friction_cells
from collector.exports.themes import top_text
from collector.models import Journey

TABLE_HEADER = (
    "Step",
    "Step key",
    "Position",
    "Responses",
    "Emotion (-2..+2)",
    "Emotion mean (-1..1)",
    "CSAT (share 4-5)",
    "CES (mean 1-7)",
    "NPS",
    "Exit share",
    "Flags",
    "Top quotes (negative)",
    "Top quotes (positive)",
    "Top themes",
    *FUNNEL_HEADER,
    *FRICTION_HEADER,
)
METRICS_HEADER = ("metric", "step", "date", "value", "n")
# metric name -> (curve field, value key)
SERIES = (("emotion", "emotion", "mean"), ("csat", "csat", "score"), ("ces", "ces", "mean"), ("nps", "nps", "score"))


def lane_emotion(mean: float | None) -> float | None:
    """Emotion mean (−1..1) on the −2..+2 lane scale, one decimal."""
    return None if mean is None else round(mean * 2, 1)


def _quotes(comments: list[dict[str, Any]]) -> str:
    return "\n".join(f"“{one_line(comment['text'])}”" for comment in comments)


def table_rows(data: dict[str, Any]) -> list[list[Any]]:
    """One row per step, in ``TABLE_HEADER`` order, text unguarded."""
    rows = []
    for step in data["steps"]:
        rows.append(
            [
                one_line(step["name"]),
                step["step"],
                step["position"],
                step["responses"],
                lane_emotion(step["emotion"]["mean"]),
                step["emotion"]["mean"],
                step["csat"]["score"],
                step["ces"]["mean"],
                step["nps"]["score"],
                step["exit_intent"]["share"],
                ", ".join(step.get("flags") or []),
                _quotes(step["comments"]["most_negative"]),
                _quotes(step["comments"]["most_positive"]),
                top_text(step, "\n"),
                *funnel_cells(step),
                *friction_cells(step),
            ]
        )
    return rows


def metric_rows(data: dict[str, Any]) -> list[list[Any]]:
    """(metric, step, date, value, n) for every day a step has a value."""
    rows = []
    for metric, field, key in SERIES:
        for step in data["steps"]:
            for point in step.get("series") or []:
                value = point[field][key]
                if value is not None:
                    rows.append([metric, step["step"], point["start"], value, point[field]["n"]])
    return rows


def _csv(header: tuple[str, ...], rows: list[list[Any]]) -> bytes:
    """The CSV file: BOM, CRLF line ends, text cells guarded (``base.guard``)
    and quoted when they hold a line break (``base.csv_lines``)."""
    table = [header] + [[guard(v) if isinstance(v, str) else v for v in row] for row in rows]
    return (BOM + "".join(csv_lines(table, "\r\n"))).encode("utf-8")


def write_table(
    session: Session, journey: Journey, filters: dict[str, Any], progress: Progress = None
) -> Iterator[bytes]:
    yield _csv(TABLE_HEADER, table_rows(curve(session, journey, filters)))


def write_metrics(
    session: Session, journey: Journey, filters: dict[str, Any], progress: Progress = None
) -> Iterator[bytes]:
    yield _csv(METRICS_HEADER, metric_rows(curve(session, journey, filters, interval="day")))


def write_table_xlsx(
    session: Session, journey: Journey, filters: dict[str, Any], progress: Progress = None
) -> Iterator[bytes]:
    data = curve(session, journey, filters, interval="day")
    workbook = xlsx.Workbook(write_only=True)
    for title, header, rows in (
        ("Journey", TABLE_HEADER, table_rows(data)),
        ("Metrics", METRICS_HEADER, metric_rows(data)),
    ):
        sheet = workbook.create_sheet(title)
        sheet.append(list(header))
        for row in rows:
            sheet.append(xlsx.cells(sheet, row))
    yield from xlsx.saved(workbook)
