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
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from collector.sentiment.tables import CAPS_STEP, NEGATION_SCALAR, Lexicon, fold_accents, strip_emoji_modifiers

WORD, PUNCT, SYMBOL = 0, 1, 2

#: Words (with inner apostrophes, hyphens or slashes: "didn't", "sign-up",
#: "10/10"), runs of !/?, clause punctuation, or any other single symbol
#: except quotes and brackets, which would split phrases such as
#: 'still "processing"'.
_TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*(?:[-/][^\W_]+)*|[!?]+|[.,;:]|[^\s\w\"'()\[\]*]")
_STRETCH_RE = re.compile(r"(.)\1{2,}")
#: Emoticons commonly typed straight after a word ("thanks:)").
_TRAILING_EMOTICON_RE = re.compile(r"(?<=\w)(:-?\)+|:-?\(+|:-?D|;-?\)|:-?P|<3)$")
_CLAUSE_END = frozenset(".,;:!?")
#: How far (in words) a booster or negator reaches, and how it fades.
_REACH = (1.0, 0.95, 0.9)
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
#: Words that may stand before a sarcastic opener ("Oh good, ...").
_OPENER_FILLERS = frozenset({"oh", "well", "just", "wow", "na", "ah", "yay", "ach", "och", "tiens", "ah bah", "nou"})
_CLOCK_RE = re.compile(r"^\d+(?:am|pm|h|uhr)?$")


class Token(NamedTuple):
    """One unit of the comment: normalised text, kind and emphasis flags."""

    norm: str
    kind: int
    caps: bool = False
    stretched: bool = False


class Assessment(NamedTuple):
    """What the rules found: normalised score, raw sum, sentiment hits and
    the mean of the hit words' valences on TextBlob's -1..1 scale."""

    compound: float
    total: float
    hits: int
    mean: float
    #: Every sentence of the comment is a question.
    asking: bool = False


class Contribution(NamedTuple):
    """One token's share of the score, and the rules that shaped it."""

    token: str
    valence: float
    rules: tuple[str, ...]


def _lookup(word: str, lex: Lexicon, cache: dict[str, str]) -> str:
    """The form of ``word`` the lexicon knows: spelling, accents, inflection."""
    hit = cache.get(word)
    if hit is not None:
        return hit
    found = word
    tables = (lex.valence, lex.boosters, lex.negated)
    if not any(word in t for t in tables) and word not in lex.negators:
        candidates = [fold_accents(word)] if not word.isascii() else []
        for suffix in lex.suffixes:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                candidates.append(word[: -len(suffix)])
        for candidate in candidates:
            if any(candidate in t for t in tables):
                found = candidate
                break
    if len(cache) < 50_000:
        cache[word] = found
    return found


_CACHES: dict[str, dict[str, str]] = {}


def _normalise_word(raw: str, lex: Lexicon) -> tuple[str, bool]:
    """Lower-case, fix spelling, undo stretching; report whether it was stretched."""
    word = raw.lower().replace("’", "'")
    word = lex.spelling.get(word, word)
    valence, boosters = lex.valence, lex.boosters
    if word in valence or word in boosters or word in lex.negators:
        return word, False
    if _STRETCH_RE.search(word):
        for squeezed in (_STRETCH_RE.sub(r"\1\1", word), _STRETCH_RE.sub(r"\1", word)):
            squeezed = lex.spelling.get(squeezed, squeezed)
            if squeezed in valence or squeezed in boosters or lex.is_negator(squeezed):
                return squeezed, True
    if lex.suffixes or not word.isascii():
        word = _lookup(word, lex, _CACHES.setdefault(lex.language, {}))
    return word, False


def tokenize(text: str, lex: Lexicon) -> list[Token]:
    """Split a comment into word, punctuation and symbol tokens.

    Emoticons are recognised on whole whitespace-separated chunks (as VADER
    does) so URLs and times do not turn into faces; emoji are single symbol
    tokens.
    """
    from collector.sentiment.lexicon import EMOTICONS

    if lex.elision is not None:
        text = lex.elision.sub(r"\1e ", text)
    tokens: list[Token] = []
    for chunk in text.split():
        if chunk in EMOTICONS:
            tokens.append(Token(chunk, SYMBOL))
            continue
        trailing = _TRAILING_EMOTICON_RE.search(chunk)
        if trailing:
            chunk = chunk[: trailing.start()]
        for match in _TOKEN_RE.finditer(chunk):
            raw = match.group()
            if raw[0].isalnum():
                norm, stretched = _normalise_word(raw, lex)
                caps = len(raw) > 1 and raw.isupper()
                tokens.append(Token(norm, WORD, caps, stretched))
            elif raw[0] in "!?" or raw in _CLAUSE_END:
                tokens.append(Token(raw, PUNCT))
            else:
                tokens.append(Token(raw, SYMBOL))
        if trailing:
            tokens.append(Token(trailing.group(), SYMBOL))
    return _merge_phrases(tokens, lex)


