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

A comment with no letters (emoji, "10/10") has no language: ``None``.  So
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
#: Below this posterior the detector does not know.
MIN_CONFIDENCE = 0.3
#: Languages the model knows that a customer comment is not written in.
_EXCLUDED = frozenset({"la"})

_NOISE_RE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|@\w+|#|[\d_]+")
_LETTER_RE = re.compile(r"[^\W\d_]")

_IDENTIFIER = None
_LOCK = threading.Lock()


def _identifier():
    """The py3langid model, loaded on first use (about 2 s: it is xz-packed)."""
    global _IDENTIFIER
    if _IDENTIFIER is None:
        with _LOCK:
            if _IDENTIFIER is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages(
                    [c for c in identifier.labels if len(c) == 2 and c.isalpha() and c not in _EXCLUDED]
                )
                _IDENTIFIER = identifier
    return _IDENTIFIER


def locale_language(locale: str | None) -> str | None:
    """"de-DE", "de_AT", "DE" -> "de"; None for no or a malformed locale."""
    if not locale:
        return None
    code = re.split(r"[-_.@]", locale.strip(), maxsplit=1)[0].lower()
    return code if len(code) == 2 and code.isalpha() else None


def language_probabilities(text: str, locale: str | None = None) -> list[tuple[str, float]]:
    """Languages by posterior probability (priors applied), best first."""
    cleaned = _NOISE_RE.sub(" ", text)
    if not _LETTER_RE.search(cleaned):
        return []
    prior_locale = locale_language(locale)
    ranked = _identifier().rank(cleaned)
    weighted = []
    for code, p in ranked[:12]:
        if code in PRIOR_LANGUAGES:
            p *= PRIOR_WEIGHT
        if code == prior_locale:
            p *= LOCALE_WEIGHT
        weighted.append((code, p))
    if prior_locale and all(code != prior_locale for code, _ in weighted):
        p = next((p for code, p in ranked if code == prior_locale), 0.0)
        weighted.append((prior_locale, p * LOCALE_WEIGHT * (PRIOR_WEIGHT if prior_locale in PRIOR_LANGUAGES else 1)))
    rest = max(0.0, 1.0 - sum(p for _, p in ranked[:12]))
    total = sum(p for _, p in weighted) + rest
    return sorted(((code, p / total) for code, p in weighted), key=lambda item: item[1], reverse=True)


def detect_language(text: str | None, locale: str | None = None) -> str | None:
    """ISO 639-1 code of the comment's language, or None when it cannot tell.

    ``locale`` ("de-DE", "fr", ...) is the answer's page or widget locale,
    used as a prior: it decides short or ambiguous comments but not a clear
    comment in another language.
    """
    if not text or not text.strip():
        return None
    ranked = language_probabilities(text, locale)
    if not ranked:
        return None
    code, p = ranked[0]
    return code if p >= MIN_CONFIDENCE else None
