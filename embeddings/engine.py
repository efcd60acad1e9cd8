"""The retrieval core the bot and the command line share: corpus + model + index + ranker, opened once."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from embeddings.index import DenseIndex, build_index, open_index
from embeddings.model import encoder_id, load_encoder
from embeddings.onnx_encoder import THREADS
from embeddings.query_vectors import QueryVectors
from embeddings.retriever import Answer, Hit, Retriever
from knowledge import Corpus

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from embeddings.onnx_encoder import OnnxEncoder

log = logging.getLogger(__name__)
INDEX_DIR = "index"
QUERY_CACHE = 1024  # question vectors kept per process (embeddings/query_vectors.py)


def index_dir(data_dir: Path, model_name: str) -> Path:
    """One index folder per model and encoder, so switching the model setting never reads the other's vectors."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in encoder_id(model_name))[-80:]
    return Path(data_dir) / INDEX_DIR / safe


@dataclass
class Engine:
    corpus: Corpus
    model: OnnxEncoder | SentenceTransformer
    index: DenseIndex
    retriever: Retriever
    query_vectors: QueryVectors
    startup_seconds: float = 0.0

    @classmethod
    def open(cls, corpus: Corpus, model_name: str, data_dir: Path, *, rebuild: bool = False,
             query_cache: int = QUERY_CACHE, threads: int = THREADS) -> Engine:
        """``query_cache``: question vectors remembered (0: every question goes through the model);
        ``threads``: the encoder's threads for one question."""
        start = time.perf_counter()
        model = load_encoder(model_name, Path(data_dir), threads)
        mid = encoder_id(model_name)
        directory = index_dir(Path(data_dir), model_name)
        # `cassbot build` embeds everything afresh; a stale index found on opening keeps its unchanged texts' vectors
        index = (build_index(corpus, model, mid, directory, reuse=False) if rebuild
                 else open_index(corpus, model, mid, directory))

        def encode(questions: list[str]) -> np.ndarray:
            return model.encode(questions, prompt_name="query", normalize_embeddings=True, convert_to_numpy=True,
                                show_progress_bar=False)

        vectors = QueryVectors(encode, query_cache)
        engine = cls(corpus, model, index, Retriever(corpus, index, vectors), vectors)
        engine.startup_seconds = time.perf_counter() - start
        log.info("engine ready in %.1f s (%d passages, %d vectors)", engine.startup_seconds,
                 len(engine.retriever.passages), index.index.ntotal)
        return engine

    def ask(self, question: str, k: int = 5) -> Answer:
        return self.retriever.ask(question, k)

    def warm(self, questions: list[str]) -> None:
        """Encode many questions in one batched call, as the ranker will read them (a question file's evaluation)."""
        self.query_vectors.warm([self.retriever.respell(q.strip()) for q in questions])

    def without_hints(self, doc_ids: frozenset[str]) -> Retriever:
        """The same ranker and weights with these documents' curated hints and labels ignored (leave one out)."""
        r = self.retriever
        return Retriever(self.corpus, self.index, r.encode_query, r.weights, without_hints=doc_ids)

    # -- baselines for `cassbot eval --baseline` ---------------------------------------------------------
    def dense_only(self, question: str, k: int = 5) -> Answer:
        f = self.retriever.features(question)
        order = np.argsort(-f.channels["dense"])[:k]
        hits = [Hit(self.retriever.passages[i], float(f.channels["dense"][i])) for i in order]
        return Answer(question, True, 1.0, hits)


class CharTfidfBaseline:
    """Character n-gram TF-IDF over passages: the classic fast baseline (always answers)."""

    def __init__(self, corpus: Corpus) -> None:
        from embeddings.lexical import CharTfidf

        self.passages = [p for p in corpus.passages if not p.deleted]
        self.scorer = CharTfidf([p.text.lower() for p in self.passages])

    def ask(self, question: str, k: int = 5) -> Answer:
        scores = self.scorer.scores([question.lower()])
        order = np.argsort(-scores)[:k]
        return Answer(question, True, 1.0, [Hit(self.passages[i], float(scores[i]))
                                            for i in order])
