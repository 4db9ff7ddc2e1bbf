/* Steps: which journey step the page is at, from data-stepsense-step/-journey or from
 * Stepsense.step(), re-read after single-page-app navigation and attribute changes.
 * Entering a known step sends its funnel events and arms its prompts. */
import { journeys } from "./config.js";
import { forgetShown, loadUI, show } from "./prompt.js";
import { context, sendEvent } from "./track.js";
import { arm, disarm } from "./triggers.js";
import { on, safe } from "./util.js";
import { inEventsSample, mayAsk } from "./visitor.js";

let manual; // {step, journey} from Stepsense.step(): holds until the page names another step
let lastDomKey; // the step the page named at the last look

const enter = (journey, step) => {
  const key = journey + "/" + step;
  if (key == context.key) return;
  disarm();
  forgetShown();
  Object.assign(context, { journey, step, key });
  const steps = (journeys[journey] || {}).steps || {};
  const conf = steps[step];
  if (!conf) return; // unknown step: ask nothing, send nothing
  if (inEventsSample()) {
    sendEvent("step_view");
    if (conf.last) sendEvent("journey_complete");
  }
  if (conf.prompts.length && mayAsk(key)) {
    loadUI(); // start fetching the UI now, so the prompt is ready when its trigger fires
    conf.prompts.forEach((prompt) => arm(prompt, () => show(prompt, prompt.trigger)));
  }
};

/* The step the page names: the first data-stepsense-step element, in the journey of its
 * nearest data-stepsense-journey ancestor (else the first one on the page). */
const domStep = () => {
  const element = document.querySelector("[data-stepsense-step]");
  if (!element) return;
  const journey =
    element.closest("[data-stepsense-journey]") || document.querySelector("[data-stepsense-journey]");
  return { step: element.dataset.stepsenseStep, journey: journey && journey.dataset.stepsenseJourney };
};

/* Enters the step the page or Stepsense.step() names; `navigated`: after a history change
 * or a data-stepsense-* attribute change, when a manual step yields to a new page step. */
const evaluate = (navigated) => {
  if (!journeys) return;
  const dom = domStep();
  if (dom) dom.journey = dom.journey || (manual && manual.journey) || context.journey; // a step element may rely on an earlier journey
  const key = dom && dom.journey + "/" + dom.step;
  if (navigated && dom && key != lastDomKey) manual = null; // the page now names another step
  lastDomKey = key;
  const target = manual || dom;
  if (target && target.journey && target.step) enter(target.journey, target.step);
};

/* Stepsense.step(step, {journey}): the journey defaults to the current manual one, else the page's. */
export const setStep = (step, options) => {
  const dom = domStep();
  manual = { step, journey: (options && options.journey) || (manual && manual.journey) || (dom && dom.journey) };
  evaluate();
};

const navigated = safe(() => setTimeout(safe(() => evaluate(true)), 0));

/* Single-page apps: re-read the step after each history change (a router usually renders
 * the new view after pushState returns, hence the timeout). */
export const watchHistory = () => {
  ["pushState", "replaceState"].forEach((method) => {
    const original = history[method];
    history[method] = function (...args) {
      const result = original.apply(this, args);
      navigated();
      return result;
    };
  });
  on(window, "popstate", navigated);
};

/* Once the site config is here: enter the page's step, and follow attribute changes. */
export const startSteps = () => {
  evaluate();
  new MutationObserver(safe(() => evaluate(true))).observe(document.documentElement, {
    subtree: true,
    attributes: true,
    attributeFilter: ["data-stepsense-step", "data-stepsense-journey"],
  });
};
