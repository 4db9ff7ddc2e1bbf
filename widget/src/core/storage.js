/* Browser storage: the keys and shapes of what the widget keeps, and reads and
 * writes that never throw (storage may be blocked: privacy modes, sandboxed iframes).
 *
 * Keys, field names and queue item types are a stored format: a release that changed
 * them would lose every visitor's queued answers, id, sampling draw and caps. */

/* localStorage: the visitor, {id, r: sampling draw, a: {"journey/step": answered at ms},
 * x: asked nothing until ms}. */
export const VISITOR_KEY = "stepsense:v";
/* sessionStorage: the session, {id, n: prompts shown, e: events sampling draw,
 * t: "new" | "returning", whether the visitor id existed when the session began}. */
export const SESSION_KEY = "stepsense:s";
/* localStorage: the delivery queue, [[type, body, queued at ms], ...]. */
export const QUEUE_KEY = "stepsense:q";
/* Queue item types: an answer (POST /v1/responses) or an event (POST /v1/events). */
export const ANSWER = "r";
export const EVENT = "e";

/* localStorage and sessionStorage, or undefined where the browser refuses them. */
export let localStore;
export let sessionStore;

/* Opens storage. Not at load time: the first access can stall (it may read from disk). */
export const openStorage = () => {
  try {
    localStore = window.localStorage;
    sessionStore = window.sessionStorage;
  } catch {
    // blocked: the widget works from memory alone
  }
};

export const read = (store, key) => {
  try {
    return JSON.parse(store.getItem(key));
  } catch {
    // no storage, or not ours to read
  }
};

export const write = (store, key, value) => {
  try {
    store.setItem(key, JSON.stringify(value));
  } catch {
    // no storage, or full
  }
};
