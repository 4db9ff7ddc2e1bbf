"""Themes for one new comment from a stored model, in well under a millisecond.

Why not re-run the rebuild: a comment that arrives between rebuilds must get
its themes at ingest.  The model keeps, per theme, sparse log-probabilities
of its features (a naive Bayes reading of the rebuild's mixture model); a
comment's score for a theme is the theme's prior plus the sum of its
features' weights: a dictionary look-up per word and one small sum.

The same :class:`Assigner` labels the rebuild's own comments, so a comment
gets the same themes whether it was there at the rebuild or came after.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from collector.analytics.themes.dictionary import compound_parts, is_known, language_of
from collector.analytics.themes.model import ThemeModel
from collector.analytics.themes.text import content, deletions, features, tokens

#: A comment carries at most this many themes.
MAX_THEMES = 3


def spelling_index(background: dict[str, float]) -> dict[str, str]:
    """One-letter-deleted variants of the model's words → the word (most frequent wins)."""
    index: dict[str, str] = {}
    words = sorted(
        (f for f in background if " " not in f and not f.startswith("~") and len(f) >= 4),
        key=lambda f: (-background[f], f),
    )
    for word in words:
        for variant in (word, *sorted(deletions(word))):
            index.setdefault(variant, word)
    return index


def unknown_fixes(lemmas: Iterable[str], language: str, model: ThemeModel, index: dict[str, str]) -> dict[str, str]:
    """The model's spelling fixes, plus one-edit fixes of unknown words to model words.

    The rebuild applies the same fixes to its own comments, so a comment is
    read the same way whether it was there at the rebuild or came later.
    """
    fixes = {}
    for lemma in lemmas:
        if lemma in model.corrections:
            fixes[lemma] = model.corrections[lemma]
        elif lemma not in model.background and len(lemma) >= 4 and not is_known(lemma, language):
            found = next((index[v] for v in (lemma, *sorted(deletions(lemma))) if v in index), None)
            if found and found != lemma:
                fixes[lemma] = found
    return fixes


