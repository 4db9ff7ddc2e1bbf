"""Journeys, their ordered steps and the prompts asked at each step."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.analytics import maintenance
from collector.common.errors import Conflict, Invalid, NotFound
from collector.models import Journey, Prompt, Site, Step


def list_journeys(session: Session, site: Site) -> Sequence[Journey]:
    return session.scalars(sa.select(Journey).where(Journey.site_id == site.id).order_by(Journey.key)).all()


def get_journey(session: Session, site: Site, key: str) -> Journey:
    """The site's journey with that key; 404 for unknown keys and other sites' journeys alike."""
    journey = session.scalar(sa.select(Journey).where(Journey.site_id == site.id, Journey.key == key))
    if journey is None:
        raise NotFound(f"No journey '{key}'.")
    return journey


def get_step(session: Session, site: Site, journey_key: str, step_key: str) -> Step:
    journey = get_journey(session, site, journey_key)
    for step in journey.steps:
        if step.key == step_key:
            return step
    raise NotFound(f"No step '{step_key}' in journey '{journey_key}'.")


def get_prompt(session: Session, site: Site, journey_key: str, step_key: str, prompt_id: int) -> Prompt:
    step = get_step(session, site, journey_key, step_key)
    for prompt in step.prompts:
        if prompt.id == prompt_id:
            return prompt
    raise NotFound(f"No prompt {prompt_id} at step '{step_key}'.")


def create_journey(session: Session, site: Site, values: dict[str, Any]) -> Journey:
    """Create a journey with its steps in the order given."""
    if session.scalar(sa.select(Journey.id).where(Journey.site_id == site.id, Journey.key == values["key"])):
        raise Conflict(f"Journey '{values['key']}' already exists.")
    _reject_duplicate_keys([step["key"] for step in values.get("steps", [])])
    journey = Journey(site_id=site.id, key=values["key"], name=values.get("name") or values["key"])
    journey.steps = [
        Step(key=step["key"], name=step.get("name") or step["key"], position=position)
        for position, step in enumerate(values.get("steps", []))
    ]
    session.add(journey)
    session.commit()
    return journey


def update_journey(session: Session, journey: Journey, values: dict[str, Any]) -> Journey:
    """Rename a journey and/or put its steps in a new order; an auto-registered one
    becomes the CX team's (no longer counted against the auto-registration limits)."""
    journey.auto_registered = False
    if "name" in values:
        journey.name = values["name"]
    if "step_order" in values:
        reorder_steps(journey, values["step_order"])
        _refresh_funnel(session, journey)
    session.commit()
    return journey


def reorder_steps(journey: Journey, order: list[str]) -> None:
    """Positions follow ``order``, which must name every step exactly once."""
    current = {step.key: step for step in journey.steps}
    if sorted(order) != sorted(current):
        raise Invalid(
            "step_order must list every step of the journey exactly once.",
            details={"step_order": [f"Expected the steps {sorted(current)}."]},
        )
    for position, key in enumerate(order):
        current[key].position = position


def delete_journey(session: Session, journey: Journey) -> None:
    """Delete a journey with its steps, prompts, answers and events."""
    session.delete(journey)
    session.commit()


def add_step(session: Session, journey: Journey, values: dict[str, Any]) -> Step:
    """Add a step, at ``position`` (shifting later steps) or at the end."""
    if any(step.key == values["key"] for step in journey.steps):
        raise Conflict(f"Step '{values['key']}' already exists in journey '{journey.key}'.")
    steps = list(journey.steps)
    position = min(values.get("position", len(steps)), len(steps))
    step = Step(key=values["key"], name=values.get("name") or values["key"])
    steps.insert(position, step)
    journey.steps.append(step)
    for index, item in enumerate(steps):
        item.position = index
    _refresh_funnel(session, journey)
    session.commit()
    return step


def update_step(session: Session, step: Step, values: dict[str, Any]) -> Step:
    """Rename a step and/or move it to another position; an auto-registered one becomes
    the CX team's, so the widget config lists it even without prompts."""
    step.auto_registered = False
    if "name" in values:
        step.name = values["name"]
    if "position" in values:
        steps = [s for s in step.journey.steps if s.id != step.id]
        steps.insert(min(values["position"], len(steps)), step)
        for index, item in enumerate(steps):
            item.position = index
        _refresh_funnel(session, step.journey)
    session.commit()
    return step


def delete_step(session: Session, step: Step) -> None:
    """Delete a step with its prompts and answers; later steps move up."""
    journey = step.journey
    session.delete(step)
    session.flush()
    session.refresh(journey)
    for index, item in enumerate(journey.steps):
        item.position = index
    _refresh_funnel(session, journey)
    session.commit()


def create_prompt(session: Session, step: Step, values: dict[str, Any]) -> Prompt:
    prompt = Prompt(step=step, **values)
    session.add(prompt)
    session.commit()
    return prompt


def update_prompt(session: Session, prompt: Prompt, values: dict[str, Any]) -> Prompt:
    for name, value in values.items():
        setattr(prompt, name, value)
    session.commit()
    return prompt


def delete_prompt(session: Session, prompt: Prompt) -> None:
    session.delete(prompt)
    session.commit()


def _reject_duplicate_keys(keys: list[str]) -> None:
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise Invalid(
            "Step keys must be unique within a journey.",
            details={"steps": [f"Duplicate key '{k}'." for k in duplicates]},
        )


def _refresh_funnel(session: Session, journey: Journey) -> None:
    """Step order (and a deleted step's events) shape the funnel: recompute it."""
    session.flush()
    if journey.id is not None:
        maintenance.rebuild_funnel(session, journey_id=journey.id)
