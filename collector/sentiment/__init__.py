"""CX-tuned comment sentiment in the visitor's language.

Public API (pure text in, numbers out; imports nothing else of collector):

* ``detect_language(text, locale=None) -> str | None``: the comment's
  ISO 639-1 code, offline (py3langid), with the answer's locale ("de-DE")
  as a prior; None when there is nothing to tell by (emoji, "OK").
* ``score(text, language=None, *, locale=None) -> Sentiment``: polarity
  in [-1, 1], subjectivity in [0, 1], label and language.  ``language``
  None detects it.  English, German, French and Dutch
  (``SUPPORTED_LANGUAGES``) are scored with their own lexicon and the same
  CX rules (negation, boosters, domain words, emoji, sarcasm markers,
  questions); any other language is neutral with polarity 0 and keeps its
  language.  ``score(text)`` alone works as before.
* ``explain(text, language=None, *, locale=None) -> dict``: the words and
  rules that decided a score.
* ``score_lines(lines)``: the ``stepsense sentiment`` command's JSON objects,
  one per non-empty line, with "language".
* ``warm_up()``: loads the language model and every lexicon now (a few
  seconds) instead of on the first comment that needs them; a server's
  worker calls it before it takes requests.
* ``VERSION``: stored with every scored response; bumped whenever a table,
  rule, weight or threshold changes, so ``stepsense rescore`` can bring old
  rows up to date.

English is built on TextBlob's PatternAnalyzer blended with rules over the
VADER lexicon and a customer-experience vocabulary (see :mod:`.scorer`);
the other languages on the pattern lexicons their TextBlob extensions ship
(see :mod:`.languages`).
"""

from collector.sentiment import languages
from collector.sentiment.detect import detect_language
from collector.sentiment.lines import score_lines
from collector.sentiment.scorer import SUPPORTED_LANGUAGES, VERSION, Sentiment, explain, score

__all__ = [
    "SUPPORTED_LANGUAGES",
    "VERSION",
    "Sentiment",
    "detect_language",
    "explain",
    "score",
    "score_lines",
    "warm_up",
]


def warm_up() -> None:
    """Load the language model and the lexicons of every supported language now.

    They load on first use otherwise: about 2 s for the model alone (xz-packed),
    longer on a busy host, during which every answer with a comment that reaches
    that process waits.
    """
    detect_language("warm up the language model")
    for language in SUPPORTED_LANGUAGES:
        if language != "en":
            languages.lexicon(language)
