"""The emotion score: one number in [-1, 1] per response, from its rating and comment.

This is the only place the formula lives. Its version is part of
``SCORING_VERSION``, stored on every response, so rows scored by an older
formula or sentiment scorer can be found and re-scored.
"""

from dataclasses import dataclass

from collector import sentiment
from collector.common.vocabulary import SCALES

FORMULA_VERSION = "e1"
SCORING_VERSION = f"{sentiment.VERSION}+{FORMULA_VERSION}"


RATING_WEIGHT = 0.6
TEXT_WEIGHT = 0.4
# Below this subjectivity (or polarity magnitude) a comment states a fact
# ("paid with PayPal"), so it must not pull the rating toward 0.
NEUTRAL_TEXT = 0.05


@dataclass(frozen=True)
class Scored:
    polarity: float | None
    subjectivity: float | None
    sentiment_label: str | None
    emotion: float
    scorer_version: str
    language: str | None = None


def rating_emotion(kind: str, score: int) -> float:
    """Map a rating onto [-1, 1] with the scale's midpoint at 0."""
    if kind == "thumbs":
        return 1.0 if score else -1.0
    low, high = SCALES[kind]
    middle = (low + high) / 2
    return (score - middle) / (high - middle)


def score_response(kind: str, score: int | None, comment: str | None, locale: str | None = None) -> Scored:
    """Sentiment of the comment in its own language (``locale`` is the page's, a
    prior for short comments) and the blended emotion of the whole response."""
    rating = rating_emotion(kind, score) if score is not None and kind in SCALES else None
    text = sentiment.score(comment, locale=locale) if comment and comment.strip() else None

    if text is None:
        emotion = rating if rating is not None else 0.0
    elif rating is None:
        emotion = text.polarity
    elif abs(text.polarity) < NEUTRAL_TEXT or text.subjectivity < NEUTRAL_TEXT:
        emotion = rating
    else:
        emotion = RATING_WEIGHT * rating + TEXT_WEIGHT * text.polarity

    return Scored(
        polarity=text.polarity if text else None,
        subjectivity=text.subjectivity if text else None,
        sentiment_label=text.label if text else None,
        emotion=round(max(-1.0, min(1.0, emotion)), 4),
        scorer_version=SCORING_VERSION,
        language=text.language if text else None,
    )
