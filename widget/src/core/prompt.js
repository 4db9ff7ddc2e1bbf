/* Showing a prompt: fetches the UI (widget-ui.js) once, from the collector, and hands it
 * a prompt and callbacks; records what the visitor did with it.
 *
 * The render options (p, trigger, el, theme, locale, shown, hold, answer, dismiss, closed)
 * and Stepsense._r are the contract with widget-ui.js, and it must hold across releases:
 * a browser may run a cached widget.js for minutes with a newer widget-ui.js. */
import { host, locale, settings } from "./config.js";
import { context, sendAnswer, sendEvent } from "./track.js";
import { safe } from "./util.js";
import { mayAsk, recordAnswer, recordDismissal, recordShown } from "./visitor.js";

const INLINE = "[data-stepsense-inline]";
const INLINE_HEIGHT = "150px";

let ui; // promise of widget-ui.js's render function
let receive; // resolves `ui`
let shown = {}; // prompt id -> 1, at the current step
let floating; // a floating prompt is on screen: there is room for one only
let pending; // a follow-up's score waiting for its comment: sends it, with what was typed so far

/* widget-ui.js calls this (as Stepsense._r) with its render function. */
export const receiveUI = (render) => receive(render);

/* Starts fetching the UI, once; its URL carries the build's content hash. */
export const loadUI = () =>
  (ui =
    ui ||
    new Promise((resolve, reject) => {
      receive = resolve;
      const script = document.createElement("script");
      script.src = host + "/widget-ui.js?v=__UI_VERSION__";
      script.async = true;
      script.onerror = reject;
      document.head.appendChild(script);
    }));

/* A new step: its prompts may show, even those shown at the step before. */
export const forgetShown = () => {
  shown = {};
};

/* Sends a follow-up's held score, if any: on dismissal, or when the page is left. */
export const sendPending = () => pending && pending();

const respond = (prompt, trigger, score, comment) => {
  recordAnswer(context.key);
  pending = null;
  sendAnswer(prompt.kind, trigger, score, comment);
};

/* Shows a prompt unless it was shown at this step, the visitor may not be asked, or
 * (floating) another floating prompt is on screen. */
export const show = (prompt, trigger) => {
  const inline = prompt.trigger == "inline" && document.querySelector(INLINE);
  if (shown[prompt.id] || !mayAsk(context.key) || (!inline && floating)) return;
  shown[prompt.id] = 1;
  if (!inline) floating = true;
  const release = () => inline || (floating = false);
  const step = context.key;
  loadUI().then(safe((render) => {
    if (step != context.key) return release(); // the visitor moved on while the UI loaded
    const kind = { kind: prompt.kind };
    render({
      p: prompt,
      trigger,
      el: inline,
      theme: settings.theme || {},
      locale: locale() || "en",
      shown: safe(() => {
        recordShown();
        sendEvent("impression", kind);
        if (trigger == "exit_intent") sendEvent("exit_intent_shown", kind);
      }),
      hold: safe((score, readComment) => (pending = () => respond(prompt, trigger, score, readComment()))),
      answer: safe((score, comment) => respond(prompt, trigger, score, comment)),
      dismiss: safe(() => {
        sendPending();
        recordDismissal();
        sendEvent("dismiss", kind);
      }),
      closed: release,
    });
  }), release);
};

/* Reserves the inline prompt's space before the config arrives, unless the site did:
 * no layout shift. Reading the computed style costs a style pass, not a layout. */
export const reserveInlineSpace = () => {
  const placeholder = document.querySelector(INLINE);
  const style = placeholder && getComputedStyle(placeholder);
  if (style && style.minHeight == "0px") placeholder.style.minHeight = INLINE_HEIGHT;
};
