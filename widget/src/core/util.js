/* Small helpers shared by the core modules: wrappers that never throw into the
 * host page, random ids and the clock. */

export const DAY_MS = 864e5;

/* Wraps fn so that an error inside it stays inside the widget: the host page must
 * never see an exception of ours. */
export const safe = (fn) =>
  function (...args) {
    try {
      return fn.apply(this, args);
    } catch {
      // swallowed on purpose: a broken widget must not break the page
    }
  };

/* addEventListener with a handler that never throws. */
export const on = (target, type, handler, options) => target.addEventListener(type, safe(handler), options);

export const now = () => Date.now();

/* A random RFC 4122 version 4 id (crypto.randomUUID needs a secure context). */
export const uuid = () =>
  "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (digit) =>
    (digit ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (digit / 4)))).toString(16)
  );
