"""Evaluation on question sets: Recall@1/3/5 and MRR per tag, abstention on out-of-scope questions.

A question file has one JSON object per line: {"question": str, "expect": [phrase, ...], "tag": str} and
optionally "gold": [passage id, ...].  A passage is correct when its id is in `gold` or it contains any
expected phrase (case-insensitive, whitespace collapsed).  `expect` and `gold` are empty for tag "oos" (out
of scope), where the only right answer is to abstain.

Besides ranking, the figures that matter to a user of a legal quote bot: how often a DIRECT answer quotes a
right paragraph ("right direct", share of in-scope questions) and how often it quotes a wrong one ("wrong
direct", share of all questions, out-of-scope included) — a confidently wrong quote is the worst failure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from embeddings.retriever import Answer, Retriever
from knowledge import Passage

TAGS = ("kk", "kk-translit", "kk-latn", "ru", "oos")
KS = (1, 3, 5)


class EvalFileError(ValueError):
    """A malformed question file; the message names the line."""


@dataclass
class Question:
    question: str
    expect: list[str]
    tag: str
    gold: list[str] = field(default_factory=list)
    kind: str = ""  # "real" (harvested as written), "basic" (a citizen's short question); "" written from the texts

    @property
    def in_scope(self) -> bool:
        return bool(self.expect or self.gold)


@dataclass
class TagReport:
    n: int = 0
    hits: dict[int, int] = field(default_factory=lambda: dict.fromkeys(KS, 0))
    rr: float = 0.0
    abstained: int = 0
    right_direct: int = 0
    wrong_direct: int = 0
    closest: int = 0

    def row(self) -> dict[str, float]:
        n = max(self.n, 1)
        out = {f"R@{k}": self.hits[k] / n for k in KS}
        out["MRR"] = self.rr / n
        out["abstain"] = self.abstained / n
        out["right_direct"] = self.right_direct / n
        out["wrong_direct"] = self.wrong_direct / n
        out["closest"] = self.closest / n
        out["n"] = self.n
        return out

    def add(self, other: TagReport) -> None:
        self.n += other.n
        self.rr += other.rr
        self.abstained += other.abstained
        self.right_direct += other.right_direct
        self.wrong_direct += other.wrong_direct
        self.closest += other.closest
        for kk in KS:
            self.hits[kk] += other.hits[kk]


def load_questions(path: Path) -> list[Question]:
    out = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"{path}: cannot read ({exc.__class__.__name__})") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            q = Question(str(obj["question"]), [str(e) for e in obj.get("expect", [])], str(obj.get("tag", "kk")),
                         [str(g) for g in obj.get("gold", [])], str(obj.get("kind", "")))
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalFileError(f"{path}:{n}: not a question object ({exc.__class__.__name__})") from None
        out.append(q)
    if not out:
        raise EvalFileError(f"{path}: no questions")
    return out


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().lower()


def is_correct(passage: Passage, expect: list[str], gold: list[str] | None = None) -> bool:
    if gold and passage.id in gold:
        return True
    text = _norm(passage.text)
    return any(_norm(e) in text for e in expect)


def evaluate(questions: list[Question], ask: Callable[[str], Answer], k: int = 5,
             with_details: bool = False) -> dict[str, object]:
    """Figures per tag and overall; `abstain` on oos is the right-refusal rate, elsewhere the false one."""
    reports: dict[str, TagReport] = {}
    details = []
    for q in questions:
        answer = ask(q.question)
        rep = reports.setdefault(q.tag, TagReport())
        rep.n += 1
        outcome = getattr(answer, "outcome", "direct" if answer.answered else "not_found")
        # out of scope, anything but a direct quote is right; in scope, only "not found" is a refusal
        rep.abstained += (not answer.answered) if not q.in_scope else outcome == "not_found"
        rep.closest += outcome == "closest"
        rank = None
        if q.in_scope:
            for i, hit in enumerate(answer.hits[: max(k, *KS)]):
                if is_correct(hit.passage, q.expect, q.gold):
                    rank = i + 1
                    break
            for kk in KS:
                rep.hits[kk] += rank is not None and rank <= kk
            rep.rr += 1.0 / rank if rank else 0.0
        if answer.answered:
            rep.right_direct += rank == 1
            rep.wrong_direct += rank != 1
        if with_details:
            details.append({
                "question": q.question, "tag": q.tag, "answered": answer.answered, "outcome": outcome,
                "confidence": round(answer.confidence, 4), "rank": rank,
                "results": [
                    {"id": h.passage.id, "citation": h.passage.citation, "text": h.passage.text,
                     "score": round(h.score, 4)}
                    for h in answer.hits[:k]
                ],
            })
    in_scope, everything = TagReport(), TagReport()
    for tag, rep in reports.items():
        everything.add(rep)
        if tag != "oos":
            in_scope.add(rep)
    table = {tag: reports[tag].row() for tag in [*TAGS, *sorted(set(reports) - set(TAGS))] if tag in reports}
    table["in-scope"] = in_scope.row()
    result: dict[str, object] = {
        "table": table,
        "oos_abstention": reports["oos"].row()["abstain"] if "oos" in reports else None,
        "false_abstention": in_scope.row()["abstain"],
        # a direct quote that is right, per in-scope question; a direct quote that is wrong, per question
        "right_direct": in_scope.right_direct / max(in_scope.n, 1),
        "wrong_direct": everything.wrong_direct / max(everything.n, 1),
    }
    if with_details:
        result["questions"] = details
    return result


def format_table(name: str, result: dict[str, object]) -> str:
    table: dict[str, dict[str, float]] = result["table"]  # type: ignore[assignment]
    lines = [f"{name}", f"  {'tag':<12}{'n':>5}{'R@1':>8}{'R@3':>8}{'R@5':>8}{'MRR':>8}{'abstain':>9}"]
    for tag, row in table.items():
        lines.append(f"  {tag:<12}{row['n']:>5}{row['R@1']:>8.3f}{row['R@3']:>8.3f}{row['R@5']:>8.3f}"
                     f"{row['MRR']:>8.3f}{row['abstain']:>9.3f}")
    oos = result.get("oos_abstention")
    lines.append(f"  oos abstained: {oos:.3f}   in-scope wrongly refused: {result['false_abstention']:.3f}"
                 if oos is not None else f"  in-scope wrongly refused: {result['false_abstention']:.3f}")
    lines.append(f"  direct answers: right {result['right_direct']:.3f} of in-scope, "
                 f"wrong {result['wrong_direct']:.3f} of all questions")
    return "\n".join(lines)


def leave_one_document_out(questions: list[Question], passages: list[Passage], doc_id: str) -> list[Question]:
    """The in-scope questions answered only by `doc_id`'s passages: what to ask once its hints are gone."""
    out = []
    for q in questions:
        if not q.in_scope:
            continue
        docs = {p.doc_id for p in passages if is_correct(p, q.expect, q.gold)}
        if docs == {doc_id}:
            out.append(q)
    return out