class Assigner:
    """A model compiled for fast assignment (build once per loaded model).

    Scores are kept as one row of per-theme weights per feature; a comment's
    scores are its rows summed.  Ties go to the theme listed first.
    """

    def __init__(self, model: ThemeModel) -> None:
        self.model = model
        themes = model.themes
        self.keys = [theme.key for theme in themes]
        self.index = {key: i for i, key in enumerate(self.keys)}
        self.column = {feature: j for j, feature in enumerate(sorted(model.background))}
        K, V = len(themes), len(self.column)
        self.weights = np.zeros((V + 1, K))
        self.anchor = np.zeros((V + 1, K), dtype=bool)
        for i, theme in enumerate(themes):
            for feature, weight in theme.weights.items():
                j = self.column.get(feature)
                if j is not None:
                    self.weights[j, i] = weight
            for feature in theme.anchors:
                j = self.column.get(feature)
                if j is not None:
                    self.anchor[j, i] = True
        self.background = np.array([model.background[f] for f in sorted(model.background)] + [0.0])
        self.priors = np.array([theme.prior for theme in themes])
        self.bases = np.array([theme.base for theme in themes])
        self.clustered = np.array([not theme.rule for theme in themes], dtype=bool)
        self.gate = model.gate
        self.rules = [(i, theme) for i, theme in enumerate(themes) if theme.rule]
        self._rule_lemmas: dict[tuple[int, str], list[tuple[str, ...]]] = {}
        self._spelling: dict[str, str] | None = None

    # -- words -------------------------------------------------------------

    def spelling(self) -> dict[str, str]:
        if self._spelling is None:
            self._spelling = spelling_index(self.model.background)
        return self._spelling

    def analyse(self, text: str, language: str | None) -> tuple[dict[str, str], list[str], str]:
        """A comment's features, content lemmas and engine language."""
        lang = language_of(language)
        toks = tokens(text, lang)
        fixes = unknown_fixes({t.lemma for t in toks if not t.stop}, lang, self.model, self.spelling())
        feats = features(toks, lang, fixes)
        lemmas = [t.lemma for t in content(toks, fixes)]
        return feats, lemmas, lang

    def _rule_phrases(self, i: int, language: str) -> list[tuple[str, ...]]:
        cache_key = (i, language)
        if cache_key not in self._rule_lemmas:
            phrases = []
            for phrase in self.model.themes[i].rule:
                words = tuple(t.lemma for t in content(tokens(phrase, language)))
                if not words:
                    words = tuple(t.lemma for t in tokens(phrase, language))
                if words:
                    phrases.append(words)
            self._rule_lemmas[cache_key] = phrases
        return self._rule_lemmas[cache_key]

    def matches(self, i: int, lemmas: list[str], language: str) -> bool:
        """Whether a comment's content lemmas contain one of rule theme i's phrases."""
        expanded = list(lemmas)
        if language == "de":
            expanded = [part for lemma in lemmas for part in (lemma, *compound_parts(lemma))]
        for words in self._rule_phrases(i, language):
            n = len(words)
            for sequence in (lemmas, expanded):
                if any(tuple(sequence[j : j + n]) == words for j in range(len(sequence) - n + 1)):
                    return True
        return False

    # -- themes ------------------------------------------------------------

    def rows(self, feats: Iterable[str]) -> list[int]:
        """The model's feature rows of a comment's features (unknown features dropped)."""
        column = self.column
        return [column[f] for f in feats if f in column]

    def choose(self, scores: np.ndarray, gains: np.ndarray, anchored: np.ndarray) -> list[int]:
        """Primary theme and further ones, best first.

        The primary theme is the best-scoring one if it explains the comment
        better than the background (``gate``); a comment that mixes reasons
        ("apple pay, declined card") may pass for none of them, and then takes
        the themes whose anchor phrases it contains.  Further themes are the
        anchored ones, by gain.
        """
        if not len(scores):
            return []
        masked = np.where(self.clustered, scores, -np.inf)
        best = int(np.argmax(masked))
        if not np.isfinite(masked[best]):
            return []
        anchored = anchored & self.clustered
        if gains[best] >= self.gate:
            others = np.flatnonzero(anchored & (gains >= self.gate))
        else:
            others = np.flatnonzero(anchored)
            if not len(others):
                return []
            best = int(max(others, key=lambda i: (scores[i], -i)))
        ranked = sorted((int(i) for i in others if i != best), key=lambda i: (-gains[i], i))
        return [best, *ranked][:MAX_THEMES]

    def apply_rules(self, chosen: list[int], lemmas: list[str], language: str) -> list[int]:
        """A curated phrase rule puts its theme first (within its parent, if it has one)."""
        for i, theme in self.rules:
            if theme.parent:
                parent = self.index.get(self.model.aliases.get(theme.parent, theme.parent))
                if not chosen or chosen[0] != parent:
                    continue
            if self.matches(i, lemmas, language):
                return [i, *[j for j in chosen if j != i]][:MAX_THEMES]
        return chosen

    def themes_of(self, feats: Iterable[str], lemmas: list[str], language: str) -> list[str]:
        """Theme keys for analysed words, primary first (empty when none fits)."""
        rows = self.rows(feats)
        chosen: list[int] = []
        if rows:
            summed = self.weights[rows].sum(axis=0)
            scores = self.priors + len(rows) * self.bases + summed
            gains = scores - self.priors - self.background[rows].sum()
            chosen = self.choose(scores, gains, self.anchor[rows].any(axis=0))
        if self.rules:
            chosen = self.apply_rules(chosen, lemmas, language)
        return [self.keys[i] for i in chosen]

    def __call__(self, text: str, language: str | None = None) -> list[str]:
        feats, lemmas, lang = self.analyse(text, language)
        return self.themes_of(feats, lemmas, lang)


def compiled(model: ThemeModel) -> Assigner:
    """The model's assigner, compiled once and kept on the model object."""
    assigner = model.__dict__.get("_assigner")
    if assigner is None or assigner.model is not model:
        assigner = Assigner(model)
        model.__dict__["_assigner"] = assigner
    return assigner


def assign(model: ThemeModel, text: str, language: str | None = None) -> list[str]:
    """Theme keys of a new comment, primary first; [] when it fits no theme."""
    return compiled(model)(text, language)
