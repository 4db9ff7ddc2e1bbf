"""The merged word and phrase tables the scorer looks up, built once at import.

Three sources, in rising priority:

1. TextBlob's own lexicon (the one its PatternAnalyzer uses, shipped inside
   the ``textblob`` wheel, so no NLTK download is involved) for words VADER
   lacks — mostly review adjectives such as "predictable" or "tepid";
2. the VADER lexicon (MIT, shipped inside the ``vaderSentiment`` wheel), which
   covers slang, emoticons and social-media spelling;
3. :mod:`collector.sentiment.domain`, the customer-experience vocabulary.

Everything is read from the installed packages' data files once, so a call to
``score`` only does dictionary look-ups.
"""

from __future__ import annotations

from importlib import resources

from textblob._text import EMOTICONS as _textblob_emoticons
from textblob.en import sentiment as _textblob_lexicon
from vaderSentiment import vaderSentiment as _vader

from collector.sentiment.domain import (
    COMPLAINT_QUESTIONS,
    CONCESSIONS,
    CONTRASTS,
    COURTESY,
    CX_BOOSTERS,
    CX_NEGATED,
    CX_VALENCE,
    DURATION_UNITS,
    EMOJI_VALENCE,
    MISSPELLINGS,
    PROBLEM_WORDS,
    QUANTITIES,
    QUESTION_OPENERS,
    REAL_WORDS_VALENCE,
    RESOLUTION_WORDS,
    SARCASM_WORDS,
    SINCE_WORDS,
    TIME_UNITS,
    WAIT_CUES,
)
from collector.sentiment.tables import Lexicon, phrase_index, strip_emoji_modifiers

#: VADER's empirically derived step for one booster word and for one word
#: in CAPS among lower-case words; reused so the merged scale stays VADER's.
BOOST_STEP: float = _vader.B_INCR
CAPS_STEP: float = _vader.C_INCR
#: A negated word keeps 74 % of its strength with the sign flipped
#: ("not bad" is mildly good, not as good as "good").
NEGATION_SCALAR: float = _vader.N_SCALAR

#: TextBlob polarity runs -1..1 and is flatter than VADER's -4..4 ratings;
#: this factor puts a TextBlob-only word on VADER's scale.
TEXTBLOB_TO_VADER: float = 3.0


def _read_vader_file(name: str) -> str:
    """Text of a data file shipped in the vaderSentiment wheel."""
    return resources.files(_vader.__package__ or "vaderSentiment").joinpath(name).read_text(encoding="utf-8")


def _load_vader_lexicon() -> dict[str, float]:
    """VADER's token -> mean rating table (emoticons and phrases included)."""
    table: dict[str, float] = {}
    for line in _read_vader_file("vader_lexicon.txt").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0]:
            table[parts[0]] = float(parts[1])
    return table


def _load_textblob_lexicon() -> dict[str, float]:
    """TextBlob word -> polarity on VADER's scale, for sentiment-bearing words.

    Degree words ("very", "more") carry an intensity in TextBlob's table or
    are boosters in VADER's; they are handled as boosters, so they are left
    out.
    """
    _textblob_lexicon.load()
    table: dict[str, float] = {}
    for word, by_tag in _textblob_lexicon.items():
        polarity, _subjectivity, intensity = by_tag.get(None) or next(iter(by_tag.values()))
        if abs(polarity) >= 0.1 and intensity == 1.0 and " " not in word and word not in _vader.BOOSTER_DICT:
            table[word.lower()] = polarity * TEXTBLOB_TO_VADER
    return table


def _is_emoticon(token: str) -> bool:
    """True for VADER entries such as ":)" or "<3" that contain no letters."""
    return not any(ch.isalpha() for ch in token) or token in {":D", ":d", ":p", ":P", "xD", "XD", ";D"}


