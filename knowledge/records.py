"""The records the rest of the system quotes from: documents and their passages."""

from __future__ import annotations

from dataclasses import dataclass, field

RESOLUTION = "normative_resolution"
ARTICLE = "article"
KINDS = (RESOLUTION, ARTICLE)
STATUSES = ("in_force", "repealed", "commentary")
# The kind of court proceedings a document is about; "" for all kinds (access to justice, judicial power).
PROCEEDINGS = ("", "criminal", "civil", "administrative")
# The stage of a case a document is about; "" for every stage, "review" for the review of acts in force only.
STAGES = ("", "review")


@dataclass(frozen=True)
class Part:
    """A section of an article file with its own title, authors and language."""

    title: str
    authors: tuple[str, ...]
    language: str
    starts: str
    ends: str = ""


@dataclass
class Document:
    id: str
    file: str
    kind: str
    title: str
    short: str
    number: str = ""
    date: str = ""
    status: str = ""
    status_since: str = ""
    description: str = ""
    proceedings: str = ""  # one of PROCEEDINGS: what it cannot answer for ("criminal" says nothing of civil cases)
    stage: str = ""  # one of STAGES: "review" says nothing of how a trial or an appeal runs
    authors: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()
    notes: list[str] = field(default_factory=list)  # amendment notes on the title, before the preamble

    @property
    def is_law(self) -> bool:
        return self.kind == RESOLUTION


@dataclass
class Passage:
    """One quotable unit: a numbered paragraph, the preamble, or an excerpt of an article."""

    id: str  # "<doc-id>:<number>", e.g. "2016-1:1", "1998-1:4-1", "2016-1:preamble", "history:7"
    doc_id: str
    number: str  # "1", "4-1", "preamble", or the excerpt's ordinal for articles
    text: str  # repaired text; sub-paragraphs separated by "\n"
    citation: str
    language: str = "kk"
    deleted: bool = False
    notes: list[str] = field(default_factory=list)  # "Ескерту. …" amendment notes, never in `text`
    title: str = ""  # article title (for commentary)
    authors: tuple[str, ...] = ()
    is_law: bool = True  # False for commentary (articles): always labelled so
    # Sentences grouped by sub-paragraph, split once here: a sentence's identity everywhere (highlights,
    # the index's sentence vectors, rendering) is its position in `sentences`.
    paragraphs: tuple[tuple[str, ...], ...] = field(init=False, repr=False)
    sentences: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from knowledge.repair import split_sentences

        self.paragraphs = tuple(tuple(split_sentences(para)) for para in self.text.split("\n"))
        self.sentences = tuple(s for para in self.paragraphs for s in para)
