"""The rebuild: a step's comments grouped into recurring themes.

Method (measured against plain TF-IDF + NMF in ``bench/themes.py``):

1. Words: each comment becomes content lemmas and pairs of neighbouring
   lemmas (:mod:`.text`), rare misspellings folded into the frequent word one
   edit away.  Short comments have few words; folding "declined", "declind"
   and "decline" is what lets them meet.
   A small lexicon (:mod:`.lexicon`) adds concept features ("~price") so
   synonyms meet.
2. Seeds: the phrases that at least ``min_size`` comments share; each
   comment starts in the seed of its rarest phrase (a two-word phrase counts
   as rarer), so "no store pickup option" starts in "pickup", not "option".
3. Mixture: a mixture of multinomials (one word distribution per theme, the
   model that fits one-reason-per-comment short texts, as in GSDMM) is
   fitted by EM from those seeds.  A comment moves to the theme whose words
   explain all of it best; themes left smaller than the minimum are
   dissolved into the others; themes using the same words are merged; at
   most ``max_themes`` remain.  Above ``sample`` comments the fit runs on a
   hash-stable sample.
4. Naming and keys: each theme is named by its best phrase (:mod:`.labels`)
   and keeps the key of the previous model's theme it overlaps most, so keys
   survive rebuilds; the curation is applied last (:mod:`.curation`).
5. Assignment: every comment, old or new, is then labelled by the same
   :class:`~.assign.Assigner`: best theme if it explains the comment
   ``gate`` nats better than the step's overall word distribution, else
   none; further themes whose anchor phrases it contains.

Deterministic: comments are sorted by id, ties are broken by feature and
index, and no random numbers are drawn.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from collector.analytics.themes import labels as naming
from collector.analytics.themes.assign import Assigner, unknown_fixes
from collector.analytics.themes.curation import Curation
from collector.analytics.themes.dictionary import language_of
from collector.analytics.themes.lexicon import concept_words
from collector.analytics.themes.model import Comment, Theme, ThemeModel
from collector.analytics.themes.text import (
    Token,
    content,
    corrections_for,
    features,
    is_filler,
    is_weak,
    tokens,
)


@dataclass(frozen=True)
class Params:
    """The engine's knobs (defaults tuned on the dev split only)."""

    #: Smallest theme: this share of the step's comments, and at least ``min_size``.
    min_share: float = 0.01
    min_size: int = 3
    max_themes: int = 30
    #: A feature must occur in this many comments to count at all.
    min_df: int = 2
    #: Words in more than this share of comments start no theme.  Off (1.0):
    #: comments start in their *rarest* candidate, so the step's own word
    #: ("payment" at payment) only gathers comments that say nothing more,
    #: and a step where everyone says the same thing still gets its theme.
    max_seed_share: float = 1.0
    #: A two-word phrase counts as this much rarer when comments pick their seed.
    phrase_boost: float = 1.5
    #: Smoothing of the word distributions and of the theme sizes.
    beta: float = 0.1
    alpha: float = 1.0
    iterations: int = 15
    #: A comment joins its best theme when that explains it this many nats
    #: better than the step's overall word distribution.
    gate: float = 0.0
    #: The mixture is fitted on at most this many comments (a sample stable
    #: under additions: the comments with the smallest id hashes); every
    #: comment is then assigned with the fitted model.
    sample: int = 20_000
    #: Anchors: features with this share of their comments in the theme.
    anchor_precision: float = 0.6
    #: Two themes whose feature profiles have at least this cosine become one.
    merge_similarity: float = 0.4
    merge_rounds: int = 20
    #: EM iterations after each merge (the fit starts from the merged themes).
    refit_iterations: int = 6


@dataclass
class _Doc:
    id: str
    language: str
    feats: dict[str, str]
    lemmas: list[str]
    tokens: list[Token]
    raw: set[str]  # content lemmas before spelling fixes


def _key(value) -> str:
    return str(value)


def analyse(comments: Iterable[Comment]) -> tuple[list[_Doc], dict[str, str]]:
    """Comments as feature sets, sorted by id (the first of duplicate ids wins), and the spelling fixes."""
    by_id: dict[str, Comment] = {}
    for comment in comments:
        by_id.setdefault(_key(comment.id), comment)
    ordered = [by_id[key] for key in sorted(by_id)]
    toks = []
    counts: Counter = Counter()
    language_of_lemma: dict[str, str] = {}
    for comment in ordered:
        lang = language_of(comment.language)
        words = tokens(comment.text, lang)
        toks.append((lang, words))
        lemmas = {t.lemma for t in words if not t.stop}
        counts.update(lemmas)
        for lemma in lemmas:
            language_of_lemma.setdefault(lemma, lang)
    fixes = corrections_for(dict(counts), language_of_lemma)
    docs = []
    for comment, (lang, words) in zip(ordered, toks):
        docs.append(
            _Doc(
                _key(comment.id),
                lang,
                features(words, lang, fixes),
                [t.lemma for t in content(words, fixes)],
                words,
                {t.lemma for t in words if not t.stop},
            )
        )
    return docs, fixes


