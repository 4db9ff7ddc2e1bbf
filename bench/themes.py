"""Quality and cost of the theme engine, against plain TF-IDF + NMF, in one run.

    .venv/bin/python bench/themes.py              # dev and test, quality and cost
    .venv/bin/python bench/themes.py --split dev  # while tuning: dev only
    .venv/bin/python bench/themes.py --no-cost

Quality: every (language, step, split) group of tests/data/themes_eval.tsv
is built on its own, as the product would build one step.  NMI (arithmetic
normalisation, as scikit-learn's default) and purity compare each
comment's primary theme (no theme counts as one more cluster) with the gold
theme ("none" counts as one more gold theme), weighted by comments over the
steps.  Label readability: a theme's label counts as *written* when at least
two of its comments contain it word for word, and as *on topic* when it
shares a word stem with the name of its majority gold theme; *readable*
needs both.  *Label coverage* is the mean share of a theme's comments that
contain a word of its label (lemmas): a label that names what most of its
comments say.

The baseline is what the issue names: TF-IDF (scikit-learn defaults,
min_df=2, the same stopword lists, no lemmas) and NMF with as many
components as the step has gold themes (an oracle the engine does not
get); a comment's theme is its largest component, none when all are 0; a
label is the component's two top terms.

Cost: the process is pinned to one core (sched_setaffinity, BLAS threads 1);
a rebuild of 100,000 synthetic comments at one step (eval comments with
typos, noise words and a long tail of made-up words), then CPU time per
assigned comment.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


import numpy as np  # noqa: E402
from sklearn.decomposition import NMF  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import normalized_mutual_info_score  # noqa: E402

from collector.analytics.themes import Comment, build, compiled  # noqa: E402
from collector.analytics.themes import text as text_module  # noqa: E402
from collector.analytics.themes.dictionary import compound_parts, is_known, lemma, lemmas, native_lemma  # noqa: E402
from collector.analytics.themes.text import FILLER, STOPWORDS, tokens  # noqa: E402

EVAL = ROOT / "tests" / "data" / "themes_eval.tsv"
NONE = "∅"


def load(path: Path = EVAL) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def purity(gold: list[str], predicted: list[str]) -> float:
    by_cluster: dict[str, Counter] = defaultdict(Counter)
    for g, p in zip(gold, predicted):
        by_cluster[p][g] += 1
    return sum(c.most_common(1)[0][1] for c in by_cluster.values()) / len(gold)


def engine_themes(rows: list[dict]) -> tuple[list[str], dict[str, str]]:
    comments = [Comment(i, row["text"], row["language"]) for i, row in enumerate(rows)]
    model = build(comments)
    predicted = [(model.assignments[str(i)] or [NONE])[0] for i in range(len(rows))]
    return predicted, {t.key: t.label for t in model.themes}


def engine_without_lexicon(rows: list[dict]) -> tuple[list[str], dict[str, str]]:
    """The engine with the concept lexicon switched off: what the data alone gives."""
    saved = text_module.concept_features
    text_module.concept_features = lambda lemmas, language: []
    try:
        return engine_themes(rows)
    finally:
        text_module.concept_features = saved


def baseline_themes(rows: list[dict]) -> tuple[list[str], dict[str, str]]:
    language = rows[0]["language"]
    stop = sorted(STOPWORDS[language] | FILLER[language])
    k = len({r["gold_theme"] for r in rows} - {"none"})
    vectorizer = TfidfVectorizer(min_df=2, stop_words=stop)
    X = vectorizer.fit_transform([r["text"] for r in rows])
    nmf = NMF(n_components=k, init="nndsvda", random_state=0, max_iter=1000)
    W = nmf.fit_transform(X)
    terms = vectorizer.get_feature_names_out()
    labels = {str(c): " ".join(terms[j] for j in np.argsort(-nmf.components_[c])[:2]) for c in range(k)}
    predicted = [str(int(np.argmax(w))) if w.max() > 0 else NONE for w in W]
    return predicted, labels


def _stems(text: str, language: str) -> set[str]:
    words = set()
    for token in tokens(text.replace("_", " "), language):
        for form in (token.surface, lemma(token.surface, language)):
            words.add(form[:4])
    return words


def _plain(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.lower().replace("’", "'")))


def readability(rows: list[dict], predicted: list[str], labels: dict[str, str]) -> tuple[int, int, int, int, float]:
    """(themes, written, on topic, both, label coverage) over the clusters that have comments."""
    language = rows[0]["language"]
    members: dict[str, list[dict]] = defaultdict(list)
    for row, p in zip(rows, predicted):
        if p != NONE:
            members[p].append(row)
    themes = written = on_topic = both = 0
    coverage = 0.0
    for key, group in members.items():
        label = labels[key].lower()
        themes += 1
        words = {t.lemma for t in tokens(label, language) if not t.stop}
        coverage += sum(bool(words & {t.lemma for t in tokens(r["text"], language)}) for r in group) / len(group)
        is_written = sum(f" {_plain(label)} " in f" {_plain(r['text'])} " for r in group) >= 2
        majority = Counter(r["gold_theme"] for r in group).most_common(1)[0][0]
        is_on_topic = majority != "none" and bool(_stems(label, language) & _stems(majority, language))
        written += is_written
        on_topic += is_on_topic
        both += is_written and is_on_topic
    return themes, written, on_topic, both, coverage


def quality(splits: list[str], show: bool) -> list[dict]:
    rows = load()
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        if row["split"] in splits:
            groups[(row["language"], row["split"], row["step"])].append(row)
    results = []
    for (language, split, step), group in sorted(groups.items()):
        gold = [r["gold_theme"] for r in group]
        for method, run in METHODS:
            predicted, labels = run(group)
            results.append(
                {
                    "language": language,
                    "split": split,
                    "step": step,
                    "method": method,
                    "n": len(group),
                    "nmi": normalized_mutual_info_score(gold, predicted),
                    "purity": purity(gold, predicted),
                    "clusters": len(set(predicted) - {NONE}),
                    "none": predicted.count(NONE),
                    "readability": readability(group, predicted, labels),
                }
            )
            if show and method == "engine":
                print(f"\n## {language} {split} {step}")
                by: dict[str, list] = defaultdict(list)
                for r, p in zip(group, predicted):
                    by[p].append(r)
                for p, members in sorted(by.items(), key=lambda item: -len(item[1])):
                    gold_counts = Counter(m["gold_theme"] for m in members).most_common(3)
                    print(f"  {labels.get(p, NONE)!r:28} {len(members):3} {gold_counts}")
    return results


METHODS = [("engine", engine_themes), ("engine, no lexicon", engine_without_lexicon), ("tfidf+nmf", baseline_themes)]

# -- one step, three languages -------------------------------------------------

#: The German and French steps that are the English ones, and their gold themes that name the
#: same reason as an English gold theme (an alias for this measure only: the file is unchanged).
SAME_STEP = {"zahlung": "payment", "paiement": "payment", "versand": "shipping", "livraison": "shipping"}
SAME_THEME = {
    "karte_abgelehnt": "card_declined",
    "carte_refusee": "card_declined",
    "doppelt_abgebucht": "double_charge",
    "debit_double": "double_charge",
    "rechnung": "payment_methods",
    "moyens_paiement": "payment_methods",
    "lieferzeit": "delivery_time",
    "delai": "delivery_time",
    "versandkosten": "shipping_cost",
    "frais_de_port": "shipping_cost",
    "packstation": "pickup_point",
    "point_relais": "pickup_point",
    "adresse": "address_form",
}


def mixed(splits: list[str]) -> list[str]:
    """Payment and shipping with their English, German and French comments as one step each (as a
    site with three locales has them): do German and French comments join the English themes?

    *joined*: share of the German and French comments with a theme whose theme also holds English
    comments; *English labels*: share of themes holding English comments that are named in English.
    """
    lines = [
        "| split | step | method | comments | NMI | purity | themes | joined | English labels |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for split in splits:
        for step in ("payment", "shipping"):
            rows = [r for r in load() if r["split"] == split and SAME_STEP.get(r["step"], r["step"]) == step]
            gold = [SAME_THEME.get(r["gold_theme"], r["gold_theme"]) for r in rows]
            for method, run in (("engine", engine_themes), ("tfidf+nmf", _mixed_baseline)):
                predicted, labels = run(rows)
                english = {p for p, r in zip(predicted, rows) if p != NONE and r["language"] == "en"}
                local = [p for p, r in zip(predicted, rows) if p != NONE and r["language"] != "en"]
                joined = sum(p in english for p in local) / len(local) if local else 0.0
                named = sum(_is_english(labels[p]) for p in english) / len(english) if english else 0.0
                lines.append(
                    f"| {split} | {step} | {method} | {len(rows)} | {normalized_mutual_info_score(gold, predicted):.3f}"
                    f" | {purity(gold, predicted):.3f} | {len(set(predicted) - {NONE})} | {joined:.0%} | {named:.0%} |"
                )
    return lines


def _mixed_baseline(rows: list[dict]) -> tuple[list[str], dict[str, str]]:
    stop = sorted(set().union(*(STOPWORDS[lang] | FILLER[lang] for lang in STOPWORDS)))
    k = len({SAME_THEME.get(r["gold_theme"], r["gold_theme"]) for r in rows} - {"none"})
    vectorizer = TfidfVectorizer(min_df=2, stop_words=stop)
    X = vectorizer.fit_transform([r["text"] for r in rows])
    W = NMF(n_components=k, init="nndsvda", random_state=0, max_iter=1000).fit_transform(X)
    return [str(int(np.argmax(w))) if w.max() > 0 else NONE for w in W], {str(c): str(c) for c in range(k)}


def _is_english(label: str) -> bool:
    """No word of the label is a German or French word the English dictionary does not know."""
    words = [w for w in re.findall(r"[^\W\d_]+", label.lower()) if len(w) > 1]
    return bool(words) and all(is_known(w, "en") or not (is_known(w, "de") or is_known(w, "fr")) for w in words)


def stability(seeds: int = 5) -> list[str]:
    """Share of earlier comments that keep their primary theme when 10 % more arrive and a rebuild runs."""
    rows = load()
    lines = [
        "| language | step | comments | kept, rebuild with previous model | kept, rebuild from scratch |",
        "|---|---|---|---|---|",
    ]
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        groups[(row["language"], row["step"])].append(row)
    for (language, step), group in sorted(groups.items()):
        warm = cold = 0.0
        for seed in range(seeds):
            order = list(range(len(group)))
            random.Random(seed).shuffle(order)
            cut = round(len(group) / 1.1)
            old = [Comment(i, group[i]["text"], language) for i in order[:cut]]
            new = [Comment(i, group[i]["text"], language) for i in order[cut:]]
            before = build(old)
            after_warm = build(old + new, previous=before)
            after_cold = build(old + new)

            def first(model, c):
                keys = model.assignments[str(c.id)]
                return keys[0] if keys else None

            warm += sum(first(before, c) == first(after_warm, c) for c in old) / len(old)
            cold += sum(first(before, c) == first(after_cold, c) for c in old) / len(old)
        lines.append(f"| {language} | {step} | {len(group)} | {warm / seeds:.1%} | {cold / seeds:.1%} |")
    return lines


def table(results: list[dict], by: tuple[str, ...]) -> list[str]:
    pooled: dict[tuple, list[dict]] = defaultdict(list)
    for r in results:
        pooled[tuple(r[k] for k in by) + (r["method"],)].append(r)
    lines = [
        "| "
        + " | ".join(by)
        + " | method | comments | NMI | purity | themes | no theme | labels written | on topic | readable | label coverage |",
        "|" + "---|" * (len(by) + 10),
    ]
    for key in sorted(pooled, key=lambda k: (k[:-1], [m for m, _ in METHODS].index(k[-1]))):
        group = pooled[key]
        n = sum(r["n"] for r in group)
        nmi = sum(r["nmi"] * r["n"] for r in group) / n
        pur = sum(r["purity"] * r["n"] for r in group) / n
        themes, written, topic, both, coverage = (sum(r["readability"][i] for r in group) for i in range(5))
        lines.append(
            "| "
            + " | ".join(str(v) for v in key[:-1])
            + f" | {key[-1]} | {n} | {nmi:.3f} | {pur:.3f} | {themes} | {sum(r['none'] for r in group)}"
            + f" | {written / themes:.0%} | {topic / themes:.0%} | {both / themes:.0%} | {coverage / themes:.0%} |"
        )
    return lines


# -- cost --------------------------------------------------------------------


def synthetic(n: int, seed: int = 7) -> list[Comment]:
    """n comments like one busy step's: eval comments of one step, perturbed."""
    rng = random.Random(seed)
    base = [r["text"] for r in load() if r["language"] == "en" and r["step"] in ("payment", "shipping")]
    letters = "abcdefghijklmnopqrstuvwxyz"
    tail = ["".join(rng.choice(letters) for _ in range(rng.randint(4, 9))) for _ in range(20_000)]
    common = sorted({w for text in base for w in text.lower().split()})
    comments = []
    for i in range(n):
        words = rng.choice(base).split()
        if rng.random() < 0.3 and words:
            j = rng.randrange(len(words))
            w = words[j]
            if len(w) > 3:
                k = rng.randrange(len(w))
                words[j] = w[:k] + w[k + 1 :]
        for _ in range(rng.randint(0, 3)):
            words.insert(rng.randint(0, len(words)), rng.choice(common))
        if rng.random() < 0.5:
            words.append(tail[int(rng.paretovariate(1.2)) % len(tail)])
        comments.append(
            Comment(i, " ".join(words), "en", rng.choice(["negative", "neutral", "positive"]), rng.uniform(-1, 1))
        )
    return comments


