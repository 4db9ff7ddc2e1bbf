"""Widget budgets in headless Chromium: size, long tasks, layout shift, time to prompt.

Serves the collector (temporary SQLite database, demo site) on a local port,
loads the demo shop's inline-prompt pages with fresh storage several times,
and reads PerformanceObserver entries (longtask, layout-shift) plus the time
from the widget.js request to the prompt being on screen. Optionally with the
CPU slowed down through CDP (Emulation.setCPUThrottlingRate) to mimic a phone.

    .venv/bin/python bench/widget_budget.py [--runs 5] [--throttle 4] [--markdown bench/WIDGET.md]
"""

import argparse
import gzip
import logging
import os
import statistics
import sys
import tempfile
import threading
import urllib.request
from datetime import UTC, datetime

from werkzeug.serving import make_server

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir))

from collector import create_app
from collector.demo import seed as demo
from collector.extensions import db

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BUDGET_GZIP = 5 * 1024

# Installed before any page script: collects long tasks and layout shifts from the start,
# and notes when the prompt's first option is on screen.
OBSERVE = r"""
window.__b = {longtasks: [], widget: [], cls: 0, shifts: 0, ready: null};
// Long animation frames name the scripts that ran in them: the widget's own share of any long task.
new PerformanceObserver(l => l.getEntries().forEach(f => f.scripts.forEach(s =>
  /widget(-ui)?\.js/.test(s.sourceURL) && __b.widget.push(s.duration))))
  .observe({type: 'long-animation-frame', buffered: true});
new PerformanceObserver(l => l.getEntries().forEach(e => __b.longtasks.push(e.duration)))
  .observe({type: 'longtask', buffered: true});
new PerformanceObserver(l => l.getEntries().forEach(e => { if (!e.hadRecentInput) { __b.cls += e.value; __b.shifts++; } }))
  .observe({type: 'layout-shift', buffered: true});
new MutationObserver((_, obs) => {
  const host = document.querySelector('stepsense-widget');
  if (host && host.shadowRoot && host.shadowRoot.querySelector('[role=radio],textarea')) {
    __b.ready = performance.now(); obs.disconnect();
  }
}).observe(document, {subtree: true, childList: true});
"""


def serve(database: str):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "RATELIMIT_ENABLED": False,
            "DEMO_ENABLED": True,
            "LOG_LEVEL": "ERROR",
        }
    )
    from flask_migrate import upgrade

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    with app.app_context():
        upgrade()
        demo.ensure_demo_site(db.session, [url])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, url


def sizes(url: str) -> list[tuple[str, int, int]]:
    rows = []
    for name in ("widget.js", "widget-ui.js"):
        body = urllib.request.urlopen(f"{url}/{name}").read()
        rows.append((name, len(body), len(gzip.compress(body, 9))))
    return rows