class _Corpus:
    """The comments as a binary comment × feature matrix over the kept vocabulary."""

    def __init__(self, docs: list[_Doc], min_df: int) -> None:
        df: Counter = Counter()
        for doc in docs:
            df.update(doc.feats.keys())
        self.all_df = df
        self.vocab = sorted(f for f, n in df.items() if n >= min_df)
        self.column = {f: j for j, f in enumerate(self.vocab)}
        rows, cols = [], []
        for i, doc in enumerate(docs):
            for feature in doc.feats:
                j = self.column.get(feature)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
        data = np.ones(len(rows), dtype=np.float64)
        self.X = sparse.csr_matrix((data, (rows, cols)), shape=(len(docs), len(self.vocab)))
        self.df = np.asarray(self.X.sum(axis=0)).ravel()
        self.n = len(docs)


def _language(docs: list[_Doc]) -> str:
    counts = Counter(doc.language for doc in docs)
    return min(counts, key=lambda lang: (-counts[lang], lang)) if counts else "en"


def _seeds(corpus: _Corpus, owner: np.ndarray, min_size: int, params: Params, language: str) -> list[int]:
    """Phrase seeds for the comments not owned yet; fills ``owner`` in place.

    Candidates are the phrases at least ``min_size`` comments share.  Each
    comment starts in the seed of its most specific candidate (the rarest,
    a two-word phrase counting as rarer): "no store pickup option" starts
    in "pickup", not in "option" or in the step's own word.  The fit then
    moves comments between seeds and dissolves the ones that stay small.
    """
    X = corpus.X.tocsc()
    ceiling = params.max_seed_share * corpus.n
    candidates = []
    for j, feature in enumerate(corpus.vocab):
        n = corpus.df[j]
        if n < min_size or n > ceiling:
            continue
        words = feature.split(" ")
        if any(is_filler(w, language) for w in words) or all(is_weak(w, language) for w in words):
            continue
        specificity = n / (params.phrase_boost if len(words) > 1 else 1.0)
        candidates.append((specificity, feature, j))
    candidates.sort()
    first = int(owner.max()) + 1 if owner.size else 0
    seeds: list[int] = []
    for _, _, j in candidates:
        rows = X.indices[X.indptr[j] : X.indptr[j + 1]]
        fresh = rows[owner[rows] < 0]
        if len(fresh) < min_size:
            continue
        owner[fresh] = first + len(seeds)
        seeds.append(j)
    return seeds


def _fit(
    corpus: _Corpus, owner: np.ndarray, fixed: set[int], min_size: int, params: Params, iterations: int | None = None
) -> np.ndarray:
    """EM for the mixture of multinomials from an initial owner per comment.

    Returns the final hard owner (−1: no theme, or no known word).  Components
    smaller than ``min_size`` are dissolved between iterations unless fixed.
    """
    X = corpus.X
    has_words = np.asarray(X.sum(axis=1)).ravel() > 0
    K = int(owner.max()) + 1 if owner.size and owner.max() >= 0 else 0
    if K == 0:
        return owner
    R = np.zeros((corpus.n, K))
    seeded = owner >= 0
    R[np.flatnonzero(seeded), owner[seeded]] = 1.0
    V = X.shape[1]
    # Only components that start with comments (or are pinned) take part: an
    # empty one would be a uniform distribution that swallows odd comments.
    alive = np.zeros(K, dtype=bool)
    alive[np.unique(owner[seeded])] = True
    alive[[k for k in fixed if k < K]] = True
    hard = owner.copy()
    for _ in range(iterations or params.iterations):
        counts = np.asarray((X.T @ R).T)  # K × V
        sizes = R.sum(axis=0)
        log_phi = np.log(counts + params.beta) - np.log(counts.sum(axis=1, keepdims=True) + params.beta * V)
        log_pi = np.log(sizes + params.alpha) - math.log(sizes.sum() + params.alpha * K)
        scores = np.asarray(X @ log_phi.T) + log_pi
        scores[:, ~alive] = -np.inf
        top = scores.max(axis=1, keepdims=True)
        R = np.exp(scores - top)
        R /= R.sum(axis=1, keepdims=True)
        R[~has_words] = 0.0
        new_hard = np.where(has_words, scores.argmax(axis=1), -1)
        sizes = np.bincount(new_hard[new_hard >= 0], minlength=K)
        small = [k for k in range(K) if alive[k] and sizes[k] < min_size and k not in fixed]
        if small:
            # Dissolve the smallest first, one per round, so its comments can
            # move; the others may grow back.
            k = min(small, key=lambda k: (sizes[k], k))
            alive[k] = False
            R[:, k] = 0.0
            rows = R.sum(axis=1, keepdims=True)
            R = np.divide(R, rows, out=np.zeros_like(R), where=rows > 0)
            continue
        if np.array_equal(new_hard, hard):
            break
        hard = new_hard
    return np.where(has_words, np.asarray(scores).argmax(axis=1), -1) if alive.any() else np.full(corpus.n, -1)


