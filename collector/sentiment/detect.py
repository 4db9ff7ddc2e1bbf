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

Most comments need no model at all: a comment with two function words that
only one of the scored languages uses ("the", "und", "est", "niet", see
:data:`FUNCTION_WORDS`) and no word typical of another language is in that
language.  That check costs a few microseconds; the model's byte-by-byte
walk is most of the detector's cost, so it runs only on the comments the
check cannot decide (short ones, mixed ones, other languages).

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
#: Below this posterior the detector does not know; a language Stepsense
#: does not score must be surer, since calling it that makes the comment
#: neutral ("haha so easy" is not Sesotho).
MIN_CONFIDENCE = 0.3
MIN_CONFIDENCE_OTHER = 0.4
#: Languages the model knows that a customer comment is not written in.
_EXCLUDED = frozenset({"la"})


def _words(text: str) -> list[str]:
    """Space-separated words: the tables below read better as running text."""
    return text.split()


# fmt: off
#: Function words that, among the languages customers commonly write in,
#: only one scored language uses.  Words two languages share ("die" is
#: German, Dutch and Afrikaans; "de", "la", "en", "is", "was", "me", "on")
#: are left out: they tell nothing.
FUNCTION_WORDS: dict[str, str] = {
    **dict.fromkeys(
        _words(
        "the and to my you your it it's i i'm i've i'd have has had been this they what with for our "
        "are that there would could should just be can can't didn't don't doesn't isn't wasn't won't "
        "haven't hasn't couldn't from will did very when why how after still again we any "
        "because only or but not at all get got were if than then their them out up about like"), "en"),
    **dict.fromkeys(
        _words(
        "und ich nicht ist das der dem ein eine einen einem einer mit auf für fuer sehr auch noch wir "
        "aber schon nach bei wurde wird habe hat kein keine keinen bitte danke leider gibt mein meine "
        "meiner mir mich nur immer wieder sich sind bin wie zum zur vom beim kann konnte nichts zu von uns "
        "ihr dass weil wenn oder doch ganz seit jetzt heute alles alle"), "de"),
    **dict.fromkeys(
        _words(
        "les des est une pas je j'ai c'est n'est n'ai très avec pour sur dans vous nous elle ça cette "
        "au aux mon mes été rien toujours jamais merci trop ne déjà fait qu'il suis sont ont avons "
        "bien mais à votre vos sans chez après moi cela"), "fr"),
    **dict.fromkeys(
        _words(
        "het een ik niet voor maar zijn wordt werd heb heeft mijn geen nog ook erg naar bij deze "
        "jullie wij bedankt graag helaas echt weer nooit altijd hebben mij kon kun wel zeer "
        "uw dat wat op omdat niks iets"), "nl"),
}
#: Words typical of other languages customers write in (Spanish, Italian,
#: Portuguese, the Scandinavian languages, Afrikaans, Polish, Turkish):
#: one of them sends the comment to the model.
OTHER_LANGUAGE_WORDS: frozenset[str] = frozenset(
    _words(
    "el los las muy por pero y es está con para gracias una uno del todavía nadie mi "
    "il non è sono della molto che grazie ho hanno sito nessuno ancora "
    "não obrigado você vocês foi minha ainda ninguém em "
    "och jag inte är att har ikke er og jeg det til af tack tak ingen min mitt "
    "ek nie jy "
    "nie się jest czy w z na "
    "bir ve çok"
    )
)
# fmt: on
#: "mais" is French and Portuguese, "bien" French and Spanish; they count
#: for French only next to a word no other language has.
_SHARED_WITH_OTHERS = frozenset({"mais", "bien"})
#: Function words of one language that decide a comment without the model.
MIN_FUNCTION_WORDS = 2
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
#: "j'ai", "n'est", "qu'il", "l'heure": French elision ("c'è" is Italian).
_FRENCH_ELISION_RE = re.compile(r"(?:j|n|qu|d|l|s)'[^\W\d_]")

_NOISE_RE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|@\w+|#|[\d_]+")
_LETTER_RE = re.compile(r"[^\W\d_]")

#: Enough text to tell a language; the byte-level n-gram walk is the cost.
MAX_CHARS = 300

_MODEL = None
_LOCK = threading.Lock()


class _Model:
    """The py3langid model with the priors as a vector, so one comment costs
    one n-gram walk and a few numpy operations.

    py3langid keeps its feature table in float16 and, once restricted to
    a set of languages, as a strided column subset; gathering rows from it
    was half of the model's time.  The restricted table is kept as one
    contiguous float32 array instead (the same values: float16 widens
    exactly), and the unrestricted copy is dropped, so the model takes no
    more memory than before.
    """

    def __init__(self) -> None:
        import numpy as np
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        identifier.set_languages([c for c in identifier.labels if len(c) == 2 and c.isalpha() and c not in _EXCLUDED])
        identifier.nb_ptc = np.ascontiguousarray(identifier.nb_ptc, dtype=np.float32)
        identifier._full_model = None
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


def by_function_words(text: str) -> str | None:
    """The scored language whose function words alone the comment uses, or None.

    None when fewer than :data:`MIN_FUNCTION_WORDS` are found, when two
    languages' words are, or when a word typical of another language is.
    """
    found = None
    count = 0
    shared = 0
    for word in _WORD_RE.findall(text.lower()):
        if word in OTHER_LANGUAGE_WORDS:
            return None
        word = word.replace("’", "'")
        language = FUNCTION_WORDS.get(word)
        if language is None:
            if not _FRENCH_ELISION_RE.match(word):
                continue
            language = "fr"
        if found is not None and language != found:
            return None
        found = language
        if word in _SHARED_WITH_OTHERS:
            shared += 1
        else:
            count += 1
    return found if count and count + shared >= MIN_FUNCTION_WORDS else None


def language_probabilities(text: str, locale: str | None = None) -> list[tuple[str, float]]:
    """The five likeliest languages by the model, with their posterior (priors applied), best first."""
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
    head = text[:MAX_CHARS]
    decided = by_function_words(head)
    if decided is not None:
        return decided
    cleaned = _NOISE_RE.sub(" ", head)
    if not _LETTER_RE.search(cleaned):
        return None
    model = _model()
    probabilities = model.posterior(cleaned, locale_language(locale))
    best = int(probabilities.argmax())
    code = model.codes[best]
    needed = MIN_CONFIDENCE if code in PRIOR_LANGUAGES else MIN_CONFIDENCE_OTHER
    return code if probabilities[best] >= needed else None
