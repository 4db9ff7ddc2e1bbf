"""The CX dashboard: sign in with an API key, read a journey's curve and comments,
manage journeys, steps and prompts, and see alert rules and their deliveries.

Server-rendered pages; the only script is ``static/dashboard.js`` (the HTML CSP
forbids inline scripts). The session holds the key's id and session generation,
never its secret, and the key is looked up again on every request: revoking or
rotating it, or signing out, increments the generation, which ends every
session of the key, even a cookie saved before.
"""

import functools
import hmac
import secrets
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import marshmallow as ma
import sqlalchemy as sa
from flask import (Blueprint, abort, current_app, flash, g, has_request_context, redirect, render_template, request, session,
                   url_for)
from flask.sessions import SecureCookieSessionInterface

from collector import alerts
from collector.analytics import curves
from collector import exports
from collector.exports.chart import TICKS, Plot, band_outline, bar
from collector.tenancy import journeys
from collector.api.downloads import export_response
from collector.api.exports.schemas import ExportArgsSchema
from collector.api.journeys.schemas import (JourneySchema, JourneyUpdateSchema, PromptPatchSchema, PromptSchema,
                                            StepCreateSchema, StepUpdateSchema)
from collector.common.replicas import read_session
from collector.common.time import utcnow
from collector.common.vocabulary import TRIGGERS
from collector.tenancy.keys import end_sessions, find_api_key, has_scope
from collector.common.vocabulary import KINDS
from collector.common.errors import Conflict, DomainError, Invalid, NotFound, TooMany
from collector.extensions import db
from collector.models import ApiKey, Journey, Response
from collector.analytics.responses import list_responses
from collector.tenancy.sites import embed_snippet

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

COMMENTS_SHOWN = 50
SENTIMENTS = ("positive", "neutral", "negative")
REFRESH_SECONDS = 30
CHART = {"width": 720, "height": 300, "left": 44, "right": 24, "top": 20, "bottom": 64}
FUNNEL_STRIP = {"height": 96, "top": 8, "bar": 60}


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure))


@bp.record_once
def _use_session_interface(state) -> None:
    state.app.session_interface = SessionInterface()


# --- Session, key and CSRF -------------------------------------------------

def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@bp.app_template_global("dashboard_csrf_token")
def _csrf_token_global() -> str:
    return csrf_token()


@bp.before_request
def load_key():
    """Check the CSRF token of every POST, and resolve the signed-in key."""
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        expected = session.get("csrf", "")
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            abort(400, "The form expired or did not come from this dashboard; reload the page and try again.")
    g.api_key = None
    key_id = session.get("key_id")
    if key_id is not None:
        key = db.session.get(ApiKey, key_id)
        if key is not None and session.get("key_generation") != key.session_generation:
            session.clear()
            flash("You were signed out; sign in again.", "info")
        elif key is None or key.revoked_at is not None or not has_scope(key, "read"):
            session.clear()
            flash("Your key was revoked or lost its read scope; sign in again.", "error")
        else:
            g.api_key = key
            g.site = key.site
    if g.api_key is None and request.endpoint not in {"dashboard.sign_in", "dashboard.sign_out"}:
        if request.args.get("partial"):
            return "Signed out.", 401
        return redirect(url_for("dashboard.sign_in"))
    return None


