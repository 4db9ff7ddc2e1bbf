"""Curating a step's themes: rename, merge, split off by phrases, pin, hide.

The curation is stored per step (``theme_curations``) apart from the model and
passed to every rebuild, which applies it by key; keys survive rebuilds, so
the curation does too, and it rides in the model to new comments. A change
rebuilds its step at once when the step has at most
``THEMES_CURATION_REBUILD_MAX`` comments (the answer then shows the result);
larger steps keep their model until the next ``stepsense themes rebuild``,
which picks them up because the curation changed (``rebuilt: false``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from collector.analytics import theme_store
from collector.analytics.themes import Curation, ThemeModel
from collector.analytics.themes.labels import slug
from collector.common.errors import Conflict, Invalid, NotFound
from collector.common.time import utcnow
from collector.models import Step, ThemeCuration, ThemeModelRow


def _model(session: Session, step: Step) -> ThemeModel | None:
    data = session.scalar(sa.select(ThemeModelRow.model).where(ThemeModelRow.step_id == step.id))
    return theme_store.model_or_none(data)


def _known(model: ThemeModel | None, curation: Curation, key: str) -> str:
    """The key as the step's model names it (merges followed); 404 when it names no theme."""
    theme = model.theme(key) if model is not None else None
    if theme is not None:
        return theme.key
    if any(split.key == key for split in curation.splits):
        return key
    raise NotFound(
        f"No theme '{key}' at this step.", details={"theme": ["Use a key from GET /v1/journeys/{key}/themes."]}
    )


def _save(session: Session, step: Step, curation: Curation) -> dict[str, Any]:
    """Store the curation and rebuild the step now if it is small; the caller commits."""
    row = session.scalar(sa.select(ThemeCuration).where(ThemeCuration.step_id == step.id))
    if row is None:
        session.add(
            ThemeCuration(journey_id=step.journey_id, step_id=step.id, curation=curation.to_dict(), updated_at=utcnow())
        )
    else:
        row.curation, row.updated_at = curation.to_dict(), utcnow()
    count, _ = theme_store.comment_stats(session, step.id)
    rebuilt = count <= current_app.config["THEMES_CURATION_REBUILD_MAX"]
    if rebuilt:
        try:
            theme_store.rebuild_step(session, step, curation)
        except ValueError as error:
            session.rollback()
            raise Conflict(
                "A theme with that key exists already; choose another key.", details={"key": [str(error)]}
            ) from error
    session.commit()
    return {"step": step.key, "curation": curation.to_dict(), "rebuilt": rebuilt}


def get_curation(session: Session, step: Step) -> dict[str, Any]:
    return {"step": step.key, "curation": theme_store.load_curation(session, step.id).to_dict(), "rebuilt": None}


def update_theme(session: Session, step: Step, key: str, values: dict[str, Any]) -> dict[str, Any]:
    """Rename, pin/unpin, hide/unhide one theme."""
    curation = theme_store.load_curation(session, step.id)
    key = _known(_model(session, step), curation, key)
    if "label" in values:
        curation = curation.rename(key, values["label"])
    if values.get("pinned") is not None:
        curation = curation.pin(key) if values["pinned"] else replace(curation, pinned=curation.pinned - {key})
    if values.get("hidden") is not None:
        curation = curation.hide(key) if values["hidden"] else replace(curation, hidden=curation.hidden - {key})
    return _save(session, step, curation)


def merge_themes(session: Session, step: Step, keys: list[str], into: str) -> dict[str, Any]:
    """Fold the ``keys`` themes into ``into``; old keys keep resolving to it."""
    curation = theme_store.load_curation(session, step.id)
    model = _model(session, step)
    into = _known(model, curation, into)
    sources = [_known(model, curation, key) for key in keys]
    if not [key for key in sources if key != into]:
        raise Invalid(
            "Name at least one theme other than the one merged into.", details={"keys": ["Nothing to merge."]}
        )
    return _save(session, step, curation.merge(sources, into=into))


def split_theme(session: Session, step: Step, values: dict[str, Any]) -> dict[str, Any]:
    """A new theme for the comments containing one of ``phrases`` (within ``parent`` if named)."""
    curation = theme_store.load_curation(session, step.id)
    model = _model(session, step)
    parent = _known(model, curation, values["parent"]) if values.get("parent") else None
    key = values.get("key") or slug(values["label"])
    taken = ({theme.key for theme in model.themes} | set(model.aliases)) if model is not None else set()
    if key in taken or any(split.key == key for split in curation.splits):
        raise Conflict(f"A theme '{key}' exists already at this step; choose another key.", details={"key": ["Taken."]})
    return _save(session, step, curation.split(key, values["label"], values["phrases"], parent=parent))
