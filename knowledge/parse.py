"""Split a raw text into passages: numbered paragraphs for resolutions, sentence groups for articles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.citation import passage_citation
from knowledge.errors import KnowledgeError
from knowledge.records import Document, Passage
from knowledge.repair import LinkRepairer, RepairStats, repair_block, restore_act_number, split_sentences

_PARAGRAPH = re.compile(r"^ {3,}(\d+(?:-\d+)?)\.\s+(?=\S)")
_NOTE = re.compile(r"^ {3,}Ескерту\.")
_INDENTED = re.compile(r"^ {3,}\S")
_DELETED = re.compile(r"^(Алып|Алынып) тасталды")
# An article passage: a few sentences a reader can quote on their own.
ARTICLE_PASSAGE_CHARS = 650


@dataclass
class Block:
    """A raw slice and its repaired text, kept so tests can prove no word was lost or invented."""

    raw: str
    text: str


@dataclass
class Parsed:
    passages: list[Passage]
    stats: RepairStats
    blocks: list[Block] = field(default_factory=list)


@dataclass
class _Unit:
    number: str  # "preamble", "1", "4-1"
    start: int
    lines: list[str] = field(default_factory=list)
    notes: list[list[str]] = field(default_factory=list)


def parse_document(doc: Document, text: str, path: Path, repairer: LinkRepairer) -> Parsed:
    if doc.is_law:
        return _parse_resolution(doc, text, path, repairer)
    return _parse_article(doc, text, path, repairer)


def _is_heading(line: str) -> bool:
    s = line.strip()
    return bool(s) and s.upper() == s and " " not in s and len(s) > 3


def _is_signature(line: str) -> bool:
    s = line.strip()
    return len(s) < 40 and not re.search(r"[.;:]$", s) and not _PARAGRAPH.match(line)


def _parse_resolution(doc: Document, text: str, path: Path, repairer: LinkRepairer) -> Parsed:
    lines = text.split("\n")
    first = next((i for i, ln in enumerate(lines) if _INDENTED.match(ln)), None)
    if first is None:
        raise KnowledgeError(path, "no indented paragraphs: not a resolution text")
    units: list[_Unit] = [_Unit("preamble", first)]
    doc_notes: list[list[str]] = []
    current: list[str] = units[0].lines
    seen: dict[str, int] = {}
    for i in range(first, len(lines)):
        line = lines[i]
        m = _PARAGRAPH.match(line)
        if m:
            number = m.group(1)
            if number in seen:
                raise KnowledgeError(path, f"duplicate paragraph number {number} (lines {seen[number]} and {i + 1})")
            seen[number] = i + 1
            unit = _Unit(number, i, [line[m.end():]])
            units.append(unit)
            current = unit.lines
        elif _NOTE.match(line):
            note: list[str] = [line.strip()]
            owner = units[-1]
            if owner.number == "preamble" and not any(s.strip() for s in owner.lines):
                doc_notes.append(note)
            else:
                owner.notes.append(note)
            current = note
        elif _INDENTED.match(line) and units[-1].number != "preamble" and _is_signature(line):
            break
        elif _INDENTED.match(line) and units[-1].number == "preamble" and not any(
                s.strip() for s in units[0].lines) and _is_heading(line):
            continue
        else:
            if current is not units[-1].lines and _INDENTED.match(line):
                current = units[-1].lines  # an indented line after a note continues the paragraph
            current.append(line)
    if len(units) == 1:
        raise KnowledgeError(path, "no numbered paragraphs found")
    stats = RepairStats()
    blocks: list[Block] = []

    def fix(raw_lines: list[str], amendment: bool = False) -> str:
        out = repair_block(raw_lines, "kk", True, repairer, stats)
        if amendment or _DELETED.match(out):  # a note, or a deleted paragraph's "Алып тасталды - … қаулысымен"
            out = restore_act_number(out, stats)
        blocks.append(Block("\n".join(raw_lines), out))
        return out

    doc.notes = [fix(n, amendment=True) for n in doc_notes]
    passages: list[Passage] = []
    for unit in units:
        if unit.number == "preamble" and not any(s.strip() for s in unit.lines):
            continue
        body = fix(unit.lines)
        passages.append(
            Passage(
                id=f"{doc.id}:{unit.number}",
                doc_id=doc.id,
                number=unit.number,
                text=body,
                citation=passage_citation(doc, unit.number),
                deleted=bool(_DELETED.match(body)),
                notes=[fix(n, amendment=True) for n in unit.notes],
            )
        )
    return Parsed(passages, stats, blocks)


def _parse_article(doc: Document, text: str, path: Path, repairer: LinkRepairer) -> Parsed:
    if not doc.parts:
        raise KnowledgeError(path, f"article {doc.id!r} needs at least one [[document.part]] in the catalog")
    stats = RepairStats()
    passages: list[Passage] = []
    blocks: list[Block] = []
    starts = []
    for part in doc.parts:
        pos = text.find(part.starts)
        if pos < 0:
            raise KnowledgeError(path, f"part start {part.starts!r} not found in the text")
        starts.append(pos)
    for n, part in enumerate(doc.parts):
        begin = text.rfind("\n", 0, starts[n]) + 1
        end = starts[n + 1] if n + 1 < len(doc.parts) else len(text)
        if part.ends:
            stop = text.find(part.ends, starts[n], end)
            if stop < 0:
                raise KnowledgeError(path, f"part end {part.ends!r} not found after {part.starts!r}")
            end = stop
        else:
            end = text.rfind("\n", 0, end) + 1 if n + 1 < len(doc.parts) else end
        raw = text[begin:end]
        if n + 1 < len(doc.parts) and not part.ends:
            raw = raw[: raw.rfind("\n")]
        body = repair_block(raw.split("\n"), part.language, False, repairer, stats)
        blocks.append(Block(raw, body))
        for chunk in _group_sentences(split_sentences(body.replace("\n", " "))):
            number = str(len(passages) + 1)
            passages.append(
                Passage(
                    id=f"{doc.id}:{number}",
                    doc_id=doc.id,
                    number=number,
                    text=chunk,
                    citation=passage_citation(doc, number, title=part.title, authors=part.authors),
                    language=part.language,
                    title=part.title,
                    authors=part.authors,
                    is_law=False,
                )
            )
    return Parsed(passages, stats, blocks)


def _group_sentences(sentences: list[str]) -> list[str]:
    """Greedy groups of whole sentences up to about ARTICLE_PASSAGE_CHARS; a long sentence stands alone."""
    groups: list[str] = []
    cur = ""
    for s in sentences:
        if cur and len(cur) + 1 + len(s) > ARTICLE_PASSAGE_CHARS:
            groups.append(cur)
            cur = s
        else:
            cur = f"{cur} {s}" if cur else s
    if cur:
        # A short tail joins the previous group rather than standing as a fragment.
        if groups and len(cur) < 150:
            groups[-1] = f"{groups[-1]} {cur}"
        else:
            groups.append(cur)
    return groups
