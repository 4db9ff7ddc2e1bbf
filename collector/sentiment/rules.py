"""Rules that turn a comment into a sum of word valences, in any language.

The shape follows VADER (Hutto & Gilbert 2014), whose rules were validated
against human raters, with changes for short customer-experience comments.
Every rule reads its words from a :class:`~collector.sentiment.tables.Lexicon`,
so the same rules serve English, German, French and Dutch:

* phrases ("took forever", "charged twice", "danke für nichts") are matched
  as one token before anything else, so their own "not"/"nicht" is part of
  their meaning and not a negation of the next word;
* negation and boosters only reach back within the same clause (up to a
  comma, full stop or "but") and stop at the first sentiment word, so
  "No account needed, great" stays positive and "not worth the hassle"
  does not turn the hassle into praise;
* where the language puts the negation after the verb ("funktioniert
  nicht", "werkt niet", "ça marche pas"), a negator that is followed by no
  sentiment word of its own negates the sentiment word before it;
* some words are neutral alone but complain when negated ("nicht
  angekommen", "hasn't arrived", "pas de réponse"): they get their own
  negated valence instead of a flipped zero;
* "although"/"obwohl"/"bien que" mark a concession whose clause counts
  half; the clause after "but"/"aber"/"mais" counts one and a half times,
  the one before it half, because the last clause is usually the verdict;
* a question does not praise: positive words in a sentence ending in "?"
  count a third ("Is delivery free?"), and a question opened by "why"
  ("warum", "pourquoi", "waarom") is a complaint;
* courtesy ("thanks", "danke", "merci") counts for nothing in a comment
  whose other words complain ("Missed my flight. Thanks a lot.");
* a positive word next to an eye-roll emoji is sarcasm and counts negative;
* a comment written entirely in capitals is read as shouting and every
  sentiment word in it is strengthened;
* misspellings, missing accents, inflections and stretched words ("sooo",
  "enttauscht", "schnelle") are mapped to the words the lexicon knows.

:func:`assess` can record, per token, the valence it contributed and the
rules that shaped it, which is what :func:`collector.sentiment.explain`
shows.

The tokens come from :mod:`.tokens` and one word's valence in its clause
from :mod:`.valence`; this module holds the rules that read the whole
comment, and the sum.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from collector.sentiment.tables import Lexicon, strip_emoji_modifiers
from collector.sentiment.tokens import PUNCT, SYMBOL, WORD, Token, tokenize
from collector.sentiment.valence import clause_weights, question_flags, word_valence

#: Denominator constant of VADER's normalisation x / sqrt(x^2 + alpha).
NORMALISE_ALPHA = 15.0
#: Share of a positive word's valence left inside a question.
QUESTION_POSITIVE_SHARE = 0.33
#: Valence of a "why" question (on VADER's scale).
COMPLAINT_QUESTION_VALENCE = -1.5
#: Emoji that make the positive words of a comment sarcastic.
SARCASM_EMOJI = frozenset("🙄😒🤦")
#: Valence of a "since Monday" / "seit zwei Wochen" waiting period.
WAITING_VALENCE = -1.4
#: Share of a problem word's valence left in an information question ("Can
#: I cancel my order?"); stronger complaints keep theirs.
QUESTION_NEGATIVE_SHARE = 0.3
STRONG_COMPLAINT = -2.2
#: Valence of "6 times", "several times": having to repeat oneself.
REPEAT_VALENCE = -1.0
_REPEAT_WORDS = frozenset({"several", "multiple", "many", "countless", "numerous"})
_NUMBER_WORDS = frozenset({"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "a dozen"})
#: "took 10 minutes" to do something in a checkout is slow; "took less
#: than a minute" is not.
_TOOK = frozenset({"took", "takes", "taking", "take"})
_SHORT_UNITS = frozenset({"minutes", "mins", "hour", "hours", "hrs"})
_SHORT_TIME = frozenset({"less", "under", "only", "just", "within", "in"})
#: Double-quoted words ("the "express" delivery"), at most three.
_SCARE_QUOTES_RE = re.compile(r'["“]([^"“”]{1,40})["”]')
#: Words that may stand before a sarcastic opener ("Oh good, ...").
_OPENER_FILLERS = frozenset({"oh", "well", "just", "wow", "na", "ah", "yay", "ach", "och", "tiens", "ah bah", "nou"})
_CLOCK_RE = re.compile(r"^\d+(?:am|pm|h|uhr)?$")


class Assessment(NamedTuple):
    """What the rules found: normalised score, raw sum, sentiment hits and
    the mean of the hit words' valences on TextBlob's -1..1 scale."""

    compound: float
    total: float
    hits: int
    mean: float
    #: Every sentence of the comment is a question.
    asking: bool = False
    #: A sarcasm rule fired: praise words in the comment mean the opposite.
    sarcastic: bool = False
    #: Every sentence asks for information ("Can I cancel?", not "Why ...?").
    inquiring: bool = False


class Contribution(NamedTuple):
    """One token's share of the score, and the rules that shaped it."""

    token: str
    valence: float
    rules: tuple[str, ...]


