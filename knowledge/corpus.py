"""The whole knowledge base in memory: documents, passages, and lookups by reference."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.catalog import CATALOG, load_catalog, read_text
from knowledge.errors import KnowledgeError
from knowledge.headings import load_guide
from knowledge.parse import Block, parse_document
from knowledge.records import Document, Passage
from knowledge.repair import LinkRepairer, RepairStats, split_sentences
from knowledge.topics import load_topics

HINTS_FILE = "hints.toml"
TRANSLATIONS_FILE = "translations.toml"  # unofficial Russian renderings: a search aid for Russian questions
TOPICS_FILE, HEADINGS_FILE = "topics.toml", "headings.toml"  # the study guide: its labels are search aids too


@dataclass
class Corpus:
    documents: list[Document]
    passages: list[Passage]
    stats: dict[str, RepairStats] = field(default_factory=dict)
    blocks: dict[str, list[Block]] = field(default_factory=dict)
    hints: dict[str, list[str]] = field(default_factory=dict)  # passage id → curated retrieval hints
    guide: dict[str, list[str]] = field(default_factory=dict)  # passage id → its study-guide headings, topic titles
    translations: dict[str, list[str]] = field(default_factory=dict)  # passage id → its Russian rendering's sentences

    def __post_init__(self) -> None:
        self._by_id = {p.id: p for p in self.passages}
        self._docs = {d.id: d for d in self.documents}

    def document(self, ref: str) -> Document:
        """By id, case-insensitively, or by a unique id prefix ("2016" → "2016-1")."""
        ref = ref.strip().lower()
        if ref in self._docs:
            return self._docs[ref]
        hits = [d for d in self.documents if d.id.startswith(ref)]
        if len(hits) == 1:
            return hits[0]
        raise KeyError(ref)

    def passage(self, doc_ref: str, number: str) -> Passage:
        doc = self.document(doc_ref)
        num = re.sub(r"[-\s]*(тармақ|тармағы|үзінді|п\.?|пункт)$", "", number.strip().lower())
        if num in ("кіріспе", "преамбула", "0"):
            num = "preamble"
        pid = f"{doc.id}:{num}"
        if pid not in self._by_id:
            raise KeyError(pid)
        return self._by_id[pid]

    def get(self, passage_id: str) -> Passage | None:
        return self._by_id.get(passage_id)

    def of(self, doc_id: str) -> list[Passage]:
        return [p for p in self.passages if p.doc_id == doc_id]

    def neighbours(self, passage: Passage) -> tuple[Passage | None, Passage | None]:
        same = self.of(passage.doc_id)
        i = same.index(passage)
        return (same[i - 1] if i > 0 else None, same[i + 1] if i + 1 < len(same) else None)

    @property
    def fingerprint(self) -> str:
        """Changes whenever any quoted text changes: the index is stale when this differs."""
        h = hashlib.sha256()
        for p in self.passages:
            h.update(f"{p.id}\x00{p.text}\x00".encode())
        for aids in (self.hints, self.guide, self.translations):  # all are embedded beside the passages
            for pid in sorted(aids):
                joined = "\x01".join(aids[pid])
                h.update(f"{pid}\x00{joined}\x00".encode())
            h.update(b"\x02")
        return h.hexdigest()[:16]


def load_corpus(catalog: Path = CATALOG, texts: Path | None = None) -> Corpus:
    texts = texts or catalog.parent / "texts"
    docs = load_catalog(catalog, texts)
    raw = {d.id: read_text(texts / d.file) for d in docs}
    vocabulary = Counter(w.lower() for t in raw.values() for w in re.findall(r"[^\W\d_]+", t))
    repairer = LinkRepairer(vocabulary)
    passages: list[Passage] = []
    stats: dict[str, RepairStats] = {}
    blocks: dict[str, list[Block]] = {}
    for doc in docs:
        parsed = parse_document(doc, raw[doc.id], texts / doc.file, repairer)
        if not parsed.passages:
            raise KnowledgeError(texts / doc.file, "no passages found")
        passages.extend(parsed.passages)
        stats[doc.id] = parsed.stats
        blocks[doc.id] = parsed.blocks
    corpus = Corpus(docs, passages, stats, blocks)
    corpus.hints = load_hints(catalog.parent / HINTS_FILE, corpus)
    corpus.translations = load_translations(catalog.parent / TRANSLATIONS_FILE, corpus)
    topics = catalog.parent / TOPICS_FILE
    corpus.guide = load_guide(passages, load_topics(topics) if topics.is_file() else [],
                              catalog.parent / HEADINGS_FILE)
    return corpus


def _passage_entries(path: Path, corpus: Corpus, table: str) -> Iterator[tuple[int, str, dict]]:
    """The `[[table]]` entries of an optional TOML file of per-passage search aids, each with its ordinal and its
    passage id, checked to name a known passage."""
    if not path.exists():
        return
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KnowledgeError(path, f"not valid TOML: {exc}") from None
    for n, entry in enumerate(data.get(table, []), 1):
        pid = entry.get("passage")
        if not isinstance(pid, str) or corpus.get(pid) is None:
            raise KnowledgeError(path, f"[[{table}]] #{n}: unknown passage {pid!r}")
        yield n, pid, entry


def load_hints(path: Path, corpus: Corpus) -> dict[str, list[str]]:
    """Curated questions and key phrases per passage (optional file): search aids, never quoted."""
    hints: dict[str, list[str]] = {}
    for _, pid, entry in _passage_entries(path, corpus, "hint"):
        texts = [str(t).strip() for lang in ("kk", "ru") for t in entry.get(lang, []) if str(t).strip()]
        hints.setdefault(pid, []).extend(texts)
    return hints


def load_translations(path: Path, corpus: Corpus) -> dict[str, list[str]]:
    """Russian renderings of passages (optional file), split into sentences: most people ask in Russian, and a
    Russian question meets a Russian sentence far more surely than a Kazakh one.  Search aids only: the quote is
    always the Kazakh text, and the renderings are not official translations."""
    out: dict[str, list[str]] = {}
    for n, pid, entry in _passage_entries(path, corpus, "translation"):
        text = entry.get("ru")
        if pid in out:
            raise KnowledgeError(path, f"[[translation]] #{n}: a second translation of {pid}")
        if not isinstance(text, str) or not text.strip():
            raise KnowledgeError(path, f"[[translation]] #{n} ({pid}): no Russian text (ru = \"\"\"…\"\"\")")
        out[pid] = [s for line in text.strip().split("\n") if line.strip() for s in split_sentences(line.strip())]
    return out
