"""One word's valence in its clause: boosters, negation before and after it, emphasis.

Also the two per-token readings the comment-level rules need: each token's
clause weight (contrast and concession) and whether it stands in a
question.  Negation and boosters reach back only within the clause (up to
punctuation, "but" or a clause word) and stop at the first sentiment word;
where the language negates after the verb ("funktioniert nicht"), a
negator that negates nothing after it negates the word before it.
"""

from __future__ import annotations

from collector.sentiment.tables import CAPS_STEP, NEGATION_SCALAR, Lexicon
from collector.sentiment.tokens import PUNCT, WORD, Token

#: How far (in words) a booster or negator reaches, and how it fades.
_REACH = (1.0, 0.95, 0.9)


def clause_weights(tokens: list[Token], lex: Lexicon) -> list[float]:
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


def question_flags(tokens: list[Token]) -> list[bool]:
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


def word_valence(
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
