"""From a cluster of comments to a :class:`~.model.Theme`: words, name, phrases, anchors.

A theme is described by the comments it holds.  Its weights are smoothed
log-probabilities of its features against the step's background
(:func:`step_background`), its label and top phrases are what its comments
wrote (ranked by :mod:`.labels`), and its anchors are the phrases that
mostly occur inside it.  After the final assignment :func:`rename_fresh`
names each theme again after the comments a person will see under it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import numpy as np

from collector.analytics.themes import labels as naming
from collector.analytics.themes.corpus import Corpus, Doc
from collector.analytics.themes.curation import Curation
from collector.analytics.themes.lexicon import concept_words
from collector.analytics.themes.model import Theme, ThemeModel
from collector.analytics.themes.params import Params


def describe(
    members: Iterable[int], docs: list[Doc], all_df: Counter, language: str
) -> tuple[str, list[str], list[tuple[str, float]], Counter, dict[str, int]]:
    """A theme's label and top phrases from its comments (and the ranking behind them).

    Names may come from any word the theme's comments wrote, even once.
    """
    members = list(members)
    in_theme = Counter(f for i in members for f in docs[i].feats)
    df = {f: max(all_df.get(f, 0), n) for f, n in in_theme.items()}
    concept = max(
        (f for f in in_theme if f.startswith("~") and in_theme[f] >= 0.3 * len(members)),
        key=lambda f: (in_theme[f], f),
        default=None,
    )
    words = concept_words(language, concept) if concept else {}
    ranked = naming.ranked(in_theme, len(members), df, language, words)
    spellings: dict[str, Counter] = {}
    # At a step where comments mix languages, a theme is named in the step's main language
    # when its comments wrote a phrase in it ("card declined", not "carte refusée"): the
    # phrases the theme's main-language comments wrote come first.
    native = [i for i in members if docs[i].language == language]
    named = ranked
    if native and len(native) < len(members):
        written_natively = {f for i in native for f, text in docs[i].feats.items() if text}
        named = [item for item in ranked if item[0] in written_natively]
        named += [item for item in ranked if item[0] not in written_natively]
    for feature, _ in named[: naming.TOP_PHRASES * 3]:
        for group in (native, members):
            written = Counter(docs[i].feats[feature] for i in group if docs[i].feats.get(feature))
            if written:
                spellings[feature] = written
                break
    popular = Counter(w for i in (native or members) for w in {t.surface for t in docs[i].tokens if not t.stop})
    phrases = naming.top_phrases(named, spellings, popular=popular)
    return (phrases[0] if phrases else ""), phrases, ranked, in_theme, df


def theme_of(
    key: str,
    members: np.ndarray,
    corpus: Corpus,
    docs: list[Doc],
    themed: int,
    count: int,
    language: str,
    params: Params,
) -> Theme:
    """A theme's name, phrases, weights and anchors from its member comments.

    ``themed`` comments are in ``count`` clusters in all: the prior is the
    theme's smoothed share of them.
    """
    V = len(corpus.vocab)
    counts = np.asarray(corpus.X[members].sum(axis=0)).ravel() if len(members) else np.zeros(V)
    total = counts.sum()
    denominator = math.log(total + params.beta * V)
    base = math.log(params.beta) - denominator
    present = np.flatnonzero(counts)
    weights = {corpus.vocab[j]: float(math.log(counts[j] + params.beta) - denominator - base) for j in present}
    label, phrases, ranked, in_theme, df = describe(members, docs, corpus.all_df, language)
    label = label or key
    anchors = [
        f
        for f, _ in ranked
        if in_theme[f] >= max(2, 0.1 * len(members)) and in_theme[f] / df[f] >= params.anchor_precision
    ][:10]
    prior = math.log((len(members) + params.alpha) / (themed + params.alpha * max(count, 1)))
    return Theme(key, label, phrases, int(len(members)), weights, base, prior, anchors)


def rename_fresh(
    model: ThemeModel, docs: list[Doc], fresh: set[str], curation: Curation, language: str, taken: set[str]
) -> None:
    """Name each theme after the comments it finally holds, and give new themes the key of that name.

    The fit's clusters and the final assignment differ a little (every
    comment is read once more by the finished model); the label should
    describe what a person will see under it.  Keys carried over from the
    previous model, and curated labels, stay.
    """
    index = {doc.id: i for i, doc in enumerate(docs)}
    members: dict[str, list[int]] = {}
    for doc_id, keys in model.assignments.items():
        if keys:
            members.setdefault(keys[0], []).append(index[doc_id])
    all_df: Counter = Counter()
    for doc in docs:
        all_df.update(doc.feats.keys())
    renamed: dict[str, str] = {}
    used = set(taken) | {t.key for t in model.themes if t.key not in fresh} | set(curation.merges)
    used |= {s.key for s in curation.splits}
    for theme in model.themes:
        if theme.rule or theme.key not in members:
            continue
        label, phrases, *_ = describe(members[theme.key], docs, all_df, language)
        if label:
            theme.label, theme.phrases = label, phrases
        if theme.key in curation.renames:
            theme.label = curation.renames[theme.key]
    for theme in model.themes:
        if theme.key in fresh:
            new = naming.unique_key(naming.slug(theme.label) if theme.key not in curation.renames else theme.key, used)
            used.add(new)
            if new != theme.key:
                renamed[theme.key] = new
                theme.key = new
    if renamed:
        model.assignments = {
            doc_id: [renamed.get(key, key) for key in keys] for doc_id, keys in model.assignments.items()
        }


def step_background(corpus: Corpus, params: Params) -> tuple[dict[str, float], float]:
    """The step's overall log P(feature), and that of a feature never seen: what a theme must explain better."""
    V = len(corpus.vocab)
    total = float(corpus.df.sum())
    denominator = math.log(total + params.beta * V) if V else 0.0
    background = {f: float(math.log(corpus.df[j] + params.beta) - denominator) for j, f in enumerate(corpus.vocab)}
    return background, (math.log(params.beta) - denominator) if V else 0.0
