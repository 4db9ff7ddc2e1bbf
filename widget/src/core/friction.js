/* Silent signals: behavioural friction at the current step (docs/friction.md).
 * rage_click, dead_click, error_click, js_error, form_error go out as events in the usual
 * batches, for sessions in the events sample only; nothing runs when the visitor opted out.
 * Listeners are passive and do a few comparisons each; nothing reads layout. Never sent:
 * element text, input values, stacks. An element is tag, #id or [name=], data-stepsense-label. */
import { optedOut } from "./config.js";
import { context, sendEvent } from "./track.js";
import { now, on, safe } from "./util.js";
import { inEventsSample } from "./visitor.js";

const RAGE_CLICKS = 3; // clicks ...
const RAGE_MS = 1e3; // ... within a second ...
const RAGE_PX = 30; // ... within 30 px (Manhattan) of the first
const DEAD_MS = 2500; // a control click with no visible effect for this long
const ERROR_CLICK_MS = 1e3; // an uncaught error this soon after a click
const CLICKABLE = "a[href],button,[role=button],[role=link],[role=menuitem],[role=tab],[role=checkbox],[role=switch],input[type=submit],input[type=button],summary";
const TYPING = "input:not([type=button]):not([type=submit]):not([type=checkbox]):not([type=radio]),select,textarea,[contenteditable]";

let started, sending;
let burst = []; // recent clicks: [x, y, time]
let lastClick = [0]; // [time, target]
const errors = {}; // js_error keys sent on this page
const fieldsSent = {}; // "step|field" of form_errors sent
let listeners = []; // frustration triggers armed at this step
const typed = new WeakSet(); // fields the visitor typed into

const cut = (value, length) => String(value).slice(0, length);

/* "button#apply-coupon[Apply coupon]": tag, #id (else [name=…]), the data-stepsense-label. */
export const describe = (element) => {
  const label = element.getAttribute("data-stepsense-label");
  const name = element.getAttribute("name");
  return cut(element.tagName.toLowerCase() + (element.id ? "#" + cut(element.id, 40) : name ? "[name=" + cut(name, 40) + "]" : "") +
    (label ? "[" + cut(label, 40) + "]" : ""), 120);
};

const signal = (type, props) => {
  if (sending) sendEvent(type, { props });
  if (type != "js_error" && type != "form_error") {
    context.signal = type;
    listeners.forEach((fire) => fire(type));
  }
};

/* The frustration trigger: fire(signal) after a rage, dead or error click at this step. */
export const onFrustration = (fire) => {
  listeners.push(fire);
  return () => (listeners = listeners.filter((other) => other != fire));
};

const watchEffect = (target) => {
  // Any DOM change, scroll, selection, focus or page change counts as an effect.
  const href = location.href;
  const focused = document.activeElement;
  let moved;
  const seen = safe(() => (moved = 1));
  const observer = new MutationObserver(seen);
  observer.observe(document.documentElement, { subtree: true, childList: true, attributes: true, characterData: true });
  const events = ["scroll", "selectionchange", "pagehide", "hashchange", "popstate"];
  events.forEach((type) => addEventListener(type, seen, { passive: true, capture: true }));
  setTimeout(safe(() => {
    observer.disconnect();
    events.forEach((type) => removeEventListener(type, seen, { passive: true, capture: true }));
    if (!moved && href == location.href && focused == document.activeElement && document.contains(target)) {
      signal("dead_click", { target: describe(target) });
    }
  }), DEAD_MS);
};

const onClick = (event) => {
  const element = event.target instanceof Element ? event.target : null;
  if (!element) return;
  const time = now();
  lastClick = [time, element];
  if (!element.closest(TYPING)) {
    burst = burst.filter((click) => time - click[2] < RAGE_MS && Math.abs(click[0] - event.clientX) + Math.abs(click[1] - event.clientY) <= RAGE_PX);
    burst.push([event.clientX, event.clientY, time]);
    // A triple click that selects text is no rage.
    if (burst.length == RAGE_CLICKS && getSelection().isCollapsed) signal("rage_click", { target: describe(element), count: RAGE_CLICKS });
  }
  const control = element.closest(CLICKABLE);
  if (control && event.detail < 2) watchEffect(control);
};

const path = (file) => {
  try {
    return cut(new URL(file).pathname, 200);
  } catch {
    return "";
  }
};

const onError = (message, file, line) => {
  // Digit runs may be card numbers, phone numbers or ids: masked.
  message = cut(message || "Error", 200).replace(/\d{4,}/g, "#");
  file = path(file || "");
  const key = message + file + line;
  if (!errors[key]) {
    errors[key] = 1;
    signal("js_error", { message, file, line: line || 0 });
  }
  if (now() - lastClick[0] < ERROR_CLICK_MS && lastClick[1]) {
    signal("error_click", { target: describe(lastClick[1]), message });
    lastClick = [0];
  }
};

const formError = (field, reason) => {
  const name = cut(field.getAttribute("name") || field.id || field.tagName.toLowerCase(), 64);
  const key = context.key + "|" + name;
  if (fieldsSent[key]) return;
  fieldsSent[key] = 1;
  signal("form_error", { field: name, reason });
};

/* Starts the detectors once (a session in the events sample, or a frustration prompt armed);
 * they send only for sessions in the events sample, and never for an opted-out visitor. */
export const startFriction = () => {
  if (optedOut()) return;
  sending = sending || inEventsSample();
  if (started) return;
  started = 1;
  const passive = { passive: true, capture: true };
  on(document, "click", onClick, passive);
  on(window, "error", (event) => event.message && onError(event.message, event.filename, event.lineno), passive);
  on(window, "unhandledrejection", (event) => {
    const reason = event.reason;
    onError("Unhandled rejection: " + ((reason && reason.message) || (typeof reason == "string" ? reason : typeof reason)));
  }, passive);
  on(document, "invalid", (event) => event.target instanceof Element && formError(event.target, "invalid"), passive);
  // aria-invalid="true" set by the page's own validation after the visitor typed.
  const check = (event) => {
    const field = event.target;
    if (!(field instanceof Element)) return;
    if (event.type == "input") typed.add(field);
    if (typed.has(field)) setTimeout(safe(() => field.getAttribute("aria-invalid") == "true" && formError(field, "aria")), 300);
  };
  ["input", "focusout"].forEach((type) => on(document, type, check, passive));
};
