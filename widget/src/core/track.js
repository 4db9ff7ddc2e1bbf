/* What is sent, and about what: the page's context (journey, step, A/B variant,
 * attributes) and the fields every answer and event carries. */
import { locale, optedOut, siteKey } from "./config.js";
import { enqueue } from "./queue.js";
import { ANSWER, EVENT } from "./storage.js";
import { uuid } from "./util.js";
import { sessionId, visitorId, visitorType } from "./visitor.js";

/* journey, step and their key "journey/step" (set together by steps.js), variant, attributes. */
export const context = {};

const userAgent = navigator.userAgent;
const device =
  /iPad|Tablet/i.test(userAgent) || (/Android/i.test(userAgent) && !/Mobi/i.test(userAgent))
    ? "tablet"
    : /Mobi|iPhone|Android/i.test(userAgent)
      ? "mobile"
      : "desktop";

const common = () => ({
  site_key: siteKey,
  journey: context.journey,
  step: context.step,
  client_id: uuid(),
  visitor_id: visitorId,
  session_id: sessionId,
  url_path: location.pathname.slice(0, 2048), // never the query string
  device,
  locale: locale(),
  variant: context.variant == null ? null : String(context.variant).slice(0, 64),
  visitor_type: visitorType,
});

// Nothing is sent before the page is at a known step, or when the visitor opted out.
const send = (type, body) => !optedOut() && context.step && enqueue(type, body);

export const sendEvent = (type, extra) => send(EVENT, Object.assign(common(), { type }, extra));

export const sendAnswer = (kind, trigger, score, comment) =>
  send(ANSWER, Object.assign(common(), {
    kind,
    score: kind == "comment" ? null : score,
    comment: comment || null,
    trigger,
    // A frustration prompt's answer says which signal asked (rage_click, dead_click, error_click).
    attributes: trigger == "frustration" ? Object.assign({}, context.attributes, { signal: context.signal }) : context.attributes || null,
  }));
