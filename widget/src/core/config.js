/* Configuration: the script tag's data-site and the collector it came from, the
 * site's config (journeys, steps, prompts, settings) fetched from that collector,
 * and what follows from the settings and the browser: locale and opt-out. */

export let siteKey; // data-site, the site's public key
export let host; // the collector's origin (and path prefix), taken from the tag's own src
export let journeys; // from the site config, once loaded: {journey: {steps: {step: {last, prompts}}}}
export let settings; // from the site config: sampling, caps, theme, locale, respect_dnt, ...

/* Reads the script tag; false when there is none or it names no site. */
export const readScriptTag = () => {
  // currentScript is missing in old browsers and null for code not run from a script element:
  // then find the tag by its src.
  const script = document.currentScript || document.querySelector('script[data-site][src*="widget.js"]');
  siteKey = script && script.dataset.site;
  if (!siteKey) return false;
  host = script.src.replace(/\/widget\.js.*$/, "");
  return true;
};

/* Fetches the site's config; resolves true once `journeys` and `settings` are set. */
export const fetchSiteConfig = () =>
  fetch(host + "/v1/sites/" + encodeURIComponent(siteKey) + "/config", { credentials: "omit" })
    .then((response) => response.ok && response.json())
    .then((site) => {
      if (!site) return false;
      journeys = site.journeys;
      settings = site.settings;
      return true;
    });

/* The visitor's locale as a BCP 47 tag, or null when the page or browser gives a malformed one. */
export const locale = () => {
  const tag = (settings && settings.locale) || document.documentElement.lang || navigator.language || "en";
  return /^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}$/.test(tag) ? tag : null;
};

/* Whether the site respects Do-Not-Track / Global Privacy Control and the browser sends one:
 * then nothing is asked and nothing is sent. */
export const optedOut = () =>
  settings &&
  settings.respect_dnt &&
  // Older Safari and IE 11 put doNotTrack on window, not navigator.
  (navigator.doNotTrack == "1" || window.doNotTrack == "1" || navigator.globalPrivacyControl === true);