def _emoji_from_vader(valence: dict[str, float]) -> dict[str, float]:
    """Valence for emoji outside our hand-rated list, from VADER's descriptions.

    VADER maps each emoji to its CLDR name ("smiling face with heart-eyes");
    the emoji gets the mean valence of the lexicon words in that name, so
    only names with a clearly emotional word count.
    """
    table: dict[str, float] = {}
    for line in _read_vader_file("emoji_utf8_lexicon.txt").splitlines():
        char, _, description = line.partition("\t")
        if len(char) != 1:
            continue
        hits = [valence[w] for w in description.lower().split() if w in valence]
        if hits:
            table[char] = sum(hits) / len(hits)
    return table


_VADER = _load_vader_lexicon()

#: Emoticons (":)", ":-(", "<3", ...) as written; matched on whole
#: whitespace-separated chunks, as VADER does, so "http://" is no ":/".
EMOTICONS: dict[str, float] = {t: v for t, v in _VADER.items() if _is_emoticon(t)}
#: Every emoticon kept as one symbol token: VADER's and TextBlob's (":-P",
#: ":c"), so TextBlob, which reads the tokens, still sees them whole.
EMOTICON_TOKENS: frozenset[str] = frozenset(EMOTICONS).union(*_textblob_emoticons.values())

#: Word and phrase valences on VADER's -4..4 scale, lower-case keys.
VALENCE: dict[str, float] = {
    **_load_textblob_lexicon(),
    **{t.lower(): v for t, v in _VADER.items() if t not in EMOTICONS},
    **CX_VALENCE,
    **REAL_WORDS_VALENCE,
}

#: Degree words: how much they add to the next sentiment word's strength.
BOOSTERS: dict[str, float] = {
    **_vader.BOOSTER_DICT,
    **{w: share * BOOST_STEP for w, share in CX_BOOSTERS.items()},
}

#: Words that flip the sentiment words after them in the same clause.
NEGATORS: frozenset[str] = frozenset(_vader.NEGATE) | {"no", "nobody", "no one", "neither", "nor"}

#: Emoji valence by single code point, hand-rated list first.
EMOJI: dict[str, float] = {**_emoji_from_vader(VALENCE), **EMOJI_VALENCE}

#: Misspelling -> intended word.
SPELLING: dict[str, str] = dict(MISSPELLINGS)


#: Phrases ("took forever", "a bit", "can't stand") recognised as one token.
PHRASES: dict[str, tuple[tuple[str, ...], ...]] = phrase_index(
    VALENCE,
    BOOSTERS,
    CX_NEGATED,
    dict.fromkeys(COURTESY | COMPLAINT_QUESTIONS | WAIT_CUES | QUANTITIES | SARCASM_WORDS, 0.0),
)

#: The English tables as one bundle for the rules.
ENGLISH = Lexicon(
    language="en",
    valence=VALENCE,
    boosters=BOOSTERS,
    negators=NEGATORS,
    spelling=SPELLING,
    contrasts=CONTRASTS,
    concessions=CONCESSIONS,
    negated=CX_NEGATED,
    courtesy=COURTESY,
    complaint_questions=COMPLAINT_QUESTIONS,
    since_words=SINCE_WORDS,
    time_units=TIME_UNITS,
    resolution_words=RESOLUTION_WORDS,
    problem_words=PROBLEM_WORDS,
    question_openers=QUESTION_OPENERS,
    wait_cues=WAIT_CUES,
    quantities=QUANTITIES,
    duration_units=DURATION_UNITS,
    sarcasm_words=SARCASM_WORDS,
    phrases=PHRASES,
)


__all__ = [
    "BOOST_STEP",
    "BOOSTERS",
    "CAPS_STEP",
    "EMOJI",
    "EMOTICONS",
    "NEGATION_SCALAR",
    "ENGLISH",
    "NEGATORS",
    "PHRASES",
    "SPELLING",
    "VALENCE",
    "strip_emoji_modifiers",
]