def _waiting_periods(tokens, lex, valences, reasons, tracing) -> None:
    """ "since Monday", "seit zwei Wochen", "depuis des jours": waiting is a complaint."""
    for i, token in enumerate(tokens):
        if token.kind == WORD and token.norm in lex.since_words and not valences[i]:
            for nxt in tokens[i + 1 : i + 4]:
                if nxt.kind != WORD:
                    break
                if nxt.norm in lex.time_units or _CLOCK_RE.match(nxt.norm):
                    valences[i] = WAITING_VALENCE
                    reasons[i] = ["waiting period"] if tracing else None
                    break


def _resolved_problems(tokens, lex, valences, reasons, tracing) -> None:
    """ "solved my problem", "Problem war schnell gelöst": the problem is praise now."""
    start = 0
    for end in range(len(tokens) + 1):
        if end < len(tokens) and not (tokens[end].kind == PUNCT or tokens[end].norm in lex.contrasts):
            continue
        clause = range(start, end)
        if any(tokens[k].norm in lex.resolution_words for k in clause):
            for k in clause:
                if tokens[k].norm in lex.problem_words and valences[k] < 0:
                    valences[k] = 0.0
                    reasons[k] = ["problem resolved"] if tracing else None
        start = end + 1


def _sarcastic_opener(tokens, lex, valences, reasons, tracing) -> bool:
    """ "Great, another delay.", "Génial, encore un retard.": a lone positive
    opener before a complaint is sarcasm."""
    end = next((k for k, t in enumerate(tokens) if t.kind == PUNCT and t.norm[0] in ",.!"), None)
    if end is None or end == 0 or end > 3 or end == len(tokens) - 1:
        return False
    return _flip_if_sarcastic(tokens, range(end), valences[end + 1 :], lex, valences, reasons, tracing, "opener")


def _sarcastic_closer(tokens, lex, valences, reasons, tracing) -> bool:
    """ "Cancelled again. Perfect.", "Late again, great.": a lone praise word
    closing a complaint is sarcasm."""
    end = len(tokens)
    while end and tokens[end - 1].kind == PUNCT:
        end -= 1
    start = end
    while start and tokens[start - 1].kind != PUNCT:
        start -= 1
    if start == 0 or end - start > 3:
        return False
    return _flip_if_sarcastic(tokens, range(start, end), valences[:start], lex, valences, reasons, tracing, "closer")


