"""Assign a fixed-seed dev/test split to a labelled comment file.

Input: ``label<TAB>text`` lines, written (and their labels fixed) before any
tuning.  Output: the ``split<TAB>label<TAB>text`` TSV that
``bench/sentiment_eval.py`` and the tests read.  The split is stratified by
label (each label's rows are shuffled with ``random.Random(seed)`` and the
first half goes to dev), so dev and test have the same label mix.

Usage: ``python bench/split_labelled.py RAW.txt OUT.tsv [--seed 20251201]``
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

SEED = 20251201


def split(rows: list[tuple[str, str]], seed: int = SEED) -> list[tuple[str, str, str]]:
    """(split, label, text) rows in input order, half of each label in dev."""
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i, (label, _text) in enumerate(rows):
        by_label.setdefault(label, []).append(i)
    dev: set[int] = set()
    for label in sorted(by_label):
        indices = by_label[label][:]
        rng.shuffle(indices)
        dev.update(indices[: (len(indices) + 1) // 2])
    return [("dev" if i in dev else "test", label, text) for i, (label, text) in enumerate(rows)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("raw", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    rows = []
    for line in args.raw.read_text(encoding="utf-8").splitlines():
        if line.strip():
            label, text = line.split("\t", 1)
            assert label in {"positive", "neutral", "negative"}, line
            rows.append((label, text.strip()))
    lines = ["split\tlabel\ttext"] + ["\t".join(row) for row in split(rows, args.seed)]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
