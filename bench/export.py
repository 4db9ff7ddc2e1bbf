"""Export throughput and memory: CSV and XLSX of 1,000,000 answers vs the database's own CSV dump.

For each database (an SQLite file in a temp dir, and/or a fresh PostgreSQL
database) this migrates and seeds ``--rows`` answers with bench/curve.py's
seeding (executemany on SQLite, COPY on PostgreSQL; same deterministic
data), builds the rollups, then in the same run times:

* **csv** / **xlsx**: ``GET /v1/journeys/checkout/export?format=…`` through
  the Flask test client (unbuffered: the streamed body is read chunk by chunk
  and written to a file), each in a fresh child process that reports its own
  peak RSS growth: the peak RSS during the export minus the RSS just before
  it (after imports and app start). The peak is the kernel's VmHWM, reset
  with /proc/self/clear_refs before the export, because ``resource.getrusage``
  ru_maxrss counts from process start and start-up (TextBlob/NLTK imports)
  peaks higher than the export; ru_maxrss is reported too;
* **dump**: the database's own CSV of the same rows and columns, ordered by
  id: ``COPY (SELECT …) TO STDOUT WITH CSV HEADER`` read with psycopg on
  PostgreSQL; the ``sqlite3 -csv -header`` command-line shell on SQLite (or,
  if it is not installed, Python's csv module over an sqlite3 cursor: the
  report says which).

Prints rows/s, the ratio csv/dump (target ≥ 0.3) and peak RSS growth
(target < 100 MB for csv and xlsx); exit status 1 when a target is missed.

    .venv/bin/python bench/export.py                          # both databases, 1,000,000 answers
    .venv/bin/python bench/export.py --db sqlite --rows 100000
"""

import argparse
import csv
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime

import psycopg
from sqlalchemy.engine import make_url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench import curve as curve_bench  # noqa: E402
from bench.seeding import (  # noqa: E402
    PG_ADMIN_URL,
    bench_app,
    bench_journey,
    build_rollups,
    bulk_write,
    log,
    scratch_database,
)
from collector.extensions import db  # noqa: E402

DUMP_SQL = """SELECT r.id, r.created_at, j.key, s.key, s.name, r.kind, r.score, r.comment, r.sentiment_label, r.polarity,
 r.emotion, r.scorer_version, r.trigger, r.device, r.locale, r.variant, r.url_path, r.visitor_id, r.session_id, r.attributes
 FROM responses r JOIN steps s ON s.id = r.step_id JOIN journeys j ON j.id = r.journey_id
 WHERE r.journey_id = {journey_id} ORDER BY r.id"""
CSV_TARGET = 0.3
RSS_TARGET_MB = 100


