"""A short navigation heading for every passage: what a button or a "see also" line names it by.

Curated headings come from the study guide (`topics.toml`, the first item that points at a passage) and,
for passages the guide does not list, from `headings.toml`.  A passage with neither — a document added
without curation — falls back to its own first words, which are at least faithful.  Headings are our
navigation text, never quoted as the law.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from knowledge.errors import KnowledgeError
from knowledge.records import Passage
from knowledge.topics import Topic

HEADINGS = Path(__file__).resolve().parent / "headings.toml"
FALLBACK_WORDS = 8


@dataclass(frozen=True)
class Heading:
    kk: str
    ru: str

    def text(self, lang: str) -> str:
        return self.ru if lang == "ru" and self.ru else self.kk


def fallback_heading(passage: Passage) -> Heading:
    """The passage's first words: faithful, if not as helpful as a curated heading."""
    words = passage.text.split()
    head = " ".join(words[:FALLBACK_WORDS]).rstrip(",;:.")
    head = f"{head}…" if len(words) > FALLBACK_WORDS else head
    return Heading(head, head)


def _curated(path: Path, known: set[str]) -> list[tuple[str, Heading]]:
    """(passage id, heading) pairs of `headings.toml` (optional), each checked."""
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KnowledgeError(path, f"not valid TOML: {exc}") from None
    out = []
    for n, entry in enumerate(data.get("heading", []), 1):
        pid = entry.get("passage", "")
        if pid not in known:
            raise KnowledgeError(path, f"[[heading]] #{n}: unknown passage {pid!r}")
        if not str(entry.get("heading_kk", "")).strip():
            raise KnowledgeError(path, f"[[heading]] #{n}: heading_kk is empty")
        out.append((pid, Heading(entry["heading_kk"], entry.get("heading_ru", ""))))
    return out


def load_headings(passages: list[Passage], topics: list[Topic], path: Path = HEADINGS) -> dict[str, Heading]:
    """Passage id → heading, for every passage (curated where there is one)."""
    out: dict[str, Heading] = {}
    for topic in topics:
        for item in topic.items:
            out.setdefault(item.passage_id, Heading(item.heading_kk, item.heading_ru))
    for pid, heading in _curated(path, {p.id for p in passages}):
        out.setdefault(pid, heading)
    for p in passages:
        out.setdefault(p.id, fallback_heading(p))
    return out


def load_guide(passages: list[Passage], topics: list[Topic], path: Path = HEADINGS) -> dict[str, list[str]]:
    """Passage id → what the study guide calls it: every curated heading (Kazakh and Russian) and the title of
    every topic that lists it.  A search aid, like the hints: a generic question ("who may file?") often meets
    a topic's name better than any paragraph's wording.  Only curated labels: a passage without any has none
    (its fallback heading is its own first words, which the passage channels already see).  Items naming an
    unknown passage are skipped here; `topics.validate` reports them."""
    known = {p.id for p in passages}
    out: dict[str, list[str]] = {}

    def add(pid: str, *labels: str) -> None:
        if pid in known:
            have = out.setdefault(pid, [])
            have.extend(t for t in (x.strip() for x in labels) if t and t not in have)

    for topic in topics:
        for item in topic.items:
            add(item.passage_id, item.heading_kk, item.heading_ru, topic.title_kk, topic.title_ru)
    for pid, heading in _curated(path, known):
        add(pid, heading.kk, heading.ru)
    return out