def cost(n: int) -> list[str]:
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {0})
    comments = synthetic(n)
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    model = build(comments)
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
    assigner = compiled(model)
    new = synthetic(20_000, seed=11)
    assigner(new[0].text, "en")
    start = time.process_time()
    for comment in new:
        assigner(comment.text, comment.language)
    per = (time.process_time() - start) / len(new)
    held = [r for r in load() if r["split"] == "test"]
    for cached in (lemma, lemmas, native_lemma, is_known, compound_parts):
        cached.cache_clear()  # the quality run looked these words up already
    start = time.process_time()
    for r in held:
        assigner(r["text"], r["language"])
    per_cold = (time.process_time() - start) / len(held)
    return [
        "| measure | value |",
        "|---|---|",
        f"| rebuild of {n:,} comments, one step, one core: CPU | {cpu:.1f} s |",
        f"| same, wall clock | {wall:.1f} s |",
        f"| themes found | {len(model.themes)} |",
        f"| vocabulary (features kept) | {len(model.background):,} |",
        f"| stored model (JSON, without assignments) | {len(__import__('json').dumps(model.to_dict(assignments=False))) / 1e6:.1f} MB |",
        f"| assign one new comment (20,000 synthetic), CPU | {per * 1e3:.3f} ms |",
        f"| assign one test-split eval comment (en/de/fr), word caches emptied first, CPU | {per_cold * 1e3:.3f} ms |",
    ]


