"""Themes for one new comment from a stored model, in well under a millisecond.

Why not re-run the rebuild: a comment that arrives between rebuilds must get
its themes at ingest.  The model keeps, per theme, sparse log-probabilities
of its features (a naive Bayes reading of the rebuild's mixture model); a
comment's score for a theme is the theme's prior plus the sum of its
features' weights — dictionary look-ups and additions, no matrix library.

The same :class:`Assigner` labels the rebuild's own comments, so a comment
gets the same themes whether it was there at the rebuild or came after.
"""

from __future__ import annotations

from collections.abc import Iterable

from collector.analytics.themes.model import ThemeModel
from collector.analytics.themes.text import (
    compound_parts,
    content,
    deletions,
    features,
    is_known,
    language_of,
    tokens,
)

#: A comment carries at most this many themes.
MAX_THEMES = 3


class Assigner:
    """A model compiled for fast assignment (build once per loaded model)."""

    def __init__(self, model: ThemeModel) -> None:
        self.model = model
        self.keys = [theme.key for theme in model.themes]
        self.index = {key: i for i, key in enumerate(self.keys)}
        self.priors = [theme.prior for theme in model.themes]
        self.bases = [theme.base for theme in model.themes]
        self.background = model.background
        self.gate = model.gate
        self.entries: dict[str, list[tuple[int, float]]] = {}
        for i, theme in enumerate(model.themes):
            for feature, weight in theme.weights.items():
                self.entries.setdefault(feature, []).append((i, weight))
        self.anchors: dict[str, list[int]] = {}
        for i, theme in enumerate(model.themes):
            for feature in theme.anchors:
                self.anchors.setdefault(feature, []).append(i)
        self.rules = [(i, theme) for i, theme in enumerate(model.themes) if theme.rule]
        self.clustered = [i for i, theme in enumerate(model.themes) if not theme.rule]
        self._rule_lemmas: dict[tuple[int, str], list[tuple[str, ...]]] = {}
        self._spelling: dict[str, str] | None = None

    # -- words -------------------------------------------------------------

    def _spelling_index(self) -> dict[str, str]:
        if self._spelling is None:
            index: dict[str, str] = {}
            words = sorted((f for f in self.background if " " not in f and len(f) >= 4), key=lambda f: (-self.background[f], f))
            for word in words:
                for variant in (word, *sorted(deletions(word))):
                    index.setdefault(variant, word)
            self._spelling = index
        return self._spelling

    def corrections(self, lemmas: Iterable[str], language: str) -> dict[str, str]:
        """The model's spelling fixes, plus one-edit fixes of unknown words to model words."""
        fixes = {}
        for lemma in lemmas:
            if lemma in self.model.corrections:
                fixes[lemma] = self.model.corrections[lemma]
            elif lemma not in self.background and len(lemma) >= 4 and not is_known(lemma, language):
                index = self._spelling_index()
                found = next((index[v] for v in (lemma, *sorted(deletions(lemma))) if v in index), None)
                if found and found != lemma:
                    fixes[lemma] = found
        return fixes

    def analyse(self, text: str, language: str | None) -> tuple[dict[str, str], list[str], str]:
        """A comment's features, content lemmas and engine language."""
        lang = language_of(language)
        toks = tokens(text, lang)
        fixes = self.corrections({t.lemma for t in toks if not t.stop}, lang)
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

    def _matches(self, i: int, lemmas: list[str], language: str) -> bool:
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

    def scores(self, feats: Iterable[str]) -> tuple[list[float], float, int]:
        """Each theme's log score, the background's log score and the known-feature count."""
        known = [f for f in feats if f in self.background]
        scores = [prior + len(known) * base for prior, base in zip(self.priors, self.bases)]
        background = 0.0
        for feature in known:
            background += self.background[feature]
            for i, weight in self.entries.get(feature, ()):
                scores[i] += weight
        return scores, background, len(known)

    def themes_of(self, feats: Iterable[str], lemmas: list[str], language: str) -> list[str]:
        """Theme keys for analysed words, primary first (empty when none fits)."""
        feats = list(feats)
        chosen: list[int] = []
        scores, background, known = self.scores(feats)
        if known and scores:
            gains = [score - prior - background for score, prior in zip(scores, self.priors)]
            best = max(self.clustered, key=lambda i: (scores[i], -i), default=None)
            if best is not None and gains[best] >= self.gate:
                chosen.append(best)
                for feature in feats:
                    for i in self.anchors.get(feature, ()):
                        if i not in chosen and gains[i] >= self.gate and len(chosen) < MAX_THEMES and not self.model.themes[i].rule:
                            chosen.append(i)
        for i, theme in self.rules:
            parent = self.index.get(self.model.aliases.get(theme.parent, theme.parent)) if theme.parent else None
            if theme.parent and (not chosen or chosen[0] != parent):
                continue
            if self._matches(i, lemmas, language):
                chosen = [i, *[j for j in chosen if j != i]][:MAX_THEMES]
                break
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