def measure(browser, url: str, throttle: float, widget: bool = True) -> dict:
    """One cold load; without the widget (its request aborted) for a baseline of the page itself."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.add_init_script(OBSERVE)
    if not widget:
        page.route("**/widget.js", lambda route: route.abort())
    if throttle > 1:
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
    page.goto(url)
    if not widget:
        page.wait_for_timeout(1000)
        tasks = page.evaluate("__b.longtasks")
        context.close()
        return {"longtasks": tasks}
    for _ in range(300):  # page.evaluate, not wait_for_function: the demo's CSP forbids eval
        if page.evaluate("window.__b && __b.ready !== null"):
            break
        page.wait_for_timeout(50)
    page.wait_for_timeout(500)  # let late shifts or long tasks show up
    result = page.evaluate("""() => {
        const script = performance.getEntriesByType('resource').find(e => /\\/widget\\.js/.test(e.name));
        return {ready: __b.ready, start: script.startTime, loaded: script.responseEnd,
                longtasks: __b.longtasks, widget: __b.widget, cls: __b.cls, shifts: __b.shifts};
    }""")
    context.close()
    return result


def measure_clicks(browser, url: str, throttle: float, clicks: int = 30) -> dict:
    """Friction detectors under clicks: the widget's script time in long frames while the visitor
    clicks around (three bursts of rage clicks among them), and how many event requests went out."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.add_init_script(OBSERVE)
    if throttle > 1:
        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": throttle})
    page.goto(url)
    page.wait_for_timeout(1500)
    page.evaluate("__b.widget = []; __b.longtasks = []")
    posts = []
    page.on("request", lambda r: r.method == "POST" and "/v1/events" in r.url and posts.append(r.url))
    for index in range(clicks):
        # The first three of each ten land within 10 px of each other (a rage burst), the rest spread out.
        x, y = 200 + ((index % 10) * 5 if index % 10 < 3 else (index % 10) * 60), 300 + (index // 10) * 80
        page.mouse.click(x, y)
        page.wait_for_timeout(20 if index % 10 < 3 else 150)  # the first three of each ten: a rage burst
    page.wait_for_timeout(3000)  # dead-click windows close, the queue flushes
    result = page.evaluate("({widget: __b.widget, longtasks: __b.longtasks})")
    context.close()
    return {**result, "requests": len(posts), "clicks": clicks}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--throttle", type=float, default=4, help="CPU slowdown for the second series (1 = off)")
    parser.add_argument("--markdown", help="append the results to this Markdown file")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        server, url = serve(os.path.join(tmp, "bench.sqlite3"))
        file_rows = sizes(url)
        series, clicking = [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=ARGS)
            for throttle in sorted({1.0, args.throttle}):
                for page in ("payment", "cart"):
                    runs = [measure(browser, f"{url}/demo/shop/{page}", throttle) for _ in range(args.runs)]
                    bare = [measure(browser, f"{url}/demo/shop/{page}", throttle, False) for _ in range(args.runs)]
                    series.append((page, throttle, runs, bare))
                clicking.append(
                    (
                        throttle,
                        [measure_clicks(browser, f"{url}/demo/shop/payment", throttle) for _ in range(args.runs)],
                    )
                )
            browser.close()
        server.shutdown()

    lines = ["| file | raw B | gzip B | budget |", "|---|---:|---:|---|"]
    for name, raw, gz in file_rows:
        lines.append(f"| {name} | {raw} | {gz} | {'ok' if gz <= BUDGET_GZIP else 'OVER'} (≤ {BUDGET_GZIP}) |")
    lines += [
        "",
        "| page (inline prompt) | CPU | runs | widget script in a long frame, ms: median run / worst run | "
        "long tasks > 50 ms, page with widget (max ms) | same page without widget | CLS (max) | "
        "script request → prompt ready, median ms (max) | script loaded → prompt ready, median ms |",
        "|---|---:|---:|---:|---|---|---:|---:|---:|",
    ]
    ok = all(gz <= BUDGET_GZIP for _, _, gz in file_rows)
    for page, throttle, runs, bare in series:
        tasks = [t for r in runs for t in r["longtasks"] if t > 50]
        base = [t for r in bare for t in r["longtasks"] if t > 50]
        cls = max(r["cls"] for r in runs)
        from_start = [r["ready"] - r["start"] for r in runs]
        from_loaded = [r["ready"] - r["loaded"] for r in runs]
        own_runs = [max(r["widget"], default=0) for r in runs]
        own, own_median = max(own_runs), statistics.median(own_runs)
        # The budget: the widget's own script never makes a task longer than 50 ms (long tasks
        # from the page's parsing and first paint, on a busy machine, are reported for context).
        # Judged on the median run at full CPU speed: a single descheduled run on a shared
        # machine is noise; the throttled series is reported to show the phone-like margin.
        ok = ok and cls == 0 and (throttle > 1 or own_median <= 50)
        lines.append(
            f"| /demo/shop/{page} | {throttle:g}× | {len(runs)} | {own_median:.0f} / {own:.0f} | "
            f"{len(tasks)} ({max(tasks, default=0):.0f}) | "
            f"{len(base)} ({max(base, default=0):.0f}) | "
            f"{cls:.4f} | {statistics.median(from_start):.0f} ({max(from_start):.0f}) | "
            f"{statistics.median(from_loaded):.0f} |"
        )
    lines += [
        "",
        "| clicks on /demo/shop/payment (friction detectors) | CPU | runs | widget script in a long frame, "
        "ms: median run / worst run | event requests per run for 30 clicks, max |",
        "|---|---:|---:|---:|---:|",
    ]
    for throttle, runs in clicking:
        own_runs = [max(r["widget"], default=0) for r in runs]
        ok = ok and (throttle > 1 or statistics.median(own_runs) <= 50) and max(r["requests"] for r in runs) < 30
        lines.append(
            f"| 30 clicks, 3 rage bursts | {throttle:g}× | {len(runs)} | {statistics.median(own_runs):.0f} / "
            f"{max(own_runs):.0f} | {max(r['requests'] for r in runs)} |"
        )
    table = "\n".join(lines)
    load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    table += f"\n\nMachine: {load}."
    print(table)
    print("budgets (size, CLS 0, no widget long task at 1× CPU):", "met" if ok else "NOT met")
    if args.markdown:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        with open(args.markdown, "a", encoding="utf-8") as out:
            out.write(
                f"\n## Widget budgets, {stamp}\n\n`{' '.join(['.venv/bin/python', *sys.argv])}`\n\n"
                "Headless Debian Chromium, collector and demo shop on 127.0.0.1 (werkzeug, SQLite), "
                "fresh storage per run.\n\n" + table + f"\n\nBudgets: {'met' if ok else 'NOT met'}.\n"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
