"""Rules that turn a comment into a sum of word valences.

The shape follows VADER (Hutto & Gilbert 2014), whose rules were validated
against human raters, with changes for short customer-experience comments:

* phrases ("took forever", "charged twice", "couldn't find") are matched as
  one token before anything else, so their own "not"/"never" is part of
  their meaning and not a negation of the next word;
* negation and boosters only reach back within the same clause (up to a
  comma, full stop or "but") and stop at the first sentiment word, so
  "No account needed, great" stays positive and "not worth the hassle"
  does not turn the hassle into praise;
* "although"/"though"/"despite" mark a concession whose clause counts half;
  the clause after "but"/"however" counts one and a half times, the one
  before it half, because the last clause is usually the verdict;
* a comment written entirely in capitals is read as shouting and every
  sentiment word in it is strengthened, not just capitalised words among
  lower-case ones;
* misspellings and stretched words ("sooo", "dissapointed") are mapped to
  the words the lexicons know, and stretching counts as emphasis.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from collector.sentiment.domain import CONCESSIONS, CONTRASTS
from collector.sentiment.lexicon import (
    BOOSTERS,
    CAPS_STEP,
    EMOJI,
    EMOTICONS,
    NEGATION_SCALAR,
    NEGATORS,
    PHRASES,
    SPELLING,
    VALENCE,
    strip_emoji_modifiers,
)

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
#: How far (in words) a booster or negator reaches, and how it fades.
_REACH = (1.0, 0.95, 0.9)
#: Denominator constant of VADER's normalisation x / sqrt(x^2 + alpha).
NORMALISE_ALPHA = 15.0


class Token(NamedTuple):
    """One unit of the comment: normalised text, kind and emphasis flags."""

    norm: str
    kind: int
    caps: bool = False
    stretched: bool = False


class Assessment(NamedTuple):
    """What the rules found: normalised score, raw sum and sentiment hits."""

    compound: float
    total: float
    hits: int


def _normalise_word(raw: str) -> tuple[str, bool]:
    """Lower-case, fix spelling, undo stretching; report whether it was stretched."""
    word = raw.lower().replace("’", "'")
    word = SPELLING.get(word, word)
    if word in VALENCE or word in BOOSTERS or not _STRETCH_RE.search(word):
        return word, False
    for squeezed in (_STRETCH_RE.sub(r"\1\1", word), _STRETCH_RE.sub(r"\1", word)):
        squeezed = SPELLING.get(squeezed, squeezed)
        if squeezed in VALENCE or squeezed in BOOSTERS or squeezed in NEGATORS:
            return squeezed, True
    return word, False


def tokenize(text: str) -> list[Token]:
    """Split a comment into word, punctuation and symbol tokens.

    Emoticons are recognised on whole whitespace-separated chunks (as VADER
    does) so URLs and times do not turn into faces; emoji are single symbol
    tokens.
    """
    tokens: list[Token] = []
    for chunk in text.split():
        if chunk in EMOTICONS:
            tokens.append(Token(chunk, SYMBOL))
            continue
        trailing = _TRAILING_EMOTICON_RE.search(chunk)
        if trailing:
            chunk = chunk[: trailing.start()]
        for match in _TOKEN_RE.finditer(chunk):
            raw = match.group()
            if raw[0].isalnum():
                norm, stretched = _normalise_word(raw)
                caps = len(raw) > 1 and raw.isupper()
                tokens.append(Token(norm, WORD, caps, stretched))
            elif raw[0] in "!?" or raw in _CLAUSE_END:
                tokens.append(Token(raw, PUNCT))
            else:
                tokens.append(Token(raw, SYMBOL))
        if trailing:
            tokens.append(Token(trailing.group(), SYMBOL))
    return _merge_phrases(tokens)


def _merge_phrases(tokens: list[Token]) -> list[Token]:
    """Replace known multi-word phrases by one token, longest match first."""
    merged: list[Token] = []
    i, n = 0, len(tokens)
    while i < n:
        token = tokens[i]
        candidates = PHRASES.get(token.norm) if token.kind == WORD else None
        if candidates:
            for phrase in candidates:
                end = i + len(phrase)
                if end <= n and all(
                    tokens[i + k].kind == WORD and tokens[i + k].norm == phrase[k]
                    for k in range(1, len(phrase))
                ):
                    parts = tokens[i:end]
                    merged.append(Token(
                        " ".join(phrase), WORD,
                        all(p.caps for p in parts), any(p.stretched for p in parts),
                    ))
                    i = end
                    break
            else:
                merged.append(token)
                i += 1
        else:
            merged.append(token)
            i += 1
    return merged


def _is_negator(word: str) -> bool:
    """True for "not", "never", "no", "wasn't" and other n't forms."""
    return word in NEGATORS or word.endswith("n't")