def _merge_phrases(tokens: list[Token], lex: Lexicon) -> list[Token]:
    """Replace known multi-word phrases by one token, longest match first."""
    merged: list[Token] = []
    i, n = 0, len(tokens)
    phrases = lex.phrases
    while i < n:
        token = tokens[i]
        candidates = phrases.get(token.norm) if token.kind == WORD else None
        if candidates:
            for phrase in candidates:
                end = i + len(phrase)
                if end <= n and all(
                    tokens[i + k].kind == WORD and tokens[i + k].norm == phrase[k] for k in range(1, len(phrase))
                ):
                    parts = tokens[i:end]
                    merged.append(
                        Token(" ".join(phrase), WORD, all(p.caps for p in parts), any(p.stretched for p in parts))
                    )
                    i = end
                    break
            else:
                merged.append(token)
                i += 1
        else:
            merged.append(token)
            i += 1
    return merged


def _clause_weights(tokens: list[Token], lex: Lexicon) -> list[float]:
    """Weight of each token from contrast ("but") and concession ("although").

    Before the last "but"/"however": 0.5; after it: 1.5.  Inside a clause
    opened by "although"/"though"/"despite" (up to the next punctuation or
    "but"): 0.5.
    """
    weights = [1.0] * len(tokens)
    contrasts, concessions = lex.contrasts, lex.concessions
    contrast = -1
    for i, token in enumerate(tokens):
        if token.kind == WORD and token.norm in contrasts:
            contrast = i
    if 0 < contrast < len(tokens) - 1:
        for i in range(contrast):
            weights[i] = 0.5
        for i in range(contrast + 1, len(tokens)):
            weights[i] = 1.5
    inside = False
    for i, token in enumerate(tokens):
        if token.kind == WORD and token.norm in concessions:
            inside = True
        elif token.kind == PUNCT or (token.kind == WORD and token.norm in contrasts):
            inside = False
        if inside:
            weights[i] *= 0.5
    return weights


def _questions(tokens: list[Token]) -> list[bool]:
    """Per token: is it in a sentence that ends with a question mark?"""
    flags = [False] * len(tokens)
    asking = False
    for i in range(len(tokens) - 1, -1, -1):
        token = tokens[i]
        if token.kind == PUNCT and token.norm[0] in ".!?":
            asking = "?" in token.norm
        flags[i] = asking
    return flags


def _sentiment_follows(tokens: list[Token], i: int, lex: Lexicon) -> bool:
    """True if a sentiment word follows tokens[i] within reach in its clause."""
    for token in tokens[i + 1 : i + 1 + len(_REACH)]:
        if token.kind != WORD or token.norm in lex.contrasts:
            return False
        if token.norm in lex.valence or token.norm in lex.negated:
            return True
    return False


def _negated_after(tokens: list[Token], i: int, lex: Lexicon) -> bool:
    """Post-negation: a negator after tokens[i] in its clause that negates
    nothing after it ("Das funktioniert leider nicht")."""
    post = lex.post_negators or lex.negators
    for j in range(i + 1, min(len(tokens), i + 1 + len(_REACH) + 1)):
        token = tokens[j]
        if token.kind != WORD or token.norm in lex.contrasts or token.norm in lex.clause_words:
            return False
        if token.norm in post:
            return not _sentiment_follows(tokens, j, lex)
        if token.norm in lex.transparent:
            continue
        if token.norm in lex.valence and token.norm not in lex.boosters:
            return False
    return False


