"""Words that mean the same reason in customer comments, per language.

Why: short comments rarely repeat each other's words.  "Expensive delivery",
"postage is a joke" and "shipping prices are too high" are one reason, and
no amount of counting over a few hundred comments can tell; a person can.
Each concept below lists the everyday words for one *generic* reason that
customers give in online journeys (price, speed, refusal, discounts, stock,
sign-up, log-in, passwords, e-mails, tracking, addresses, pick-up, abroad,
double charges, payment methods, verification, trust, changing an order,
invoices, the basket's contents, and beyond the shop's pages: support,
staff, quality, returns, bugs, usability, subscriptions).  A comment that uses any of a concept's
words also gets the concept as a feature ("~price"), so its comments can
meet; the concept never names a theme (labels stay phrases people wrote).

Words are written as people write them and lemmatised at import with the
engine's own lemmatiser, so the lists read naturally and match what the
engine sees.  Keep concepts about a reason, not about a site's own
product names, and not about the step (every comment at "payment" is about
paying); and leave out words with two common senses ("phone" is a support
channel and a product, "missing" a parcel and a button).
"""

from __future__ import annotations

from functools import cache

from collector.analytics.themes.dictionary import LANGUAGES, lemma

CONCEPTS: dict[str, dict[str, str]] = {
    "price": {
        "en": "cost costs price prices expensive pricey fee fees charge charges postage cheap cheaper costly overpriced fortune rip-off ripoff extortionate",
        "de": "kosten preis preise teuer teurer gebühr gebühren porto günstig billig unverschämt",
        "fr": "prix cher chère chers coût coûte coûter frais tarif tarifs exorbitant abusé onéreux",
    },
    "speed": {
        "en": "slow slowly long forever ages wait waiting sluggish laggy lag delay delayed late fast faster quick express speed",
        "de": "langsam lange ewig dauert dauern warten verzögerung schnell schneller express eilig",
        "fr": "lent lente lents lenteur long longs longue attendre attente éternité délai délais rapide express retard",
    },
    "refused": {
        "en": "decline declined reject rejected refuse refused deny denied",
        "de": "abgelehnt ablehnen abgewiesen verweigert akzeptiert angenommen",
        "fr": "refusé refusée refuse rejeté rejetée accepté acceptée",
    },
    "discount": {
        "en": "discount voucher coupon promo promocode offer redeem",
        "de": "gutschein gutscheincode rabatt rabattcode aktionscode einlösen",
        "fr": "réduction remise promo coupon bon",
    },
    "stock": {
        "en": "stock sold unavailable available availability backorder",
        "de": "verfügbar ausverkauft lager lieferbar vorrätig",
        "fr": "stock rupture disponible indisponible épuisé",
    },
    "signup": {
        "en": "register registration signup guest",
        "de": "registrieren registrierung gast kundenkonto",
        "fr": "inscription inscrire invité",
    },
    "password": {
        "en": "password reset forgot forgotten",
        "de": "passwort kennwort zurücksetzen vergessen",
        "fr": "passe réinitialiser réinitialisation oublié",
    },
    "login": {
        "en": "login log signin logged",
        "de": "anmelden anmeldung einloggen login",
        "fr": "connexion connecter identifier identifiant",
    },
    "email": {
        "en": "email emails mail newsletter spam unsubscribe marketing promotional",
        "de": "mail newsletter werbung spam abmelden",
        "fr": "mail newsletter spam publicité désabonner",
    },
    "tracking": {
        "en": "track tracking status",
        "de": "sendungsverfolgung verfolgen tracking status",
        "fr": "suivi suivre",
    },
    "address": {
        "en": "address postcode zip street postal house",
        "de": "adresse postleitzahl plz straße hausnummer",
        "fr": "adresse postal rue ville",
    },
    "pickup": {
        "en": "pickup collect collection locker lockers",
        "de": "packstation abholung abholen paketshop filiale abholpunkt postfiliale",
        "fr": "relais retrait consigne",
    },
    "abroad": {
        "en": "country international abroad overseas customs duties import",
        "de": "land ausland zoll international",
        "fr": "pays étranger douane international",
    },
    "double": {
        "en": "twice double duplicate deducted debited",
        "de": "doppelt zweimal abgebucht abbuchung belastet",
        "fr": "deux double débité prélevé prélèvement",
    },
    "methods": {
        "en": "apple google klarna instalments installments transfer crypto later",
        "de": "klarna ratenzahlung raten lastschrift überweisung sofortüberweisung giropay",
        "fr": "plusieurs virement apple google paylib lydia fractionné différé",
    },
    "verification": {
        "en": "sms otp passcode verify verification authentication 3ds secure",
        "de": "tan sms verifizierung authentifizierung bestätigen",
        "fr": "sms authentification validation",
    },
    "trust": {
        "en": "safe unsafe trust scam dodgy suspicious security secure",
        "de": "sicher unsicher vertrauen seriös betrug",
        "fr": "sécurisé confiance arnaque sûr",
    },
    "change": {
        "en": "cancel cancellation modify edit amend",
        "de": "stornieren storno ändern",
        "fr": "annuler modifier changer",
    },
    "invoice": {
        "en": "invoice receipt vat",
        "de": "beleg quittung mwst",
        "fr": "facture reçu tva",
    },
    "basket": {
        "en": "quantity qty remove delete",
        "de": "menge anzahl entfernen löschen",
        "fr": "quantité supprimer retirer",
    },
    # Reasons beyond the shop's own pages: support, staff, quality, returns,
    # bugs, usability, subscriptions.
    "support": {
        "en": "support service agent representative advisor helpline hotline reply respond response",
        "de": "kundenservice kundendienst support hotline mitarbeiter berater erreichen erreichbar antwort",
        "fr": "sav conseiller support joindre injoignable réponse répondre",
    },
    "rude": {
        "en": "rude unfriendly unhelpful impolite attitude arrogant dismissive",
        "de": "unfreundlich unhöflich frech arrogant",
        "fr": "impoli désagréable arrogant méprisant",
    },
    "quality": {
        "en": "quality flimsy defective faulty broke broken damaged scratched torn ripped",
        "de": "qualität defekt kaputt beschädigt mangelhaft",
        "fr": "qualité défectueux cassé abîmé endommagé",
    },
    "refund": {
        "en": "refund refunds refunded return returns returned exchange reimburse",
        "de": "rückerstattung erstatten erstattung rücksendung retoure umtausch zurückschicken",
        "fr": "remboursement rembourser remboursé retour échange renvoyer",
    },
    "bug": {
        "en": "bug buggy crash crashes crashed glitch glitchy freeze froze frozen loading timeout",
        "de": "absturz abstürzen abgestürzt hängt hängen lädt laden fehlermeldung",
        "fr": "bug bugue plante planter chargement charge bloqué",
    },
    "usability": {
        "en": "confusing complicated unclear intuitive navigate navigation cluttered",
        "de": "kompliziert unübersichtlich verwirrend umständlich unklar",
        "fr": "compliqué confus ergonomie intuitif",
    },
    "subscription": {
        "en": "subscription subscribe renew renewal membership trial",
        "de": "abo abonnement mitgliedschaft kündigen verlängerung",
        "fr": "abonnement résilier renouvellement essai",
    },
}


