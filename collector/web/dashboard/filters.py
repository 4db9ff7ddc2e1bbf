"""The dashboard's journey, date and segment filters, read from the query string."""

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import marshmallow as ma

from collector.api.curves.schemas import CurveArgsSchema
from collector.api.fields import EARLIEST, KEY_PATTERN, LATEST

SENTIMENTS = ("positive", "neutral", "negative")
# The Compare select: value -> label; "attr" takes its name from the compare_attr text box.
COMPARISONS = {
    "variant": "Variant",
    "device": "Device",
    "locale": "Locale",
    "visitor_type": "Visitor type",
    "attr": "Attribute…",
}
# A theme key as the API's schemas take it (``KEY_PATTERN``); anything else is dropped.
THEME_KEY = re.compile(KEY_PATTERN.strip("^$"))


def _parse_date(value: str | None) -> date | None:
    """The form's date, or None (the filter is dropped) if it isn't one the API's
    filters take: an invalid date, or one outside EARLIEST..LATEST."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if EARLIEST.date() <= day < LATEST.date() else None


def read_filters(args) -> dict[str, Any]:
    """The form's values as typed, plus the curve/response filters they mean.

    ``to`` is inclusive in the form and exclusive in the filters; both ends fall
    on UTC midnight, so the curve can be answered from the rollups.
    """
    form = {
        name: (args.get(name) or "").strip()
        for name in (
            "journey",
            "from",
            "to",
            "device",
            "variant",
            "language",
            "step",
            "sentiment",
            "theme",
            "compare",
            "compare_attr",
        )
    }
    filters: dict[str, Any] = {}
    start, end = _parse_date(form["from"]), _parse_date(form["to"])
    if start:
        filters["from"] = datetime.combine(start, time(0), tzinfo=UTC)
    else:
        form["from"] = ""
    if end:
        filters["to"] = datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC)
    else:
        form["to"] = ""
    for name in ("device", "variant", "language"):
        if form[name]:
            filters[name] = form[name]
    if form["sentiment"] not in SENTIMENTS:
        form["sentiment"] = ""
    comparison = _comparison(form)
    if comparison:
        filters["compare"] = comparison
    if not THEME_KEY.fullmatch(form["theme"]):
        form["theme"] = ""
    return {"form": form, "filters": filters}


def _comparison(form: dict[str, str]) -> str | None:
    """The curve's ``compare`` for the form's Compare select, checked by the API's schema
    (an unknown choice or a malformed attribute name is dropped from the form)."""
    if form["compare"] not in COMPARISONS:
        form["compare"] = form["compare_attr"] = ""
        return None
    value = f"attr:{form['compare_attr']}" if form["compare"] == "attr" else form["compare"]
    if form["compare"] != "attr":
        form["compare_attr"] = ""
    if CurveArgsSchema().validate({"compare": value}):
        form["compare"] = form["compare_attr"] = ""
        return None
    return value


def errors_text(error: ma.ValidationError) -> str:
    """A schema's messages as one line a person can read in a flash message."""

    def flat(messages, prefix=""):
        if isinstance(messages, dict):
            for name, value in messages.items():
                yield from flat(value, f"{prefix}{name}: " if not isinstance(name, int) else prefix)
        elif isinstance(messages, list):
            for value in messages:
                yield from flat(value, prefix)
        else:
            yield f"{prefix}{messages}"

    return " ".join(flat(error.messages))
