"""Names for themes: a phrase people wrote, and a stable slug for its key.

Why phrases and not top words: "card declined" is recognisable, "card,
decline, bank" is homework.  A theme's candidate phrases are its features
scored by how many of its comments contain them (coverage) times how much
of the feature's use falls in this theme (precision), a class-based TF-IDF
in spirit; a two-word phrase is preferred to its best single word when it
covers at least half as well.  The label is the phrase's most common
spelling in the theme's comments, stopwords between kept ("frais de port").
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter

from collector.analytics.themes.text import is_filler, is_weak

#: A two-word phrase names the theme when it scores at least this share of
#: the best single word's score.
PHRASE_PREFERENCE = 0.5
TOP_PHRASES = 5
#: A name that fewer than this share of the theme's comments wrote gives way
#: to a word of the theme's concept, even one written once.
WEAK_LABEL = 0.25


def feature_score(in_theme: int, theme_size: int, total: int) -> float:
    """Coverage in the theme times the share of the feature's comments that are in it."""
    if not theme_size or not total:
        return 0.0
    return (in_theme / theme_size) * (in_theme / total)


def nameable(feature: str, language: str) -> bool:
    """Whether a feature may name a theme: not a filler word, not only generic words."""
    if feature.startswith("~"):
        return False
    words = feature.split(" ")
    if any(is_filler(word, language) for word in words):
        return False
    return not all(is_weak(word, language) for word in words)


def ranked(
    counts: dict[str, int],
    theme_size: int,
    df: dict[str, int],
    language: str,
    concept_words: dict[str, int] | None = None,
) -> list[tuple[str, float]]:
    """The theme's features, best name first (ties broken by the feature, for determinism).

    When most of the theme's comments share a concept of the lexicon
    ("~price"), phrases with one of its words come first: a theme of
    "expensive", "shipping costs" and "postage" is named "shipping costs",
    not after a word that happens to recur in it.  Phrases at least two
    comments wrote are preferred; a theme without any falls back to single uses.
    """
    scored = []
    for least in (2, 1):
        scored = [
            (feature, feature_score(n, theme_size, df[feature]))
            for feature, n in counts.items()
            if n >= least and nameable(feature, language)
        ]
        if scored:
            break
    scored.sort(key=lambda item: (-item[1], item[0]))
    if concept_words:
        preferred = [
            (feature, feature_score(n, theme_size, df[feature]))
            for feature, n in counts.items()
            if nameable(feature, language) and any(w in concept_words for w in feature.split(" "))
        ]
        preferred.sort(key=lambda item: (-item[1], item[0]))
        repeated = [item for item in preferred if counts[item[0]] >= 2]
        if not repeated:
            # Each comment used another word of the concept: the most used,
            # then the lexicon's most typical single word names the theme.
            preferred.sort(key=lambda item: (-counts[item[0]], " " in item[0], concept_words.get(item[0], 99), item[0]))
        weak_top = not scored or counts[scored[0][0]] < WEAK_LABEL * theme_size
        if repeated or (preferred and weak_top):
            head = repeated or preferred[:1]
            scored = head + [item for item in scored if item not in head]
        else:
            head = scored
    else:
        head = scored
    if not head:
        return scored
    best_word = next((item for item in head if " " not in item[0]), None)
    best_pair = next((item for item in head if " " in item[0]), None)
    if best_word and best_pair and best_pair[1] >= PHRASE_PREFERENCE * best_word[1] and scored[0] != best_pair:
        scored.remove(best_pair)
        scored.insert(0, best_pair)
    return scored


def spelling(surfaces: Counter, words: Counter | None = None) -> str:
    """The most common way people wrote a phrase.

    Ties (each comment wrote it its own way: "karte abgelehnt", "kreditkarte
    abgeleht") go to the spelling whose words the theme's comments use most
    (``words``: comments per word as written), which passes over typos and
    rare variants; then to the shorter, then alphabetical.
    """
    words = words or Counter()

    def popularity(text: str) -> float:
        parts = text.split()
        return sum(words[part] for part in parts) / len(parts) if parts else 0.0

    return min(surfaces.items(), key=lambda item: (-item[1], -popularity(item[0]), len(item[0]), item[0]))[0]


def top_phrases(
    scored: list[tuple[str, float]],
    spellings: dict[str, Counter],
    limit: int = TOP_PHRASES,
    popular: Counter | None = None,
) -> list[str]:
    """Up to ``limit`` phrases as written, a word left out when a listed phrase contains it."""
    chosen: list[str] = []
    covered: set[str] = set()
    for feature, _ in scored:
        if feature in covered:
            continue
        words = feature.split(" ")
        if len(words) > 1:
            covered.update(words)
        text = spelling(spellings[feature], popular) if spellings.get(feature) else feature
        if text not in chosen:
            chosen.append(text)
        if len(chosen) >= limit:
            break
    return chosen


def slug(label: str) -> str:
    """A URL-safe ASCII key from a label: "Carte refusée" → "carte-refusee"."""
    folded = unicodedata.normalize("NFKD", label.replace("ß", "ss")).encode("ascii", "ignore").decode("ascii")
    key = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:60]
    # A label in another script has no ASCII letters: a short stable hash stands in.
    return key or f"theme-{zlib.crc32(label.encode('utf-8')):08x}"


def unique_key(label: str, taken: set[str]) -> str:
    """The label's slug, suffixed -2, -3, … when another theme has it."""
    base = slug(label)
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key
