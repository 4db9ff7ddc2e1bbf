"""What a rebuild keeps from the previous model: where comments start, the keys, the pinned themes.

Why: a person curates themes by key and compares a theme's share with last
week's, so a rebuild must not reshuffle them.  Comments start in their
previous theme (:func:`start_from`), each new cluster takes the key of the
previous theme it shares most comments with (:func:`match_keys`), and a
pinned theme that no cluster matched stays, with no comments
(:func:`kept_pinned`).
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

import numpy as np

from collector.analytics.themes.assign import Assigner
from collector.analytics.themes.corpus import Doc
from collector.analytics.themes.curation import Curation
from collector.analytics.themes.model import Theme, ThemeModel


class Start(NamedTuple):
    """Where the fit starts: each comment's component (−1: none yet), the pinned components, the previous keys."""

    owner: np.ndarray
    fixed: set[int]
    old: list[str | None]


def start_from(previous: ThemeModel | None, docs: list[Doc], curation: Curation, min_size: int) -> Start:
    """One component per previous theme that still holds ``min_size`` comments (or is pinned and holds any).

    A pinned theme's component is fixed: the fit never dissolves it.
    """
    owner = np.full(len(docs), -1, dtype=np.int64)
    fixed: set[int] = set()
    old: list[str | None] = [None] * len(docs)
    if previous is None:
        return Start(owner, fixed, old)
    old = previous_owner(previous, docs)
    keys = sorted({key for key in old if key is not None})
    pinned = {previous.theme(k).key for k in curation.pinned if previous.theme(k)}
    component = 0
    for key in keys:
        members = [i for i, o in enumerate(old) if o == key]
        if len(members) >= min_size or (key in pinned and members):
            owner[members] = component
            if key in pinned:
                fixed.add(component)
            component += 1
    return Start(owner, fixed, old)


def previous_owner(previous: ThemeModel, docs: list[Doc]) -> list[str | None]:
    """Each comment's primary key under the previous model (stored or re-assigned)."""
    assigner = Assigner(previous)
    result: list[str | None] = []
    for doc in docs:
        stored = previous.assignments.get(doc.id)
        if stored is not None:
            keys = stored
        else:
            lang = doc.language
            keys = assigner.themes_of(doc.feats, doc.lemmas, lang)
        primary = keys[0] if keys else None
        theme = previous.theme(primary) if primary else None
        result.append(theme.key if theme and not theme.rule else None)
    return result


def match_keys(clusters: dict[int, np.ndarray], old: list[str | None], taken: set[str]) -> dict[int, str]:
    """New clusters → previous keys, greedily by the number of comments they share."""
    overlaps = []
    for k, members in clusters.items():
        counts = Counter(old[i] for i in members if old[i] is not None)
        for key, n in counts.items():
            overlaps.append((-n, key, k))
    overlaps.sort()
    matched: dict[int, str] = {}
    used: set[str] = set()
    for negative, key, k in overlaps:
        n = -negative
        if k in matched or key in used:
            continue
        if n >= 0.3 * len(clusters[k]) or n >= 0.5 * sum(1 for o in old if o == key):
            matched[k] = key
            used.add(key)
    return matched


def kept_pinned(previous: ThemeModel, curation: Curation, themes: list[Theme]) -> list[Theme]:
    """The previous model's pinned themes that no cluster matched this time, kept with no comments."""
    kept: list[Theme] = []
    present = {t.key for t in themes}
    for key in sorted(curation.pinned):
        old_theme = previous.theme(key)
        if old_theme is not None and old_theme.key not in present and not old_theme.rule:
            kept.append(Theme(**{**old_theme.__dict__, "size": 0}))
            present.add(old_theme.key)
    return kept
