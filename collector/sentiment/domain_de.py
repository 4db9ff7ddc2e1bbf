"""German customer-experience vocabulary, on VADER's -4..4 scale.

Entries override the German Polarity Lexicon (Klenner et al., shipped in
textblob-de), which rates words of news and reviews: it knows "gut" and
"Problem" but not "abgelehnt", "hängt" or "Warteschleife".
"""

from __future__ import annotations

# Hand-aligned tables: several entries a line read better than one.
# fmt: off

VALENCE: dict[str, float] = {
    # -- praise ------------------------------------------------------------
    "top": 2.2, "super": 2.2, "klasse": 2.2, "spitze": 2.5, "prima": 2.0, "toll": 2.2,
    "mega": 1.8, "genial": 2.6, "perfekt": 2.6, "bestens": 2.4, "einwandfrei": 2.2,
    "reibungslos": 2.2, "problemlos": 2.0, "unkompliziert": 2.0, "easy": 1.5,
    "schnell": 1.4, "fix": 1.2, "zügig": 1.4, "pünktlich": 1.4, "einfach": 1.2,
    "übersichtlich": 1.6, "praktisch": 1.5, "bequem": 1.4, "zuverlässig": 1.8,
    "freundlich": 1.8, "nett": 1.6, "hilfsbereit": 2.0, "hilfreich": 1.8, "kompetent": 1.8,
    "zufrieden": 2.0, "begeistert": 2.6, "gerne wieder": 2.4, "gern wieder": 2.4,
    "danke": 1.6, "vielen dank": 2.0, "dankeschön": 1.8, "merci": 1.4,
    "klappt": 1.0, "geklappt": 1.2, "hat geklappt": 1.6, "funktioniert": 0.6,
    "glatt": 1.2, "lief alles glatt": 2.2, "passt": 1.0, "günstig": 1.2,
    "empfehlen": 1.8, "empfehlenswert": 2.0, "weiterempfehlen": 2.2,
    "kein problem": 1.6, "keine probleme": 1.8, "ohne probleme": 1.8,
    "nicht schlecht": 1.4, "kann mich nicht beschweren": 1.8, "kann nicht klagen": 1.6,
    "gut verpackt": 1.5, "auf anhieb": 1.0, "sofort": 0.6, "gelöst": 1.4,
    "kompliment": 2.0, "liebe": 2.0, "gefällt": 1.8, "lob": 1.8, "wow": 1.8,
    # -- effort, failures and waiting --------------------------------------
    "abgelehnt": -1.8, "fehlgeschlagen": -2.0, "abgestürzt": -2.2, "stürzt": -2.0,
    "stürzt ab": -2.2, "hängt": -1.6, "hängt fest": -1.8, "festgehangen": -1.8,
    "fehler": -1.6, "fehlermeldung": -1.8, "kaputt": -2.0, "defekt": -2.0,
    "beschädigt": -2.0, "durchnässt": -1.6, "falsch": -1.6, "falscher": -1.6, "falsche": -1.6,
    "fehlt": -1.6, "verspätet": -1.6, "verspätung": -1.6, "verzögerung": -1.4,
    "langsam": -1.5, "ewig": -1.6, "dauert ewig": -2.2, "lädt ewig": -2.2, "dauert so lange": -1.8,
    "umständlich": -1.8, "kompliziert": -1.6, "nervig": -2.0, "ärgerlich": -2.0,
    "frustrierend": -2.2, "enttäuschend": -2.2, "enttäuscht": -2.2, "sauer": -2.2,
    "unverschämt": -2.6, "unfair": -2.0, "unfreundlich": -2.2, "unmöglich": -2.0,
    "katastrophal": -3.0, "katastrophe": -2.8, "witz": -1.2, "ein witz": -2.2,
    "warteschleife": -1.6, "aufgelegt": -2.0, "storniert": -1.2, "rausgeflogen": -1.8,
    "abgebucht": -0.6, "doppelt belastet": -2.8, "doppelt abgebucht": -2.8, "zu viel berechnet": -2.2,
    "zu teuer": -1.8, "teuer": -1.2, "versteckte kosten": -2.4, "leider": -1.2,
    "nie wieder": -2.6, "immer noch": -0.8, "immer noch nicht": -1.8, "noch immer nicht": -1.8,
    "schon wieder": -1.4, "ständig": -0.8, "keiner": -0.6, "niemand": -0.6,
    "keiner meldet sich": -2.2, "meldet sich niemand": -2.2, "keine antwort": -2.0,
    "keine ahnung": -0.8, "ohne begründung": -1.6, "ohne info": -1.4, "ohne vorwarnung": -1.6,
    "seit tagen": -1.4, "seit wochen": -1.6, "seit stunden": -1.4, "seit einer woche": -1.4,
    "viel zu": -0.8, "zu lange": -1.4, "na toll": -2.2, "danke für nichts": -2.6,
    "problem": -1.2, "probleme": -1.2, "stress": -1.4, "ärger": -2.0,
    # -- neutral here although the lexicon rates them -----------------------
    "bitte": 0.1, "gutschein": 0.2, "rabatt": 0.2, "kostenlos": 0.8, "gratis": 0.8,
    "geschenk": 0.2, "neu": 0.0, "neukunde": 0.0, "hochzeit": 0.0, "support": 0.0,
    "brauche": 0.0, "arbeit": 0.0, "firma": 0.0,
    "drucken": 0.0, "lieber": 0.0, "bezahlen": 0.0, "kaufen": 0.0, "besser": 1.8, "schneller": 1.4, "wo bleibt": -1.8, "warte": -0.3,
    "warten": -0.3, "wartet": -0.3,
}

