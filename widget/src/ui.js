/* Stepsense prompt UI, loaded by widget.js on the first page that may show a prompt.
 * Renders into an open shadow root so the host page's CSS can't restyle it. */
((w, d) => {
  // Order: close, submit, skip, thanks, "n out of m", thumbs up, thumbs down,
  // exit question, feedback (label), comment (label), low/high anchors for csat, ces, nps.
  const T = {
    en: "Close|Submit|Skip|Thanks for your feedback!|{n} out of {m}|Thumbs up|Thumbs down|Leaving already? What made you stop here?|Feedback|Your comment|Very unsatisfied|Very satisfied|Very difficult|Very easy|Not at all likely|Extremely likely",
    de: "Schließen|Senden|Überspringen|Danke für Ihr Feedback!|{n} von {m}|Daumen hoch|Daumen runter|Sie gehen schon? Was hat Sie hier aufgehalten?|Feedback|Ihr Kommentar|Sehr unzufrieden|Sehr zufrieden|Sehr schwierig|Sehr einfach|Äußerst unwahrscheinlich|Äußerst wahrscheinlich",
    fr: "Fermer|Envoyer|Passer|Merci pour votre avis !|{n} sur {m}|Pouce levé|Pouce baissé|Vous partez déjà ? Qu’est-ce qui vous a arrêté ?|Avis|Votre commentaire|Très insatisfait|Très satisfait|Très difficile|Très facile|Pas du tout probable|Très probable",
    es: "Cerrar|Enviar|Omitir|¡Gracias por tu opinión!|{n} de {m}|Pulgar arriba|Pulgar abajo|¿Ya te vas? ¿Qué te detuvo aquí?|Opinión|Tu comentario|Muy insatisfecho|Muy satisfecho|Muy difícil|Muy fácil|Nada probable|Muy probable",
  };
  const SCALES = { csat: [1, 5, 10], ces: [1, 7, 12], nps: [0, 10, 14], thumbs: [1, 0] };

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

  /* A tiny element builder: text always goes through textContent, never HTML. */
  const h = (tag, attrs, kids) => {
    const e = d.createElement(tag);
    for (const k in attrs || {}) k == "on" ? e.addEventListener("click", attrs.on) : e.setAttribute(k, attrs[k]);
    (kids || []).forEach((c) => e.append(c));
    return e;
  };
  const pick = (map, loc) => {
    map = map || {};
    const l = loc.replace("_", "-");
    return map[l] || map[l.split("-")[0]] || map.en || Object.values(map)[0];
  };

  const render = (o) => {
    const lang = o.locale.slice(0, 2).toLowerCase();
    const t = (T[lang] || T.en).split("|");
    const p = o.p;
    const theme = o.theme;
    const fl = !o.el;
    const before = d.activeElement;
    const exit = o.trigger == "exit_intent";
    let answered;

    const host = h("stepsense-widget");
    const [v, side] = (theme.position || "bottom-right").split("-");
    // Inline !important styles beat any host-page rule, including `* {…!important}`.
    host.style.cssText =
      "all:initial!important;display:block!important;" +
      (fl
        ? `position:fixed!important;z-index:2147483000!important;${v == "top" ? "top" : "bottom"}:16px!important;` +
          `${side == "left" ? "left" : "right"}:16px!important;width:min(340px,calc(100vw - 32px))!important`
        : "width:100%!important");
    const root = host.attachShadow({ mode: "open" });
    const box = h("div", { class: "w" + (fl ? " fl" : ""), role: fl ? "dialog" : "region", "aria-label": t[8] });
    [["--a", theme.accent || "#4f46e5"], ["--b", theme.background], ["--t", theme.text], ["--f", theme.font]].forEach(
      ([k, val]) => val && box.style.setProperty(k, val)
    );
    box.style.setProperty("--r", (theme.radius >= 0 ? theme.radius : 12) + "px");
    const q = h("p", { id: "q" });
    const body = h("div");
    const close = () => {
      const inside = root.activeElement;
      host.remove();
      o.closed();
      if (inside && before && before.focus) before.focus(); // give focus back where it was
    };
    const x = h("button", { class: "x", "aria-label": t[0], on: () => (answered ? close() : (o.dismiss(), close())) }, ["×"]);
    box.append(q, body, x); // close last: Tab reaches the answer first
    // A constructed sheet is not subject to the host page's CSP style-src; <style> is the fallback.
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.append(h("style", {}, [CSS]));
    }
    root.append(box);

    const thanks = () => {
      answered = 1;
      const hadFocus = root.activeElement;
      q.textContent = t[3];
      q.setAttribute("role", "status");
      q.tabIndex = -1;
      body.replaceChildren();
      if (hadFocus) q.focus();
      if (fl) setTimeout(close, 2500);
    };
    const comment = (label, score, followUp) => {
      q.textContent = label;
      const ta = h("textarea", { "aria-labelledby": "q", maxlength: "2000", placeholder: t[9] });
      const send = () => {
        const c = ta.value.trim();
        if (!c && !followUp) return ta.focus();
        o.answer(score, c || null);
        thanks();
      };
      const buttons = [h("button", { class: "s", on: send }, [t[1]])];
      if (followUp) {
        o.hold(score, () => ta.value.trim() || null);
        buttons.unshift(h("button", { on: () => (o.answer(score, null), thanks()) }, [t[2]]));
      }
      body.replaceChildren(ta, h("div", { class: "f" }, buttons));
      return ta;
    };

    const text = pick(p.text, o.locale) || (exit ? t[7] : "");
    let first;
    if (p.kind == "comment") first = comment(text, null);
    else {
      q.textContent = text;
      const [lo, hi, a] = SCALES[p.kind] || SCALES.csat;
      const group = h("div", { class: "r", role: "radiogroup", "aria-labelledby": "q" });
      const opts = [];
      const choose = (score) => {
        const fu = p.follow_up;
        if (fu && score <= fu.max_score) comment(pick(fu.text, o.locale), score, 1).focus();
        else {
          o.answer(score, null);
          thanks();
        }
      };
      for (let s = lo; lo < hi ? s <= hi : s >= hi; lo < hi ? s++ : s--) {
        const thumbs = p.kind == "thumbs";
        const b = h(
          "button",
          {
            role: "radio",
            "aria-checked": "false",
            tabindex: opts.length ? "-1" : "0",
            "aria-label": thumbs ? t[s ? 5 : 6] : t[4].replace("{n}", s).replace("{m}", hi),
            on: () => choose(s),
          },
          [thumbs ? (s ? "👍" : "👎") : String(s)]
        );
        opts.push(b);
      }
      group.append(...opts);
      // Arrow keys move within the group (roving tabindex); Enter or Space chooses.
      group.addEventListener("keydown", (e) => {
        const i = opts.indexOf(root.activeElement);
        const k = e.key;
        const n = /Right|Down/.test(k) ? i + 1 : /Left|Up/.test(k) ? i - 1 : k == "Home" ? 0 : k == "End" ? opts.length - 1 : -2;
        if (n == -2 || i < 0) return;
        e.preventDefault();
        const b = opts[(n + opts.length) % opts.length];
        opts.forEach((c) => {
          c.tabIndex = c == b ? 0 : -1;
          c.setAttribute("aria-checked", c == b);
        });
        b.focus();
      });
      body.append(group);
      if (a) body.append(h("div", { class: "l", "aria-hidden": "true" }, [h("span", {}, [t[a]]), h("span", {}, [t[a + 1]])]));
      first = opts[0];
    }
    box.addEventListener("keydown", (e) => {
      if (e.key == "Escape") {
        e.stopPropagation();
        answered ? close() : (o.dismiss(), close());
      }
    });

    if (fl) d.body.append(host);
    else {
      o.el.querySelectorAll("stepsense-widget").forEach((n) => n.remove());
      o.el.append(host);
    }
    // A floating prompt takes focus only if nothing else has it: never interrupt a form or a control.
    if (fl && (!before || before == d.body)) first.focus();
    o.shown();
  };

  try {
    w.Stepsense._r(render);
  } catch (e) {}
})(window, document);