def _word_valence(
    tokens: list[Token], i: int, lex: Lexicon, shouting: bool, mixed_caps: bool, why: list[str] | None
) -> float:
    """Valence of tokens[i] after caps, boosters and negation in its clause."""
    token = tokens[i]
    word = token.norm
    valence = lex.valence.get(word, 0.0)
    when_negated = lex.negated.get(word)
    if not valence and when_negated is None:
        return 0.0
    boosters = lex.boosters
    if word in boosters:
        # "super easy", "pretty good": the degree word only strengthens.
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if nxt is not None and nxt.kind == WORD and nxt.norm in lex.valence:
            return 0.0
    if lex.is_negator(word) and _sentiment_follows(tokens, i, lex):
        # "no hidden costs": "no" flips what follows, it is not a complaint.
        return 0.0
    negated = False
    boost = 0.0
    seen = 0
    j = i - 1
    while j >= 0 and seen < len(_REACH):
        prev = tokens[j]
        if prev.kind == PUNCT or (prev.kind == WORD and (prev.norm in lex.contrasts or prev.norm in lex.clause_words)):
            break
        if prev.kind == WORD:
            if (
                (prev.norm in lex.valence or prev.norm in lex.negated)
                and prev.norm not in boosters
                and not lex.is_negator(prev.norm)
            ):
                # A negation reaches only the first sentiment word after it:
                # "not worth the hassle" does not make the hassle good.
                break
            step = boosters.get(prev.norm)
            if step:
                step *= _REACH[seen]
                if prev.caps and mixed_caps:
                    step += CAPS_STEP if step > 0 else -CAPS_STEP
                boost += step
            elif lex.is_negator(prev.norm):
                negated = True
            seen += 1
        j -= 1
    rule = None
    if not negated and lex.post_negation and word not in lex.transparent and _negated_after(tokens, i, lex):
        negated = True
        rule = "negated after"
    if negated and when_negated is not None:
        if why is not None:
            why.append("negated expectation")
        return when_negated * (1.0 + max(boost, 0.0) * 0.5)
    if not valence:
        return 0.0
    sign = 1.0 if valence > 0 else -1.0
    if (token.caps and mixed_caps) or token.stretched:
        valence += sign * CAPS_STEP
        if why is not None:
            why.append("emphasis")
    elif shouting:
        valence += sign * CAPS_STEP * 0.5
        if why is not None:
            why.append("shouting")
    if boost:
        valence += sign * boost
        if why is not None:
            why.append("booster" if boost > 0 else "damper")
    if negated:
        valence *= NEGATION_SCALAR
        if why is not None:
            why.append(rule or "negated")
    return valence


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


def _sarcastic_opener(tokens, lex, valences, reasons, tracing) -> None:
    """ "Great, another delay.", "Génial, encore un retard.": a lone positive
    opener before a complaint is sarcasm."""
    end = next((k for k, t in enumerate(tokens) if t.kind == PUNCT and t.norm[0] in ",.!"), None)
    if end is None or end == 0 or end > 3 or end == len(tokens) - 1:
        return
    opener = range(end)
    if not all(
        tokens[k].kind == WORD and (valences[k] > 0 or tokens[k].norm in _OPENER_FILLERS) for k in opener
    ) or not any(valences[k] > 0 for k in opener):
        return
    if sum(valences[end + 1 :]) <= -1.0:
        for k in opener:
            if valences[k] > 0:
                valences[k] = -valences[k] * 0.5
                reasons[k] = ["sarcastic opener"] if tracing else None


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
    weights = _clause_weights(tokens, lex)
    questions = _questions(tokens) if "?" in text else None
    sarcastic = not text.isascii() and any(t.kind == SYMBOL and t.norm in SARCASM_EMOJI for t in tokens)
    valences = [0.0] * len(tokens)
    reasons: list[list[str] | None] = [None] * len(tokens)
    courtesy_at: list[int] = []
    start_of_sentence = True
    for i, token in enumerate(tokens):
        why: list[str] | None = [] if trace is not None else None
        if token.kind == WORD:
            if questions is not None and start_of_sentence and token.norm in lex.complaint_questions and questions[i]:
                valence = COMPLAINT_QUESTION_VALENCE
                if why is not None:
                    why.append("why-question")
            else:
                valence = _word_valence(tokens, i, lex, shouting, mixed_caps, why)
            if valence > 0 and questions is not None and questions[i]:
                valence *= QUESTION_POSITIVE_SHARE
                if why is not None:
                    why.append("in a question")
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
    _sarcastic_opener(tokens, lex, valences, reasons, trace is not None)
    if courtesy_at:
        rest = sum(valences) - sum(valences[i] for i in courtesy_at)
        if rest <= -1.0:
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
    return Assessment(compound, total, hits, mean / hits if hits else 0.0, asking), tokens
