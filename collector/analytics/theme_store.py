"""Themes stored: one model per step, each answer's theme keys, and the rebuild.

The engine (``collector.analytics.themes``) is pure; this module keeps what it
produces in the database:

* ``theme_models``: a step's model as JSON, without assignments, with a
  ``version`` that counts its rebuilds;
* ``response_themes``: per answer with a comment, its keys (``rank`` 0 is the
  primary); an answer that fits no theme has no rows. Deleted with the
  answer by the foreign key, so erasure and retention need nothing more.

**New comments are themed at ingest**, in the transaction that stores them
(``assign_at_ingest``, called by ``collector.ingest.store``), with the step's
model compiled once per process. Each process checks the stored model's
version at most every ``THEMES_MODEL_CHECK_SECONDS`` (10 s) per step and
reloads it when it changed; a step without a model yet gives no themes. When a
process sees a step's *first* model, it themes that step's comments that
arrived after the rebuild and have none (the ≤ 10 s in which it still thought
the step had no model).

**Rebuild** (``rebuild_step``, ``stepsense themes rebuild``): the step's
comments, its curation and the last model go into ``build(…, previous=…)``;
the step's rows and model are replaced in one transaction. A step whose model
was built from the same comments (count and last id), curation and engine
version is skipped, so a run that was interrupted, run again, continues where
it stopped; ``force`` rebuilds anyway.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from collector.analytics import theme_rollups
from collector.analytics.themes import MODEL_VERSION, Assigner, Comment, Curation, ThemeModel, build, compiled
from collector.common.database import Bind, insert_ignoring_conflicts
from collector.common.time import as_utc, utcnow
from collector.models import Response, ResponseTheme, Step, ThemeCuration, ThemeModelRow

THEMES_TABLE = ResponseTheme.__table__


@dataclass
class _Loaded:
    """A step's model as one process holds it: checked at ``checked`` (monotonic)."""

    checked: float
    version: int | None
    model: ThemeModel | None = None
    built_through: int | None = None
    _assigner: Assigner | None = None

    @property
    def assigner(self) -> Assigner | None:
        if self.model is not None and self._assigner is None:
            self._assigner = compiled(self.model)
        return self._assigner


class ModelCache:
    """Step id → its stored model, loaded and compiled once per version, per app and process."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._entries: dict[int, _Loaded] = {}

    def get(self, bind: Bind, step_ids: Iterable[int], max_age: float) -> tuple[dict[int, _Loaded], list[int]]:
        """The entries of ``step_ids`` (checked within ``max_age`` seconds) and the
        steps whose first model this process has just seen."""
        step_ids = list(dict.fromkeys(step_ids))
        now = time.monotonic()
        stale = [s for s in step_ids if s not in self._entries or now - self._entries[s].checked >= max_age]
        first_seen: list[int] = []
        if stale:
            versions = dict(
                bind.execute(
                    sa.select(ThemeModelRow.step_id, ThemeModelRow.version).where(ThemeModelRow.step_id.in_(stale))
                ).all()
            )
            changed = [s for s in stale if s not in self._entries or self._entries[s].version != versions.get(s)]
            loaded = (
                {
                    row.step_id: row
                    for row in bind.execute(
                        sa.select(
                            ThemeModelRow.step_id,
                            ThemeModelRow.version,
                            ThemeModelRow.model,
                            ThemeModelRow.built_through_response_id,
                        ).where(ThemeModelRow.step_id.in_(changed))
                    )
                }
                if changed
                else {}
            )
            with self._lock:
                for step_id in stale:
                    old = self._entries.get(step_id)
                    if step_id in loaded:
                        row = loaded[step_id]
                        self._entries[step_id] = _Loaded(
                            now, row.version, model_or_none(row.model), row.built_through_response_id
                        )
                        if old is not None and old.version is None:
                            first_seen.append(step_id)
                    elif step_id in changed:
                        self._entries[step_id] = _Loaded(now, None)
                    else:
                        old.checked = now
        return {s: self._entries[s] for s in step_ids}, first_seen

    def forget(self, step_id: int) -> None:
        with self._lock:
            self._entries.pop(step_id, None)


def model_cache() -> ModelCache:
    """This app's cache (per process; tests with their own app and database get their own)."""
    return current_app.extensions.setdefault("stepsense.theme_models", ModelCache())


