"""TextBlob's English polarity (pattern's ``Sentiment.assessments``), read straight from its tables.

TextBlob's ``Sentiment`` is a lazily loaded dict whose every look-up goes
through a Python wrapper (``lazydict._lazy``); on a word list that wrapper
was half of TextBlob's time in the scorer.  This is the same algorithm
(textblob 0.18, ``textblob/_text.py``: a known word, optionally preceded by
a modifier such as "really" or a negation such as "not", scored by its
polarity; "!" strengthens the last one; emoticons count) over plain dicts
copied once from the loaded lexicon, so it returns exactly what
``textblob.en.sentiment(words)`` returns.
"""

from __future__ import annotations

from textblob._text import EMOTICONS, IRONY, MOOD, PUNCTUATION
from textblob.en import sentiment as _sentiment

_sentiment.load()
#: word -> {part of speech or None: (polarity, subjectivity, intensity)}
_LEXICON: dict[str, dict] = dict(dict.items(_sentiment))
_LABELS: dict[str, str] = dict(_sentiment.labeler)
_NEGATIONS = frozenset(_sentiment.negations)
_MODIFIERS = tuple(_sentiment.modifiers)
_IS_MODIFIER = _sentiment.modifier
#: Emoticon (lower case) -> polarity, the first group that lists it winning, as in pattern.
_EMOTICONS: dict[str, float] = {}
for (_kind, _polarity), _faces in EMOTICONS.items():
    for _face in _faces:
        _EMOTICONS.setdefault(_face.lower(), _polarity)


def polarity(words: list[str]) -> tuple[float, float]:
    """(polarity, subjectivity) of lower-case words, as ``textblob.en.sentiment(words)``."""
    found: list[list] = []  # [words, polarity, subjectivity, intensity, negated, label]
    modifier = None
    negation = None
    for w in words:
        entry = _LEXICON.get(w)
        if entry is not None and None in entry:
            p, s, i = entry[None]
            if modifier is None:
                found.append([[w], p, s, i, 1, _LABELS.get(w)])
            else:
                last = found[-1]
                last[0].append(w)
                last[1] = max(-1.0, min(p * last[3], +1.0))
                last[2] = max(-1.0, min(s * last[3], +1.0))
                last[3] = i
                last[5] = _LABELS.get(w)
            if negation is not None:
                last = found[-1]
                last[0].insert(0, negation)
                last[3] = 1.0 / last[3]
                last[4] = -1
            modifier = (w, None) if any(m in entry for m in _MODIFIERS) else None
            negation = w if w in _NEGATIONS else None
            continue
        if w in _NEGATIONS:
            negation = w
        elif negation and len(w.strip("'")) > 1:
            negation = None
        if negation is not None and modifier is not None and _IS_MODIFIER(modifier[0]):
            found[-1][0].append(negation)
            found[-1][4] = -1
            negation = None
        elif modifier and len(w) > 2:
            modifier = None
        if w == "!" and found:
            found[-1][0].append("!")
            found[-1][1] = max(-1.0, min(found[-1][1] * 1.25, +1.0))
        if w == "(!)":
            found.append([[w], 0.0, 1.0, 1.0, 1, IRONY])
        if not w.isalpha() and len(w) <= 5 and w not in PUNCTUATION:
            face = _EMOTICONS.get(w)
            if face is not None:
                found.append([[w], face, 1.0, 1.0, 1, MOOD])
    if not found:
        return 0.0, 0.0
    n = float(len(found))
    return (
        sum(f[1] * -0.5 if f[4] < 0 else f[1] for f in found) / n,
        sum(f[2] for f in found) / n,
    )
