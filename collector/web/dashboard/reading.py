"""Reading a journey: the curve, per-step KPIs, the latest comments and downloads."""

from datetime import datetime
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import abort, g, render_template, request

from collector import exports
from collector.analytics import curves, theme_cache
from collector.analytics.responses import list_responses
from collector.api.downloads import export_response
from collector.api.exports.schemas import ExportArgsSchema
from collector.common.errors import DomainError
from collector.common.replicas import read_session
from collector.extensions import db
from collector.models import Journey, Response
from collector.tenancy import journeys
from collector.tenancy.sites import embed_snippet
from collector.web.dashboard.blueprint import bp
from collector.web.dashboard.charts import curve_chart, dig, theme_panels
from collector.web.dashboard.filters import COMPARISONS, SENTIMENTS, errors_text, read_filters

COMMENTS_SHOWN = 50
REFRESH_SECONDS = 30


def _segment_options(journey: Journey) -> dict[str, list[str]]:
    """Devices, variants and comment languages seen in the journey, for the segment dropdowns."""
    options = {}
    for name in ("device", "variant", "language"):
        column = getattr(Response, name)
        options[name] = list(
            read_session(db.session).scalars(
                sa.select(column)
                .where(Response.journey_id == journey.id, column.is_not(None))
                .distinct()
                .order_by(column)
                .limit(50)
            )
        )
    return options


def _dashboard_data(journey: Journey | None, form: dict[str, str], filters: dict[str, Any]) -> dict[str, Any]:
    if journey is None:
        return {"curve": None, "chart": None, "comments": [], "error": None, "themes": [], "theme_label": None}
    error = None
    try:
        curve = curves.journey_curve(
            read_session(db.session), journey, dict(filters), top_themes=theme_cache.cached_top_themes
        )
    except DomainError as exc:
        curve, error = None, exc.message
    steps = list((curve or {}).get("steps") or [])
    values = {"limit": COMMENTS_SHOWN, "journey": journey.key, "has_comment": True, **filters}
    if form["step"]:
        values["step"] = form["step"]
    if form["sentiment"]:
        values["sentiment"] = form["sentiment"]
    if form["theme"]:
        values["theme"] = form["theme"]
    comments, _ = list_responses(read_session(db.session), g.site, values)
    panels = (
        theme_panels(theme_cache.cached_journey_themes(read_session(db.session), journey, dict(filters)))
        if error is None
        else []
    )
    return {
        "curve": curve,
        "steps": steps,
        "chart": curve_chart(steps) if steps else None,
        "comments": comments,
        "error": error,
        "themes": panels,
        "theme_label": _theme_label(panels, form),
    }


def _theme_label(panels: list[dict[str, Any]], form: dict[str, str]) -> str | None:
    """The label of the theme the comments are filtered by (its key when the window shows it not)."""
    if not form["theme"]:
        return None
    for panel in panels:
        if not form["step"] or panel["step"] == form["step"]:
            for bar in panel["bars"]:
                if bar["key"] == form["theme"]:
                    return bar["label"]
    return form["theme"]


@bp.get("/")
def index():
    """Curve, per-step KPIs and the latest comments of one journey."""
    chosen = read_filters(request.args)
    form, filters = chosen["form"], chosen["filters"]
    site_journeys = journeys.list_journeys(db.session, g.site)
    journey = next((j for j in site_journeys if j.key == form["journey"]), site_journeys[0] if site_journeys else None)
    if journey is not None:
        form["journey"] = journey.key
    if journey is None or form["step"] not in {step.key for step in journey.steps}:
        form["step"] = ""
    data = _dashboard_data(journey, form, filters)
    query = {name: value for name, value in form.items() if value}
    context = {
        "journeys": site_journeys,
        "journey": journey,
        "form": form,
        "query": query,
        "dig": dig,
        "export_formats": exports.REGISTRY.values(),
        "export_query": {name: form[name] for name in EXPORT_FILTERS if form[name]},
        "refresh_seconds": REFRESH_SECONDS,
        "sentiments": SENTIMENTS,
        **data,
    }
    if request.args.get("partial"):
        return render_template("dashboard/_data.html", **context)
    return render_template(
        "dashboard/index.html",
        options=_segment_options(journey) if journey else {},
        comparisons=COMPARISONS,
        snippet=embed_snippet(g.site, request.host_url),
        **context,
    )


EXPORT_FILTERS = ("journey", "from", "to", "device", "variant", "language")


@bp.get("/export")
def export():
    """A download button's file: the API's export of the chosen journey, with the
    dashboard's journey, date and segment filters checked by the API's schema."""
    chosen = read_filters(request.args)
    raw: dict[str, Any] = {"format": request.args.get("format", "")}
    for name, value in chosen["filters"].items():
        if name == "compare":
            continue  # a way of reading the curve, not a filter of what is exported
        raw[name] = value.isoformat() if isinstance(value, datetime) else value
    try:
        args = ExportArgsSchema().load(raw)
    except ma.ValidationError as exc:
        abort(400, errors_text(exc))
    return export_response(journeys.get_journey(db.session, g.site, chosen["form"]["journey"]), args)