MARKDOWN_HEADER = """\
# Theme engine: quality and cost

Command (from the repository root; the script pins itself to one core and one BLAS thread):
`.venv/bin/python bench/themes.py --markdown bench/THEMES.md` ({date}, shared 2-core machine, other test suites running).

Method, data and caveats: [docs/themes.md](../docs/themes.md). In short: each (language, step, split)
group of `tests/data/themes_eval.tsv` (608 hand-written comments, labels committed before tuning) is
built on its own; NMI (arithmetic) and purity of the primary theme against the gold theme (no theme and
`none` each count as one more cluster/class), weighted over steps. Tuned on `dev` only; `test` is held
out. *engine, no lexicon* switches off the hand-written concept lexicon (written by the same author as
the evaluation set): it shows what the data alone gives. *tfidf+nmf* is plain TF-IDF (min_df 2, same
stopwords, no lemmas) + NMF with the number of gold themes as K (an oracle). *labels written*: the label
occurs word for word in ≥ 2 of its theme's comments; *on topic*: shares a 4-letter stem with the name of
the theme's majority gold theme (misses synonyms); *readable*: both; *label coverage*: mean share of a
theme's comments containing a word of its label. *One step, three languages*: payment and shipping with
their en, de and fr comments built together (German and French gold themes that name an English one count
as it, `SAME_THEME`); *joined*: share of the de/fr comments with a theme whose theme also holds English
comments; *English labels*: share of the themes holding English comments that are named in English.

"""


