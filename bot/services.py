"""What the handlers share, created once at start-up: the engine, storage, curated study material."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from bot.settings import Settings
from bot.storage import Event, Storage
from embeddings.engine import Engine
from embeddings.retriever import Answer
from knowledge import Passage
from knowledge.topics import QuizQuestion, Topic

log = logging.getLogger(__name__)

# Retrieval threads: each query runs onnxruntime on one thread (embeddings.onnx_encoder.THREADS), so two workers
# use both cores and keep the queue moving.
RETRIEVAL_WORKERS = 2


@dataclass
class Services:
    engine: Engine
    storage: Storage
    settings: Settings
    topics: list[Topic] = field(default_factory=list)
    quiz: list[QuizQuestion] = field(default_factory=list)
    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(RETRIEVAL_WORKERS, "retrieval"))
    bot_username: str = ""

    def __post_init__(self) -> None:
        corpus = self.engine.corpus
        self.version = corpus.fingerprint[:6]  # callback data made for another corpus is stale
        self.passages: list[Passage] = corpus.passages
        self._ordinal = {p.id: i for i, p in enumerate(self.passages)}

    # -- passages by ordinal (what callback data carries) ---------------------------------------------------
    def ordinal(self, passage: Passage) -> int:
        return self._ordinal[passage.id]

    def passage_at(self, i: int) -> Passage | None:
        return self.passages[i] if 0 <= i < len(self.passages) else None

    def neighbours(self, passage: Passage) -> tuple[Passage | None, Passage | None]:
        return self.engine.corpus.neighbours(passage)

    # -- work off the event loop ------------------------------------------------------------------------
    async def ask(self, question: str, k: int = 5) -> Answer:
        """Retrieval in the thread pool: a slow question never blocks other users' updates."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, partial(self.engine.ask, question, k))

    async def record(self, event: Event) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self.storage.record, event)
        except Exception:  # storage must never cost the user an answer
            log.exception("could not record a %s event", event.kind)

    async def run(self, fn, *args):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, fn, *args)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.storage.close()
