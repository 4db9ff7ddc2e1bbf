/* The visitor and the session: random ids (no cookies), the sampling draws, and the
 * caps on how often a visitor is asked. Kept in storage under VISITOR_KEY and
 * SESSION_KEY, in the field names storage.js lists. */
import { optedOut, settings } from "./config.js";
import { localStore, read, SESSION_KEY, sessionStore, VISITOR_KEY, write } from "./storage.js";
import { DAY_MS, now, uuid } from "./util.js";

export let visitorId;
export let sessionId;
/* "new" when this browser had no visitor id before this session, "returning" when it had
 * one; decided when the session starts and kept with it (field t), so every page of a
 * first visit stays "new". Null for a session started by a widget that did not record it. */
export let visitorType;
let samplingDraw; // this visitor's draw against settings.sampling, kept for good
let answeredAt; // "journey/step" -> when the visitor answered there
let silencedUntil; // after a dismissal: ask nothing until then
let promptsShown; // in this browser session
let eventsDraw; // this session's draw against settings.events_sampling

const save = () => {
  write(localStore, VISITOR_KEY, { id: visitorId, r: samplingDraw, a: answeredAt, x: silencedUntil });
  write(sessionStore, SESSION_KEY, { id: sessionId, n: promptsShown, e: eventsDraw, t: visitorType });
};

/* Loads the visitor and session from storage, or starts them. */
export const loadVisitor = () => {
  const visitor = read(localStore, VISITOR_KEY) || {};
  visitorId = visitor.id || uuid();
  samplingDraw = visitor.r >= 0 ? visitor.r : Math.random();
  answeredAt = visitor.a || {};
  silencedUntil = visitor.x;
  const session = read(sessionStore, SESSION_KEY) || {
    id: uuid(),
    n: 0,
    e: Math.random(),
    t: visitor.id ? "returning" : "new",
  };
  sessionId = session.id;
  visitorType = session.t == "new" || session.t == "returning" ? session.t : null;
  promptsShown = session.n;
  eventsDraw = session.e;
  save();
};

/* Whether this session's funnel events are sent (settings.events_sampling): one draw for
 * all of them, so a session is in the funnel whole or not at all. */
export const inEventsSample = () => settings && eventsDraw < settings.events_sampling;

/* Whether this visitor may be asked anything at this step, here and now. */
export const mayAsk = (stepKey) =>
  !optedOut() &&
  samplingDraw < settings.sampling &&
  !(silencedUntil > now()) &&
  promptsShown < settings.per_session &&
  !(answeredAt[stepKey] + settings.per_step_days * DAY_MS > now());

export const recordShown = () => {
  promptsShown++;
  save();
};

export const recordAnswer = (stepKey) => {
  answeredAt[stepKey] = now();
  save();
};

/* The visitor closed a prompt: ask nothing for settings.dismiss_days. */
export const recordDismissal = () => {
  silencedUntil = now() + settings.dismiss_days * DAY_MS;
  save();
};
