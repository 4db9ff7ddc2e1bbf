"""``xlsx``: a workbook with sheets Curve (per step, with a line chart of the
emotion mean and its 95% interval), Responses (one row per answer), Comments
(answers with a comment) and Themes (every theme per step, with the export's
filters: share, sentiment, change, phrases, examples), written by openpyxl in write-only mode:
rows go to temporary files, so memory stays flat; the finished file is then
streamed. A sheet that reaches Excel's row limit continues in "Responses 2"…

Text cells that could start a formula (= + - @ tab CR) are stored as plain
strings (never a formula) with Excel's quotePrefix flag, the spreadsheet's
own "this is text" marker, so they display and re-edit as typed.
"""

import tempfile
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import LineChart, Reference
from sqlalchemy.orm import Session

from collector.exports.base import (
    FORMULA_START,
    RESPONSE_HEADER,
    XML_ILLEGAL,
    Progress,
    curve,
    funnel_cells,
    response_batches,
)
from collector.exports.friction_cells import FRICTION_COLUMNS, friction_cells
from collector.exports.themes import THEMES_HEADER, journey_themes, sheet_rows
from collector.models import Journey

MAX_ROWS = 1_048_576  # Excel's rows per sheet, header included
CURVE_HEADER = (
    "step",
    "name",
    "position",
    "responses",
    "impressions",
    "response_rate",
    "emotion_mean",
    "emotion_ci_low",
    "emotion_ci_high",
    "csat",
    "csat_ci_low",
    "csat_ci_high",
    "csat_n",
    "ces_mean",
    "ces_ci_low",
    "ces_ci_high",
    "ces_n",
    "nps",
    "nps_n",
    "exit_intent",
    "exit_share",
    "comments",
    "negative_share",
    "flags",
    "funnel_sessions",
    "continue_rate",
    "abandonment_rate",
    "retry_rate",
    "error_rate",
    "time_on_step_median_s",
    "time_on_step_p90_s",
    "abandonment_negative",
    "abandonment_positive",
    *FRICTION_COLUMNS,
)
COMMENT_HEADER = ("id", "created_at", "step", "kind", "score", "sentiment_label", "polarity", "emotion", "comment")
_COMMENT_FIELDS = tuple(RESPONSE_HEADER.index(name) for name in COMMENT_HEADER)
_COMMENT_TEXT = RESPONSE_HEADER.index("comment")


def cells(sheet, row: list | tuple) -> list:
    """A row for ``sheet.append``: text made valid XML and inert as a formula."""
    out = []
    for value in row:
        if isinstance(value, str) and value:
            if XML_ILLEGAL.search(value):
                value = XML_ILLEGAL.sub("", value)
            if value and value[0] in FORMULA_START:
                cell = WriteOnlyCell(sheet, value)
                cell.data_type = "s"
                cell.quotePrefix = True
                value = cell
        out.append(value)
    return out


def saved(workbook: Workbook) -> Iterator[bytes]:
    """Save to a temporary file and yield it in 64 KB chunks."""
    with tempfile.TemporaryFile() as file:
        workbook.save(file)
        file.seek(0)
        while chunk := file.read(65536):
            yield chunk


def curve_rows(data: dict[str, Any]) -> list[list[Any]]:
    """The Curve sheet's rows, in ``CURVE_HEADER`` order."""
    rows = []
    for step in data["steps"]:
        emotion, csat, ces, nps = step["emotion"], step["csat"], step["ces"], step["nps"]
        rows.append(
            [
                step["step"],
                step["name"],
                step["position"],
                step["responses"],
                step["impressions"],
                step["response_rate"],
                emotion["mean"],
                emotion["ci_low"],
                emotion["ci_high"],
                csat["score"],
                csat["ci_low"],
                csat["ci_high"],
                csat["n"],
                ces["mean"],
                ces["ci_low"],
                ces["ci_high"],
                ces["n"],
                nps["score"],
                nps["n"],
                step["exit_intent"]["count"],
                step["exit_intent"]["share"],
                step["comments"]["count"],
                step["comments"]["negative_share"],
                " ".join(step.get("flags") or []),
                *funnel_cells(step),
                *friction_cells(step),
            ]
        )
    return rows


def _chart(sheet, steps: int) -> LineChart:
    chart = LineChart()
    chart.title = "Emotion mean per step (95% CI)"
    chart.y_axis.title = "emotion (-1..1)"
    chart.x_axis.title = "step"
    chart.y_axis.scaling.min = -1
    chart.y_axis.scaling.max = 1
    first = CURVE_HEADER.index("emotion_mean") + 1
    chart.add_data(
        Reference(sheet, min_col=first, max_col=first + 2, min_row=1, max_row=steps + 1), titles_from_data=True
    )
    chart.set_categories(Reference(sheet, min_col=2, min_row=2, max_row=steps + 1))
    chart.height, chart.width = 9, 18
    return chart


class _Rolling:
    """A write-only sheet that continues in a new sheet at Excel's row limit."""

    def __init__(self, workbook: Workbook, title: str, header: tuple[str, ...]) -> None:
        self.workbook, self.title, self.header, self.part = workbook, title, header, 0
        self._next()

    def _next(self) -> None:
        self.part += 1
        self.sheet = self.workbook.create_sheet(self.title if self.part == 1 else f"{self.title} {self.part}")
        self.sheet.append(list(self.header))
        self.rows = 1

    def append(self, row) -> None:
        if self.rows >= MAX_ROWS:
            self._next()
        self.sheet.append(cells(self.sheet, row))
        self.rows += 1


def write(session: Session, journey: Journey, filters: dict[str, Any], progress: Progress = None) -> Iterator[bytes]:
    """Build the workbook (answers in batches), then stream the file."""
    data = curve(session, journey, filters)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Curve")
    sheet.append(list(CURVE_HEADER))
    for row in curve_rows(data):
        sheet.append(cells(sheet, row))
    if data["steps"]:
        sheet.add_chart(_chart(sheet, len(data["steps"])), f"B{len(data['steps']) + 4}")
    responses = _Rolling(workbook, "Responses", RESPONSE_HEADER)
    comments = _Rolling(workbook, "Comments", COMMENT_HEADER)
    for rows in response_batches(session, journey, filters):
        for row in rows:
            responses.append(row)
            if row[_COMMENT_TEXT] is not None:
                comments.append([row[i] for i in _COMMENT_FIELDS])
        if progress:
            progress(len(rows))
    themes = workbook.create_sheet("Themes")
    themes.append(list(THEMES_HEADER))
    for row in sheet_rows(journey_themes(session, journey, filters)):
        themes.append(cells(themes, row))
    yield from saved(workbook)
