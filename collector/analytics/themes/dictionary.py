"""The languages the theme engine knows, and their dictionaries: lemmas, known words, compounds.

Why a module of its own: :mod:`.text` lemmatises a comment's words with it
and adds the concepts of :mod:`.lexicon`, whose word lists are lemmatised
with it too.  Below both, it lets the imports run one way
(text → lexicon → dictionary).  Lemmas come from simplemma's bundled
dictionaries (offline, deterministic); German and French lemmas of
:mod:`.glossary` are then read as their English word, so a step's comments
meet across languages.  Every look-up is cached per process, so the same
word is looked up once.
"""

from __future__ import annotations

from functools import cache, lru_cache

import simplemma

from collector.analytics.themes.glossary import GLOSSARY

#: Languages with hand-made stopword lists and lemmas; others fall back to
#: lowercase words and the English function words (mixed-language sites).
LANGUAGES = ("en", "de", "fr")


def language_of(language: str | None) -> str:
    """The engine's language for an ISO 639-1 code or a locale ("de-CH" → "de")."""
    if not language:
        return "en"
    code = language.replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else "en"


@lru_cache(maxsize=200_000)
def native_lemma(word: str, language: str) -> str:
    """The dictionary form of a word in its own language (lowercase), or the word itself when unknown.

    German nouns are looked up capitalised: simplemma's German lemmas are
    case-sensitive, and people type "karte" as often as "Karte".
    """
    lower = word.lower()
    if language == "de":
        capital = lower[:1].upper() + lower[1:]
        noun = simplemma.lemmatize(capital, lang="de")
        if noun[:1].isupper() and simplemma.is_known(capital, lang="de"):
            return noun.lower()
    if language not in LANGUAGES:
        return lower
    return simplemma.lemmatize(lower, lang=language).lower()


@cache
def _pivots(language: str) -> dict[str, str]:
    """A language's lemmas (and words as written) → the English lemma of :mod:`.glossary`."""
    table: dict[str, str] = {}
    for english, words in GLOSSARY.get(language, {}).items():
        target = native_lemma(english, "en")
        for word in words:
            for form in (native_lemma(word, language), word.lower()):
                table.setdefault(form, target)
    return table


@cache
def pivot_words(language: str) -> frozenset[str]:
    """The English lemmas a language's words are read as: known words, never typos nor compounds."""
    return frozenset(_pivots(language).values())


def pivot(native: str, language: str) -> str:
    """A lemma as the engine reads it: German and French words of the glossary in English."""
    return _pivots(language).get(native, native) if language != "en" else native


@lru_cache(maxsize=200_000)
def lemmas(word: str, language: str) -> tuple[str, str]:
    """(:func:`native_lemma`, :func:`lemma`) of a word in one cached look-up (the tokenizer needs both)."""
    native = native_lemma(word, language)
    return native, pivot(native, language)


@lru_cache(maxsize=200_000)
def lemma(word: str, language: str) -> str:
    """The lemma the engine groups by: :func:`native_lemma`, read in English when the glossary has it."""
    return pivot(native_lemma(word, language), language)


@lru_cache(maxsize=200_000)
def is_known(word: str, language: str) -> bool:
    """Whether the language's dictionary knows the word (so it is no typo)."""
    if language not in LANGUAGES:
        return True
    if word in pivot_words(language) or simplemma.is_known(word, lang=language):
        return True
    return language == "de" and simplemma.is_known(word[:1].upper() + word[1:], lang="de")


_LINKS = ("", "n", "e", "en")


@lru_cache(maxsize=100_000)
def compound_parts(word: str) -> tuple[str, ...]:
    """The lemmas of a German compound's modifier and head, or () if it is none.

    "versandkosten" → ("versand", "kosten"); "lieferzeit" → ("liefern", "zeit").
    The split with both parts known and the longest head wins; parts shorter
    than four letters are not trusted ("osten" in "versandkosten" would be).
    """
    if len(word) < 8 or word in pivot_words("de"):
        return ()
    for cut in range(4, len(word) - 3):
        head, tail = word[:cut], word[cut:]
        if not is_known(tail, "de"):
            continue
        for stem in (head[:-1] if head.endswith("s") else None, *(head + link for link in _LINKS)):
            if stem and len(stem) >= 4 and is_known(stem, "de"):
                return (lemma(stem, "de"), lemma(tail, "de"))
    return ()