@bp.errorhandler(400)
def bad_request(error):
    return render_template("dashboard/error.html", message=error.description), 400


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Paste a secret key with read scope; the session keeps only its id."""
    if request.method == "GET":
        if g.api_key is not None:
            return redirect(url_for("dashboard.index"))
        return render_template("dashboard/sign_in.html")
    key = find_api_key(db.session, request.form.get("key", "").strip())
    if key is None or not has_scope(key, "read"):
        return render_template("dashboard/sign_in.html", error="That key is unknown, revoked or lacks the read scope."), 401
    session.clear()  # a fresh session (and CSRF token) on sign-in
    session["key_id"] = key.id
    session["key_generation"] = key.session_generation
    csrf_token()
    return redirect(url_for("dashboard.index"))


@bp.post("/sign-out")
def sign_out():
    """End this session and, on the server, every other one of the key: a copy of
    the cookie saved before no longer signs in."""
    if g.api_key is not None:
        end_sessions(g.api_key)
        db.session.commit()
    session.clear()
    flash("Signed out.", "info")
    return redirect(url_for("dashboard.sign_in"))


# --- Reading: curve, KPIs, comments ---------------------------------------

def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def read_filters(args) -> dict[str, Any]:
    """The form's values as typed, plus the curve/response filters they mean.

    ``to`` is inclusive in the form and exclusive in the filters; both ends fall
    on UTC midnight, so the curve can be answered from the rollups.
    """
    form = {name: (args.get(name) or "").strip() for name in ("journey", "from", "to", "device", "variant", "step", "sentiment")}
    filters: dict[str, Any] = {}
    start, end = _parse_date(form["from"]), _parse_date(form["to"])
    if start:
        filters["from"] = datetime.combine(start, time(0), tzinfo=timezone.utc)
    else:
        form["from"] = ""
    if end:
        filters["to"] = datetime.combine(end + timedelta(days=1), time(0), tzinfo=timezone.utc)
    else:
        form["to"] = ""
    for name in ("device", "variant"):
        if form[name]:
            filters[name] = form[name]
    if form["sentiment"] not in SENTIMENTS:
        form["sentiment"] = ""
    return {"form": form, "filters": filters}


def dig(mapping: Any, *path: str) -> Any:
    """``mapping[a][b]…`` or None when any part is missing: the curve may grow or lack keys."""
    for name in path:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(name)
    return mapping


def curve_chart(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Coordinates for the inline SVG: one point per step, emotion −1..1 on y."""
    width, height = CHART["width"], CHART["height"]
    left, right, top, bottom = CHART["left"], CHART["right"], CHART["top"], CHART["bottom"]
    plot_w, plot_h = width - left - right, height - top - bottom

    y_of = Plot(top, plot_h, digits=1).y

    count = len(steps)
    points = []
    for index, step in enumerate(steps):
        x = round(left + (plot_w * (index + 0.5) / count if count else plot_w / 2), 1)
        mean = dig(step, "emotion", "mean")
        low, high = dig(step, "emotion", "ci_low"), dig(step, "emotion", "ci_high")
        flags = [flag for flag in (step.get("flags") or []) if flag in ("pain_point", "drop")]
        points.append({
            "x": x, "y": y_of(mean) if mean is not None else y_of(0), "has_data": mean is not None,
            "mean": mean, "low": low, "high": high,
            "y_low": y_of(low) if low is not None else None, "y_high": y_of(high) if high is not None else None,
            "name": step.get("name") or step.get("step") or "", "n": step.get("responses") or 0, "flags": flags,
        })
    with_data = [p for p in points if p["has_data"]]
    line = " ".join(f"{p['x']},{p['y']}" for p in with_data)
    banded = [p for p in with_data if p["y_low"] is not None and p["y_high"] is not None]
    band = band_outline([(p["x"], p["y_low"], p["y_high"]) for p in banded]) if len(banded) >= 2 else ""
    ticks = [{"value": v, "y": y_of(v)} for v in TICKS]
    return {"width": width, "height": height, "left": left, "right": width - right, "top": top,
            "bottom": height - bottom, "points": points, "line": line, "band": band, "ticks": ticks,
            "funnel": funnel_bars(steps, points)}


