"""The public scorer: rule-based valence blended with a lexicon mean, per language.

Why a blend: TextBlob's PatternAnalyzer (the product brief's base scorer)
averages adjective polarities and is good at review prose but blind to
slang, emoji and CX phrases, and it dilutes one strong word in a long
sentence.  The rules in :mod:`collector.sentiment.rules` sum valences from
the merged lexicons and see those cues.  Each is right where the other is
weak, so the final polarity is a fixed weighted sum of both, clamped to
[-1, 1].  In English the second term is TextBlob's own polarity; in German,
French and Dutch it is the mean valence of the words the rules found (what
pattern's analyzer computes, over the same lexicon).  Subjectivity is
TextBlob's (English) or that of the hits, raised when the rules found
sentiment words (an emoji is an opinion).

A comment in a language without a lexicon is neutral with polarity 0: an
English lexicon reads "Il pacco non è arrivato" as nothing at best and as
noise at worst.

Everything here is deterministic and offline; lexicons are built at import
(English) or on first use (:mod:`collector.sentiment.languages`).
"""

from __future__ import annotations

from dataclasses import dataclass

# TextBlob's tokenizer, for the few tokens it splits further ("what's").
from textblob.en import sentiment as textblob_sentiment

from collector.sentiment.detect import detect_language, locale_language
from collector.sentiment.domain import CX_VALENCE, REAL_WORDS_VALENCE
from collector.sentiment.languages import SOURCES, lexicon
from collector.sentiment.lexicon import ENGLISH
from collector.sentiment.pattern import polarity as textblob_polarity
from collector.sentiment.rules import QUESTION_NEGATIVE_SHARE, QUESTION_POSITIVE_SHARE, Contribution, assess
from collector.sentiment.tables import Lexicon
from collector.sentiment.tokens import WORD, Token, tokenize

#: Stored on every response with its sentiment; bump whenever any table,
#: rule, weight or threshold here changes, so old rows can be re-scored.
VERSION = "cx-3"

#: Languages scored in their own language (ISO 639-1).
SUPPORTED_LANGUAGES: frozenset[str] = frozenset({"en", *SOURCES})

#: Weights of the rule score and of TextBlob's polarity in the blend.
RULES_WEIGHT = 0.8
TEXTBLOB_WEIGHT = 0.35
#: |polarity| below this is "neutral": short factual comments ("I used
#: PayPal", "Ordering for my mum") should not count as praise or complaint.
NEUTRAL_BAND = 0.15
#: Subjectivity attributed per sentiment cue the rules found.
SUBJECTIVITY_PER_HIT = 0.25

#: TextBlob negates only on a separate "not"/"n't"; "wasn't easy" reads as easy.
_CONTRACTIONS = {"can't": "can not", "won't": "will not", "ain't": "is not", "shan't": "shall not"}


#: Tokens TextBlob's own tokenizer would leave as they are.
_PLAIN_PUNCT = frozenset(",.;:!?")
#: Words the CX vocabulary rates 0 ("refreshing" a page, the "usual"
#: courier, "first" time): TextBlob's review lexicon must not rate them
#: either.  "more" stays, as TextBlob reads it as a degree word.
_TEXTBLOB_MUTED = frozenset(w for w, v in {**CX_VALENCE, **REAL_WORDS_VALENCE}.items() if v == 0.0 and " " not in w) - {
    "more"
}


def textblob_words(tokens: list[Token]) -> list[str]:
    """The comment as TextBlob should read it: spelling fixed, negations split,
    known phrases hidden.

    Given as a word list, so TextBlob skips its own tokenizer (a third of
    the English scorer's time), which re-splits what the rules' tokens
    already split; only tokens it would split further ("what's", "!?",
    emoticons) go through it.  Unlike its tokenizer on the joined text, this
    does not glue a URL's ": /" into a frowning face.
    """
    words: list[str] = []
    for token in tokens:
        word = token.norm
        if token.kind == WORD and " " in word:
            # A phrase the rules already scored ("not too bad", "took
            # forever"); TextBlob would misread its words one by one.
            words.append(word.replace(" ", "_"))
            continue
        if token.kind == WORD and word.endswith("n't"):
            words.extend((_CONTRACTIONS.get(word) or word[:-3] + " not").split())
            continue
        if word in _TEXTBLOB_MUTED:
            continue
        if word.isalnum() or word in _PLAIN_PUNCT:
            words.append(word)
        else:
            split = _SPLITS.get(word)
            if split is None:
                split = tuple(w.lower() for w in " ".join(textblob_sentiment.tokenizer(word)).split())
                if len(_SPLITS) < 50_000:
                    _SPLITS[word] = split
            words.extend(split)
    return words


#: token -> how TextBlob's tokenizer splits it ("@", "'s", "url_removed" recur).
_SPLITS: dict[str, tuple[str, ...]] = {}


@dataclass(frozen=True)
class Sentiment:
    """Sentiment of one comment.

    ``polarity`` is in [-1, 1], ``subjectivity`` in [0, 1] (0 = factual),
    ``label`` one of "positive", "neutral", "negative".  ``language`` is the
    comment's ISO 639-1 code (given or detected), None when it could not be
    told; a language outside :data:`SUPPORTED_LANGUAGES` is always neutral.
    """

    polarity: float
    subjectivity: float
    label: str
    language: str | None = None


