/* The prompt's stylesheet, inside its shadow root. Classes: w the prompt box, fl floating,
 * r a rating group, l its low/high anchors, s the submit button, x the close button,
 * f the comment's buttons. Custom properties: --a accent, --b background, --t text,
 * --e borders, --f font, --r radius (settings.theme sets them). */
import { element } from "./dom.js";

const CSS = `
.w{all:initial;display:block;box-sizing:border-box;position:relative;padding:14px 40px 14px 16px;
  font:14px/1.4 var(--f,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);color:var(--t);background:var(--b);
  border-radius:var(--r);border:1px solid var(--e);--b:#fff;--t:#1f2937;--e:#d1d5db;animation:i .18s ease-out}
.fl{box-shadow:0 6px 24px rgba(0,0,0,.18)}
@media (prefers-color-scheme:dark){.w{--b:#1f2937;--t:#f9fafb;--e:#4b5563}}
@media (prefers-reduced-motion:reduce){.w{animation:none}}
@keyframes i{from{opacity:0;transform:translateY(6px)}}
*{box-sizing:border-box;font:inherit;color:inherit}
p{margin:0 0 10px;font-weight:600}
.r{display:flex;flex-wrap:wrap;gap:6px}
button{cursor:pointer;border:1px solid var(--e);background:transparent;border-radius:calc(var(--r)/2);
  min-width:34px;min-height:34px;padding:4px 8px;margin:0}
button:hover,[aria-checked=true]{border-color:var(--a);background:color-mix(in srgb,var(--a) 14%,transparent)}
button:focus-visible,textarea:focus-visible{outline:2px solid var(--a);outline-offset:2px}
.s{background:var(--a);border-color:var(--a);color:#fff;font-weight:600}
.x{position:absolute;top:6px;right:6px;border:0;min-width:28px;min-height:28px;font-size:18px;line-height:1}
.l{display:flex;justify-content:space-between;font-size:12px;opacity:.75;margin-top:6px;gap:8px}
textarea{display:block;width:100%;min-height:60px;resize:vertical;padding:6px;border:1px solid var(--e);
  border-radius:calc(var(--r)/2);background:transparent;margin:0 0 8px}
.f{display:flex;gap:8px;justify-content:flex-end}`;

/* Puts the stylesheet into a shadow root. A constructed sheet is not subject to the host
 * page's CSP style-src; <style> is the fallback where constructed sheets are missing. */
export const adoptStyles = (root) => {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch {
    root.append(element("style", {}, [CSS]));
  }
};