def current_rss_kb() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def reset_peak_rss() -> bool:
    """Reset the kernel's peak RSS (VmHWM) of this process; False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def peak_rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def child(url: str, secret: str, export_format: str, out_path: str) -> None:
    """Run one export in this (fresh) process; print JSON with seconds, bytes and RSS growth."""
    app = bench_app(url)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    # Warm up imports and the app's first request on a tiny export.
    client.get("/v1/journeys/checkout/export", query_string={"format": "json"}, headers=headers).close()
    # Start peak tracking here: imports (TextBlob, NLTK) peak higher at start-up
    # than the export does, and getrusage's ru_maxrss cannot be reset.
    resettable = reset_peak_rss()
    before = current_rss_kb()
    started = time.perf_counter()
    response = client.get(
        "/v1/journeys/checkout/export", query_string={"format": export_format}, headers=headers, buffered=False
    )
    assert response.status_code == 200, response.status_code
    size = 0
    with open(out_path, "wb") as out:
        for chunk in response.response:
            out.write(chunk)
            size += len(chunk)
    response.close()
    seconds = time.perf_counter() - started
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux, since process start
    peak = peak_rss_kb() if resettable else maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "bytes": size,
                "rss_before_mb": before / 1024,
                "peak_rss_mb": peak / 1024,
                "rss_growth_mb": (peak - before) / 1024,
                "ru_maxrss_mb": maxrss / 1024,
                "peak_source": "VmHWM after clear_refs" if resettable else "ru_maxrss",
            }
        )
    )


def run_child(url: str, secret: str, export_format: str, out_path: str) -> dict:
    log(f"  exporting {export_format} in a child process …")
    done = subprocess.run(
        [sys.executable, __file__, "--child", export_format, "--url", url, "--secret", secret, "--out", out_path],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def count_lines(path: str) -> int:
    """Records in a CSV file (comments may hold newlines, so parse rather than count lines)."""
    with open(path, newline="", encoding="utf-8-sig") as file:
        return sum(1 for _ in csv.reader(file)) - 1


def dump_postgresql(url: str, journey_id: int, out_path: str) -> dict:
    u = make_url(url)
    started = time.perf_counter()
    with (
        psycopg.connect(
            host=u.host, port=u.port or 5432, user=u.username, password=u.password, dbname=u.database
        ) as conn,
        conn.cursor() as cursor,
        open(out_path, "wb") as out,
        cursor.copy(f"COPY ({DUMP_SQL.format(journey_id=journey_id)}) TO STDOUT WITH CSV HEADER") as copy,
    ):
        for data in copy:
            out.write(data)
    return {
        "seconds": time.perf_counter() - started,
        "bytes": os.path.getsize(out_path),
        "tool": "COPY … TO STDOUT WITH CSV (psycopg)",
    }


def dump_sqlite(path: str, journey_id: int, out_path: str) -> dict:
    sql = DUMP_SQL.format(journey_id=journey_id)
    started = time.perf_counter()
    if shutil.which("sqlite3"):
        with open(out_path, "wb") as out:
            subprocess.run(["sqlite3", "-csv", "-header", path, sql], stdout=out, check=True)
        tool = "sqlite3 -csv -header (CLI)"
    else:
        with sqlite3.connect(path) as conn, open(out_path, "w", newline="", encoding="utf-8") as out:
            cursor = conn.execute(sql)
            writer = csv.writer(out)
            writer.writerow([d[0] for d in cursor.description])
            while batch := cursor.fetchmany(5000):
                writer.writerows(batch)
        tool = "Python csv over an sqlite3 cursor (no sqlite3 CLI)"
    return {"seconds": time.perf_counter() - started, "bytes": os.path.getsize(out_path), "tool": tool}


def seed(database: str, url: str, rows: int, days: int) -> tuple[str, int]:
    """Migrate and seed as bench/curve.py does; returns (secret key, journey id)."""
    app = bench_app(url)
    with app.app_context():
        site, secret, journey = bench_journey()
        end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        chunks = curve_bench.generate(rows, days, site.id, journey.id, {s.key: s.id for s in journey.steps}, end)
        started = time.perf_counter()
        tables = (("responses", curve_bench.RESPONSE_COLUMNS), ("events", curve_bench.EVENT_COLUMNS))
        bulk_write(database, db.engine, tables, chunks, rows, "answers")
        log(f"{database}: seeded {rows:,} answers in {time.perf_counter() - started:.1f}s")
        build_rollups()
        journey_id = journey.id
        db.session.remove()
        db.engine.dispose()
    return secret, journey_id


def run(database: str, url: str, rows: int, days: int, formats: list[str], workdir: str) -> dict:
    secret, journey_id = seed(database, url, rows, days)
    result: dict = {"database": database, "rows": rows}
    dump_path = os.path.join(workdir, "dump.csv")
    # The database's dump first and last: take the faster run (warm cache, fair to the database).
    dumps = []
    for _ in range(2):
        dumps.append(
            dump_postgresql(url, journey_id, dump_path)
            if database == "postgresql"
            else dump_sqlite(make_url(url).database, journey_id, dump_path)
        )
    dump = min(dumps, key=lambda d: d["seconds"])
    dump["rows_per_s"] = rows / dump["seconds"]
    result["dump"] = dump
    log(f"  dump ({dump['tool']}): {dump['seconds']:.2f}s, {dump['rows_per_s']:,.0f} rows/s")
    for export_format in formats:
        out_path = os.path.join(workdir, f"export.{export_format}")
        entry = run_child(url, secret, export_format, out_path)
        entry["rows_per_s"] = rows / entry["seconds"]
        if export_format == "csv":
            entry["rows_written"] = count_lines(out_path)
            entry["ratio_to_dump"] = entry["rows_per_s"] / dump["rows_per_s"]
        result[export_format] = entry
        log(
            f"  {export_format}: {entry['seconds']:.2f}s, {entry['rows_per_s']:,.0f} rows/s, "
            f"{entry['bytes'] / 1e6:.1f} MB, peak RSS growth {entry['rss_growth_mb']:.1f} MB"
            + (f", ratio to dump {entry['ratio_to_dump']:.2f}" if export_format == "csv" else "")
        )
        os.remove(out_path)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_DATABASE_URL", PG_ADMIN_URL),
        help="A PostgreSQL URL whose server may create and drop a scratch database.",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--secret", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.url, args.secret, args.child, args.out)
        return 0

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    results = []
    for database in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        workdir = tempfile.mkdtemp(prefix="stepsense-export-bench-")
        try:
            with scratch_database(database, args.pg_url, "bench_export") as url:
                results.append(run(database, url, args.rows, args.days, formats, workdir))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    ok = True
    print(f"{'database':<11} {'what':<6} {'seconds':>8} {'rows/s':>10} {'MB':>7} {'RSS growth':>11} {'ratio':>6}")
    for result in results:
        dump = result["dump"]
        print(
            f"{result['database']:<11} {'dump':<6} {dump['seconds']:>8.2f} {dump['rows_per_s']:>10,.0f} "
            f"{dump['bytes'] / 1e6:>7.1f} {'':>11} {'':>6}  {dump['tool']}"
        )
        for export_format in formats:
            entry = result[export_format]
            ratio = entry.get("ratio_to_dump")
            print(
                f"{result['database']:<11} {export_format:<6} {entry['seconds']:>8.2f} {entry['rows_per_s']:>10,.0f} "
                f"{entry['bytes'] / 1e6:>7.1f} {entry['rss_growth_mb']:>8.1f} MB {'' if ratio is None else f'{ratio:.2f}':>6}"
            )
            ok = ok and entry["rss_growth_mb"] < RSS_TARGET_MB
            if export_format == "csv":
                ok = ok and ratio >= CSV_TARGET and entry["rows_written"] == result["rows"]
    print(json.dumps({"generated_at": datetime.now(UTC).isoformat(), "results": results}, indent=2))
    print(
        f"targets (csv >= {CSV_TARGET} x dump, RSS growth < {RSS_TARGET_MB} MB, every row written):",
        "met" if ok else "NOT met",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
