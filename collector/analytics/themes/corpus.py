"""A step's comments as the rebuild reads them: one document per comment, and their matrix.

:func:`analyse` reads each comment once (tokens, spelling fixes, features);
:class:`Corpus` turns the documents into the binary comment × feature
matrix the fit works on; :func:`sample` keeps the fit affordable above
``Params.sample`` comments without making it depend on arrival order.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from collector.analytics.themes.dictionary import language_of
from collector.analytics.themes.model import Comment
from collector.analytics.themes.text import Token, content, corrections_for, features, tokens


@dataclass
class Doc:
    """One comment as the rebuild reads it."""

    id: str
    language: str
    feats: dict[str, str]
    lemmas: list[str]
    tokens: list[Token]
    raw: set[str]  # content lemmas before spelling fixes


def _key(value) -> str:
    return str(value)


def analyse(comments: Iterable[Comment]) -> tuple[list[Doc], dict[str, str]]:
    """Comments as feature sets, sorted by id (the first of duplicate ids wins), and the spelling fixes."""
    by_id: dict[str, Comment] = {}
    for comment in comments:
        by_id.setdefault(_key(comment.id), comment)
    ordered = [by_id[key] for key in sorted(by_id)]
    toks = []
    counts: Counter = Counter()
    language_of_lemma: dict[str, str] = {}
    for comment in ordered:
        lang = language_of(comment.language)
        words = tokens(comment.text, lang)
        toks.append((lang, words))
        lemmas = {t.lemma for t in words if not t.stop}
        counts.update(lemmas)
        for lemma in lemmas:
            language_of_lemma.setdefault(lemma, lang)
    fixes = corrections_for(dict(counts), language_of_lemma)
    docs = []
    for comment, (lang, words) in zip(ordered, toks):
        docs.append(
            Doc(
                _key(comment.id),
                lang,
                features(words, lang, fixes),
                [t.lemma for t in content(words, fixes)],
                words,
                {t.lemma for t in words if not t.stop},
            )
        )
    return docs, fixes


class Corpus:
    """The comments as a binary comment × feature matrix over the kept vocabulary."""

    def __init__(self, docs: list[Doc], min_df: int) -> None:
        df: Counter = Counter()
        for doc in docs:
            df.update(doc.feats.keys())
        self.all_df = df
        self.vocab = sorted(f for f, n in df.items() if n >= min_df)
        self.column = {f: j for j, f in enumerate(self.vocab)}
        rows, cols = [], []
        for i, doc in enumerate(docs):
            for feature in doc.feats:
                j = self.column.get(feature)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
        data = np.ones(len(rows), dtype=np.float64)
        self.X = sparse.csr_matrix((data, (rows, cols)), shape=(len(docs), len(self.vocab)))
        self.df = np.asarray(self.X.sum(axis=0)).ravel()
        self.n = len(docs)


def main_language(docs: list[Doc]) -> str:
    """The language most of the comments are in (ties: alphabetically first), English when there are none."""
    counts = Counter(doc.language for doc in docs)
    return min(counts, key=lambda lang: (-counts[lang], lang)) if counts else "en"


def sample(docs: list[Doc], limit: int) -> list[Doc]:
    """At most ``limit`` comments, chosen by a hash of their id (so adding comments keeps most of them)."""
    if len(docs) <= limit:
        return docs
    chosen = sorted(range(len(docs)), key=lambda i: (zlib.crc32(docs[i].id.encode("utf-8")), docs[i].id))[:limit]
    return [docs[i] for i in sorted(chosen)]
