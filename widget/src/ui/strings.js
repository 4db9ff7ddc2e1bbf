/* The UI's own strings (not the prompts' wording, which comes from the site config), in
 * English, German, French and Spanish, and the rating scales that use them. */

// Indexes into a language's strings (first in the module, so that the build inlines them).
export const CLOSE = 0;
export const SUBMIT = 1;
export const SKIP = 2;
export const THANKS = 3;
export const OUT_OF = 4; // "{n} out of {m}", a rating option's accessible name
export const THUMBS_UP = 5;
export const THUMBS_DOWN = 6;
export const EXIT_QUESTION = 7; // an exit-intent prompt without wording of its own
export const FEEDBACK = 8; // the prompt's accessible name
export const YOUR_COMMENT = 9; // the comment box's placeholder
const CSAT_ANCHORS = 10; // low and high anchor, one after the other
const CES_ANCHORS = 12;
const NPS_ANCHORS = 14;

/* One "|"-separated string per language, in the order of the indexes above. */
const STRINGS = {
  en: "Close|Submit|Skip|Thanks for your feedback!|{n} out of {m}|Thumbs up|Thumbs down|Leaving already? What made you stop here?|Feedback|Your comment|Very unsatisfied|Very satisfied|Very difficult|Very easy|Not at all likely|Extremely likely",
  de: "Schließen|Senden|Überspringen|Danke für Ihr Feedback!|{n} von {m}|Daumen hoch|Daumen runter|Sie gehen schon? Was hat Sie hier aufgehalten?|Feedback|Ihr Kommentar|Sehr unzufrieden|Sehr zufrieden|Sehr schwierig|Sehr einfach|Äußerst unwahrscheinlich|Äußerst wahrscheinlich",
  fr: "Fermer|Envoyer|Passer|Merci pour votre avis !|{n} sur {m}|Pouce levé|Pouce baissé|Vous partez déjà ? Qu’est-ce qui vous a arrêté ?|Avis|Votre commentaire|Très insatisfait|Très satisfait|Très difficile|Très facile|Pas du tout probable|Très probable",
  es: "Cerrar|Enviar|Omitir|¡Gracias por tu opinión!|{n} de {m}|Pulgar arriba|Pulgar abajo|¿Ya te vas? ¿Qué te detuvo aquí?|Opinión|Tu comentario|Muy insatisfecho|Muy satisfecho|Muy difícil|Muy fácil|Nada probable|Muy probable",
};

/* The strings for a locale ("de-CH" -> German), English when there are none. */
export const stringsFor = (locale) => (STRINGS[locale.slice(0, 2).toLowerCase()] || STRINGS.en).split("|");

/* Rating kinds: [first score, last score, index of the anchors (none for thumbs)]. */
export const SCALES = {
  csat: [1, 5, CSAT_ANCHORS],
  ces: [1, 7, CES_ANCHORS],
  nps: [0, 10, NPS_ANCHORS],
  thumbs: [1, 0],
};

/* The best text from a {locale: text} map: "de-CH", then "de", then English, then any. */
export const pick = (texts, locale) => {
  texts = texts || {};
  const tag = locale.replace("_", "-");
  return texts[tag] || texts[tag.split("-")[0]] || texts.en || Object.values(texts)[0];
};