#: Neutral alone, a complaint when negated ("nicht angekommen", "keine
#: Bestätigung", "funktioniert nicht").
NEGATED: dict[str, float] = {
    "angekommen": -2.0, "ankommen": -1.8, "da": -1.2, "erhalten": -2.0, "bekommen": -1.8,
    "geliefert": -2.0, "zugestellt": -1.8, "gekommen": -1.8, "kam": -1.8,
    "funktioniert": -2.0, "funktionieren": -1.8, "funktionierte": -2.0, "funktioniert hat": -2.0,
    "klappt": -2.0, "geklappt": -2.0, "geht": -1.6, "ging": -1.6, "lädt": -1.6,
    "akzeptiert": -1.8, "angenommen": -1.8, "erreichbar": -2.0, "möglich": -1.2,
    "antwort": -2.0, "antwortet": -2.0, "reagiert": -1.8, "rückmeldung": -1.8,
    "rückruf": -1.8, "zurückgerufen": -1.8, "bestätigung": -1.6, "bestätigungsmail": -1.6,
    "info": -1.2, "information": -1.2, "erstattet": -1.8, "gelöst": -1.8,
    "verfügbar": -1.0, "zufrieden": -2.0, "gefunden": -1.4, "finden": -1.4,
    "stimmt": -1.6, "stimmen": -1.6, "passt": -1.6, "bewegt": -1.4,
}

BOOSTERS: dict[str, float] = {
    "sehr": 0.293, "echt": 0.293, "wirklich": 0.293, "total": 0.293, "extrem": 0.35,
    "absolut": 0.35, "richtig": 0.2, "voll": 0.2, "mega": 0.293, "ganz": 0.15,
    "so": 0.2, "viel": 0.2, "besonders": 0.25, "äußerst": 0.35, "komplett": 0.25,
    "überhaupt": 0.2, "super": 0.293, "unglaublich": 0.35, "völlig": 0.3,
    "etwas": -0.293, "bisschen": -0.293, "ein bisschen": -0.293, "ziemlich": 0.1,
    "eher": -0.2, "kaum": -0.3,
}

NEGATORS: frozenset[str] = frozenset(
    {"nicht", "nie", "niemals", "kein", "keine", "keinen", "keiner", "keinem", "keines", "nichts",
     "ohne", "weder", "noch nie", "nirgends", "nix"}
)

CONTRASTS: frozenset[str] = frozenset({"aber", "jedoch", "allerdings", "doch", "trotzdem", "sondern"})
CONCESSIONS: frozenset[str] = frozenset({"obwohl", "obgleich", "trotz", "zwar"})
COURTESY: frozenset[str] = frozenset({"danke", "vielen dank", "bitte", "dankeschön", "merci"})
COMPLAINT_QUESTIONS: frozenset[str] = frozenset({"warum", "wieso", "weshalb", "wie oft", "wie lange noch"})

SPELLING: dict[str, str] = {
    "gehts": "geht", "gibts": "gibt", "nich": "nicht", "net": "nicht", "ned": "nicht",
    "kei": "kein", "dank": "danke", "thx": "danke", "bissl": "bisschen", "bissel": "bisschen",
    "garnicht": "nicht",
}

#: Adjective and verb endings tried on unknown words ("schnelle", "zufriedene").
SUFFIXES: tuple[str, ...] = ("es", "en", "er", "em", "e", "n", "s", "t")

#: Words between a verb and its trailing "nicht" ("geht leider immer noch nicht").
TRANSPARENT: frozenset[str] = frozenset(
    {"leider", "immer", "noch", "mehr", "wieder", "mal", "halt", "auch", "gar", "bei", "mir", "hier", "jetzt",
     "schon", "überhaupt", "richtig", "so", "ganz", "einfach", "bis", "heute", "es", "das"}
)

POST_NEGATORS: frozenset[str] = frozenset({"nicht", "nie", "niemals", "nix", "nichts"})
CLAUSE_WORDS: frozenset[str] = frozenset({"dass", "weil", "wenn", "ob", "damit", "obwohl", "bevor", "nachdem"})
SINCE_WORDS: frozenset[str] = frozenset({"seit", "seid"})
TIME_UNITS: frozenset[str] = frozenset(
    {"tagen", "tag", "wochen", "woche", "stunden", "stunde", "monaten", "monat", "minuten", "gestern",
     "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag", "ewigkeiten", "ewig"}
)
RESOLUTION_WORDS: frozenset[str] = frozenset({"gelöst", "behoben", "erledigt", "geklärt", "lösen", "beheben"})
PROBLEM_WORDS: frozenset[str] = frozenset({"problem", "probleme", "fehler", "anliegen", "ärger"})
# fmt: on
