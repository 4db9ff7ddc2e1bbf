/* Stepsense widget core (built into widget.js): finds the journey step, decides whether
 * and when to ask, and delivers answers and events to the collector. The prompt UI lives
 * in ../ui (widget-ui.js), loaded from the same host only when a prompt may show.
 *
 * This module wires the others together: they only define things, and nothing with an
 * effect on the page runs before start(). */
import { installApi } from "./api.js";
import { fetchSiteConfig, readScriptTag } from "./config.js";
import { reserveInlineSpace, sendPending } from "./prompt.js";
import { startFriction } from "./friction.js";
import { flush } from "./queue.js";
import { startSteps, watchHistory } from "./steps.js";
import { openStorage } from "./storage.js";
import { on, safe } from "./util.js";
import { inEventsSample, loadVisitor } from "./visitor.js";

const whenReady = () => {
  reserveInlineSpace();
  fetchSiteConfig().then(safe((loaded) => loaded && (startSteps(), inEventsSample() && startFriction())), () => 0);
};

const start = (early) => {
  openStorage();
  loadVisitor();
  installApi(early);
  watchHistory();
  on(window, "pagehide", () => {
    sendPending();
    flush(true);
  });
  flush(); // answers a previous page could not deliver
  if (document.readyState == "loading") on(document, "DOMContentLoaded", whenReady);
  else whenReady();
};

const previous = window.Stepsense;
// Loaded twice: the first copy keeps working.
if (!(previous && previous.v)) {
  safe(() => {
    if (!readScriptTag()) return;
    // Claim the global at once (a second copy of the tag sees it and stops) and keep queueing
    // calls; the real work runs in a task of its own, as the first storage access can stall.
    const early = (previous && previous.q) || [];
    const stub = (window.Stepsense = function (...args) {
      early.push(args);
    });
    stub.q = early;
    stub.v = 1;
    setTimeout(safe(() => start(early)), 0);
  })();
}