def model_or_none(data: dict[str, Any] | None) -> ThemeModel | None:
    """The stored model, or None when it was written by another engine version (rebuild it)."""
    try:
        return ThemeModel.from_dict(data) if data else None
    except (ValueError, TypeError, KeyError):
        return None


def theme_rows(
    model: ThemeModel, response_id: int, journey_id: int, step_id: int, keys: Sequence[str]
) -> list[dict[str, Any]]:
    """The rows of one answer's keys, under the keys the model shows (merged keys followed, once each)."""
    resolved = dict.fromkeys(theme.key if (theme := model.theme(key)) is not None else key for key in keys)
    return [
        {"response_id": response_id, "theme_key": key, "journey_id": journey_id, "step_id": step_id, "rank": rank}
        for rank, key in enumerate(resolved)
    ]


def assign_at_ingest(conn: Bind, rows: Sequence[Mapping[str, Any]], ids: Mapping[str, int]) -> int:
    """Theme the newly stored answers' comments (``rows`` as inserted, ``ids``
    client_id → answer id) with their steps' models; returns theme rows written."""
    commented = [row for row in rows if row.get("comment")]
    if not commented:
        return 0
    entries, first_seen = model_cache().get(
        conn, (row["step_id"] for row in commented), current_app.config["THEMES_MODEL_CHECK_SECONDS"]
    )
    out: list[dict[str, Any]] = []
    themed: list[tuple[Mapping[str, Any], list[dict[str, Any]]]] = []
    for row in commented:
        entry = entries[row["step_id"]]
        if entry.assigner is not None:
            keys = entry.assigner(row["comment"], row.get("language") or row.get("locale"))
            written = theme_rows(entry.model, ids[row["client_id"]], row["journey_id"], row["step_id"], keys)
            themed.append((row, written))
            out += written
    if out:
        conn.execute(sa.insert(THEMES_TABLE), out)
        theme_rollups.add(conn, themed)
    for step_id in first_seen:
        if entries[step_id].assigner is not None:
            _catch_up(conn, step_id, entries[step_id])
    return len(out)


def _catch_up(conn: Bind, step_id: int, entry: _Loaded) -> None:
    """Theme the step's comments stored after its first rebuild that have no themes yet."""
    themed = sa.select(ResponseTheme.response_id).where(ResponseTheme.response_id == Response.id).exists()
    query = sa.select(
        Response.id, Response.journey_id, Response.comment, Response.language, Response.locale, Response.created_at
    ).where(
        Response.step_id == step_id, Response.comment.is_not(None), ~themed, Response.id > (entry.built_through or 0)
    )
    out, days = [], set()
    for row in conn.execute(query):
        keys = entry.assigner(row.comment, row.language or row.locale)
        out += theme_rows(entry.model, row.id, row.journey_id, step_id, keys)
        if keys:
            days.add(as_utc(row.created_at).date())
    if out:
        insert_ignoring_conflicts(conn, THEMES_TABLE, out, ["response_id", "theme_key"], [ResponseTheme.response_id])
        # Rows another process inserted first were skipped: recount those days rather than add.
        theme_rollups.rebuild(conn, step_id=step_id, days=days)


# --- Rebuild ---------------------------------------------------------------------------------------


def load_curation(session: Session, step_id: int) -> Curation:
    data = session.scalar(sa.select(ThemeCuration.curation).where(ThemeCuration.step_id == step_id))
    return Curation.from_dict(data)


