"""CX API: themes of comments per step, and their curation."""

from flask import g

from collector.analytics import theme_curation, theme_report
from collector.api.auth import require_scope
from collector.api.hooks import require_json_body
from collector.api.json_input import Blueprint
from collector.api.themes.schemas import (
    CurationResultSchema,
    JourneyThemesSchema,
    MergeSchema,
    SplitSchema,
    ThemePatchSchema,
    ThemesArgsSchema,
)
from collector.extensions import db
from collector.tenancy import journeys

blp = Blueprint("themes", __name__, url_prefix="/v1/journeys", description="Themes of comments per step.")
blp.before_request(require_json_body)


@blp.route("/<string:key>/themes", methods=["GET"])
@require_scope("read")
@blp.arguments(ThemesArgsSchema, location="query")
@blp.response(200, JourneyThemesSchema)
@blp.alt_response(404, description="No such journey (or step) on this site.")
def get_themes(args, key):
    """Per step: its comments in the window and segment, and their themes, largest first (pinned first).

    Read from the stored themes of each answer; comments are themed at ingest,
    models are built by `stepsense themes rebuild`.
    """
    journey = journeys.get_journey(db.session, g.site, key)
    steps = [journeys.get_step(db.session, g.site, key, args["step"])] if args.get("step") else None
    return theme_report.journey_themes(db.session, journey, args, steps, include_hidden=args["include_hidden"])


def _result(step, result: dict) -> dict:
    body = theme_report.journey_themes(db.session, step.journey, {}, [step], include_hidden=True)
    return {**result, "themes": body["steps"][0]["themes"]}


@blp.route("/<string:key>/steps/<string:step>/themes/curation", methods=["GET"])
@require_scope("read")
@blp.response(200, CurationResultSchema)
@blp.alt_response(404, description="No such journey or step on this site.")
def get_curation(key, step):
    """The step's curation (renames, merges, splits, pins, hides) and its themes over all comments."""
    found = journeys.get_step(db.session, g.site, key, step)
    return _result(found, theme_curation.get_curation(db.session, found))


@blp.route("/<string:key>/steps/<string:step>/themes/<string:theme>", methods=["PATCH"])
@require_scope("write")
@blp.arguments(ThemePatchSchema)
@blp.response(200, CurationResultSchema)
@blp.alt_response(404, description="No such journey, step or theme on this site.")
def patch_theme(values, key, step, theme):
    """Rename a theme, pin or unpin it, hide or show it; kept across rebuilds."""
    found = journeys.get_step(db.session, g.site, key, step)
    return _result(found, theme_curation.update_theme(db.session, found, theme, values))


@blp.route("/<string:key>/steps/<string:step>/themes/merge", methods=["POST"])
@require_scope("write")
@blp.arguments(MergeSchema)
@blp.response(200, CurationResultSchema)
@blp.alt_response(404, description="No such journey, step or theme on this site.")
def merge_themes(values, key, step):
    """Merge themes into one; their old keys keep resolving to it (also for new comments)."""
    found = journeys.get_step(db.session, g.site, key, step)
    return _result(found, theme_curation.merge_themes(db.session, found, values["keys"], values["into"]))


@blp.route("/<string:key>/steps/<string:step>/themes/split", methods=["POST"])
@require_scope("write")
@blp.arguments(SplitSchema)
@blp.response(200, CurationResultSchema)
@blp.alt_response(404, description="No such journey, step or parent theme on this site.")
@blp.alt_response(409, description="A theme with that key exists at the step.")
def split_theme(values, key, step):
    """Split a theme off by phrases: comments containing one get it first (within `parent` if given)."""
    found = journeys.get_step(db.session, g.site, key, step)
    return _result(found, theme_curation.split_theme(db.session, found, values))
