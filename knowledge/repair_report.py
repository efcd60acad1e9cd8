"""The curator's view of the link repair: every line whose displaced link text was put back, where each
fragment went and why, so a person can review each placement against the source (`cassbot docs --repairs`).

A placement that a word-multiset check cannot catch — two fragments swapped, a split link rejoined on the
wrong line — is exactly what a human reviewer must see, so lines with two or more fragments, a rejoined
split link, another plausible reading or no repair at all are marked for review.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge.catalog import CATALOG
from knowledge.corpus import Corpus
from knowledge.repair import RepairDecision


@dataclass(frozen=True)
class ReportRow:
    line: int  # 1-based line of the raw text file where the decision's first line stands (0: not found)
    decision: RepairDecision


def repair_report(corpus: Corpus, doc_id: str, texts: Path = CATALOG.parent / "texts") -> list[ReportRow]:
    """The document's repair decisions in file order, each with the line number it concerns."""
    doc = corpus.document(doc_id)
    stats = corpus.stats.get(doc.id)
    if stats is None:
        return []
    lines = (texts / doc.file).read_text(encoding="utf-8").split("\n")
    stripped = [ln.strip() for ln in lines]
    used: set[tuple[int, str]] = set()  # the same raw text twice in a file is two lines
    rows: list[ReportRow] = []
    for decision in stats.decisions:
        first = decision.raw.split("\n")[0].strip()
        d = decision.raw
        # A paragraph's first line reaches the repair without its number ("5. "): match the line's end.
        number = next((i + 1 for i, s in enumerate(stripped) if s.endswith(first) and (i, d) not in used), 0)
        used.add((number - 1, d))
        rows.append(ReportRow(number, decision))
    return sorted(rows, key=lambda r: r.line)


def format_report(rows: list[ReportRow], *, review_only: bool = False) -> str:
    """Plain text for the terminal: line, raw text, each fragment with the words around its new place."""
    out: list[str] = []
    shown = [r for r in rows if r.decision.review or not review_only]
    flagged = sum(r.decision.review for r in rows)
    out.append(f"{len(rows)} line(s) repaired or left raw, {flagged} marked for review (*)")
    for row in shown:
        d = row.decision
        mark = "*" if d.review else " "
        out.append("")
        where = f"line {row.line}" if row.line else "amendment note"
        out.append(f"{mark} {where}: {' / '.join(s.strip() for s in d.raw.split(chr(10)))}")
        for p in d.placements:
            where = f"after «{p.after}»" if p.after else "at the line's start"
            out.append(f"    «{p.fragment}» → {where}" + (f", before «{p.before}»" if p.before else ""))
        if not d.placements:
            out.append("    (kept as extracted)")
        out.append(f"    why: {d.reason}")
        if d.alternative:
            out.append(f"    other reading: {d.alternative}")
    return "\n".join(out)
