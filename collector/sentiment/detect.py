"""Which language a comment is written in, offline.

py3langid (BSD-3; the langid.py model of Lui & Baldwin 2012, shipped inside
the wheel) scores the comment's byte n-grams for 97 languages.  On the
project's labelled comments it was as accurate as lingua and 6x faster
(bench/SENTIMENT.md).  Short comments are where any detector guesses, so
two priors are applied to its probabilities:

* the languages Stepsense scores (:data:`PRIOR_LANGUAGES`) are three times
  as likely as others a priori: a widget's visitors write German far more
  often than Afrikaans, which "Helpdesk onbereikbaar" resembles;
* the answer's locale (the page or widget language, "de-DE") multiplies
  its language's probability by :data:`LOCALE_WEIGHT`, so "Alles bestens
  👌" on a German page is German.

An ASCII comment with two English-only function words ("the", "my",
"you", ...) and none of the other common languages' is English without
consulting the model.  A comment with no letters (emoji, "10/10") has no language: ``None``.  So
has one whose best guess stays below :data:`MIN_CONFIDENCE` after the
priors ("OK", "Meh.").  Codes are ISO 639-1; the model's few three-letter
labels and Latin are left out.
"""

from __future__ import annotations

import re
import threading

#: Languages a priori more likely in a Stepsense widget (the scored ones).
PRIOR_LANGUAGES = frozenset({"en", "de", "fr", "nl"})
PRIOR_WEIGHT = 3.0
#: How much the answer's locale multiplies its language's probability.
LOCALE_WEIGHT = 6.0
#: Below this posterior the detector does not know; a language Stepsense
#: does not score must be surer, since calling it that makes the comment
#: neutral ("haha so easy" is not Sesotho).
MIN_CONFIDENCE = 0.3
MIN_CONFIDENCE_OTHER = 0.4
#: Languages the model knows that a customer comment is not written in.
_EXCLUDED = frozenset({"la"})

#: Function words that only English of the common web languages uses; two of
#: them and none of the others' in an ASCII comment make it English without
#: running the model (most comments, and a third of the scorer's time).
_ENGLISH_ONLY = frozenset(
    [
        "and",
        "been",
        "can't",
        "didn't",
        "don't",
        "for",
        "have",
        "i",
        "i'm",
        "i've",
        "it",
        "it's",
        "my",
        "our",
        "the",
        "they",
        "this",
        "to",
        "what",
        "with",
        "you",
        "your",
    ]
)
_NOT_ENGLISH = frozenset(
    [
        "che",
        "das",
        "de",
        "der",
        "des",
        "di",
        "die",
        "du",
        "een",
        "ein",
        "eine",
        "el",
        "es",
        "est",
        "et",
        "het",
        "ich",
        "ik",
        "il",
        "ist",
        "je",
        "la",
        "le",
        "les",
        "los",
        "mit",
        "muy",
        "nicht",
        "niet",
        "pas",
        "por",
        "que",
        "und",
        "une",
        "van",
        "y",
    ]
)
_WORD_RE = re.compile(r"[a-z']+")

_NOISE_RE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|@\w+|#|[\d_]+")
_LETTER_RE = re.compile(r"[^\W\d_]")

#: Enough text to tell a language; the byte-level n-gram walk is the cost.
MAX_CHARS = 300

_MODEL = None
_LOCK = threading.Lock()


class _Model:
    """The py3langid model with the priors as a vector, so one comment costs
    one n-gram walk and a few numpy operations."""

    def __init__(self) -> None:
        import numpy as np
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        identifier.set_languages([c for c in identifier.labels if len(c) == 2 and c.isalpha() and c not in _EXCLUDED])
        self.np = np
        self.identifier = identifier
        self.codes: list[str] = list(identifier.nb_classes)
        self.index = {code: i for i, code in enumerate(self.codes)}
        self.prior = np.array([PRIOR_WEIGHT if c in PRIOR_LANGUAGES else 1.0 for c in self.codes], dtype=np.float64)

    def posterior(self, text: str, locale: str | None):
        """Probabilities per language code (priors applied, summing to 1)."""
        probabilities = self.identifier._decide(text).astype(self.np.float64) * self.prior
        i = self.index.get(locale) if locale else None
        if i is not None:
            probabilities[i] *= LOCALE_WEIGHT
        return probabilities / probabilities.sum()


def _model() -> _Model:
    """The py3langid model, loaded on first use (about 2 s: it is xz-packed)."""
    global _MODEL
    if _MODEL is None:
        with _LOCK:
            if _MODEL is None:
                _MODEL = _Model()
    return _MODEL


def locale_language(locale: str | None) -> str | None:
    """ "de-DE", "de_AT", "DE" -> "de"; None for no or a malformed locale."""
    if not locale:
        return None
    code = re.split(r"[-_.@]", locale.strip(), maxsplit=1)[0].lower()
    return code if len(code) == 2 and code.isalpha() else None


def language_probabilities(text: str, locale: str | None = None) -> list[tuple[str, float]]:
    """The five likeliest languages with their posterior (priors applied), best first."""
    cleaned = _NOISE_RE.sub(" ", text[:MAX_CHARS])
    if not _LETTER_RE.search(cleaned):
        return []
    model = _model()
    probabilities = model.posterior(cleaned, locale_language(locale))
    top = model.np.argsort(probabilities)[::-1][:5]
    return [(model.codes[i], float(probabilities[i])) for i in top]


def detect_language(text: str | None, locale: str | None = None) -> str | None:
    """ISO 639-1 code of the comment's language, or None when it cannot tell.

    ``locale`` ("de-DE", "fr", ...) is the answer's page or widget locale,
    used as a prior: it decides short or ambiguous comments but not a clear
    comment in another language.
    """
    if not text or not text.strip():
        return None
    if text.isascii():
        words = _WORD_RE.findall(text[:MAX_CHARS].lower())
        if sum(w in _ENGLISH_ONLY for w in words) >= 2 and not any(w in _NOT_ENGLISH for w in words):
            return "en"
    cleaned = _NOISE_RE.sub(" ", text[:MAX_CHARS])
    if not _LETTER_RE.search(cleaned):
        return None
    model = _model()
    probabilities = model.posterior(cleaned, locale_language(locale))
    best = int(probabilities.argmax())
    code = model.codes[best]
    needed = MIN_CONFIDENCE if code in PRIOR_LANGUAGES else MIN_CONFIDENCE_OTHER
    return code if probabilities[best] >= needed else None
