"""The per-language table bundle the rules read, and what every language shares.

A :class:`Lexicon` holds everything language-specific the rules in
:mod:`collector.sentiment.rules` (and its :mod:`~collector.sentiment.tokens`
and :mod:`~collector.sentiment.valence`) look up; the English one is built in
:mod:`collector.sentiment.lexicon`, the others in
:mod:`collector.sentiment.languages`.  Emoji and emoticons mean the same in
every language, so they live here once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

#: VADER's empirically derived step for one booster word and for one word
#: in CAPS among lower-case words (vaderSentiment's B_INCR and C_INCR); kept
#: as numbers so the non-English languages need not import VADER.
BOOST_STEP = 0.293
CAPS_STEP = 0.733
#: A negated word keeps 74 % of its strength with the sign flipped
#: ("not bad" is mildly good, not as good as "good"); VADER's N_SCALAR.
NEGATION_SCALAR = -0.74


@dataclass(frozen=True)
class Lexicon:
    """Everything language-specific the rules need, lower-case keys.

    ``valence`` maps words and phrases to VADER's -4..4 scale.  ``negated``
    gives words that are neutral (or only mildly positive) alone a valence
    for when they are negated: "angekommen" says nothing, "nicht
    angekommen" is a complaint, and "ne marche pas" more than a mild
    "marche" flipped.  ``post_negation``: a negator after the word in the
    same clause negates it, as in German, Dutch and spoken French ("Das
    funktioniert nicht", "ça marche pas").  ``suffixes``: inflection endings
    stripped from unknown words before giving up ("schnelle" -> "schnell").
    ``elision``: a pattern that splits "n'est" into "ne est".
    """

    language: str
    valence: dict[str, float]
    boosters: dict[str, float]
    negators: frozenset[str]
    spelling: dict[str, str] = field(default_factory=dict)
    contrasts: frozenset[str] = frozenset()
    concessions: frozenset[str] = frozenset()
    negated: dict[str, float] = field(default_factory=dict)
    #: Polite or conventional words ("thanks") that, in a comment whose other
    #: words complain, are sarcasm or a sign-off and must not outweigh it.
    courtesy: frozenset[str] = frozenset()
    #: Words that make a question a complaint ("why", "warum", "pourquoi").
    complaint_questions: frozenset[str] = frozenset()
    post_negation: bool = False
    #: Words a negation after them looks past to the verb it negates
    #: ("funktioniert leider nicht"); they are not negated themselves.
    transparent: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()
    elision: re.Pattern[str] | None = None
    #: Negators that also negate the word before them (post-negation);
    #: empty means all of ``negators``.  French "ne" only looks ahead.
    post_negators: frozenset[str] = frozenset()
    #: Subordinating words that open a new clause for negation ("dass",
    #: "que", "dat"): "Schade, dass es nicht geht" does not negate "schade".
    clause_words: frozenset[str] = frozenset()
    #: "since"/"seit"/"depuis" + a time unit ("seit zwei Wochen", "since
    #: Monday") is a complaint about waiting.
    since_words: frozenset[str] = frozenset()
    time_units: frozenset[str] = frozenset()
    #: A resolution word ("solved", "gelöst") cancels the problem nouns
    #: ("problem", "Problem", "souci") in its clause.
    resolution_words: frozenset[str] = frozenset()
    problem_words: frozenset[str] = frozenset()
    #: Words that open a question asking for information ("can", "is",
    #: "how"): a problem word in it is asked about, not complained of ("Can
    #: I cancel my order?"), so its valence is damped.
    question_openers: frozenset[str] = frozenset()
    #: "waited" / "on hold" ... + a quantity + a time unit ("on hold for 45
    #: minutes", "been trying for two days"): waiting, a complaint.
    wait_cues: frozenset[str] = frozenset()
    quantities: frozenset[str] = frozenset()
    duration_units: frozenset[str] = frozenset()
    #: Praise words a comment opens or closes with sarcastically ("Great,
    #: another delay.", "Cancelled again. Perfect.").
    sarcasm_words: frozenset[str] = frozenset()
    phrases: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.phrases:
            extra = dict.fromkeys(self.courtesy | self.complaint_questions, 0.0)
            object.__setattr__(self, "phrases", phrase_index(self.valence, self.boosters, self.negated, extra))

    def is_negator(self, word: str) -> bool:
        """True for "not", "nicht", "pas", ... and English n't forms."""
        return word in self.negators or (self.language == "en" and word.endswith("n't"))


def phrase_index(*tables: dict[str, float]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """First word -> the multi-word keys starting with it, longest first."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for table in tables:
        for key in table:
            words = tuple(key.split())
            if len(words) > 1:
                index.setdefault(words[0], []).append(words)
    return {w: tuple(sorted(set(p), key=len, reverse=True)) for w, p in index.items()}


def fold_accents(word: str) -> str:
    """ "décevant" -> "decevant": how comments typed without accents spell it."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("ß", "ss")


def with_folded_keys(table: dict[str, float], umlaut_e: bool = False) -> dict[str, float]:
    """The table plus accent-free spellings of its keys ("enttauscht", and
    with ``umlaut_e`` also "enttaeuscht"), never overriding a real entry."""
    extra: dict[str, float] = {}
    for key, value in table.items():
        if key.isascii():
            continue
        variants = [fold_accents(key)]
        if umlaut_e:
            variants.append(key.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss"))
        for variant in variants:
            if variant not in table:
                extra.setdefault(variant, value)
    return {**extra, **table}


#: Variation selectors, skin tones (U+1F3FB..U+1F3FF) and the zero-width joiner.
_EMOJI_MODIFIERS = dict.fromkeys([0xFE0E, 0xFE0F, 0x200D, *range(0x1F3FB, 0x1F400)])


def strip_emoji_modifiers(text: str) -> str:
    """Drop variation selectors, skin tones and joiners so "👍🏽" is "👍"."""
    return text.translate(_EMOJI_MODIFIERS)
