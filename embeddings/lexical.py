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
        self.tf = [Counter(d) for d in docs]
        self.len = np.array([len(d) for d in docs], dtype=np.float32)
        self.avg = float(self.len.mean()) if len(docs) else 0.0
        df: Counter[str] = Counter()
        for d in self.tf:
            df.update(d.keys())
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        # The length normalisation depends only on the documents: computed once, not per query.
        self.norm = self.k1 * (1 - self.b + self.b * self.len / max(self.avg, 1e-9))

    def scores(self, query: list[str]) -> np.ndarray:
        out = np.zeros(len(self.tf), dtype=np.float32)
        norm = self.norm
        for t in set(query):
            idf = self.idf.get(t)
            if idf is None:
                continue
            tf = np.array([d.get(t, 0) for d in self.tf], dtype=np.float32)
            out += idf * tf * (self.k1 + 1) / (tf + norm)
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
