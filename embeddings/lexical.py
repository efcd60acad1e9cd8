"""Lexical scorers over pre-tokenised passages; the caller owns tokenisation (see `normalize`).

BM25 (Okapi) is the lexical channel of the hybrid ranker; the character n-gram TF-IDF is the baseline
`cassbot eval --baseline` compares against.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np


class LexicalScorer:
    """Scores every document for a query; higher is better."""

    def scores(self, query: list[str]) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError


class BM25(LexicalScorer):
    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.n = len(docs)
        lengths = np.array([len(d) for d in docs], dtype=np.float32)
        avg = float(lengths.mean()) if len(docs) else 0.0
        # The length normalisation depends only on the documents: computed once, not per query.
        self.norm = self.k1 * (1 - self.b + self.b * lengths / max(avg, 1e-9))
        # Postings (term → the documents holding it, with counts): a query touches only those documents.
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for i, d in enumerate(docs):
            for t, c in Counter(d).items():
                rows, counts = postings.setdefault(t, ([], []))
                rows.append(i)
                counts.append(c)
        self.postings = {t: (np.array(r, dtype=np.int64), np.array(c, dtype=np.float32))
                         for t, (r, c) in postings.items()}
        self.idf = {t: math.log(1 + (self.n - len(r) + 0.5) / (len(r) + 0.5)) for t, (r, _) in postings.items()}

    def scores(self, query: list[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float32)
        for t in sorted(set(query)):  # a fixed order of float additions: the same scores in every process
            idf = self.idf.get(t)
            if idf is None:
                continue
            rows, tf = self.postings[t]
            out[rows] += idf * tf * (self.k1 + 1) / (tf + self.norm[rows])
        return out

    def known(self, token: str) -> bool:
        return token in self.idf


class CharTfidf(LexicalScorer):
    """Character n-gram TF-IDF with cosine similarity: the classic fast baseline for noisy spelling."""

    def __init__(self, texts: list[str], ngram: tuple[int, int] = (2, 4)) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vec = TfidfVectorizer(analyzer="char_wb", ngram_range=ngram, sublinear_tf=True)
        self.matrix = self.vec.fit_transform(texts)

    def scores(self, query: list[str]) -> np.ndarray:
        q = self.vec.transform([" ".join(query)])
        return (self.matrix @ q.T).toarray().ravel().astype(np.float32)