def source_hash(curation: Curation) -> str:
    """What a model depends on besides the comments: the curation and the engine version."""
    text = json.dumps({"curation": curation.to_dict(), "engine": MODEL_VERSION}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def comment_stats(session: Session, step_id: int) -> tuple[int, int | None]:
    """How many comments the step has and the id of the last."""
    count, last = session.execute(
        sa.select(sa.func.count(), sa.func.max(Response.id)).where(
            Response.step_id == step_id, Response.comment.is_not(None)
        )
    ).one()
    return int(count), last


def is_current(session: Session, step_id: int, curation: Curation | None = None) -> bool:
    """Whether the stored model was built from the step's comments and curation as they are now."""
    stored = session.scalar(sa.select(ThemeModelRow).where(ThemeModelRow.step_id == step_id))
    if stored is None or model_or_none(stored.model) is None:
        return False
    count, last = comment_stats(session, step_id)
    curation = curation if curation is not None else load_curation(session, step_id)
    return (stored.comments, stored.built_through_response_id, stored.source_hash) == (
        count,
        last,
        source_hash(curation),
    )


def _comments(session: Session, step_id: int, after: int = 0) -> list[Comment]:
    query = (
        sa.select(Response.id, Response.comment, Response.language, Response.locale)
        .where(Response.step_id == step_id, Response.comment.is_not(None), Response.id > after)
        .order_by(Response.id)
    )
    return [Comment(row.id, row.comment, row.language or row.locale) for row in session.execute(query)]


@dataclass(frozen=True)
class Rebuilt:
    step_id: int
    comments: int
    themes: int
    version: int


def rebuild_step(session: Session, step: Step, curation: Curation | None = None) -> Rebuilt:
    """Build the step's themes afresh from all its comments (keys kept by ``previous``)
    and replace its model and answers' themes; the caller commits.

    Raises ``ValueError`` from the engine when a curated split's key names a
    clustered theme.
    """
    curation = curation if curation is not None else load_curation(session, step.id)
    stored = session.scalar(sa.select(ThemeModelRow).where(ThemeModelRow.step_id == step.id))
    previous = model_or_none(stored.model) if stored is not None else None
    comments = _comments(session, step.id)
    model = build(comments, curation, previous=previous)
    last = comments[-1].id if comments else 0
    # Comments stored while the model was being built are assigned by it, not left out.
    late = _comments(session, step.id, after=last)
    assigner = compiled(model)
    session.execute(sa.delete(ResponseTheme).where(ResponseTheme.step_id == step.id))
    rows: list[dict[str, Any]] = []
    for comment in comments:
        rows += theme_rows(model, comment.id, step.journey_id, step.id, model.assignments.get(str(comment.id), []))
    for comment in late:
        rows += theme_rows(model, comment.id, step.journey_id, step.id, assigner(comment.text, comment.language))
    for start in range(0, len(rows), 5000):
        session.execute(sa.insert(THEMES_TABLE), rows[start : start + 5000])
    theme_rollups.rebuild(session, step_id=step.id)
    values = {
        "model": model.to_dict(assignments=False),
        "comments": len(comments) + len(late),
        "built_through_response_id": (late[-1].id if late else last) or None,
        "source_hash": source_hash(curation),
        "built_at": utcnow(),
    }
    if stored is None:
        stored = ThemeModelRow(journey_id=step.journey_id, step_id=step.id, version=1, **values)
        session.add(stored)
    else:
        for name, value in values.items():
            setattr(stored, name, value)
        stored.version += 1
    session.flush()
    model_cache().forget(step.id)
    return Rebuilt(step.id, values["comments"], len(model.themes), stored.version)


def steps_to_rebuild(
    session: Session,
    site_id: int | None = None,
    journey_key: str | None = None,
    step_key: str | None = None,
    force: bool = False,
) -> list[tuple[Step, int]]:
    """The steps with comments (or a model) that need a rebuild, with their comment counts."""
    from collector.models import Journey

    query = (
        sa.select(Step)
        .join(Journey, Journey.id == Step.journey_id)
        .order_by(Journey.site_id, Journey.id, Step.position, Step.id)
    )
    if site_id is not None:
        query = query.where(Journey.site_id == site_id)
    if journey_key:
        query = query.where(Journey.key == journey_key)
    if step_key:
        query = query.where(Step.key == step_key)
    found = []
    for step in session.scalars(query):
        count, _ = comment_stats(session, step.id)
        has_model = session.scalar(sa.select(ThemeModelRow.id).where(ThemeModelRow.step_id == step.id)) is not None
        if (count or has_model) and (force or not is_current(session, step.id)):
            found.append((step, count))
    return found


def rebuild(
    session: Session, steps: Sequence[tuple[Step, int]], progress: Callable[[int], None] = lambda n: None
) -> list[Rebuilt]:
    """Rebuild each step in a transaction of its own (a stop loses at most the step at hand)."""
    done = []
    for step, count in steps:
        done.append(rebuild_step(session, step))
        session.commit()
        progress(max(count, 1))
    return done