STORE_MARKER = "<!-- bench/themes_store.py -->"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", action="append", choices=["dev", "test"], help="default: both")
    parser.add_argument("--show", action="store_true", help="print each step's engine themes")
    parser.add_argument("--no-cost", action="store_true")
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    args = parser.parse_args(argv)
    splits = args.split or ["dev", "test"]
    results = quality(splits, args.show)
    out = ["### Quality by language and split", "", *table(results, ("language", "split"))]
    out += ["", "### Quality by split (all languages)", "", *table(results, ("split",))]
    out += ["", "### One step, three languages (payment, shipping: en + de + fr comments together)", ""]
    out += [*mixed(splits), ""]
    out += ["", "### Stability: +10 % comments, 5 random orders (all splits)", "", *stability()]
    if not args.no_cost:
        out += ["", "### Cost (one core)", "", *cost(args.comments)]
    print("\n" + "\n".join(out))
    if args.markdown:
        header = MARKDOWN_HEADER.format(date=time.strftime("%Y-%m-%d"))
        # bench/themes_store.py's results (read vs recompute) follow the marker: kept as they are.
        kept = args.markdown.read_text(encoding="utf-8") if args.markdown.exists() else ""
        kept = kept[kept.index(STORE_MARKER) :] if STORE_MARKER in kept else ""
        args.markdown.write_text(header + "\n".join(out) + "\n" + ("\n" + kept if kept else ""), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