def _flip_if_sarcastic(tokens, praise, rest, lex, valences, reasons, tracing, where) -> bool:
    """Flip the praise words in ``praise`` if they are all praise or fillers
    and the ``rest`` of the comment complains."""
    words = lex.sarcasm_words

    def is_praise(k: int) -> bool:
        return valences[k] > 0 and (not words or tokens[k].norm in words)

    if not all(tokens[k].kind == WORD and (is_praise(k) or tokens[k].norm in _OPENER_FILLERS) for k in praise):
        return False
    if not any(is_praise(k) for k in praise) or sum(rest) > -1.0:
        return False
    for k in praise:
        if valences[k] > 0:
            valences[k] = -valences[k] * 0.5
            reasons[k] = [f"sarcastic {where}"] if tracing else None
    return True


def _scare_quoted(text: str, tokens, valences, reasons, tracing) -> bool:
    """'Thanks for the "help"', 'the "express" delivery': praise in quotes is sarcasm."""
    quoted = set()
    for span in _SCARE_QUOTES_RE.findall(text):
        words = span.lower().split()
        if len(words) <= 3:
            quoted.update(w.strip(".,!?") for w in words)
    fired = False
    for k, token in enumerate(tokens):
        if valences[k] > 0 and token.kind == WORD and token.norm in quoted:
            valences[k] = -valences[k] * 0.5
            reasons[k] = ["scare quotes"] if tracing else None
            fired = True
    return fired


def _repeats_and_durations(tokens, lex, valences, reasons, tracing) -> None:
    """ "on hold for 45 minutes", "waited three hours", "called 6 times":
    waiting and repeating oneself are complaints without a sentiment word."""
    for i in range(1, len(tokens)):
        token = tokens[i]
        if token.kind != WORD or valences[i]:
            continue
        before = tokens[i - 1]
        if before.kind != WORD:
            continue
        if before.norm == "keep" and token.norm.endswith("ing") and not valences[i - 1]:
            # "keep refreshing", "keep getting logged out"
            valences[i - 1] = REPEAT_VALENCE
            reasons[i - 1] = ["repeated"] if tracing else None
            continue
        number = before.norm.isdigit()
        if token.norm == "times":
            if (number and int(before.norm) >= 2) or before.norm in _REPEAT_WORDS or before.norm in _NUMBER_WORDS:
                valences[i] = REPEAT_VALENCE
                reasons[i] = ["repeated"] if tracing else None
            continue
        if token.norm not in lex.duration_units or not (number or before.norm in lex.quantities):
            continue
        after = tokens[i + 1].norm if i + 1 < len(tokens) else ""
        cue = after == "later"
        for prev in tokens[max(0, i - 6) : i - 1]:
            if prev.kind == PUNCT or prev.norm in _SHORT_TIME:
                cue = False
            elif prev.norm in lex.wait_cues or (prev.norm in _TOOK and token.norm in _SHORT_UNITS):
                cue = True
        if cue:
            valences[i] = WAITING_VALENCE
            reasons[i] = ["waiting time"] if tracing else None


def _punctuation_emphasis(text: str) -> float:
    """Extra strength from "!" (up to four) and from "??" runs, as in VADER."""
    emphasis = min(text.count("!"), 4) * 0.292
    questions = text.count("?")
    if questions > 1:
        emphasis += min(questions * 0.18, 0.96)
    return emphasis


