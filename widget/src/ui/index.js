/* Stepsense prompt UI (built into widget-ui.js), loaded by widget.js on the first page
 * that may show a prompt. Renders into an open shadow root so the host page's CSS can't
 * restyle it, and hands its render function to widget.js through Stepsense._r.
 *
 * render's options (p, trigger, el, theme, locale, shown, hold, answer, dismiss, closed)
 * are the contract with widget.js (core/prompt.js) and must hold across releases: a
 * browser may run a cached widget.js for minutes with a newer widget-ui.js. */
import { element } from "./dom.js";
import { ratingGroup } from "./rating.js";
import {
  CLOSE, EXIT_QUESTION, FEEDBACK, pick, SCALES, SKIP, stringsFor, SUBMIT, THANKS, YOUR_COMMENT,
} from "./strings.js";
import { adoptStyles } from "./style.js";

const THANKS_MS = 2500; // a floating prompt's thanks stays this long

/* The shadow host's inline style. !important inline styles beat any host-page rule,
 * including `* {…!important}`. */
const hostStyle = (floating, position) => {
  const [vertical, side] = (position || "bottom-right").split("-");
  return (
    "all:initial!important;display:block!important;" +
    (floating
      ? `position:fixed!important;z-index:2147483000!important;${vertical == "top" ? "top" : "bottom"}:16px!important;` +
        `${side == "left" ? "left" : "right"}:16px!important;width:min(340px,calc(100vw - 32px))!important`
      : "width:100%!important")
  );
};

const render = (options) => {
  const strings = stringsFor(options.locale);
  const prompt = options.p;
  const theme = options.theme;
  const floating = !options.el;
  const before = document.activeElement;
  let answered;

  const host = element("stepsense-widget");
  host.style.cssText = hostStyle(floating, theme.position);
  const root = host.attachShadow({ mode: "open" });
  const box = element("div", {
    class: "w" + (floating ? " fl" : ""),
    role: floating ? "dialog" : "region",
    "aria-label": strings[FEEDBACK],
  });
  [["--a", theme.accent || "#4f46e5"], ["--b", theme.background], ["--t", theme.text], ["--f", theme.font]].forEach(
    ([property, value]) => value && box.style.setProperty(property, value)
  );
  box.style.setProperty("--r", (theme.radius >= 0 ? theme.radius : 12) + "px");
  const question = element("p", { id: "q" });
  const body = element("div");
  const close = () => {
    const inside = root.activeElement;
    host.remove();
    options.closed();
    if (inside && before && before.focus) before.focus(); // give focus back where it was
  };
  // Closing before answering is a dismissal; after, the thanks just goes.
  const dismiss = () => (answered ? close() : (options.dismiss(), close()));
  const closeButton = element("button", { class: "x", "aria-label": strings[CLOSE], on: dismiss }, ["×"]);
  box.append(question, body, closeButton); // close last: Tab reaches the answer first
  adoptStyles(root);
  root.append(box);

  const thanks = () => {
    answered = true;
    const hadFocus = root.activeElement;
    question.textContent = strings[THANKS];
    question.setAttribute("role", "status");
    question.tabIndex = -1;
    body.replaceChildren();
    if (hadFocus) question.focus();
    if (floating) setTimeout(close, THANKS_MS);
  };
  /* A comment box under `label`. As a follow-up to `score`, the score is held meanwhile
   * (sent with whatever was typed if the visitor leaves) and Skip sends it alone. */
  const comment = (label, score, followUp) => {
    question.textContent = label;
    const textarea = element("textarea", { "aria-labelledby": "q", maxlength: "2000", placeholder: strings[YOUR_COMMENT] });
    const send = () => {
      const text = textarea.value.trim();
      if (!text && !followUp) return textarea.focus();
      options.answer(score, text || null);
      thanks();
    };
    const buttons = [element("button", { class: "s", on: send }, [strings[SUBMIT]])];
    if (followUp) {
      options.hold(score, () => textarea.value.trim() || null);
      buttons.unshift(element("button", { on: () => (options.answer(score, null), thanks()) }, [strings[SKIP]]));
    }
    body.replaceChildren(textarea, element("div", { class: "f" }, buttons));
    return textarea;
  };

  const text = pick(prompt.text, options.locale) || (options.trigger == "exit_intent" ? strings[EXIT_QUESTION] : "");
  let first;
  if (prompt.kind == "comment") first = comment(text, null);
  else {
    question.textContent = text;
    const scale = SCALES[prompt.kind] || SCALES.csat;
    const followUp = prompt.follow_up;
    const choose = (score) => {
      if (followUp && score <= followUp.max_score) comment(pick(followUp.text, options.locale), score, true).focus();
      else {
        options.answer(score, null);
        thanks();
      }
    };
    const rating = ratingGroup(prompt.kind, scale, strings, choose, root);
    body.append(rating.group);
    const anchors = scale[2];
    if (anchors) {
      const low = element("span", {}, [strings[anchors]]);
      const high = element("span", {}, [strings[anchors + 1]]);
      body.append(element("div", { class: "l", "aria-hidden": "true" }, [low, high]));
    }
    first = rating.first;
  }
  box.addEventListener("keydown", (event) => {
    if (event.key == "Escape") {
      event.stopPropagation();
      dismiss();
    }
  });

  if (floating) document.body.append(host);
  else {
    options.el.querySelectorAll("stepsense-widget").forEach((old) => old.remove());
    options.el.append(host);
  }
  // A floating prompt takes focus only if nothing else has it: never interrupt a form or a control.
  if (floating && (!before || before == document.body)) first.focus();
  options.shown();
};

try {
  window.Stepsense._r(render);
} catch {
  // loaded without widget.js: nothing to hand the render function to
}
