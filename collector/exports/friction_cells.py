"""A curve step's friction numbers as export cells (docs/friction.md): the index, each
signal's share, and abandonment with vs without a signal. One place, so the journey
table, XLSX, draw.io and Lucid carry the same columns."""

from typing import Any

from collector.common.vocabulary import FRICTION_SIGNALS

FRICTION_COLUMNS = (
    "friction_sessions",
    "friction_index",
    *(f"{name}_share" for name in FRICTION_SIGNALS),
    "abandonment_with_friction",
    "abandonment_without_friction",
)
FRICTION_HEADER = (
    "Friction sessions",
    "Friction index",
    *(f"{name.replace('_', ' ').capitalize()} share" for name in FRICTION_SIGNALS),
    "Abandonment with friction",
    "Abandonment without friction",
)


def friction_cells(step: dict[str, Any]) -> list[Any]:
    """The step's friction numbers in ``FRICTION_COLUMNS`` order (shares 0-1), or blanks."""
    block = step.get("friction")
    if not block:
        return [None] * len(FRICTION_COLUMNS)
    split = block["abandonment"].get("any") or {}
    return [
        block["sessions"],
        block["index"]["share"],
        *(block["signals"][name]["share"] for name in FRICTION_SIGNALS),
        (split.get("with") or {}).get("rate"),
        (split.get("without") or {}).get("rate"),
    ]