def documents_left_out(questions: list[Question], passages: list[Passage], doc_ids: Iterable[str],
                       without_hints: Callable[[frozenset[str]], Retriever],
                       ) -> Iterator[tuple[str, list[Question], Retriever]]:
    """Leave-one-document-out, one document at a time: its own questions and a ranker that never saw its aids
    (documents no question answers alone are skipped: a ranker costs a tokenisation of the corpus)."""
    for doc_id in doc_ids:
        subset = leave_one_document_out(questions, passages, doc_id)
        if subset:
            yield doc_id, subset, without_hints(frozenset({doc_id}))


def format_lodo(rows: list[tuple[str, dict[str, object], dict[str, object]]]) -> str:
    """Per document: its questions with every hint, then with that document's hints removed."""
    lines = ["leave-one-document-out (the document's hints, study-guide labels and Russian renderings removed)",
             f"  {'document':<16}{'n':>5}   {'R@1':>6}{'R@3':>7}{'refused':>9}   →{'R@1':>6}{'R@3':>7}{'refused':>9}"]
    for doc_id, with_hints, without in rows:
        a, b = with_hints["table"]["in-scope"], without["table"]["in-scope"]  # type: ignore[index]
        lines.append(f"  {doc_id:<16}{a['n']:>5}   {a['R@1']:>6.3f}{a['R@3']:>7.3f}{a['abstain']:>9.3f}   "
                     f"→{b['R@1']:>6.3f}{b['R@3']:>7.3f}{b['abstain']:>9.3f}")
    return "\n".join(lines)
