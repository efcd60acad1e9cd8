"""What the reading view shows, built from the knowledge base (never a second copy of the text).

Each page is a small record the templates lay out: a document with its table of contents and paragraphs, one
paragraph in its context, or a search result.  The records carry the passages' own text, split into
sub-paragraphs and sentences exactly as the bot's quotes are (`knowledge.repair.split_sentences`), so a quote
read here is the quote the bot sends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.core.assistant import CLOSEST, DIRECT, NOT_FOUND, Reply
from bot.core.links import anchor, document_path
from bot.render import COURTESY_TEXTS, OUTSIDE_NOTES
from knowledge import Corpus, Document, Passage

TOC_WORDS = 70  # characters of a paragraph's first words in the table of contents
Heading = Callable[[Passage, str], str]  # the core's navigation heading of a passage, in a language


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
class Entry:
    """A paragraph named, not quoted: its number, the core's heading (Kazakh and Russian) and its addresses."""

    passage: Passage
    heading_kk: str
    heading_ru: str
    url: str  # the paragraph's page (in context)
    doc_url: str  # the document page at the paragraph's anchor


@dataclass
class SearchView:
    """The core's reply laid out: the outcome decides which of the parts are filled."""

    question: str
    outcome: str | None = None  # DIRECT | CLOSEST | NOT_FOUND; None: no question asked yet
    answer: ParagraphView | None = None  # DIRECT: the quote, its answering sentences marked
    also: list[Entry] = field(default_factory=list)  # DIRECT: further paragraphs that answer too
    others: list[Entry] = field(default_factory=list)  # DIRECT: other passages that may answer
    closest: list[Entry] = field(default_factory=list)  # CLOSEST: the paragraphs nearest, not an answer
    outside_note: str = ""  # CLOSEST: why the nearest cannot answer (a msgid of `OUTSIDE_NOTES`), if known
    suggestions: list[str] = field(default_factory=list)  # NOT_FOUND: curated questions worth asking instead
    courtesy: tuple[str, ...] = ()  # NOT_FOUND: the message was only a greeting or thanks: msgids answering in kind
    shortened: bool = False  # the question was cut to the length the bot reads


def first_words(text: str, n: int = TOC_WORDS) -> str:
    if len(text) <= n:
        return text
    return text[:n].rsplit(" ", 1)[0] + "…"


def paragraph_view(p: Passage, highlights: list[int] | None = None, root: str = "") -> ParagraphView:
    marked = set(highlights or [])
    parts: list[list[Sentence]] = []
    n = 0
    for para in p.paragraphs:
        part = []
        for s in para:
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


def entry(p: Passage, heading: Heading, root: str = "") -> Entry:
    path = root + document_path(p.doc_id)
    return Entry(p, heading(p, "kk"), heading(p, "ru"), f"{path}/{p.number}", f"{path}#{anchor(p.number)}")


def search_view(question: str, reply: Reply | None, heading: Heading, *, shortened: bool = False,
                root: str = "") -> SearchView:
    """What the search page shows for the core's reply: the same decision the bot renders."""
    if reply is None:
        return SearchView(question, shortened=shortened)
    view = SearchView(question, reply.outcome, shortened=shortened)
    if reply.outcome == DIRECT and reply.best is not None:
        view.answer = paragraph_view(reply.best, reply.highlights, root)
        view.also = [entry(p, heading, root) for p in reply.also]
        view.others = [entry(p, heading, root) for p in reply.others]
    elif reply.outcome == CLOSEST:
        view.closest = [entry(p, heading, root) for p in reply.closest]
        view.outside_note = OUTSIDE_NOTES.get(reply.outside, "")
    else:
        view.outcome = NOT_FOUND
        view.suggestions = [s.text for s in reply.suggestions]
        view.courtesy = COURTESY_TEXTS.get(reply.courtesy, ())
    return view
