"""Exports of a journey for spreadsheets and journey-mapping tools (docs/exports.md).

One module per format; ``REGISTRY`` maps the name that ``?format=`` and
``stepsense export --format`` take to its media type, file extension and
writer. A writer is ``write(session, journey, filters, progress=None)`` and
yields bytes, so exports whose size grows with the answers (``csv``,
``xlsx``) stream batch by batch; ``progress(n)`` is called per batch.
Every number that also appears in ``GET /v1/journeys/{key}/curve`` is taken
from the same analytics service for the same filters.

May import analytics, tenancy, models and common; never the HTTP layers.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from collector.exports import csv_export, drawio, journey_table, json_export, lucid, svg, xlsx
from collector.exports.base import Progress, count_responses
from collector.models import Journey

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ExportFormat:
    name: str
    media_type: str
    extension: str
    write: Callable[[Session, Journey, dict[str, Any], Progress], Iterator[bytes]]
    description: str
    per_response: bool = False  # size grows with the answers


REGISTRY: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat(
            "csv",
            "text/csv; charset=utf-8",
            "csv",
            csv_export.write,
            "One row per answer; UTF-8 with BOM; formula injection neutralised.",
            per_response=True,
        ),
        ExportFormat(
            "xlsx",
            XLSX_TYPE,
            "xlsx",
            xlsx.write,
            "Sheets Curve (with emotion chart), Responses, Comments.",
            per_response=True,
        ),
        ExportFormat("json", "application/json", "json", json_export.write, "The curve with export metadata."),
        ExportFormat(
            "svg", "image/svg+xml", "svg", svg.write, "The emotional journey line, for Miro, Figma, Smaply, UXPressia."
        ),
        ExportFormat(
            "drawio",
            "text/csv; charset=utf-8",
            "drawio.csv",
            drawio.write,
            "draw.io / diagrams.net CSV import: one shape per step.",
        ),
        ExportFormat("lucid", "application/zip", "lucid", lucid.write, "Lucid Standard Import (.lucid)."),
        ExportFormat(
            "journey-table",
            "text/csv; charset=utf-8",
            "journey-table.csv",
            journey_table.write_table,
            "Per-step lanes: emotion -2..+2, CSAT, CES, NPS, exit share, top quotes.",
        ),
        ExportFormat(
            "journey-table-xlsx",
            XLSX_TYPE,
            "journey-table.xlsx",
            journey_table.write_table_xlsx,
            "The journey table and the daily metrics as XLSX sheets.",
        ),
        ExportFormat(
            "metrics",
            "text/csv; charset=utf-8",
            "metrics.csv",
            journey_table.write_metrics,
            "metric, step, date, value, n per UTC day for emotion, CSAT, CES, NPS.",
        ),
    )
}
FORMATS = tuple(REGISTRY)


def filename(journey_key: str, export_format: ExportFormat, now: datetime | None = None) -> str:
    """``stepsense-<journey>-<yyyymmdd>.<ext>``, ASCII letters, digits, '.', '_' and '-' only."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", journey_key).strip("._") or "journey"
    return f"stepsense-{safe[:64]}-{stamp}.{export_format.extension}"


__all__ = ["REGISTRY", "FORMATS", "ExportFormat", "filename", "count_responses"]