def funnel_bars(steps: list[dict[str, Any]], points: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The funnel strip under the emotion line: per step a bar for the share of sessions
    reaching it, its abandoned part in red, at the same x as the curve's point."""
    sessions = max((dig(step, "funnel", "sessions") or 0 for step in steps), default=0)
    total = max(sessions, max((dig(step, "funnel", "reached", "n") or 0 for step in steps), default=0))
    if not total:
        return None
    height, top, bar_height = FUNNEL_STRIP["height"], FUNNEL_STRIP["top"], FUNNEL_STRIP["bar"]
    bars = []
    for step, point in zip(steps, points):
        bottom = top + bar_height
        reached_y, reached_h = bar((dig(step, "funnel", "sessions") or 0) / total, bottom, bar_height, digits=1)
        lost_y, lost_h = bar((dig(step, "funnel", "abandonment", "count") or 0) / total, bottom, bar_height, digits=1)
        bars.append({"x": round(point["x"] - 20, 1), "cx": point["x"], "width": 40,
                     "y": reached_y, "h": reached_h, "lost_y": lost_y, "lost_h": lost_h,
                     "sessions": dig(step, "funnel", "sessions") or 0,
                     "abandonment": dig(step, "funnel", "abandonment", "rate"), "label_y": bottom + 16})
    return {"height": height, "bars": bars, "total": total}


def _segment_options(journey: Journey) -> dict[str, list[str]]:
    """Devices and variants seen in the journey, for the segment dropdowns."""
    options = {}
    for name in ("device", "variant"):
        column = getattr(Response, name)
        options[name] = list(read_session(db.session).scalars(
            sa.select(column).where(Response.journey_id == journey.id, column.is_not(None)).distinct().order_by(column).limit(50)))
    return options


def _dashboard_data(journey: Journey | None, form: dict[str, str], filters: dict[str, Any]) -> dict[str, Any]:
    if journey is None:
        return {"curve": None, "chart": None, "comments": [], "error": None}
    error = None
    try:
        curve = curves.journey_curve(read_session(db.session), journey, dict(filters))
    except DomainError as exc:
        curve, error = None, exc.message
    steps = list((curve or {}).get("steps") or [])
    values = {"limit": COMMENTS_SHOWN, "journey": journey.key, "has_comment": True, **filters}
    if form["step"]:
        values["step"] = form["step"]
    if form["sentiment"]:
        values["sentiment"] = form["sentiment"]
    comments, _ = list_responses(read_session(db.session), g.site, values)
    return {"curve": curve, "steps": steps, "chart": curve_chart(steps) if steps else None,
            "comments": comments, "error": error}


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
    context = {"journeys": site_journeys, "journey": journey, "form": form, "query": query, "dig": dig,
               "export_formats": exports.REGISTRY.values(),
               "export_query": {name: form[name] for name in EXPORT_FILTERS if form[name]},
               "refresh_seconds": REFRESH_SECONDS, "sentiments": SENTIMENTS, **data}
    if request.args.get("partial"):
        return render_template("dashboard/_data.html", **context)
    return render_template("dashboard/index.html", options=_segment_options(journey) if journey else {},
                           snippet=embed_snippet(g.site, request.host_url), **context)


EXPORT_FILTERS = ("journey", "from", "to", "device", "variant")


@bp.get("/export")
def export():
    """A download button's file: the API's export of the chosen journey, with the
    dashboard's journey, date and segment filters checked by the API's schema."""
    chosen = read_filters(request.args)
    raw: dict[str, Any] = {"format": request.args.get("format", "")}
    for name, value in chosen["filters"].items():
        raw[name] = value.isoformat() if isinstance(value, datetime) else value
    try:
        args = ExportArgsSchema().load(raw)
    except ma.ValidationError as exc:
        abort(400, _errors_text(exc))
    return export_response(journeys.get_journey(db.session, g.site, chosen["form"]["journey"]), args)


# --- Managing journeys, steps and prompts ---------------------------------

def _can_write() -> bool:
    return has_scope(g.api_key, "write")


def write_required(view):
    """Management actions need a write key; a read key gets the page back with a 403."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not _can_write():
            flash("This key has only the read scope: sign in with a write or admin key to change journeys.", "error")
            return render_template("dashboard/manage.html", **_manage_context()), 403
        return view(*args, **kwargs)

    return wrapper


def _manage_context() -> dict[str, Any]:
    return {"journeys": journeys.list_journeys(db.session, g.site), "can_write": _can_write(),
            "kinds": KINDS, "triggers": TRIGGERS, "snippet": embed_snippet(g.site, request.host_url)}


def _errors_text(error: ma.ValidationError) -> str:
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


def _page_status(error: DomainError) -> int:
    """The status of a page that shows a service's refusal."""
    if isinstance(error, NotFound):
        return 404
    return 409 if isinstance(error, Conflict) else 422


@bp.get("/manage")
def manage():
    """Journeys with their steps and prompts; forms to add more."""
    return render_template("dashboard/manage.html", **_manage_context())


def _parse_steps(text: str) -> list[dict[str, str]]:
    """One step a line: ``key`` or ``key | Name``."""
    steps = []
    for line in text.splitlines():
        if not line.strip():
            continue
        key, _, name = line.partition("|")
        step = {"key": key.strip()}
        if name.strip():
            step["name"] = name.strip()
        steps.append(step)
    return steps


def _apply(action, success: str):
    """Run a service call, flash its outcome and return to the management page."""
    try:
        action()
    except ma.ValidationError as exc:
        db.session.rollback()
        flash(_errors_text(exc), "error")
        return render_template("dashboard/manage.html", **_manage_context()), 422
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return render_template("dashboard/manage.html", **_manage_context()), _page_status(exc)
    flash(success, "info")
    return redirect(url_for("dashboard.manage"))


@bp.post("/journeys")
@write_required
def add_journey():
    """Create a journey with the steps listed one a line."""
    raw = {"key": request.form.get("key", "").strip(), "steps": _parse_steps(request.form.get("steps", ""))}
    if request.form.get("name", "").strip():
        raw["name"] = request.form["name"].strip()
    return _apply(lambda: journeys.create_journey(db.session, g.site, JourneySchema().load(raw)),
                  f"Journey '{raw['key']}' created.")


@bp.post("/journeys/<string:key>/steps")
@write_required
def add_step(key):
    raw = {"key": request.form.get("key", "").strip()}
    if request.form.get("name", "").strip():
        raw["name"] = request.form["name"].strip()
    return _apply(lambda: journeys.add_step(db.session, journeys.get_journey(db.session, g.site, key),
                                            StepCreateSchema().load(raw)),
                  f"Step '{raw['key']}' added to '{key}'.")


@bp.post("/journeys/<string:key>/prompts")
@write_required
def add_prompt(key):
    """Add a prompt to a step of the journey, checked by the API's prompt schema."""
    form = request.form
    raw: dict[str, Any] = {"kind": form.get("kind", ""), "trigger": form.get("trigger") or "inline"}
    if form.get("text", "").strip():
        raw["text"] = {(form.get("locale") or "en").strip(): form["text"].strip()}
    for name in ("delay_ms", "scroll_percent"):
        if form.get(name, "").strip():
            try:
                raw[name] = int(form[name])
            except ValueError:
                raw[name] = form[name]  # the schema reports it
    if form.get("event_name", "").strip():
        raw["event_name"] = form["event_name"].strip()

    def create():
        step = journeys.get_step(db.session, g.site, key, form.get("step", ""))
        journeys.create_prompt(db.session, step, PromptSchema().load(raw))

    return _apply(create, f"Prompt added to '{key}' / '{form.get('step', '')}'.")


def _form_name() -> dict[str, Any]:
    """The ``name`` field as the API's update schemas take it (empty stays empty, so they reject it)."""
    return {"name": request.form.get("name", "").strip()}


@bp.post("/journeys/<string:key>/rename")
@write_required
def rename_journey(key):
    raw = _form_name()
    return _apply(lambda: journeys.update_journey(db.session, journeys.get_journey(db.session, g.site, key),
                                                  JourneyUpdateSchema().load(raw)),
                  f"Journey '{key}' renamed to '{raw['name']}'.")


@bp.post("/journeys/<string:key>/delete")
@write_required
def delete_journey(key):
    """Delete a journey with everything collected for it; the form must repeat the journey's key."""

    def delete():
        journey = journeys.get_journey(db.session, g.site, key)
        if request.form.get("confirm_key", "").strip() != journey.key:
            raise Invalid(f"Type the journey key '{journey.key}' to confirm deleting it.")
        journeys.delete_journey(db.session, journey)

    return _apply(delete, f"Journey '{key}' deleted with its steps, prompts and answers.")


@bp.post("/journeys/<string:key>/steps/<string:step>/rename")
@write_required
def rename_step(key, step):
    raw = _form_name()
    return _apply(lambda: journeys.update_step(db.session, journeys.get_step(db.session, g.site, key, step),
                                               StepUpdateSchema().load(raw)),
                  f"Step '{step}' of '{key}' renamed to '{raw['name']}'.")


@bp.post("/journeys/<string:key>/steps/<string:step>/move")
@write_required
def move_step(key, step):
    """Move a step one place up or down (``direction`` = up | down)."""
    direction = request.form.get("direction", "")

    def move():
        found = journeys.get_step(db.session, g.site, key, step)
        if direction not in ("up", "down"):
            raise Invalid("Move a step up or down.")
        position = found.position + (-1 if direction == "up" else 1)
        if position < 0 or position >= len(found.journey.steps):
            raise Invalid(f"Step '{step}' is already the {'first' if direction == 'up' else 'last'} step.")
        journeys.update_step(db.session, found, StepUpdateSchema().load({"position": position}))

    return _apply(move, f"Step '{step}' of '{key}' moved {direction}.")


@bp.post("/journeys/<string:key>/steps/<string:step>/delete")
@write_required
def delete_step(key, step):
    """Delete a step with its prompts and answers; the form's confirm box must be ticked."""

    def delete():
        found = journeys.get_step(db.session, g.site, key, step)
        if request.form.get("confirm") != "yes":
            raise Invalid(f"Tick the box to confirm deleting step '{step}' and its answers.")
        journeys.delete_step(db.session, found)

    return _apply(delete, f"Step '{step}' deleted from '{key}' with its prompts and answers.")


@bp.post("/journeys/<string:key>/steps/<string:step>/prompts/<int:prompt_id>/active")
@write_required
def set_prompt_active(key, step, prompt_id):
    """Turn a prompt on (``active=1``) or off (``active=0``), checked by the API's patch schema."""
    raw = {"active": request.form.get("active", "")}
    state = "activated" if raw["active"] in ("1", "true") else "deactivated"
    return _apply(lambda: journeys.update_prompt(db.session, journeys.get_prompt(db.session, g.site, key, step, prompt_id),
                                                 PromptPatchSchema(partial=True).load(raw)),
                  f"Prompt {prompt_id} at '{key}' / '{step}' {state}.")


@bp.post("/journeys/<string:key>/steps/<string:step>/prompts/<int:prompt_id>/delete")
@write_required
def delete_prompt(key, step, prompt_id):
    return _apply(lambda: journeys.delete_prompt(db.session, journeys.get_prompt(db.session, g.site, key, step, prompt_id)),
                  f"Prompt {prompt_id} deleted from '{key}' / '{step}'.")


# --- Alerts -----------------------------------------------------------------

def _alerts_context() -> dict[str, Any]:
    rules = alerts.list_rules(db.session, g.site)
    return {"rules": rules, "rule_names": {rule.id: rule.name for rule in rules},
            "hosts": {rule.id: urlsplit(rule.webhook_url).netloc for rule in rules},
            "deliveries": alerts.list_deliveries(db.session, g.site, {"limit": COMMENTS_SHOWN}),
            "can_write": _can_write()}


@bp.get("/alerts")
def alerts_page():
    """The site's alert rules with their state, and the latest webhook deliveries."""
    return render_template("dashboard/alerts.html", **_alerts_context())


@bp.post("/alerts/<int:rule_id>/test")
def test_alert(rule_id):
    """Send a rule's test webhook now and show the outcome."""
    if not _can_write():
        flash("Sending a test needs a key with the write scope.", "error")
        return render_template("dashboard/alerts.html", **_alerts_context()), 403
    try:
        rule = alerts.get_rule(db.session, g.site, rule_id)
    except NotFound as exc:
        flash(exc.message, "error")
        return render_template("dashboard/alerts.html", **_alerts_context()), 404
    try:
        delivery = alerts.send_test(db.session, rule, utcnow(), current_app.config.get("PUBLIC_URL") or request.host_url)
    except TooMany as exc:
        flash(exc.message, "error")
        return render_template("dashboard/alerts.html", **_alerts_context()), 429
    if delivery.status == "delivered":
        flash(f"Test delivered to '{rule.name}' (HTTP {delivery.response_code}).", "info")
    else:
        flash(f"Test to '{rule.name}' failed: {delivery.last_error}.", "error")
    return redirect(url_for("dashboard.alerts_page"))
