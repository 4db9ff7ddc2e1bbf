"""The rebuild: a step's comments grouped into recurring themes.

This module runs the steps in order (:func:`build`); each step lives in its
own module.  Method (measured against plain TF-IDF + NMF in
``bench/themes.py``):

1. Words (:mod:`.corpus`): each comment becomes content lemmas and pairs of
   neighbouring lemmas (:mod:`.text`), rare misspellings folded into the
   frequent word one edit away.  Short comments have few words; folding
   "declined", "declind" and "decline" is what lets them meet.
   A small lexicon (:mod:`.lexicon`) adds concept features ("~price") so
   synonyms meet.
2. Seeds (:mod:`.mixture`): the phrases that at least ``min_size`` comments
   share; each comment starts in the seed of its rarest phrase (a two-word
   phrase counts as rarer), so "no store pickup option" starts in "pickup",
   not "option".  On a rebuild, comments first start in their previous
   theme (:mod:`.continuity`).
3. Mixture (:mod:`.mixture`): a mixture of multinomials (one word
   distribution per theme, the model that fits one-reason-per-comment short
   texts, as in GSDMM) is fitted by EM from those seeds.  A comment moves to
   the theme whose words explain all of it best; themes left smaller than
   the minimum are dissolved into the others; themes using the same words
   are merged; at most ``max_themes`` remain.  Above ``sample`` comments the
   fit runs on a hash-stable sample.
4. Naming and keys: each theme is named by its best phrase (:mod:`.describe`,
   :mod:`.labels`) and keeps the key of the previous model's theme it
   overlaps most (:mod:`.continuity`), so keys survive rebuilds; the
   curation is applied last (:mod:`.curation`).
5. Assignment: every comment, old or new, is then labelled by the same
   :class:`~.assign.Assigner`: best theme if it explains the comment
   ``gate`` nats better than the step's overall word distribution, else
   none; further themes whose anchor phrases it contains.

Deterministic: comments are sorted by id, ties are broken by feature and
index, and no random numbers are drawn.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import numpy as np
from scipy import sparse

from collector.analytics.themes import labels as naming
from collector.analytics.themes.assign import Assigner, unknown_fixes
from collector.analytics.themes.continuity import kept_pinned, match_keys, start_from
from collector.analytics.themes.corpus import Corpus, Doc, analyse, main_language, sample
from collector.analytics.themes.curation import Curation
from collector.analytics.themes.describe import rename_fresh, step_background, theme_of
from collector.analytics.themes.mixture import fit, merge_similar, seed
from collector.analytics.themes.model import Comment, Theme, ThemeModel
from collector.analytics.themes.params import Params
from collector.analytics.themes.text import content, features

__all__ = ["Params", "build"]


def build(
    comments: Iterable[Comment],
    curation: Curation | None = None,
    previous: ThemeModel | None = None,
    params: Params | None = None,
) -> ThemeModel:
    """The themes of one step's comments, curated, with every comment assigned.

    ``previous`` is the last model of the same step: its themes seed the
    fit (comments keep their themes unless the data says otherwise), its keys
    are carried over to the clusters they overlap, and its pinned themes are
    kept even when no cluster matches them.  The same comments, curation and
    previous model always give the same result.
    """
    params = params or Params()
    curation = curation or Curation()
    every, fixes = analyse(comments)
    docs = sample(every, params.sample)
    corpus = Corpus(docs, params.min_df)
    language = main_language(docs)
    min_size = max(params.min_size, math.ceil(params.min_share * corpus.n))

    owner, fixed, old = start_from(previous, docs, curation, min_size)
    # New reasons start from the comments no previous theme holds.
    seed(corpus, owner, min_size, params, language)
    hard = fit(corpus, owner, fixed, min_size, params) if corpus.n else owner
    hard = merge_similar(corpus, hard, fixed, min_size, params)

    clusters = {k: np.flatnonzero(hard == k) for k in sorted(set(hard.tolist()) - {-1})}
    clusters = {k: m for k, m in clusters.items() if len(m)}
    taken = set(previous.aliases) | {t.key for t in previous.themes} if previous else set()
    matched = match_keys(clusters, old, taken) if previous is not None else {}
    by_key, unnamed = _by_key(clusters, matched, curation)
    used = set(taken) | set(by_key) | set(curation.merges) | {s.key for s in curation.splits}
    themes, fresh = _themes(by_key, unnamed, corpus, docs, language, params, used)
    kept = kept_pinned(previous, curation, themes) if previous is not None else []
    themes.extend(kept)
    _apply_curation(themes, curation)

    themes.sort(key=lambda t: (not t.pinned, -t.size, t.key))
    background, background_base = step_background(corpus, params)
    for theme in kept:
        # A pinned theme whose comments are gone keeps its words readable.
        for feature in theme.weights:
            if feature not in background:
                background[feature] = previous.background.get(feature, background_base)
    aliases = {source: curation.target(source) for source in curation.merges}
    model = ThemeModel(themes, background, background_base, params.gate, fixes, aliases, {}, len(every))
    model.assignments = _assign_all(model, every)
    rename_fresh(model, every, fresh, curation, language, taken | set(matched.values()))
    primary = Counter(keys[0] for keys in model.assignments.values() if keys)
    for theme in model.themes:
        theme.size = primary.get(theme.key, 0)
    return model


def _by_key(
    clusters: dict[int, np.ndarray], matched: dict[int, str], curation: Curation
) -> tuple[dict[str, np.ndarray], list[np.ndarray]]:
    """The clusters that carry a previous key, by key after merges, and the clusters that carry none.

    Merges: a source's comments go to its target (or the source takes the
    target's key when the target found no cluster this time).
    """
    by_key: dict[str, np.ndarray] = {}
    unnamed: list[np.ndarray] = []
    for k, members in clusters.items():
        if k in matched:
            key = curation.target(matched[k])
            by_key[key] = np.union1d(by_key[key], members) if key in by_key else members
        else:
            unnamed.append(members)
    return by_key, unnamed


def _themes(
    by_key: dict[str, np.ndarray],
    unnamed: list[np.ndarray],
    corpus: Corpus,
    docs: list[Doc],
    language: str,
    params: Params,
    used: set[str],
) -> tuple[list[Theme], set[str]]:
    """A theme per cluster, and the keys made up for the unnamed ones (the largest cluster names first).

    ``used`` holds the keys a new theme may not take; it grows with each.
    """
    themed = sum(len(m) for m in by_key.values()) + sum(len(m) for m in unnamed)
    count = len(by_key) + len(unnamed)
    themes: list[Theme] = []
    for key in sorted(by_key):
        themes.append(theme_of(key, by_key[key], corpus, docs, themed, count, language, params))
    fresh: set[str] = set()
    for members in sorted(unnamed, key=lambda m: (-len(m), int(m[0]))):
        theme = theme_of("", members, corpus, docs, themed, count, language, params)
        theme.key = naming.unique_key(theme.label, used)
        used.add(theme.key)
        fresh.add(theme.key)
        themes.append(theme)
    return themes, fresh


def _apply_curation(themes: list[Theme], curation: Curation) -> None:
    """Add the split themes (rules, no comments yet) and set labels, pins and hides; in place."""
    clustered = {t.key for t in themes}
    for split in curation.splits:
        if split.key in clustered:
            raise ValueError(f"split key {split.key!r} already names a theme; choose a new key")
        themes.append(
            Theme(split.key, split.label, list(split.phrases), 0, rule=list(split.phrases), parent=split.parent)
        )
    for theme in themes:
        if theme.key in curation.renames:
            theme.label = curation.renames[theme.key]
        theme.pinned = theme.key in curation.pinned
        theme.hidden = theme.key in curation.hidden


def _assign_all(model: ThemeModel, docs: list[Doc]) -> dict[str, list[str]]:
    """Every comment's themes, exactly as :func:`~.assign.assign` would give them, in one pass."""
    assigner = Assigner(model)
    index = assigner.spelling()
    rows, cols = [], []
    for i, doc in enumerate(docs):
        fixes = unknown_fixes(doc.raw, doc.language, model, index)
        if any(model.corrections.get(lemma) != fixed for lemma, fixed in fixes.items()):
            doc.feats = features(doc.tokens, doc.language, fixes)
            doc.lemmas = [t.lemma for t in content(doc.tokens, fixes)]
        for j in assigner.rows(doc.feats):
            rows.append(i)
            cols.append(j)
    V = assigner.weights.shape[0]
    X = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(docs), V))
    known = np.asarray(X.sum(axis=1)).ravel()
    scores = assigner.priors + known[:, None] * assigner.bases + np.asarray(X @ assigner.weights)
    gains = scores - assigner.priors - np.asarray(X @ assigner.background)[:, None]
    anchored = np.asarray(X @ assigner.anchor.astype(np.float64)) > 0
    result = {}
    for i, doc in enumerate(docs):
        chosen = assigner.choose(scores[i], gains[i], anchored[i]) if known[i] else []
        if assigner.rules:
            chosen = assigner.apply_rules(chosen, doc.lemmas, doc.language)
        result[doc.id] = [assigner.keys[k] for k in chosen]
    return result
