/* Stepsense widget core: finds the journey step, decides whether and when to ask,
 * and delivers answers and events to the collector. The prompt UI lives in
 * ui.js (widget-ui.js), loaded from the same host only when a prompt may show. */
((w, d) => {
  const nav = navigator;
  const S0 = w.Stepsense;
  if (S0 && S0.v) return; // loaded twice: the first copy keeps working

  /* Helpers that never throw: storage may be blocked (privacy modes, sandboxed iframes). */
  const safe = (f) => function () {
    try {
      return f.apply(this, arguments);
    } catch (e) {}
  };
  let L, SS;
  const get = (s, k) => {
    try {
      return JSON.parse(s.getItem("stepsense:" + k));
    } catch (e) {}
  };
  const put = (s, k, v) => {
    try {
      s.setItem("stepsense:" + k, JSON.stringify(v));
    } catch (e) {}
  };
  const now = () => Date.now();
  const uuid = () =>
    "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
      (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)
    );
  const on = (t, e, f, o) => t.addEventListener(e, safe(f), o);

  const main = (site, host, early) => {
    try {
      L = w.localStorage;
      SS = w.sessionStorage;
    } catch (e) {}

    /* Visitor (localStorage) and session (sessionStorage) state; ids are random, no cookies. */
    const vis = get(L, "v") || {};
    vis.id = vis.id || uuid();
    vis.r = vis.r >= 0 ? vis.r : Math.random(); // this visitor's sampling draw
    vis.a = vis.a || {}; // "journey/step" -> time answered
    const ses = get(SS, "s") || { id: uuid(), n: 0, e: Math.random() };
    const save = () => {
      put(L, "v", vis);
      put(SS, "s", ses);
    };
    save();

    const ctx = {};
    let cfg, set, cur, manual, lastDom, uiP, pending, floating;
    let disarm = [];
    let shown = {};
    let busy = {};
    let timer;

    const ua = nav.userAgent;
    const device = /iPad|Tablet/i.test(ua) || (/Android/i.test(ua) && !/Mobi/i.test(ua))
      ? "tablet"
      : /Mobi|iPhone|Android/i.test(ua) ? "mobile" : "desktop";
    const locale = () => {
      const l = (set && set.locale) || d.documentElement.lang || nav.language || "en";
      return /^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}$/.test(l) ? l : null;
    };
    const sampled = () => set && ses.e < set.events_sampling;
    const optedOut = () =>
      set && set.respect_dnt && (nav.doNotTrack == "1" || w.doNotTrack == "1" || nav.globalPrivacyControl === true);

    /* Delivery: everything goes through the localStorage queue first, so an answer
     * survives a failed request, a closed tab or going offline; the next page load
     * resends it (the collector ignores a client_id it already has). */
    const queue = (t, body) => {
      if (optedOut() || !ctx.step) return;
      const q = get(L, "q") || [];
      q.push([t, body, now()]);
      put(L, "q", q.slice(-200));
      clearTimeout(timer);
      timer = setTimeout(safe(flush), 30);
      if (!L) post(t, [body]); // no storage: best effort, straight away
    };
    const base = () => ({
      site_key: site,
      journey: ctx.journey,
      step: ctx.step,
      client_id: uuid(),
      visitor_id: vis.id,
      session_id: ses.id,
      url_path: location.pathname.slice(0, 2048),
      device,
      locale: locale(),
      variant: ctx.variant == null ? null : String(ctx.variant).slice(0, 64),
    });
    const event = (type, extra) => queue("e", Object.assign(base(), { type }, extra));
    const drop = (ids) => put(L, "q", (get(L, "q") || []).filter((i) => !ids.includes(i[1].client_id)));
    const post = (t, items, leaving) => {
      const url = host + (t == "r" ? "/v1/responses" : "/v1/events");
      const body = JSON.stringify(t == "r" ? { responses: items } : { events: items });
      const ids = items.map((i) => i.client_id);
      // A page being unloaded may cancel fetch; a beacon is handed to the browser.
      // It can't report success, so the items stay queued until a fetch confirms them.
      if (leaving || !w.fetch) return nav.sendBeacon && nav.sendBeacon(url, body);
      ids.forEach((i) => (busy[i] = 1));
      fetch(url, { method: "POST", body, keepalive: body.length < 6e4, credentials: "omit" })
        .then(
          (r) => (r.ok || (r.status < 500 && r.status != 408 && r.status != 429)) && drop(ids),
          () => 0
        )
        .then(() => ids.forEach((i) => delete busy[i]));
    };
    /* Each item goes with its age, so the collector dates it when it happened, not
     * when it arrived (by the visitor's clock neither: only a difference is sent).
     * What could not be delivered in a week is dropped. */
    const flush = (leaving) => {
      const t0 = now();
      const all = get(L, "q") || [];
      const q = all.filter((i) => !(t0 - i[2] > 6048e5));
      if (q.length < all.length) put(L, "q", q);
      ["r", "e"].forEach((t) => {
        const items = q
          .filter((i) => i[0] == t && !busy[i[1].client_id])
          .map((i) => (i[2] ? Object.assign({ age_ms: Math.max(0, t0 - i[2]) }, i[1]) : i[1]));
        const n = t == "r" ? 50 : 100;
        for (let i = 0; i < items.length; i += n) post(t, items.slice(i, i + n), leaving);
      });
    };
    const respond = (p, trigger, score, comment) => {
      vis.a[cur] = now();
      save();
      pending = 0;
      queue("r", Object.assign(base(), {
        kind: p.kind,
        score: p.kind == "comment" ? null : score,
        comment: comment || null,
        trigger,
        attributes: ctx.attributes || null,
      }));
    };

    /* Whether this visitor may be asked anything here and now. */
    const allowed = () =>
      !optedOut() &&
      vis.r < set.sampling &&
      !(vis.x > now()) &&
      ses.n < set.per_session &&
      !(vis.a[cur] + set.per_step_days * 864e5 > now());

    const loadUI = () =>
      (uiP = uiP || new Promise((ok, fail) => {
        api._r = ok;
        const s = d.createElement("script");
        s.src = host + "/widget-ui.js?v=__UI_VERSION__";
        s.async = true;
        s.onerror = fail;
        d.head.appendChild(s);
      }));

    const show = (p, trigger) => {
      const inline = p.trigger == "inline" && d.querySelector("[data-stepsense-inline]");
      if (shown[p.id] || !allowed() || (!inline && floating)) return;
      shown[p.id] = 1;
      if (!inline) floating = 1;
      const step = cur;
      loadUI().then(safe((render) => {
        if (step != cur) return inline || (floating = 0);
        const kind = { kind: p.kind };
        render({
          p,
          trigger,
          el: inline,
          theme: set.theme || {},
          locale: locale() || "en",
          shown: safe(() => {
            ses.n++;
            save();
            event("impression", kind);
            if (trigger == "exit_intent") event("exit_intent_shown", kind);
          }),
          hold: safe((score, comment) => (pending = [p, trigger, score, comment])),
          answer: safe((score, comment) => respond(p, trigger, score, comment)),
          dismiss: safe(() => {
            if (pending) respond(...pending.slice(0, 3), pending[3]());
            vis.x = now() + set.dismiss_days * 864e5;
            save();
            event("dismiss", kind);
          }),
          closed: () => inline || (floating = 0),
        });
      }), () => inline || (floating = 0));
    };

    /* Triggers: each returns nothing; listeners are removed when the step changes. */
    const listen = (t, e, f, o) => {
      f = safe(f);
      t.addEventListener(e, f, o);
      disarm.push(() => t.removeEventListener(e, f, o));
    };
    const arm = (p) => {
      const go = () => show(p, p.trigger);
      const tr = p.trigger;
      if (tr == "inline") go();
      else if (tr == "after_ms") {
        const t = setTimeout(safe(go), p.delay_ms || 0);
        disarm.push(() => clearTimeout(t));
      } else if (tr == "scroll") {
        listen(w, "scroll", () => {
          const e = d.documentElement;
          if (((w.scrollY + w.innerHeight) / e.scrollHeight) * 100 >= (p.scroll_percent || 50)) go();
        }, { passive: true });
      } else if (tr == "event" && p.event_name) listen(d, p.event_name, go);
      else if (tr == "exit_intent") {
        const start = now();
        const touch = w.matchMedia("(pointer:coarse)").matches;
        let ry = w.scrollY, rt = start, acted, away;
        // Desktop: the pointer leaves the viewport through its top edge (toward tabs, URL bar, close).
        listen(d, "mouseout", (e) => !e.relatedTarget && e.clientY < 10 && now() - start > 1e3 && go());
        if (touch) {
          // Touch: a fast flick up (reaching for the URL bar), or the page hidden after the visitor did something.
          listen(w, "scroll", () => {
            const ny = w.scrollY, nt = now();
            if (ny >= ry || nt - rt > 400) {
              ry = ny;
              rt = nt;
            } else if (ry - ny > 250 && nt - start > 1e3) go();
          }, { passive: true });
          ["pointerdown", "keydown"].forEach((e) => listen(d, e, () => (acted = 1)));
          listen(d, "visibilitychange", () => {
            if (d.hidden) away = acted;
            else if (away) go();
          });
        }
      }
    };

    const enter = (journey, step) => {
      const key = journey + "/" + step;
      if (key == cur) return;
      disarm.forEach((f) => f());
      disarm = [];
      shown = {};
      cur = key;
      Object.assign(ctx, { journey, step });
      const conf = ((cfg.journeys[journey] || {}).steps || {})[step];
      if (!conf) return; // unknown step: ask nothing, send nothing
      if (sampled()) {
        event("step_view");
        if (conf.last) event("journey_complete");
      }
      if (conf.prompts.length && allowed()) {
        loadUI(); // start fetching the UI now, so the prompt is ready when its trigger fires
        conf.prompts.forEach(arm);
      }
    };

    const domStep = () => {
      const e = d.querySelector("[data-stepsense-step]");
      const j = e && (e.closest("[data-stepsense-journey]") || d.querySelector("[data-stepsense-journey]"));
      return e && { s: e.dataset.stepsenseStep, j: j && j.dataset.stepsenseJourney };
    };
    const evaluate = (navigated) => {
      if (!cfg) return;
      const dom = domStep();
      if (dom) dom.j = dom.j || (manual && manual.j) || ctx.journey; // a step element may rely on an earlier journey
      const key = dom && dom.j + "/" + dom.s;
      if (navigated && dom && key != lastDom) manual = 0; // the page now names another step
      lastDom = key;
      const t = manual || dom;
      if (t && t.j && t.s) enter(t.j, t.s);
    };

    /* Public API: Stepsense.step(...) or Stepsense("step", ...), the latter also before load. */
    const api = {
      v: 1,
      step: (s, o) => {
        const dom = domStep();
        manual = { s, j: (o && o.journey) || (manual && manual.j) || (dom && dom.j) };
        evaluate();
      },
      set: (o) => {
        if ("variant" in o) ctx.variant = o.variant;
        if (o.attributes) ctx.attributes = Object.assign({}, ctx.attributes, o.attributes);
      },
      // Funnel events follow the session's events_sampling draw, like step views, so
      // completions and errors are never counted for sessions whose views were not sent.
      complete: () => sampled() && event("journey_complete"),
      track: (name, props) => {
        const t = name == "error" || name == "retry" ? name : "custom";
        if (t == "custom" || sampled()) event(t, { name: String(name).slice(0, 64), props: props || null });
      },
    };
    const S = safe((m, ...a) => typeof api[m] == "function" && api[m](...a));
    Object.keys(api).forEach((k) => (S[k] = typeof api[k] == "function" ? safe(api[k]) : api[k]));
    S._r = safe((f) => api._r(f)); // widget-ui.js hands its render function over here
    w.Stepsense = S;
    early.forEach((a) => S(...a));

    /* Single-page apps: re-read the step after each history change. */
    const navigated = safe(() => setTimeout(safe(() => evaluate(1)), 0));
    ["pushState", "replaceState"].forEach((m) => {
      const orig = history[m];
      history[m] = function () {
        const r = orig.apply(this, arguments);
        navigated();
        return r;
      };
    });
    on(w, "popstate", navigated);
    on(w, "pagehide", () => {
      if (pending) respond(...pending.slice(0, 3), pending[3]());
      flush(1);
    });

    flush(); // answers a previous page could not deliver

    const ready = () => {
      // Reserve the inline prompt's space before the config arrives, unless the site did:
      // no layout shift. Reading the computed style costs a style pass, not a layout.
      const ph = d.querySelector("[data-stepsense-inline]");
      const cs = ph && getComputedStyle(ph);
      if (cs && cs.minHeight == "0px") ph.style.minHeight = "150px";
      fetch(host + "/v1/sites/" + encodeURIComponent(site) + "/config", { credentials: "omit" })
        .then((r) => r.ok && r.json())
        .then(safe((c) => {
          if (!c) return;
          cfg = c;
          set = c.settings;
          evaluate();
          new MutationObserver(safe(() => evaluate(1))).observe(d.documentElement, {
            subtree: true,
            attributes: true,
            attributeFilter: ["data-stepsense-step", "data-stepsense-journey"],
          });
        }), () => 0);
    };
    if (d.readyState == "loading") on(d, "DOMContentLoaded", ready);
    else ready();
  };
  safe(() => {
    const script = d.currentScript || d.querySelector('script[data-site][src*="widget.js"]');
    const site = script && script.dataset.site;
    if (!site) return;
    // Claim the global at once (a second copy of the tag sees it and stops) and keep queueing
    // calls; the real work runs in a task of its own, as the first storage access can stall.
    const early = (S0 && S0.q) || [];
    const stub = (w.Stepsense = function () {
      early.push(arguments);
    });
    stub.q = early;
    stub.v = 1;
    setTimeout(safe(() => main(site, script.src.replace(/\/widget\.js.*$/, ""), early)), 0);
  })();
})(window, document);
