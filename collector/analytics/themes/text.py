"""Words of a comment as the theme engine sees them: tokens, stopwords, lemmas.

Why per language: "card declined", "Karte abgelehnt" and "carte refusée"
only group when plural, tense and elision are folded away, and a word that
carries no reason ("the", "der", "le", "ok", "thanks") must not start a theme.
Lemmas come from :mod:`.dictionary` (simplemma's bundled dictionaries);
German compounds ("Versandkosten") also yield their parts ("versand",
"kosten") so they meet the comments that wrote the words apart.

A :class:`Token` keeps the word as written (for labels: a label is a phrase
people wrote) beside its lemma (for grouping).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from collector.analytics.themes.dictionary import compound_parts, is_known, lemma, lemmas
from collector.analytics.themes.lexicon import concept_features

_WORD = re.compile(r"[^\W_]+(?:['’][^\W\d_]+)?", re.UNICODE)

# Function words: carry no reason of their own.  Kept short on purpose: a
# generic stopword list (stopwordsiso's English has 1,298 entries) drops
# "order", "problem", "work" and "page", which are what CX comments are about.
_STOP = {
    "en": """
a about above after again against all almost also am an and any are aren as at be because been before being
below between both but by can cannot could couldn did didn do does doesn doing don down during each either even
ever every few for from further had hadn has hasn have haven having he her here hers herself him himself his how
however i if in into is isn it its itself just let me more most much must mustn my myself neither no nor not now
of off on once only or other our ours ourselves out over own same shall shan she should shouldn since so some
still such than that the their theirs them themselves then there these they this those though through thus to
too under until up upon us very was wasn we were weren what when where whether which while who whom whose why
will with won would wouldn yet you your yours yourself yourselves via per etc cant wont dont didnt doesnt isnt
arent wasnt werent couldnt wouldnt shouldnt havent hasnt hadnt im ive id ill youre thats theres whats u ur
another anything anyone anywhere everything nothing something someone somewhere yes yeah one two three four five
times time way really actually already again always never quite bit lot lots also maybe perhaps else instead
like unlike get got getting gets make makes made making want wants wanted try tried trying tries say says said
go goes going went gone keep keeps kept come comes came seem seems seemed know knew think thought see saw seen
look looks looked use used using need needs needed give gave take took taken let lets put tell told ask asked
be do have am is are was were being been has had having does did doing would should could might may must
""",
    "de": """
aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes anders auch auf aus
bei beim bin bis bist da dabei damit dann das dass dein deine dem den denn der des dessen deshalb dich die dies
diese diesem diesen dieser dieses dir doch dort du durch ein eine einem einen einer eines einmal er es etwas euch
euer eure für gegen gewesen hab habe haben hat hatte hätte hier hin hinter ich ihm ihn ihnen ihr ihre im in ist
ja jede jedem jeden jeder jedes jetzt kann kein keine keinem keinen keiner können könnte man manche mehr mein
meine meinem meinen meiner mich mir mit muss musste nach nicht nichts noch nun nur ob oder ohne schon sehr sein
seine sich sie sind so solche soll sollte sondern sonst über um und uns unser unter viel vom von vor war waren
warum was weil welche welchem welchen welcher wenn wer werde werden wie wieder will wir wird wo wurde würde zu zum
zur zwar zwischen immer einfach mal halt eben gar ganz bitte sein haben werden können müssen sollen wollen dürfen
mögen machen gehen geben kommen sagen lassen tun sehen steht stehen gibt weiß nie mehrmals trotzdem obwohl sowie
""",
    "fr": """
a à ai aie aient aies ait as au aucun aucune aura aurai auraient aurais aurait aux avaient avais avait avec avez
avoir avons ayant c ça ce ceci cela celle celles celui ces cet cette chez comme comment d dans de des du elle
elles en encore es est et été étaient étais était être eu eux fait faire fut il ils j je l la le les leur
leurs lui m ma mais me même mes moi mon n ne ni nos notre nous on ont ou où par pas peu peut plus pour pourquoi
qu quand que quel quelle quelles quels qui s sa sans se ses si son sont sous suis sur t ta te tes toi ton tous
tout toute toutes très tu un une vos votre vous y alors aussi bien donc déjà jamais rien toujours trop vraiment
faut falloir aller venir dire voir mettre savoir vouloir pouvoir devoir fais font va vais vont sera serait
""",
}

# Words that say how it went, not why: "ok", "thanks", "great".  A comment
# made only of these fits no theme; they never start or name one.
_FILLER = {
    "en": """
ok okay fine good great nice thanks thank cheers hi hello please pls lol awesome excellent perfect amazing love
happy bad terrible awful horrible annoying meh cool super well easy quick smooth comment nope nah hey wow sure
all everything anything fab brilliant lovely
""",
    "de": """
ok okay gut super toll danke bitte hallo prima klasse schön schlecht nervig alles bestens perfekt passt einfach
schnell lg
""",
    "fr": """
ok bien bon bonne super merci bonjour parfait génial top nul mal sympa cool svp stp oui non ça va
""",
}

# Words that occur in comments about any reason ("doesn't work", "no option",
# "the button"): useful beside other words, never a theme alone.
_WEAK = {
    "en": "work works working problem problems issue issues option options button thing things error page site website order",
    "de": "funktionieren gehen problem fehler option seite bestellung möglich",
    "fr": "fonctionner marcher problème erreur option page site commande possible impossible",
}

# English contractions whose stem is a content word after the apostrophe is dropped.
_ELISION_FR = {"l", "d", "j", "n", "m", "t", "s", "c", "qu", "jusqu", "lorsqu", "puisqu"}


def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


def _read(block: str, language: str) -> frozenset[str]:
    """The words as written and as the engine reads them (a German "fehler" is the feature "error")."""
    return frozenset(form for word in block.split() for form in (word, lemma(word, language)))


STOPWORDS = {lang: _words(block) for lang, block in _STOP.items()}
FILLER = {lang: _read(block, lang) for lang, block in _FILLER.items()}
#: One set for all languages: at a step where comments mix languages, a generic
#: word is generic whichever language wrote it.
WEAK_ANY = frozenset().union(*(_read(block, lang) for lang, block in _WEAK.items()))


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a comment: as written (lowercased) and its lemma."""

    surface: str
    lemma: str
    position: int
    stop: bool  # a function or filler word: no feature of its own


