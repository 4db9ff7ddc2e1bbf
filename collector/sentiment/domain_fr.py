"""French customer-experience vocabulary, on VADER's -4..4 scale.

Entries override the pattern French adjective lexicon (De Smedt &
Daelemans, shipped in textblob-fr), which knows "rapide" and "déçu" but
not "refusé", "planté" or "injoignable", and rates "terrible" by its
dictionary sense although "pas terrible" means "not good".
"""

from __future__ import annotations

# Hand-aligned tables: several entries a line read better than one.
# fmt: off

VALENCE: dict[str, float] = {
    # -- praise ------------------------------------------------------------
    "top": 2.2, "au top": 2.4, "super": 2.2, "génial": 2.6, "géniale": 2.6, "parfait": 2.6,
    "parfaite": 2.6, "parfaitement": 2.4, "impeccable": 2.4, "nickel": 2.2, "excellent": 2.8,
    "excellente": 2.8, "bravo": 2.4, "chapeau": 2.0, "merci": 1.6, "merci beaucoup": 2.0,
    "un grand merci": 2.4, "rapide": 1.4, "rapidement": 1.2, "vite": 1.0, "efficace": 1.8,
    "simple": 1.2, "facile": 1.6, "pratique": 1.5, "clair": 1.2, "claire": 1.2,
    "aimable": 1.8, "sympa": 1.8, "gentil": 1.8, "gentille": 1.8, "agréable": 1.8,
    "professionnel": 1.4, "réactif": 1.8, "réactive": 1.8, "ponctuel": 1.4,
    "satisfait": 2.0, "satisfaite": 2.0, "ravi": 2.4, "ravie": 2.4, "content": 2.0,
    "contente": 2.0, "adore": 2.4, "adoré": 2.4, "j'adore": 2.6, "recommande": 2.0,
    "conforme": 1.2, "fonctionne": 0.6, "marche": 0.4, "réglé": 1.4, "résolu": 1.4,
    "sans problème": 1.8, "sans souci": 1.8, "aucun souci": 1.8, "aucun problème": 1.8,
    "sans aucune difficulté": 2.0, "rien à redire": 2.2, "rien à dire": 2.0,
    "pas mal": 1.4, "pas mal du tout": 2.0, "du premier coup": 1.2, "bien passé": 1.8,
    "bien emballé": 1.5, "à l'heure": 1.2, "gratuit": 0.8, "gratuite": 0.8, "offert": 0.6,
    "appréciable": 1.6, "apprécié": 1.6, "ne peux pas me plaindre": 1.8,
    # -- effort, failures and waiting --------------------------------------
    "refusé": -1.8, "refusée": -1.8, "refus": -1.6, "échoué": -2.0, "échec": -2.0,
    "planté": -2.2, "plante": -2.0, "bloque": -1.6, "bloqué": -1.8, "bloquée": -1.8,
    "bug": -1.6, "bugue": -1.8, "erreur": -1.6, "message d'erreur": -1.8, "cassé": -2.0,
    "cassée": -2.0, "défectueux": -2.2, "abîmé": -2.0, "abîmée": -2.0, "endommagé": -2.0,
    "trempé": -1.6, "mauvais": -1.8, "mauvaise": -1.8, "manque": -1.4, "il manque": -1.6,
    "retard": -1.6, "en retard": -1.8, "lent": -1.5, "lente": -1.5, "lenteur": -1.8,
    "une éternité": -2.2, "compliqué": -1.6, "compliquée": -1.6, "agaçant": -2.0,
    "énervant": -2.0, "frustrant": -2.2, "décevant": -2.2, "déçu": -2.2, "déçue": -2.2,
    "en colère": -2.4, "scandaleux": -2.6, "inadmissible": -2.6, "inacceptable": -2.6,
    "malhonnête": -2.4, "désagréable": -2.0, "désagréables": -2.0, "déplorable": -2.8,
    "nul": -2.4, "nulle": -2.4, "une blague": -2.2, "injoignable": -2.2, "raccroché": -2.0,
    "annulé": -1.2, "annulée": -1.2, "déconnecté": -1.4, "déconnectée": -1.4,
    "débité deux fois": -2.8, "prélevé deux fois": -2.8, "trop facturé": -2.2,
    "trop cher": -1.8, "trop chère": -1.8, "cher": -1.0, "chère": -1.0, "frais cachés": -2.4,
    "plus jamais": -2.6, "toujours pas": -1.8, "toujours aucune": -1.8, "encore": -0.4,
    "sans arrêt": -1.0, "sans explication": -1.6, "sans prévenir": -1.6, "personne": -0.4,
    "depuis des jours": -1.4, "depuis des semaines": -1.6, "depuis une semaine": -1.4,
    "beaucoup trop": -0.8, "dommage": -1.4, "hélas": -1.2, "malheureusement": -1.2,
    "merci pour rien": -2.6, "pas terrible": -1.8, "impossible": -1.8, "problème": -1.2,
    "souci": -1.0, "attente": -0.8,
    # -- neutral here although the lexicon rates them -----------------------
    "s'il vous plaît": 0.1, "code promo": 0.2, "réduction": 0.2, "cadeau": 0.2,
    "nouveau": 0.0, "nouvelle": 0.0, "première": 0.0, "premier": 0.0, "juste": 0.0,
    "seul": 0.0, "plusieurs": 0.0, "grand": 0.0, "petit": 0.0, "besoin": 0.0,
    "merci de": 0.1, "frais": 0.0, "frais de port": 0.0, "tout": 0.0, "sans aucun problème": 2.0,
    "sans aucun souci": 2.0, "sans problèmes": 1.8, "préfère": 0.0, "préférer": 0.0, "mieux": 1.6, "meilleur": 1.8, "meilleure": 1.8,
    "où est ma": -1.2, "où est mon": -1.2, "où en est": -1.0, "attends": -0.3,
}

