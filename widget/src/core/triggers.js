/* Triggers: when a prompt shows. arm() sets up a prompt's trigger to call fire();
 * disarm() removes every listener and timer when the step changes. */
import { onFrustration, startFriction } from "./friction.js";
import { now, safe } from "./util.js";

const EXIT_ARMED_AFTER_MS = 1e3; // no exit intent in the first second on a step
const FLICK_MS = 400; // touch: a scroll up of FLICK_PX within this time is a flick
const FLICK_PX = 250;

let disarmers = [];

const listen = (target, type, handler, options) => {
  handler = safe(handler);
  target.addEventListener(type, handler, options);
  disarmers.push(() => target.removeEventListener(type, handler, options));
};

export const disarm = () => {
  disarmers.forEach((undo) => undo());
  disarmers = [];
};

const afterDelay = (delayMs, fire) => {
  const timer = setTimeout(safe(fire), delayMs || 0);
  disarmers.push(() => clearTimeout(timer));
};

const onScrollDepth = (percent, fire) =>
  listen(window, "scroll", () => {
    const seen = window.scrollY + window.innerHeight;
    if ((seen / document.documentElement.scrollHeight) * 100 >= (percent || 50)) fire();
  }, { passive: true });

const onExitIntent = (fire) => {
  const start = now();
  const armed = () => now() - start > EXIT_ARMED_AFTER_MS;
  // Desktop: the pointer leaves the viewport through its top edge (toward tabs, URL bar, close).
  listen(document, "mouseout", (event) => !event.relatedTarget && event.clientY < 10 && armed() && fire());
  if (!window.matchMedia("(pointer:coarse)").matches) return;
  // Touch: a fast flick up (reaching for the URL bar), or the page hidden after the visitor did something.
  let lastY = window.scrollY;
  let lastTime = start;
  let acted, away;
  listen(window, "scroll", () => {
    const y = window.scrollY;
    const time = now();
    if (y >= lastY || time - lastTime > FLICK_MS) {
      lastY = y;
      lastTime = time;
    } else if (lastY - y > FLICK_PX && armed()) fire();
  }, { passive: true });
  ["pointerdown", "keydown"].forEach((type) => listen(document, type, () => (acted = true)));
  listen(document, "visibilitychange", () => {
    if (document.hidden) away = acted;
    else if (away) fire();
  });
};

/* Sets up the prompt's trigger; "inline" fires at once. */
export const arm = (prompt, fire) => {
  const trigger = prompt.trigger;
  if (trigger == "inline") fire();
  else if (trigger == "after_ms") afterDelay(prompt.delay_ms, fire);
  else if (trigger == "scroll") onScrollDepth(prompt.scroll_percent, fire);
  else if (trigger == "event" && prompt.event_name) listen(document, prompt.event_name, fire);
  else if (trigger == "exit_intent") onExitIntent(fire);
  else if (trigger == "frustration") {
    startFriction();
    disarmers.push(onFrustration(fire));
  }
};
