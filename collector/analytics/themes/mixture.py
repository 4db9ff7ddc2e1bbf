"""The fit: phrase seeds, a mixture of multinomials fitted by EM, and the merging of look-alike themes.

Why this model: a short customer comment usually gives one reason, which is
what a mixture of multinomials assumes (one word distribution per theme, as
in GSDMM); a comment moves to the theme whose words explain *all* of it
best, so one generic word it shares with another theme does not pull it
there.  Seeds decide where each comment starts (its rarest phrase), the fit
moves comments and dissolves themes that stay too small, and
:func:`merge_similar` folds together themes that turned out to use the same
words, then trims to ``Params.max_themes``.

Themes are numbered components here (−1: no theme); keys and labels come
later (:mod:`.describe`, :mod:`.continuity`).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from scipy import sparse

from collector.analytics.themes.corpus import Corpus
from collector.analytics.themes.params import Params
from collector.analytics.themes.text import is_filler, is_weak


def seed(corpus: Corpus, owner: np.ndarray, min_size: int, params: Params, language: str) -> list[int]:
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


def fit(
    corpus: Corpus, owner: np.ndarray, fixed: set[int], min_size: int, params: Params, iterations: int | None = None
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


def merge_similar(corpus: Corpus, hard: np.ndarray, fixed: set[int], min_size: int, params: Params) -> np.ndarray:
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
        hard = fit(corpus, owner, fixed, min_size, params, params.refit_iterations)
    while len(set(hard.tolist()) - {-1}) > params.max_themes:
        # Too many for a person to read: the smallest unpinned theme goes.
        sizes = Counter(k for k in hard.tolist() if k >= 0 and k not in fixed)
        if not sizes:
            break
        smallest = min(sizes, key=lambda k: (sizes[k], k))
        owner = hard.copy()
        owner[owner == smallest] = -1
        hard = fit(corpus, owner, fixed, min_size, params, params.refit_iterations)
    return hard