NEGATED: dict[str, float] = {
    "reçu": -2.0, "reçue": -2.0, "arrivé": -2.0, "arrivée": -2.0, "livré": -2.0, "livrée": -2.0,
    "marche": -2.0, "marché": -2.0, "fonctionne": -2.0, "fonctionné": -2.0, "passe": -1.6,
    "passé": -1.6, "répond": -2.0, "répondu": -2.0, "réponse": -2.0, "rappel": -1.8,
    "rappelé": -1.8, "confirmation": -1.6, "accepté": -1.8, "acceptée": -1.8, "pris en compte": -1.6,
    "remboursé": -1.8, "remboursement": -1.6, "résolu": -1.8, "réglé": -1.8, "joignable": -2.0,
    "disponible": -1.0, "possible": -1.2, "satisfait": -2.0, "satisfaite": -2.0, "clair": -1.2,
    "bougé": -1.6, "décroche": -2.0, "arrive": -1.6, "trouve": -1.2, "trouvé": -1.4,
}

BOOSTERS: dict[str, float] = {
    "très": 0.293, "vraiment": 0.293, "trop": 0.2, "tellement": 0.35, "super": 0.293,
    "extrêmement": 0.35, "hyper": 0.293, "totalement": 0.25, "complètement": 0.25,
    "absolument": 0.35, "si": 0.2, "beaucoup": 0.2, "franchement": 0.15, "vachement": 0.293,
    "incroyablement": 0.35, "particulièrement": 0.25, "un peu": -0.293, "assez": -0.1,
    "plutôt": -0.15, "légèrement": -0.293,
}

NEGATORS: frozenset[str] = frozenset(
    {"ne", "pas", "jamais", "rien", "aucun", "aucune", "sans", "ni", "non", "plus jamais", "nullement", "guère"}
)

CONTRASTS: frozenset[str] = frozenset({"mais", "cependant", "pourtant", "toutefois", "néanmoins"})
CONCESSIONS: frozenset[str] = frozenset({"bien que", "malgré", "quoique", "même si"})
COURTESY: frozenset[str] = frozenset({"merci", "merci beaucoup", "s'il vous plaît", "svp", "cordialement"})
COMPLAINT_QUESTIONS: frozenset[str] = frozenset({"pourquoi", "combien de fois", "comment se fait-il"})

SPELLING: dict[str, str] = {
    "tres": "très", "genial": "génial", "decu": "déçu", "decue": "déçue", "recu": "reçu",
    "probleme": "problème", "ca": "ça", "svp": "s'il vous plaît", "stp": "s'il vous plaît",
    "mrc": "merci", "mci": "merci", "bcp": "beaucoup", "pb": "problème", "jamai": "jamais",
    "rembourser": "remboursement",
}

SUFFIXES: tuple[str, ...] = ("es", "s", "e", "x")

#: "n'est", "j'ai", "l'appli", "qu'il": split the elided article or pronoun.
ELISION = r"(?i)\b(n|j|l|c|d|m|t|s|qu|jusqu|lorsqu|puisqu)['’]"

#: Words between a verb and its trailing "pas" ("ça marche toujours pas").
TRANSPARENT: frozenset[str] = frozenset({"toujours", "malheureusement", "hélas", "encore", "vraiment", "du", "tout"})

#: "ne" always precedes its verb; only these also negate the word before them.
POST_NEGATORS: frozenset[str] = frozenset({"pas", "plus", "jamais", "rien"})
CLAUSE_WORDS: frozenset[str] = frozenset({"que", "parce", "quand", "si", "lorsque", "puisque", "avant"})
SINCE_WORDS: frozenset[str] = frozenset({"depuis"})
TIME_UNITS: frozenset[str] = frozenset(
    {"jours", "jour", "semaines", "semaine", "heures", "heure", "mois", "minutes", "hier", "lundi", "mardi",
     "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "longtemps", "une éternité"}
)
RESOLUTION_WORDS: frozenset[str] = frozenset({"résolu", "réglé", "résolue", "réglée", "corrigé", "résoudre", "régler"})
PROBLEM_WORDS: frozenset[str] = frozenset({"problème", "problèmes", "souci", "soucis", "erreur"})
# fmt: on