@cache
def concepts(language: str) -> dict[str, tuple[str, ...]]:
    """Lemma (or sorted lemma pair) → the concept features it adds, for one language."""
    language = language if language in LANGUAGES else "en"
    table: dict[str, set[str]] = {}
    for name, words in CONCEPTS.items():
        for word in words.get(language, "").split():
            base = lemma(word, language)
            for form in {base, word.lower()}:
                table.setdefault(form, set()).add("~" + name)
    return {form: tuple(sorted(names)) for form, names in table.items()}


def concept_features(lemmas: list[str], language: str) -> list[str]:
    """The concept features of a comment's content lemmas, sorted."""
    table = concepts(language)
    found: set[str] = set()
    for word in lemmas:
        found.update(table.get(word, ()))
    return sorted(found)


@cache
def concept_words(language: str, concept: str) -> dict[str, int]:
    """The lemmas of a concept feature ("~price", with its tilde) in one language, in list order.

    The order is the lexicon's: its most typical word first ("slow" before
    "sluggish"), which names a theme whose comments each used another word.
    """
    language = language if language in LANGUAGES else "en"
    words = CONCEPTS.get(concept.lstrip("~"), {}).get(language, "").split()
    order: dict[str, int] = {}
    for position, word in enumerate(words):
        for form in (lemma(word, language), word.lower()):
            order.setdefault(form, position)
    return order
