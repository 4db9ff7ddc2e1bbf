"""Comments/s of the sentiment scorer per language, detection included, beside VADER on the same texts.

Times, per language, the labelled comments of ``tests/data`` through
``detect_language``, ``score(text)`` (detection + scoring, as the product
scores a comment) and VADER, in CPU time (``time.process_time``) and wall
time, best of ``--rounds`` passes.  ``--code DIR`` imports ``collector``
from DIR instead of this checkout, so two versions can be compared side by
side (``git archive <commit> collector | tar -x -C DIR``), run alternately.

Usage (from the repository root)::

    taskset -c 0 .venv/bin/python bench/sentiment_speed.py [--rounds 4] [--code DIR]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA = REPO_ROOT / "tests" / "data"
FILES = {
    "en": [DATA / "cx_comments.tsv", DATA / "sentiment" / "realworld_en.tsv"],
    "de": [DATA / "sentiment" / "cx_de.tsv"],
    "fr": [DATA / "sentiment" / "cx_fr.tsv"],
    "nl": [DATA / "sentiment" / "cx_nl.tsv"],
}


def texts_by_language() -> dict[str, list[str]]:
    """Every labelled comment (both splits), per language."""
    texts: dict[str, list[str]] = {}
    for language, paths in FILES.items():
        for path in paths:
            with path.open(encoding="utf-8", newline="") as f:
                rows = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
                texts.setdefault(language, []).extend(r["text"] for r in rows)
    return texts


def main(argv: list[str] | None = None) -> int:
    """Print one line per language and timed function."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4, help="passes per measurement; the best is kept")
    parser.add_argument("--code", type=Path, default=REPO_ROOT, help="directory holding the collector package")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.code))
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from collector.sentiment import VERSION, detect_language, score

    vader = SentimentIntensityAnalyzer()
    score("warm-up")  # load the detector and build every lexicon before timing
    for language in ("de", "fr", "nl"):
        score("ok", language)
    runs = {
        "detect": detect_language,
        "detect+score": score,
        "vader": vader.polarity_scores,
    }
    print(f"scorer {VERSION} from {args.code}")
    for language, items in texts_by_language().items():
        for name, run in runs.items():
            cpu = wall = float("inf")
            for _ in range(args.rounds):
                c0, w0 = time.process_time(), time.perf_counter()
                for text in items:
                    run(text)
                cpu, wall = min(cpu, time.process_time() - c0), min(wall, time.perf_counter() - w0)
            print(f"{language} {name:13s} {len(items) / cpu:8,.0f} CPU/s {len(items) / wall:8,.0f} wall/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
