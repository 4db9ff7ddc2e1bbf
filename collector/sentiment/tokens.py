"""A comment as the rules read it: word, punctuation and symbol tokens, spelled as the lexicon knows them.

Before any rule runs, each word is lower-cased and mapped to the form the
:class:`~collector.sentiment.tables.Lexicon` knows (misspellings, missing
accents, inflections, stretched words such as "sooo"), emoticons and emoji
become symbol tokens, and known phrases ("took forever", "danke für
nichts") become one token, so their own "not"/"nicht" is part of their
meaning and negates nothing else.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from collector.sentiment.tables import Lexicon, fold_accents

#: Token kinds.
WORD, PUNCT, SYMBOL = 0, 1, 2

#: Words (with inner apostrophes, hyphens or slashes: "didn't", "sign-up",
#: "10/10"), runs of !/?, clause punctuation, or any other single symbol
#: except quotes and brackets, which would split phrases such as
#: 'still "processing"'.
_TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*(?:[-/][^\W_]+)*|[!?]+|[.,;:]|[^\s\w\"'()\[\]*]")
_STRETCH_RE = re.compile(r"(.)\1{2,}")
#: Emoticons commonly typed straight after a word ("thanks:)").
_TRAILING_EMOTICON_RE = re.compile(r"(?<=\w)(:-?\)+|:-?\(+|:-?D|;-?\)|:-?P|<3)$")
_CLAUSE_END = frozenset(".,;:!?")
#: Last characters of the emoticons above: other chunks skip the regex.
_EMOTICON_ENDS = frozenset(")(DP3")


class Token(NamedTuple):
    """One unit of the comment: normalised text, kind and emphasis flags."""

    norm: str
    kind: int
    caps: bool = False
    stretched: bool = False


def _lookup(word: str, lex: Lexicon) -> str:
    """The form of ``word`` the lexicon knows: spelling, accents, inflection."""
    tables = (lex.valence, lex.boosters, lex.negated)
    if any(word in t for t in tables) or word in lex.negators:
        return word
    candidates = [fold_accents(word)] if not word.isascii() else []
    for suffix in lex.suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            candidates.append(word[: -len(suffix)])
    for candidate in candidates:
        if any(candidate in t for t in tables):
            return candidate
    return word


#: raw word -> (form the lexicon knows, stretched), per language: customers
#: use a small vocabulary, so most words of a comment were seen before.
_WORD_CACHES: dict[str, dict[str, tuple[str, bool]]] = {}
#: Bound on each cache, so a flood of unique strings cannot grow memory.
_CACHE_LIMIT = 50_000


def _normalise_word(raw: str, lex: Lexicon) -> tuple[str, bool]:
    """Lower-case, fix spelling, undo stretching; report whether it was stretched."""
    cache = _WORD_CACHES.get(lex.language)
    if cache is None:
        cache = _WORD_CACHES.setdefault(lex.language, {})
    hit = cache.get(raw)
    if hit is not None:
        return hit
    result = _normalise_uncached(raw, lex)
    if len(cache) < _CACHE_LIMIT:
        cache[raw] = result
    return result


def _normalise_uncached(raw: str, lex: Lexicon) -> tuple[str, bool]:
    word = raw.lower().replace("’", "'")
    word = lex.spelling.get(word, word)
    valence, boosters = lex.valence, lex.boosters
    if word in valence or word in boosters or word in lex.negators:
        return word, False
    if _STRETCH_RE.search(word):
        for squeezed in (_STRETCH_RE.sub(r"\1\1", word), _STRETCH_RE.sub(r"\1", word)):
            squeezed = lex.spelling.get(squeezed, squeezed)
            if squeezed in valence or squeezed in boosters or lex.is_negator(squeezed):
                return squeezed, True
    if lex.suffixes or not word.isascii():
        word = _lookup(word, lex)
    return word, False


def tokenize(text: str, lex: Lexicon) -> list[Token]:
    """Split a comment into word, punctuation and symbol tokens.

    Emoticons are recognised on whole whitespace-separated chunks (as VADER
    does) so URLs and times do not turn into faces; emoji are single symbol
    tokens.
    """
    from collector.sentiment.lexicon import EMOTICON_TOKENS

    if lex.elision is not None:
        text = lex.elision.sub(r"\1e ", text)
    tokens: list[Token] = []
    for chunk in text.split():
        if chunk in EMOTICON_TOKENS:
            tokens.append(Token(chunk, SYMBOL))
            continue
        trailing = _TRAILING_EMOTICON_RE.search(chunk) if chunk[-1] in _EMOTICON_ENDS else None
        if trailing:
            chunk = chunk[: trailing.start()]
        for match in _TOKEN_RE.finditer(chunk):
            raw = match.group()
            if raw[0].isalnum():
                norm, stretched = _normalise_word(raw, lex)
                caps = len(raw) > 1 and raw.isupper()
                tokens.append(Token(norm, WORD, caps, stretched))
            elif raw[0] in "!?" or raw in _CLAUSE_END:
                tokens.append(Token(raw, PUNCT))
            else:
                tokens.append(Token(raw, SYMBOL))
        if trailing:
            tokens.append(Token(trailing.group(), SYMBOL))
    return _merge_phrases(tokens, lex)


def _merge_phrases(tokens: list[Token], lex: Lexicon) -> list[Token]:
    """Replace known multi-word phrases by one token, longest match first."""
    merged: list[Token] = []
    i, n = 0, len(tokens)
    phrases = lex.phrases
    while i < n:
        token = tokens[i]
        candidates = phrases.get(token.norm) if token.kind == WORD else None
        if candidates:
            for phrase in candidates:
                end = i + len(phrase)
                if end <= n and all(
                    tokens[i + k].kind == WORD and tokens[i + k].norm == phrase[k] for k in range(1, len(phrase))
                ):
                    parts = tokens[i:end]
                    merged.append(
                        Token(" ".join(phrase), WORD, all(p.caps for p in parts), any(p.stretched for p in parts))
                    )
                    i = end
                    break
            else:
                merged.append(token)
                i += 1
        else:
            merged.append(token)
            i += 1
    return merged