def _clause_weights(tokens: list[Token]) -> list[float]:
    """Weight of each token from contrast ("but") and concession ("although").

    Before the last "but"/"however": 0.5; after it: 1.5.  Inside a clause
    opened by "although"/"though"/"despite" (up to the next punctuation or
    "but"): 0.5.  "even though" is a concession too, via "though".
    """
    weights = [1.0] * len(tokens)
    contrast = -1
    for i, token in enumerate(tokens):
        if token.kind == WORD and token.norm in CONTRASTS:
            contrast = i
    if contrast > 0 and contrast < len(tokens) - 1:
        for i in range(contrast):
            weights[i] = 0.5
        for i in range(contrast + 1, len(tokens)):
            weights[i] = 1.5
    inside = False
    for i, token in enumerate(tokens):
        if token.kind == WORD and token.norm in CONCESSIONS:
            inside = True
        elif token.kind == PUNCT or (token.kind == WORD and token.norm in CONTRASTS):
            inside = False
        if inside:
            weights[i] *= 0.5
    return weights


def _sentiment_follows(tokens: list[Token], i: int) -> bool:
    """True if a sentiment word follows tokens[i] within reach in its clause."""
    for token in tokens[i + 1 : i + 1 + len(_REACH)]:
        if token.kind != WORD or token.norm in CONTRASTS:
            return False
        if token.norm in VALENCE:
            return True
    return False


def _word_valence(tokens: list[Token], i: int, shouting: bool, mixed_caps: bool) -> float:
    """Valence of tokens[i] after caps, boosters and negation in its clause."""
    token = tokens[i]
    valence = VALENCE.get(token.norm, 0.0)
    if not valence:
        return 0.0
    if token.norm in BOOSTERS:
        # "super easy", "pretty good": the degree word only strengthens.
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if nxt is not None and nxt.kind == WORD and nxt.norm in VALENCE:
            return 0.0
    if _is_negator(token.norm) and _sentiment_follows(tokens, i):
        # "no hidden costs": "no" flips what follows, it is not a complaint.
        return 0.0
    sign = 1.0 if valence > 0 else -1.0
    if (token.caps and mixed_caps) or token.stretched:
        valence += sign * CAPS_STEP
    elif shouting:
        valence += sign * CAPS_STEP * 0.5
    negated = False
    seen = 0
    j = i - 1
    while j >= 0 and seen < len(_REACH):
        prev = tokens[j]
        if prev.kind == PUNCT or (prev.kind == WORD and prev.norm in CONTRASTS):
            break
        if prev.kind == WORD:
            if prev.norm in VALENCE and prev.norm not in BOOSTERS and not _is_negator(prev.norm):
                # A negation reaches only the first sentiment word after it:
                # "not worth the hassle" does not make the hassle good.
                break
            boost = BOOSTERS.get(prev.norm)
            if boost:
                step = boost * _REACH[seen]
                if prev.caps and mixed_caps:
                    step += CAPS_STEP if boost > 0 else -CAPS_STEP
                valence += sign * step
            elif _is_negator(prev.norm):
                negated = True
            seen += 1
        j -= 1
    if negated:
        valence *= NEGATION_SCALAR
    return valence


def _punctuation_emphasis(text: str) -> float:
    """Extra strength from "!" (up to four) and from "??" runs, as in VADER."""
    emphasis = min(text.count("!"), 4) * 0.292
    questions = text.count("?")
    if questions > 1:
        emphasis += min(questions * 0.18, 0.96)
    return emphasis


def assess(text: str) -> tuple[Assessment, list[Token]]:
    """Score a comment with the rules; also return its tokens for reuse."""
    if not text.isascii():
        text = strip_emoji_modifiers(text)
    tokens = tokenize(text)
    caps_words = sum(1 for t in tokens if t.kind == WORD and t.caps)
    long_words = sum(1 for t in tokens if t.kind == WORD and len(t.norm) > 1)
    shouting = long_words >= 2 and caps_words >= long_words
    mixed_caps = 0 < caps_words < long_words
    weights = _clause_weights(tokens)
    total = 0.0
    hits = 0
    for i, token in enumerate(tokens):
        if token.kind == WORD:
            valence = _word_valence(tokens, i, shouting, mixed_caps)
        elif token.kind == SYMBOL:
            valence = EMOJI.get(token.norm) or EMOTICONS.get(token.norm) or EMOTICONS.get(
                token.norm.lower(), 0.0)
        else:
            continue
        if valence:
            total += valence * weights[i]
            hits += 1
    if total:
        total += math.copysign(_punctuation_emphasis(text), total)
    compound = total / math.sqrt(total * total + NORMALISE_ALPHA)
    return Assessment(compound, total, hits), tokens
