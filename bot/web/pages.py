"""What the reading view shows, built from the knowledge base (never a second copy of the text).

Each page is a small record the templates lay out: a document with its table of contents and paragraphs, one
paragraph in its context, or a search result.  The records carry the passages' own text, split into
sub-paragraphs and sentences exactly as the bot's quotes are (`knowledge.repair.split_sentences`), so a quote
read here is the quote the bot sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.web.links import anchor, document_path
from embeddings.retriever import Answer, Hit
from knowledge import Corpus, Document, Passage
from knowledge.repair import split_sentences

# The search outcomes a result page can show.  "closest" (paragraphs near the question, but no direct answer)
# is the retrieval core's third outcome; an `Answer` that carries an `outcome` attribute drives it.
Outcome = Literal["answer", "closest", "not_found"]
OUTCOMES: tuple[Outcome, ...] = ("answer", "closest", "not_found")
TOC_WORDS = 70  # characters of a paragraph's first words in the table of contents


@dataclass
class Sentence:
    text: str
    marked: bool = False  # a sentence the retrieval found closest to the question


@dataclass
class ParagraphView:
    """One passage as the page lays it out: sub-paragraphs of sentences, its notes beside it."""

    passage: Passage
    anchor: str
    parts: list[list[Sentence]]
    notes: list[str]
    url: str  # the paragraph's page (in context)
    doc_url: str  # the document page at the paragraph's anchor

    @property
    def number(self) -> str:
        return self.passage.number

    @property
    def text(self) -> str:
        """The quote as plain text: sub-paragraphs on their own lines, as in the bot's message."""
        return "\n".join(" ".join(s.text for s in part) for part in self.parts)


@dataclass
class DocumentView:
    document: Document
    paragraphs: list[ParagraphView]
    url: str

    @property
    def title(self) -> str:
        return self.document.title or self.document.description or self.document.short


@dataclass
class SearchView:
    question: str
    outcome: Outcome | None = None  # None: no question asked yet
    hits: list[ParagraphView] = field(default_factory=list)
    shortened: bool = False  # the question was cut to the length the bot reads
    confidence: float = 0.0


def first_words(text: str, n: int = TOC_WORDS) -> str:
    if len(text) <= n:
        return text
    return text[:n].rsplit(" ", 1)[0] + "…"


def paragraph_view(p: Passage, highlights: list[int] | None = None, root: str = "") -> ParagraphView:
    marked = set(highlights or [])
    parts: list[list[Sentence]] = []
    n = 0
    for para in p.text.split("\n"):
        part = []
        for s in split_sentences(para):
            part.append(Sentence(s, n in marked))
            n += 1
        if part:
            parts.append(part)
    path = root + document_path(p.doc_id)
    return ParagraphView(passage=p, anchor=anchor(p.number), parts=parts, notes=list(p.notes),
                         url=f"{path}/{p.number}", doc_url=f"{path}#{anchor(p.number)}")


def document_view(corpus: Corpus, doc_id: str, root: str = "") -> DocumentView | None:
    try:
        doc = corpus.document(doc_id)
    except KeyError:
        return None
    if doc.id != doc_id:  # a prefix ("2016") is for typing; a page has one address
        return None
    return DocumentView(doc, [paragraph_view(p, root=root) for p in corpus.of(doc.id)], root + document_path(doc.id))


def context_view(corpus: Corpus, doc_id: str, number: str,
                 root: str = "") -> tuple[DocumentView, list[ParagraphView]] | None:
    """A paragraph with the one before and the one after: what the Telegram Web App button opens."""
    page = document_view(corpus, doc_id, root)
    passage = corpus.get(f"{doc_id}:{number}")
    if page is None or passage is None:
        return None
    prev, nxt = corpus.neighbours(passage)
    around = [paragraph_view(p, root=root) for p in (prev, passage, nxt) if p is not None]
    return page, around


def outcome_of(answer: Answer) -> Outcome:
    declared = getattr(answer, "outcome", None)
    if declared in OUTCOMES:
        return declared
    return "answer" if answer.best is not None else "not_found"


def search_view(question: str, answer: Answer | None, *, shortened: bool = False, more: int = 3,
                root: str = "") -> SearchView:
    if answer is None:
        return SearchView(question)
    outcome = outcome_of(answer)
    hits: list[Hit] = [] if outcome == "not_found" else answer.hits[: 1 + more]
    return SearchView(question, outcome, [paragraph_view(h.passage, h.highlights, root) for h in hits], shortened,
                      answer.confidence)