def _merge_similar(corpus: _Corpus, hard: np.ndarray, fixed: set[int], min_size: int, params: Params) -> np.ndarray:
    """Fold together themes that use the same words (one reason split in two), refitting after each fold.

    A theme's profile is the share of its comments that contain each
    feature; the most similar pair above ``merge_similarity`` is merged, the
    smaller into the larger (a fixed, pinned theme is never folded away).
    """
    for _ in range(params.merge_rounds):
        ks = sorted(set(hard.tolist()) - {-1})
        if len(ks) < 2:
            break
        onehot = sparse.csr_matrix(
            (np.ones(int((hard >= 0).sum())), (np.flatnonzero(hard >= 0), hard[hard >= 0])),
            shape=(corpus.n, int(hard.max()) + 1),
        )
        counts = np.asarray((corpus.X.T @ onehot).T.todense())[ks]
        sizes = np.bincount(hard[hard >= 0])[ks].astype(float)
        profiles = counts / sizes[:, None]
        norms = np.linalg.norm(profiles, axis=1)
        norms[norms == 0] = 1.0
        cos = (profiles @ profiles.T) / np.outer(norms, norms)
        np.fill_diagonal(cos, -1.0)
        a, b = np.unravel_index(int(np.argmax(cos)), cos.shape)
        if cos[a, b] < params.merge_similarity:
            break
        big, small = (ks[a], ks[b]) if (sizes[a], -ks[a]) >= (sizes[b], -ks[b]) else (ks[b], ks[a])
        if small in fixed:
            big, small = small, big
            if small in fixed:
                break
        owner = hard.copy()
        owner[owner == small] = big
        hard = _fit(corpus, owner, fixed, min_size, params, params.refit_iterations)
    while len(set(hard.tolist()) - {-1}) > params.max_themes:
        # Too many for a person to read: the smallest unpinned theme goes.
        sizes = Counter(k for k in hard.tolist() if k >= 0 and k not in fixed)
        if not sizes:
            break
        smallest = min(sizes, key=lambda k: (sizes[k], k))
        owner = hard.copy()
        owner[owner == smallest] = -1
        hard = _fit(corpus, owner, fixed, min_size, params, params.refit_iterations)
    return hard


