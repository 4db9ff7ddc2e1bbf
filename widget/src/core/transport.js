/* Transport: one batch of answers or events to the collector, as JSON in a text/plain
 * body (sendBeacon's and fetch's default for a string, so no CORS preflight). */
import { host } from "./config.js";
import { ANSWER } from "./storage.js";

/* Posts items of one type. Returns a promise of whether they may leave the queue
 * (confirmed, or rejected for good), or nothing when sent as a beacon. */
export const post = (type, items, leaving) => {
  const url = host + (type == ANSWER ? "/v1/responses" : "/v1/events");
  const body = JSON.stringify(type == ANSWER ? { responses: items } : { events: items });
  // A page being unloaded may cancel fetch; a beacon is handed to the browser.
  // It can't report success, so the items stay queued until a fetch confirms them.
  if (leaving || !window.fetch) {
    if (navigator.sendBeacon) navigator.sendBeacon(url, body);
    return;
  }
  // keepalive lets the request outlive the page, but browsers refuse keepalive bodies over 64 KiB.
  return fetch(url, { method: "POST", body, keepalive: body.length < 6e4, credentials: "omit" }).then(
    // A 4xx other than 408 (timeout) and 429 (rate limit) would fail the same way again.
    (response) => response.ok || (response.status < 500 && response.status != 408 && response.status != 429),
    () => false
  );
};
