"""German and French words of online journeys, each read as its English word.

Why: a step's comments come in the visitors' languages, and "card declined",
"Karte abgelehnt" and "carte refusée" give one reason.  Read word by word
they share nothing; read through this glossary all three become the lemmas
"card" and "decline", so they meet in the same theme and its anchors, and
curated phrase rules written in English match German and French comments
too.  The words people wrote stay as written: labels come from them, and a
theme's label is the spelling most of its comments used (the step's main
language first, :mod:`.describe`).

The glossary is general vocabulary of shops and services (baskets, prices,
delivery, payment, accounts, confirmation, support, returns, the site
itself), one English word per line with its German and French words,
written as people write them; :mod:`.dictionary` lemmatises every side with
simplemma at import.  A word with two common senses stays out, and so do
function and filler words (they never become features).  Words the glossary
lacks keep their own lemma: the engine then groups them within their
language, as before.
"""

from __future__ import annotations

#: english: german words | french words
_TABLE = """
card: karte kreditkarte bankkarte girokarte debitkarte kreditkarten | carte cartes
credit: kredit | crédit
bank: bank banken | banque
money: geld | argent
payment: zahlung zahlungen bezahlung | paiement paiements règlement paiment
pay: bezahlen zahlen bezahlt gezahlt | payer payé réglé régler
charge: abbuchen abgebucht abbuchung belasten belastet lastschrift | prélever prélevé prélèvement débiter débité facturer facturé
twice: zweimal doppelt |
amount: betrag summe | montant somme
decline: ablehnen abgelehnt abgeleht abgewiesen | refuser refusé refusée refus
reject: zurückweisen zurückgewiesen | rejeter rejeté rejetée
accept: akzeptieren akzeptiert annehmen angenommen | accepter accepté acceptée
fail: fehlschlagen fehlgeschlagen scheitern gescheitert | échouer échoué échec
error: fehler fehlermeldung | erreur
problem: problem probleme | problème
work: funktionieren funktioniert klappen klappt | fonctionner fonctionne marcher marche
transfer: überweisung überweisen | virement
instalment: ratenzahlung raten | échelonné fractionné
invoice: rechnung rechnungen | facture factures
receipt: quittung beleg | reçu
verification: verifizierung überprüfung | vérification
verify: verifizieren überprüfen | vérifier
confirm: bestätigen bestätigt | confirmer confirmé
confirmation: bestätigung bestätigungsmail | confirmation
security: sicherheit | sécurité
secure: sicher | sécurisé
trust: vertrauen | confiance
redirect: weiterleitung weiterleiten weitergeleitet | redirection rediriger redirigé
window: fenster | fenêtre
screen: bildschirm | écran
page: seite seiten | page
website: webseite website | site
app: app | appli application
button: knopf schaltfläche | bouton
link: link | lien
field: feld felder | champ champs
form: formular | formulaire
load: laden lädt geladen ladezeit | charger charge chargement chargeait
slow: langsam | lent lente
crash: absturz abstürzen abgestürzt | planter planté plantage
stuck: hängen hängt hing | bloquer bloqué bloquée coincé
freeze: einfrieren eingefroren | figé
basket: warenkorb | panier
item: artikel | article articles
product: produkt produkte | produit produits
size: größe | taille
colour: farbe | couleur
quantity: menge anzahl stückzahl | quantité
stock: lager bestand | stock
available: verfügbar lieferbar erhältlich | disponible
unavailable: ausverkauft | indisponible épuisé
price: preis preise | prix
cost: kosten kostet | coût coûte coûter
fee: gebühr gebühren | frais
expensive: teuer | cher chère chers
high: hoch hohe | élevé élevés
free: kostenlos gratis | gratuit gratuite offert
discount: rabatt | réduction remise
voucher: gutschein | bon-cadeau
code: code | code
order: bestellung bestellungen | commande commandes
buy: kaufen kauf gekauft | acheter achat acheté
shipping: versand | expédition port
ship: versenden verschicken | expédier
delivery: lieferung lieferungen zustellung liefern zustellen geliefert | livraison livraisons livrer livré
parcel: paket pakete sendung päckchen | colis
tracking: sendungsverfolgung | suivi
track: verfolgen | suivre
express: express | express
date: datum termin | date
day: tag tage | jour jours
week: woche wochen | semaine semaines
wait: warten gewartet | attendre attente
late: spät verspätet | tard retard
pickup: abholung abholen abholstation paketshop | relais retrait
locker: packstation | consigne
point: punkt | point
store: filiale geschäft | magasin boutique
address: adresse anschrift | adresse
street: straße strasse | rue
postcode: postleitzahl plz | postal
number: nummer | numéro
city: stadt ort | ville
home: zuhause | domicile
office: büro | bureau
country: land | pays
abroad: ausland | étranger
customs: zoll | douane
account: konto kundenkonto | compte
password: passwort kennwort | passe
login: anmeldung anmelden einloggen login | connexion connecter
register: registrieren | inscrire
registration: registrierung | inscription
guest: gast | invité
email: mail e-mail | mail courriel
newsletter: newsletter | newsletter
cancel: stornieren | annuler
cancellation: stornierung storno | annulation
change: ändern änderung | modifier modification changer
refund: erstattung rückerstattung erstatten | remboursement rembourser remboursé
return: rücksendung retoure zurückschicken | retour renvoyer
exchange: umtausch umtauschen | échange échanger
support: kundenservice kundendienst support | sav
reply: antwort antworten | réponse répondre
contact: kontakt kontaktieren | contacter
help: hilfe | aide
question: frage | question
information: information informationen info | information informations
description: beschreibung | description
photo: foto bild | photo image
quality: qualität | qualité
broken: kaputt | cassé cassée
damaged: beschädigt | abîmé endommagé
faulty: defekt fehlerhaft | défectueux
wrong: falsch | faux
missing: fehlen fehlt fehlend | manquer manque manquant
find: finden gefunden | trouver trouvé introuvable
search: suche suchen | recherche chercher
choice: auswahl | choix
choose: auswählen wählen | choisir sélectionner
enter: eingeben eingabe | saisir saisie
complicated: kompliziert umständlich | compliqué
confusing: verwirrend unübersichtlich | confus
unclear: unklar | flou
gift: geschenk | cadeau
christmas: weihnachten | noël
phone: handy smartphone | portable smartphone
"""


def _parse(table: str) -> dict[str, dict[str, list[str]]]:
    found: dict[str, dict[str, list[str]]] = {"de": {}, "fr": {}}
    for line in table.strip().splitlines():
        english, _, rest = line.partition(":")
        german, _, french = rest.partition("|")
        if english.strip() in found["de"]:
            raise ValueError(f"glossary: {english.strip()!r} twice")
        found["de"][english.strip()] = german.split()
        found["fr"][english.strip()] = french.split()
    return found


#: language → English word → that language's words for it.
GLOSSARY: dict[str, dict[str, list[str]]] = _parse(_TABLE)