def _describe(
    members: Iterable[int], docs: list[_Doc], all_df: Counter, language: str
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
    for feature, _ in ranked[: naming.TOP_PHRASES * 3]:
        spellings[feature] = Counter(docs[i].feats[feature] for i in members if feature in docs[i].feats)
    phrases = naming.top_phrases(ranked, spellings)
    return (phrases[0] if phrases else ""), phrases, ranked, in_theme, df


def _theme(
    key: str,
    members: np.ndarray,
    corpus: _Corpus,
    docs: list[_Doc],
    themed: int,
    count: int,
    language: str,
    params: Params,
) -> Theme:
    """A theme's name, phrases, weights and anchors from its member comments."""
    V = len(corpus.vocab)
    counts = np.asarray(corpus.X[members].sum(axis=0)).ravel() if len(members) else np.zeros(V)
    total = counts.sum()
    denominator = math.log(total + params.beta * V)
    base = math.log(params.beta) - denominator
    present = np.flatnonzero(counts)
    weights = {corpus.vocab[j]: float(math.log(counts[j] + params.beta) - denominator - base) for j in present}
    label, phrases, ranked, in_theme, df = _describe(members, docs, corpus.all_df, language)
    label = label or key
    anchors = [
        f
        for f, _ in ranked
        if in_theme[f] >= max(2, 0.1 * len(members)) and in_theme[f] / df[f] >= params.anchor_precision
    ][:10]
    prior = math.log((len(members) + params.alpha) / (themed + params.alpha * max(count, 1)))
    return Theme(key, label, phrases, int(len(members)), weights, base, prior, anchors)


def _previous_owner(previous: ThemeModel, docs: list[_Doc]) -> list[str | None]:
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


def _match_keys(clusters: dict[int, np.ndarray], old: list[str | None], taken: set[str]) -> dict[int, str]:
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
    docs = _sample(every, params.sample)
    corpus = _Corpus(docs, params.min_df)
    language = _language(docs)
    min_size = max(params.min_size, math.ceil(params.min_share * corpus.n))

    owner = np.full(corpus.n, -1, dtype=np.int64)
    fixed: set[int] = set()
    old_keys_of_component: dict[int, str] = {}
    old: list[str | None] = [None] * corpus.n
    if previous is not None:
        old = _previous_owner(previous, docs)
        keys = sorted({key for key in old if key is not None})
        pinned = {previous.theme(k).key for k in curation.pinned if previous.theme(k)}
        for key in keys:
            members = [i for i, o in enumerate(old) if o == key]
            if len(members) >= min_size or (key in pinned and members):
                component = len(old_keys_of_component)
                owner[members] = component
                old_keys_of_component[component] = key
                if key in pinned:
                    fixed.add(component)
    # New reasons start from the comments no previous theme holds.
    _seeds(corpus, owner, min_size, params, language)
    hard = _fit(corpus, owner, fixed, min_size, params) if corpus.n else owner
    hard = _merge_similar(corpus, hard, fixed, min_size, params)

    clusters = {k: np.flatnonzero(hard == k) for k in sorted(set(hard.tolist()) - {-1})}
    clusters = {k: m for k, m in clusters.items() if len(m)}
    taken = set(previous.aliases) | {t.key for t in previous.themes} if previous else set()
    matched = _match_keys(clusters, old, taken) if previous is not None else {}

    # Merges: a source's comments go to its target (or the source takes the
    # target's key when the target found no cluster this time).
    by_key: dict[str, np.ndarray] = {}
    unnamed: list[np.ndarray] = []
    for k, members in clusters.items():
        if k in matched:
            key = curation.target(matched[k])
            by_key[key] = np.union1d(by_key[key], members) if key in by_key else members
        else:
            unnamed.append(members)

    themed = sum(len(m) for m in by_key.values()) + sum(len(m) for m in unnamed)
    count = len(by_key) + len(unnamed)
    themes: list[Theme] = []
    used = set(taken) | set(by_key) | set(curation.merges) | {s.key for s in curation.splits}
    for key in sorted(by_key):
        themes.append(_theme(key, by_key[key], corpus, docs, themed, count, language, params))
    fresh: set[str] = set()
    for members in sorted(unnamed, key=lambda m: (-len(m), int(m[0]))):
        theme = _theme("", members, corpus, docs, themed, count, language, params)
        theme.key = naming.unique_key(theme.label, used)
        used.add(theme.key)
        fresh.add(theme.key)
        themes.append(theme)
    kept: list[Theme] = []
    if previous is not None:
        present = {t.key for t in themes}
        for key in sorted(curation.pinned):
            old_theme = previous.theme(key)
            if old_theme is not None and old_theme.key not in present and not old_theme.rule:
                kept.append(Theme(**{**old_theme.__dict__, "size": 0}))
                present.add(old_theme.key)
        themes.extend(kept)

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

    themes.sort(key=lambda t: (not t.pinned, -t.size, t.key))
    background, background_base = _background(corpus, params)
    for theme in kept:
        # A pinned theme whose comments are gone keeps its words readable.
        for feature in theme.weights:
            if feature not in background:
                background[feature] = previous.background.get(feature, background_base)
    aliases = {source: curation.target(source) for source in curation.merges}
    model = ThemeModel(themes, background, background_base, params.gate, fixes, aliases, {}, len(every))
    model.assignments = _assign_all(model, every)
    _rename_fresh(model, every, fresh, curation, language, taken | set(matched.values()))
    primary = Counter(keys[0] for keys in model.assignments.values() if keys)
    for theme in model.themes:
        theme.size = primary.get(theme.key, 0)
    return model


def _rename_fresh(
    model: ThemeModel, docs: list[_Doc], fresh: set[str], curation: Curation, language: str, taken: set[str]
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
        label, phrases, *_ = _describe(members[theme.key], docs, all_df, language)
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


def _sample(docs: list[_Doc], limit: int) -> list[_Doc]:
    """At most ``limit`` comments, chosen by a hash of their id (so adding comments keeps most of them)."""
    if len(docs) <= limit:
        return docs
    chosen = sorted(range(len(docs)), key=lambda i: (zlib.crc32(docs[i].id.encode("utf-8")), docs[i].id))[:limit]
    return [docs[i] for i in sorted(chosen)]


def _assign_all(model: ThemeModel, docs: list[_Doc]) -> dict[str, list[str]]:
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


def _background(corpus: _Corpus, params: Params) -> tuple[dict[str, float], float]:
    V = len(corpus.vocab)
    total = float(corpus.df.sum())
    denominator = math.log(total + params.beta * V) if V else 0.0
    background = {f: float(math.log(corpus.df[j] + params.beta) - denominator) for j, f in enumerate(corpus.vocab)}
    return background, (math.log(params.beta) - denominator) if V else 0.0