def normalise(text: str) -> str:
    """NFKC, one kind of apostrophe, lowercase (German casing is kept for lemmas)."""
    return unicodedata.normalize("NFKC", text or "").replace("’", "'").replace("`", "'")


def _pieces(text: str, language: str):
    for match in _WORD.finditer(text):
        word = match.group(0)
        if "'" in word:
            head, _, rest = word.partition("'")
            lower_head = head.lower()
            if language == "fr" and lower_head in _ELISION_FR:
                word = rest
            elif rest.lower() in {"t", "s", "ll", "ve", "re", "d", "m"}:
                # "doesn't" → "doesn", "card's" → "card": the stem is what counts.
                word = head
            else:
                word = head + rest
        yield word


def tokens(text: str, language: str) -> list[Token]:
    """The words of a comment with their lemmas; digits and one-letter words dropped."""
    stop = STOPWORDS.get(language, STOPWORDS["en"])
    filler = FILLER.get(language, FILLER["en"])
    result: list[Token] = []
    for position, word in enumerate(_pieces(normalise(text), language)):
        lower = word.lower()
        if len(lower) < 2 or lower.isdigit():
            continue
        native, base = lemmas(word, language)
        is_stop = lower in stop or native in stop or lower in filler or native in filler
        result.append(Token(lower, base, position, is_stop))
    return result


def is_weak(feature: str, language: str) -> bool:
    """A generic word that may support a theme but never name one by itself (in any language)."""
    return feature in WEAK_ANY


def is_filler(word: str, language: str) -> bool:
    return word in FILLER.get(language, FILLER["en"])


#: Two content words form a phrase feature when at most this many words stand
#: between them ("card was declined", "frais de port").
PHRASE_GAP = 2


def content(toks: list[Token], corrections: dict[str, str] | None = None) -> list[Token]:
    """The tokens that can carry a reason, misspellings replaced by what they meant."""
    out = []
    for token in toks:
        if token.stop:
            continue
        if corrections and token.lemma in corrections:
            token = Token(token.surface, corrections[token.lemma], token.position, False)
        out.append(token)
    return out


def features(toks: list[Token], language: str, corrections: dict[str, str] | None = None) -> dict[str, str]:
    """A comment's features with the words as written for each.

    Features are content lemmas, pairs of neighbouring content lemmas
    (sorted, so "card declined" and "declined card" are one feature) and the
    concepts of :mod:`.lexicon` the words belong to ("~price").  The
    value is the span the comment wrote, stopwords between kept, which is
    what a label shows.
    """
    words = content(toks, corrections)
    surfaces = {token.position: token.surface for token in toks}
    found: dict[str, str] = {}
    for token in words:
        found.setdefault(token.lemma, token.surface)
        parts = compound_parts(token.lemma) if language == "de" else ()
        for part in parts:
            # Shown as the compound people wrote ("versandkosten"), not the bare part.
            found.setdefault(part, token.surface)
        if len(parts) == 2 and parts[0] != parts[1]:
            # A compound is also the phrase of its parts: "Versandkosten" meets "Kosten für den Versand".
            found.setdefault(" ".join(sorted(parts)), token.surface)
    lemmas = [token.lemma for token in words]
    if language == "de":
        lemmas += [part for token in words for part in compound_parts(token.lemma)]
    for concept in concept_features(lemmas, language):
        found.setdefault(concept, "")
    for first, second in zip(words, words[1:]):
        if second.position - first.position > PHRASE_GAP + 1 or first.lemma == second.lemma:
            continue
        key = " ".join(sorted((first.lemma, second.lemma)))
        span = " ".join(surfaces[p] for p in range(first.position, second.position + 1) if p in surfaces)
        found.setdefault(key, span)
    return found


def deletions(word: str) -> set[str]:
    """The word with one letter left out, every way (symmetric-delete spelling)."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def corrections_for(counts: dict[str, int], language_of_lemma: dict[str, str]) -> dict[str, str]:
    """Misspelt lemmas mapped to the frequent lemma one edit away.

    Only words the dictionary does not know and that are rare are corrected
    ("declind" → "decline", "rediculous" → "ridiculous"), so "card" never
    becomes "cart".  Ties go to the more frequent word, then the
    alphabetically first: the same comments always give the same map.
    """
    frequent = sorted((w for w, n in counts.items() if n >= 3 and len(w) >= 4), key=lambda w: (-counts[w], w))
    index: dict[str, str] = {}
    for word in frequent:
        for variant in (word, *sorted(deletions(word))):
            index.setdefault(variant, word)
    fixes: dict[str, str] = {}
    for word in sorted(counts):
        if counts[word] > 2 or len(word) < 4 or word in index and index[word] == word:
            continue
        if is_known(word, language_of_lemma.get(word, "en")):
            continue
        candidates = [index[v] for v in (word, *sorted(deletions(word))) if v in index]
        candidates = [c for c in candidates if c != word and counts[c] >= 2 * counts[word]]
        if candidates:
            fixes[word] = min(candidates, key=lambda c: (-counts[c], c))
    return fixes
