"""Evaluate the Stepsense sentiment scorer against human-rated text.

Scores the VADER ground-truth corpora (Hutto & Gilbert 2014; see the README in
the data directory) and the project's labelled CX comments with plain TextBlob,
VADER (when installed) and Stepsense, and prints per corpus:

* Pearson r between the scorer's polarity and the human mean rating
  (for the CX comments: the label as -1 / 0 / +1);
* 3-class macro-F1: gold positive when the mean is > 0.5, negative when
  < -0.5 on the -4..4 scale (for the CX comments: the label itself);
* comments per second on one core (one process, no threads).

The corpora are read in place and never copied into the repository; they
are third-party text for evaluation only.

Usage (from the repository root)::

    .venv/bin/python bench/sentiment_eval.py [--data-dir DIR] [--splits dev,test]
        [--markdown bench/SENTIMENT.md]
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from textblob.en.sentiments import PatternAnalyzer  # noqa: E402

from collector.sentiment import VERSION, score  # noqa: E402

CORPORA = {
    "amazon": "amazonReviewSnippets_GroundTruth.txt",
    "movie": "movieReviewSnippets_GroundTruth.txt",
    "nyt": "nytEditorialSnippets_GroundTruth.txt",
    "tweets": "tweets_GroundTruth.txt",
}
LABELS = ("negative", "neutral", "positive")
CX_GOLD = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}

Scorer = Callable[[str], tuple[float, str]]


def read_corpus(path: Path) -> list[tuple[str, float, str]]:
    """Rows of ``id<TAB>mean<TAB>text`` (CRLF, no header) as (text, mean, label)."""
    rows = []
    with path.open(encoding="utf-8", newline="") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line:
                continue
            _id, mean, text = line.split("\t", 2)
            value = float(mean)
            label = "positive" if value > 0.5 else "negative" if value < -0.5 else "neutral"
            rows.append((text, value, label))
    return rows


def read_cx(path: Path, split: str) -> list[tuple[str, float, str]]:
    """One split of the labelled CX comments as (text, -1/0/+1, label)."""
    with path.open(encoding="utf-8", newline="") as f:
        return [
            (row["text"], CX_GOLD[row["label"]], row["label"])
            for row in csv.DictReader(f, delimiter="\t")
            if row["split"] == split
        ]


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Pearson correlation coefficient (0.0 when either side is constant)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx and syy else 0.0


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Unweighted mean of per-class F1 over negative, neutral and positive."""
    scores = []
    for label in LABELS:
        tp = sum(1 for g, p in zip(gold, predicted) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted) if g == label and p != label)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def textblob_scorer() -> Scorer:
    """Plain TextBlob (PatternAnalyzer): the sign of the polarity is the label."""
    analyzer = PatternAnalyzer()

    def run(text: str) -> tuple[float, str]:
        p = analyzer.analyze(text).polarity
        return p, "positive" if p > 0 else "negative" if p < 0 else "neutral"

    return run


def vader_scorer() -> Scorer | None:
    """VADER compound with its documented +/-0.05 thresholds, if installed."""
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return None
    analyzer = SentimentIntensityAnalyzer()

    def run(text: str) -> tuple[float, str]:
        c = analyzer.polarity_scores(text)["compound"]
        return c, "positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral"

    return run


def stepsense_scorer(text: str) -> tuple[float, str]:
    """The project's scorer."""
    s = score(text)
    return s.polarity, s.label


def evaluate(scorer: Scorer, rows: list[tuple[str, float, str]]) -> tuple[float, float, float]:
    """(Pearson r, macro-F1, comments/s) of one scorer on one corpus."""
    texts = [r[0] for r in rows]
    start = time.perf_counter()
    results = [scorer(t) for t in texts]
    elapsed = time.perf_counter() - start
    r = pearson([p for p, _ in results], [row[1] for row in rows])
    f1 = macro_f1([row[2] for row in rows], [label for _, label in results])
    return r, f1, len(texts) / elapsed


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation and print (and optionally write) the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / ".." / "shared" / "data" / "sentiment",
                        help="directory with the *_GroundTruth.txt corpora")
    parser.add_argument("--cx", type=Path, default=REPO_ROOT / "tests" / "data" / "cx_comments.tsv",
                        help="labelled CX comments (split, label, text)")
    parser.add_argument("--splits", default="dev,test",
                        help="CX splits to score, comma-separated (tune on dev only)")
    parser.add_argument("--corpora", default=",".join(CORPORA),
                        help="public corpora to score, comma-separated ('' for none)")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)

    datasets: list[tuple[str, list[tuple[str, float, str]]]] = []
    for name in filter(None, args.corpora.split(",")):
        datasets.append((name, read_corpus(args.data_dir / CORPORA[name])))
    for split in filter(None, args.splits.split(",")):
        datasets.append((f"cx-{split}", read_cx(args.cx, split)))

    scorers: list[tuple[str, Scorer]] = [("textblob", textblob_scorer())]
    vader = vader_scorer()
    if vader is not None:
        scorers.append(("vader", vader))
    scorers.append((f"stepsense {VERSION}", stepsense_scorer))

    lines = [
        "| corpus | n | scorer | Pearson r | macro-F1 | comments/s |",
        "|---|---:|---|---:|---:|---:|",
    ]
    totals: dict[str, list[float]] = {name: [0, 0.0] for name, _ in scorers}
    for corpus, rows in datasets:
        for name, scorer in scorers:
            r, f1, rate = evaluate(scorer, rows)
            totals[name][0] += len(rows)
            totals[name][1] += len(rows) / rate
            lines.append(f"| {corpus} | {len(rows)} | {name} | {r:.3f} | {f1:.3f} | {rate:,.0f} |")
    lines.append("")
    lines.append("| scorer | comments/s over all rows above (one core) |")
    lines.append("|---|---:|")
    for name, (n, seconds) in totals.items():
        lines.append(f"| {name} | {n / seconds:,.0f} |")
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        command = "python bench/sentiment_eval.py " + " ".join(argv if argv is not None else sys.argv[1:])
        args.markdown.write_text(
            "# Sentiment evaluation\n\n"
            f"Command (from the repository root): `{command.strip()}`\n\n"
            "Gold labels: human mean > 0.5 positive, < -0.5 negative on the -4..4 scale; "
            "CX rows use their label (r against -1/0/+1). Plain TextBlob labels by the sign "
            "of its polarity, VADER by its documented +/-0.05 compound thresholds.\n\n"
            f"{table}\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