NEUTRAL = Sentiment(0.0, 0.0, "neutral")


def label_for(polarity: float) -> str:
    """Three-way label of a polarity, with a neutral band around zero."""
    if polarity >= NEUTRAL_BAND:
        return "positive"
    if polarity <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"


def _lexicon_for(language: str) -> Lexicon:
    return ENGLISH if language == "en" else lexicon(language)


def _fallback_language(text: str, locale: str | None) -> str:
    """The lexicon to read a comment whose language is unknown ("Toll!", "👍").

    The locale's language if it is scored; else the scored language whose
    lexicon knows most of its words, English on a tie.
    """
    preferred = locale_language(locale)
    if preferred in SUPPORTED_LANGUAGES:
        return preferred
    best, best_hits = "en", 0
    for language in sorted(SUPPORTED_LANGUAGES):
        lex = _lexicon_for(language)
        hits = sum(
            1 for t in tokenize(text, lex) if t.kind == WORD and (t.norm in lex.valence or t.norm in lex.negated)
        )
        if hits > best_hits or (hits == best_hits and language == "en"):
            best, best_hits = language, hits
    return best


def resolve_language(
    text: str, language: str | None = None, locale: str | None = None
) -> tuple[str | None, str | None]:
    """(language to report, language whose lexicon scores it or None)."""
    if language is None:
        language = detect_language(text, locale)
        if language is None:
            return None, _fallback_language(text, locale)
    else:
        language = locale_language(language) or language.lower()
    return language, language if language in SUPPORTED_LANGUAGES else None


def _score(text: str, scorer: str, trace: list[Contribution] | None = None) -> tuple[float, float, float | None]:
    """(polarity, subjectivity, TextBlob polarity or None) in one language."""
    rules, tokens = assess(text, _lexicon_for(scorer), trace)
    if scorer == "en":
        blob_polarity, blob_subjectivity = textblob_polarity(textblob_words(tokens))
        if blob_polarity > 0 and rules.asking:
            # "Can I get free shipping?" asks; TextBlob would read praise.
            blob_polarity *= QUESTION_POSITIVE_SHARE
        elif blob_polarity > 0 and rules.sarcastic:
            # "Great, another delay.": TextBlob would read the praise word.
            blob_polarity = 0.0
        elif blob_polarity < 0 and rules.inquiring:
            # "Is the flight delayed?" asks about a problem, it has none yet.
            blob_polarity *= QUESTION_NEGATIVE_SHARE
        polarity = RULES_WEIGHT * rules.compound + TEXTBLOB_WEIGHT * blob_polarity
    else:
        blob_polarity = None
        blob_subjectivity = min(1.0, abs(rules.mean)) if rules.hits else 0.0
        polarity = RULES_WEIGHT * rules.compound + TEXTBLOB_WEIGHT * rules.mean
    polarity = max(-1.0, min(1.0, polarity))
    subjectivity = max(blob_subjectivity, min(1.0, SUBJECTIVITY_PER_HIT * rules.hits))
    return polarity, subjectivity, blob_polarity


def score(text: str | None, language: str | None = None, *, locale: str | None = None) -> Sentiment:
    """Score one customer comment; ``None`` or blank text is neutral.

    ``language`` (ISO 639-1, or a locale such as "de-DE") says which
    language the comment is in; None detects it, with ``locale`` (the
    answer's page locale) as a prior.  A language without a lexicon gives a
    neutral result that still carries the language.
    """
    if not text or not text.strip():
        return NEUTRAL if language is None else Sentiment(0.0, 0.0, "neutral", locale_language(language) or language)
    reported, scorer = resolve_language(text, language, locale)
    if scorer is None:
        return Sentiment(0.0, 0.0, "neutral", reported)
    polarity, subjectivity, _ = _score(text, scorer)
    return Sentiment(round(polarity, 4), round(subjectivity, 4), label_for(polarity), reported)


def explain(text: str, language: str | None = None, *, locale: str | None = None) -> dict:
    """Why a comment got its score: language, the words and rules that decided.

    Returns ``{"language", "scored_as", "polarity", "label", "textblob",
    "words": [{"token", "valence", "rules"}]}``; ``scored_as`` is the
    lexicon used (None: unsupported language, neutral), ``textblob`` the
    TextBlob polarity blended in (English only), ``valence`` each token's
    share of the rule sum on VADER's -4..4 scale after its rules.
    """
    result = score(text, language, locale=locale)
    reported, scorer = resolve_language(text, language, locale) if text and text.strip() else (result.language, None)
    trace: list[Contribution] = []
    blob = None
    if scorer is not None:
        _, _, blob = _score(text, scorer, trace)
    return {
        "language": reported,
        "scored_as": scorer,
        "polarity": result.polarity,
        "label": result.label,
        "textblob": None if blob is None else round(blob, 4),
        "words": [{"token": c.token, "valence": c.valence, "rules": list(c.rules)} for c in trace],
    }
