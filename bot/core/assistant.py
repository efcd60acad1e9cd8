"""The assistant every front end talks to: a question in, a reply ready to render out.

`Assistant.ask` decides everything a face shows — the outcome, the best passage and its highlighted
sentences, the other passages worth offering, the questions to suggest when nothing was found — so the
Telegram bot, the command line, the bench and a web page render the same decision and never reach into
the retrieval engine themselves.  Passages are also addressable by ordinal (what a button can carry) and
by reference, with their neighbours, documents and the study material.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from embeddings.question import courtesy_only
from knowledge import Corpus, Document, Passage
from knowledge.headings import load_headings
from knowledge.topics import QuizQuestion, Topic

if TYPE_CHECKING:
    from embeddings.engine import Engine
    from embeddings.retriever import Hit

# Retrieval threads: two workers keep the queue moving; each query's onnxruntime call shares the session's two
# intra-op threads (embeddings.onnx_encoder.THREADS).
RETRIEVAL_WORKERS = 2
OTHERS = 3  # other passages offered beside an answer
SUGGESTED = 3  # passages whose curated question is suggested after a near miss
CLOSEST_SHOWN = 3  # paragraphs offered, by heading, when none answers directly

# The three outcomes (the same names as the retrieval engine's): a direct quote; the closest paragraphs,
# clearly not a direct answer; nothing found.
DIRECT = "direct"
CLOSEST = "closest"
NOT_FOUND = "not_found"
ANSWERED = DIRECT  # a direct answer is what "answered" means in the stored events and JSON


@dataclass(frozen=True)
class Suggestion:
    """A curated question (hint `n` of `passage`) worth asking instead of one that found nothing."""

    text: str
    passage: Passage
    n: int


@dataclass(frozen=True)
class Reply:
    """Everything a face needs to show the answer to one question."""

    question: str
    outcome: str  # DIRECT | CLOSEST | NOT_FOUND
    confidence: float
    best: Passage | None = None  # the direct answer's passage
    highlights: list[int] = field(default_factory=list)  # indexes into best.sentences: the answer itself
    others: list[Passage] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)  # the whole ranking (inline lists, JSON output)
    also: list[Passage] = field(default_factory=list)  # further paragraphs that answer a generic question too
    closest: list[Passage] = field(default_factory=list)  # CLOSEST: the paragraphs nearest the question
    outside: str = ""  # CLOSEST: why the nearest cannot answer ("foreign", "proceedings", "stage"), if known
    courtesy: str = ""  # NOT_FOUND: the message was only a greeting or thanks ("greeting", "thanks"), not a question

    @property
    def answered(self) -> bool:
        return self.outcome == DIRECT


class Assistant:
    def __init__(self, engine: Engine, topics: list[Topic] | None = None, quiz: list[QuizQuestion] | None = None,
                 workers: int = RETRIEVAL_WORKERS) -> None:
        self.engine = engine
        self.corpus: Corpus = engine.corpus
        self.topics = topics or []
        self.quiz = quiz or []
        self.version = self.corpus.fingerprint[:6]  # references made for another corpus are stale
        self.passages: list[Passage] = self.corpus.passages
        self._ordinal = {p.id: i for i, p in enumerate(self.passages)}
        self._executor = ThreadPoolExecutor(workers, "retrieval")
        self._headings = load_headings(self.passages, self.topics)

    # -- answers -----------------------------------------------------------------------------------------
    def ask(self, question: str, k: int = 5) -> Reply:
        # "Сәлеметсіз бе!" or "Рахмет!" alone asks nothing: greeted back, not told that nothing was found
        courtesy = courtesy_only(question)
        if courtesy:
            return Reply(question, NOT_FOUND, 0.0, courtesy=courtesy)
        answer = self.engine.ask(question, k)
        best = answer.best
        if best is not None:
            also = [h.passage for h in answer.also]
            others = [h.passage for h in answer.hits[1:1 + OTHERS] if h.passage not in also]
            return Reply(answer.question, DIRECT, answer.confidence, best.passage, best.highlights,
                         others, [], answer.hits, also)
        if answer.outcome == CLOSEST and answer.hits:
            closest = [h.passage for h in answer.hits[:CLOSEST_SHOWN]]
            return Reply(answer.question, CLOSEST, answer.confidence, hits=answer.hits, closest=closest,
                         outside=answer.outside)
        # A near miss gets the curated questions of the closest paragraphs; a question far from the subject
        # (divorce, weather) gets none, so the face offers its general examples, which say what it is for.
        suggestions = []
        if answer.confidence >= self.engine.retriever.weights.threshold / 2:
            for hit in answer.hits[:SUGGESTED]:
                hints = self.hints(hit.passage)
                n = next((n for n, h in enumerate(hints) if h.endswith("?")), None)
                if n is not None:
                    suggestions.append(Suggestion(hints[n], hit.passage, n))
        return Reply(answer.question, NOT_FOUND, answer.confidence, None, [], [], suggestions, answer.hits)

    async def ask_async(self, question: str, k: int = 5) -> Reply:
        """`ask` in the retrieval pool: a slow question never blocks the event loop serving other users."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(self.ask, question, k))

    def highlight(self, passage: Passage, question: str) -> list[int]:
        """The sentence(s) of a given passage that best answer `question`."""
        return self.engine.retriever.highlight(passage, question)

    # -- passages ----------------------------------------------------------------------------------------
    def ordinal(self, passage: Passage) -> int:
        return self._ordinal[passage.id]

    def passage_at(self, i: int) -> Passage | None:
        return self.passages[i] if 0 <= i < len(self.passages) else None

    def get(self, passage_id: str) -> Passage | None:
        return self.corpus.get(passage_id)

    def paragraph(self, doc_ref: str, number: str) -> Passage | None:
        """A paragraph by document reference and number ("2016-1", "5-тармақ"); None when there is none."""
        try:
            return self.corpus.passage(doc_ref, number)
        except KeyError:
            return None

    def neighbours(self, passage: Passage) -> tuple[Passage | None, Passage | None]:
        return self.corpus.neighbours(passage)

    def heading(self, passage: Passage, lang: str = "kk") -> str:
        """The passage's short navigation heading (curated, or its first words for an uncurated document)."""
        return self._headings[passage.id].text(lang)

    def hints(self, passage: Passage) -> list[str]:
        return self.corpus.hints.get(passage.id, [])

    # -- documents ---------------------------------------------------------------------------------------
    @property
    def documents(self) -> list[Document]:
        return self.corpus.documents

    def document_at(self, i: int) -> Document | None:
        docs = self.corpus.documents
        return docs[i] if 0 <= i < len(docs) else None

    def of(self, doc_id: str) -> list[Passage]:
        return self.corpus.of(doc_id)

    def cited_documents(self, text: str) -> list[str]:
        """Ids of the documents whose citation `text` quotes (a reply to a quote names its document)."""
        return [doc.id for doc in self.documents if text and self.of(doc.id)[0].citation.rsplit(",", 1)[0] in text]

    # -- study material ----------------------------------------------------------------------------------
    def topic_passages(self, topic_id: str) -> list[str]:
        topic = next(t for t in self.topics if t.id == topic_id)
        return [i.passage_id for i in topic.items]

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