def assess(text: str, lex: Lexicon, trace: list[Contribution] | None = None) -> tuple[Assessment, list[Token]]:
    """Score a comment with the rules; also return its tokens for reuse.

    With ``trace``, append one :class:`Contribution` per token that moved
    the score.
    """
    from collector.sentiment.lexicon import EMOJI, EMOTICONS

    if not text.isascii():
        text = strip_emoji_modifiers(text)
    tokens = tokenize(text, lex)
    caps_words = sum(1 for t in tokens if t.kind == WORD and t.caps)
    long_words = sum(1 for t in tokens if t.kind == WORD and len(t.norm) > 1)
    shouting = long_words >= 2 and caps_words >= long_words
    mixed_caps = 0 < caps_words < long_words
    weights = clause_weights(tokens, lex)
    questions = question_flags(tokens) if "?" in text else None
    sarcastic = not text.isascii() and any(t.kind == SYMBOL and t.norm in SARCASM_EMOJI for t in tokens)
    valences = [0.0] * len(tokens)
    reasons: list[list[str] | None] = [None] * len(tokens)
    courtesy_at: list[int] = []
    start_of_sentence = True
    inquiring = questions is not None and bool(lex.question_openers)
    informational = False
    for i, token in enumerate(tokens):
        why: list[str] | None = [] if trace is not None else None
        if token.kind == WORD:
            if start_of_sentence:
                informational = token.norm in lex.question_openers
                if questions is not None and questions[i] and not informational:
                    inquiring = False
            if questions is not None and start_of_sentence and token.norm in lex.complaint_questions and questions[i]:
                valence = COMPLAINT_QUESTION_VALENCE
                inquiring = False
                if why is not None:
                    why.append("why-question")
            else:
                valence = word_valence(tokens, i, lex, shouting, mixed_caps, why)
            if valence > 0 and questions is not None and questions[i]:
                valence *= QUESTION_POSITIVE_SHARE
                if why is not None:
                    why.append("in a question")
            elif STRONG_COMPLAINT < valence < 0 and informational and questions is not None and questions[i]:
                valence *= QUESTION_NEGATIVE_SHARE
                if why is not None:
                    why.append("asked about")
            if valence > 0 and sarcastic:
                valence = -valence * 0.5
                if why is not None:
                    why.append("sarcasm emoji")
            if valence > 0 and token.norm in lex.courtesy:
                courtesy_at.append(i)
            start_of_sentence = False
        elif token.kind == SYMBOL:
            valence = EMOJI.get(token.norm) or EMOTICONS.get(token.norm) or EMOTICONS.get(token.norm.lower(), 0.0)
        else:
            start_of_sentence = token.norm[0] in ".!?"
            continue
        if valence:
            valences[i] = valence * weights[i]
            reasons[i] = why
    norms = {t.norm for t in tokens}
    if not lex.since_words.isdisjoint(norms):
        _waiting_periods(tokens, lex, valences, reasons, trace is not None)
    if not lex.resolution_words.isdisjoint(norms):
        _resolved_problems(tokens, lex, valences, reasons, trace is not None)
    tracing = trace is not None
    if lex.duration_units:
        _repeats_and_durations(tokens, lex, valences, reasons, tracing)
    sarcastic = _sarcastic_opener(tokens, lex, valences, reasons, tracing) or sarcastic
    if lex.sarcasm_words:
        sarcastic = _sarcastic_closer(tokens, lex, valences, reasons, tracing) or sarcastic
        if '"' in text or "“" in text:
            sarcastic = _scare_quoted(text, tokens, valences, reasons, tracing) or sarcastic
    if courtesy_at:
        rest = sum(valences) - sum(valences[i] for i in courtesy_at)
        if rest <= -1.0 or sarcastic:
            for i in courtesy_at:
                valences[i] = 0.0
                if trace is not None:
                    trace.append(Contribution(tokens[i].norm, 0.0, ("courtesy in a complaint",)))
    total = 0.0
    hits = 0
    mean = 0.0
    for i, valence in enumerate(valences):
        if valence:
            total += valence
            hits += 1
            mean += max(-1.0, min(1.0, valence / 3.0))
            if trace is not None:
                rules = tuple(reasons[i] or ())
                if weights[i] != 1.0:
                    rules += (f"clause weight {weights[i]:.2g}",)
                trace.append(Contribution(tokens[i].norm, round(valence, 3), rules))
    if total:
        total += math.copysign(_punctuation_emphasis(text), total)
    compound = total / math.sqrt(total * total + NORMALISE_ALPHA)
    asking = questions is not None and all(questions[k] for k, t in enumerate(tokens) if t.kind == WORD)
    inquiring = inquiring and asking
    return Assessment(compound, total, hits, mean / hits if hits else 0.0, asking, sarcastic, inquiring), tokens
