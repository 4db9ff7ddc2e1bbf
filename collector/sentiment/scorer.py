"""The public scorer: rule-based valence blended with TextBlob's polarity.

Why a blend: TextBlob's PatternAnalyzer (the product brief's base scorer)
averages adjective polarities and is good at review prose but blind to
slang, emoji and CX phrases, and it dilutes one strong word in a long
sentence.  The rules in :mod:`collector.sentiment.rules` sum valences from
the merged lexicons and see those cues.  Each is right where the other is
weak, so the final polarity is a fixed weighted sum of both, clamped to
[-1, 1].  Subjectivity is TextBlob's, raised when the rules found
sentiment words TextBlob does not know (an emoji is an opinion).

Everything here is deterministic and offline; lexicons are built once at
import in :mod:`collector.sentiment.lexicon`.
"""

from __future__ import annotations

from dataclasses import dataclass

# What TextBlob's PatternAnalyzer.analyze calls: (polarity, subjectivity) of a
# text. Called directly because analyze() builds a new namedtuple class on
# every call, which cost more than the scoring itself.
from textblob.en import sentiment as textblob_sentiment

from collector.sentiment.rules import WORD, Token, assess

#: Stored on every response with its sentiment; bump whenever any table,
#: rule, weight or threshold here changes, so old rows can be re-scored.
VERSION = "cx-1"

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


def textblob_text(tokens: list[Token]) -> str:
    """The comment as TextBlob should see it: spelling fixed, negations split,
    known phrases hidden."""
    words = []
    for token in tokens:
        word = token.norm
        if token.kind == WORD and " " in word:
            # A phrase the rules already scored ("not too bad", "took
            # forever"); TextBlob would misread its words one by one.
            word = word.replace(" ", "_")
        elif token.kind == WORD and word.endswith("n't"):
            word = _CONTRACTIONS.get(word) or word[:-3] + " not"
        words.append(word)
    return " ".join(words)


@dataclass(frozen=True)
class Sentiment:
    """Sentiment of one comment.

    ``polarity`` is in [-1, 1], ``subjectivity`` in [0, 1] (0 = factual),
    ``label`` one of "positive", "neutral", "negative".
    """

    polarity: float
    subjectivity: float
    label: str


NEUTRAL = Sentiment(0.0, 0.0, "neutral")


def label_for(polarity: float) -> str:
    """Three-way label of a polarity, with a neutral band around zero."""
    if polarity >= NEUTRAL_BAND:
        return "positive"
    if polarity <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"


def score(text: str | None) -> Sentiment:
    """Score one customer comment; ``None`` or blank text is neutral."""
    if not text or not text.strip():
        return NEUTRAL
    rules, tokens = assess(text)
    blob_polarity, blob_subjectivity = textblob_sentiment(textblob_text(tokens))
    polarity = RULES_WEIGHT * rules.compound + TEXTBLOB_WEIGHT * blob_polarity
    polarity = max(-1.0, min(1.0, polarity))
    subjectivity = max(blob_subjectivity, min(1.0, SUBJECTIVITY_PER_HIT * rules.hits))
    return Sentiment(round(polarity, 4), round(subjectivity, 4), label_for(polarity))
