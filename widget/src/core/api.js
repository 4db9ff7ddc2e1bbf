/* The public API, window.Stepsense: Stepsense.step(...) or Stepsense("step", ...). Calls
 * made before the widget loaded (the snippet's Stepsense.q) are replayed in order. */
import { receiveUI } from "./prompt.js";
import { setStep } from "./steps.js";
import { context, sendEvent } from "./track.js";
import { safe } from "./util.js";
import { inEventsSample } from "./visitor.js";

const api = {
  v: 1, // a loaded widget: a second copy of the tag sees it and stops
  step: setStep,
  set: (options) => {
    if ("variant" in options) context.variant = options.variant;
    if (options.attributes) context.attributes = Object.assign({}, context.attributes, options.attributes);
  },
  // Funnel events follow the session's events_sampling draw, like step views, so
  // completions and errors are never counted for sessions whose views were not sent.
  complete: () => inEventsSample() && sendEvent("journey_complete"),
  track: (name, props) => {
    const type = name == "error" || name == "retry" ? name : "custom";
    if (type == "custom" || inEventsSample()) sendEvent(type, { name: String(name).slice(0, 64), props: props || null });
  },
};

/* Replaces the loader's stub with the API and replays the calls it queued. */
export const installApi = (early) => {
  const Stepsense = safe((method, ...args) => typeof api[method] == "function" && api[method](...args));
  Object.keys(api).forEach((key) => (Stepsense[key] = typeof api[key] == "function" ? safe(api[key]) : api[key]));
  Stepsense._r = safe(receiveUI); // widget-ui.js hands its render function over here
  window.Stepsense = Stepsense;
  early.forEach((args) => Stepsense(...args));
};
