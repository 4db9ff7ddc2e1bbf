"""Managing journeys, steps and prompts from the dashboard (write scope)."""

import functools
from typing import Any

import marshmallow as ma
from flask import flash, g, redirect, render_template, request, url_for

from collector.api.journeys.schemas import (
    JourneySchema,
    JourneyUpdateSchema,
    PromptPatchSchema,
    PromptSchema,
    StepCreateSchema,
    StepUpdateSchema,
)
from collector.common.errors import Conflict, DomainError, Invalid, NotFound
from collector.common.vocabulary import KINDS, TRIGGERS
from collector.extensions import db
from collector.tenancy import journeys
from collector.tenancy.sites import embed_snippet
from collector.web.dashboard.blueprint import bp
from collector.web.dashboard.filters import errors_text
from collector.web.dashboard.session import can_write


def _manage_context() -> dict[str, Any]:
    return {
        "journeys": journeys.list_journeys(db.session, g.site),
        "can_write": can_write(),
        "kinds": KINDS,
        "triggers": TRIGGERS,
        "snippet": embed_snippet(g.site, request.host_url),
    }


def write_required(view):
    """Management actions need a write key; a read key gets the page back with a 403."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not can_write():
            flash("This key has only the read scope: sign in with a write or admin key to change journeys.", "error")
            return render_template("dashboard/manage.html", **_manage_context()), 403
        return view(*args, **kwargs)

    return wrapper


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
        flash(errors_text(exc), "error")
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
    return _apply(
        lambda: journeys.create_journey(db.session, g.site, JourneySchema().load(raw)),
        f"Journey '{raw['key']}' created.",
    )


@bp.post("/journeys/<string:key>/steps")
@write_required
def add_step(key):
    raw = {"key": request.form.get("key", "").strip()}
    if request.form.get("name", "").strip():
        raw["name"] = request.form["name"].strip()
    return _apply(
        lambda: journeys.add_step(
            db.session, journeys.get_journey(db.session, g.site, key), StepCreateSchema().load(raw)
        ),
        f"Step '{raw['key']}' added to '{key}'.",
    )


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
    return _apply(
        lambda: journeys.update_journey(
            db.session, journeys.get_journey(db.session, g.site, key), JourneyUpdateSchema().load(raw)
        ),
        f"Journey '{key}' renamed to '{raw['name']}'.",
    )


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
    return _apply(
        lambda: journeys.update_step(
            db.session, journeys.get_step(db.session, g.site, key, step), StepUpdateSchema().load(raw)
        ),
        f"Step '{step}' of '{key}' renamed to '{raw['name']}'.",
    )


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
    return _apply(
        lambda: journeys.update_prompt(
            db.session,
            journeys.get_prompt(db.session, g.site, key, step, prompt_id),
            PromptPatchSchema(partial=True).load(raw),
        ),
        f"Prompt {prompt_id} at '{key}' / '{step}' {state}.",
    )


@bp.post("/journeys/<string:key>/steps/<string:step>/prompts/<int:prompt_id>/delete")
@write_required
def delete_prompt(key, step, prompt_id):
    return _apply(
        lambda: journeys.delete_prompt(db.session, journeys.get_prompt(db.session, g.site, key, step, prompt_id)),
        f"Prompt {prompt_id} deleted from '{key}' / '{step}'.",
    )
