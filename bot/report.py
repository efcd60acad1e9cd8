"""What a curator reads: unanswered questions (near-duplicates grouped), disliked passages, daily figures.

Question texts exist only when the operator turned LOG_QUESTIONS on; otherwise unanswered questions are
counted but not shown.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field

from bot.core.feedback import ALL_TIME, FeedbackStore
from embeddings.normalize import Normalizer

SIMILAR = 0.5  # Jaccard similarity of character trigrams that makes two questions one group


@dataclass
class Day:
    day: str
    questions: int
    answered: int
    up: int
    down: int

    @property
    def answer_rate(self) -> float:
        return self.answered / self.questions if self.questions else 0.0


@dataclass
class Group:
    count: int
    example: str
    variants: list[str] = field(default_factory=list)


@dataclass
class Report:
    since: str
    questions: int
    answered: int
    up: int
    down: int
    days: list[Day]
    unanswered: list[Group]
    unanswered_without_text: int
    voted_down: list[tuple[str, int]]

    @property
    def answer_rate(self) -> float:
        return self.answered / self.questions if self.questions else 0.0


def _trigrams(text: str, normalizer: Normalizer) -> set[str]:
    """Character trigrams of the folded content words: robust to endings and keyboard spellings."""
    grams: set[str] = set()
    for word in normalizer.content_words(text):
        padded = f" {word} "
        grams.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return grams


def group_questions(texts: list[str], normalizer: Normalizer | None = None) -> list[Group]:
    """Greedy grouping by trigram overlap: "кассациялық шағым мерзімі?" ≈ "кассациялык шагым мерзими"."""
    n = normalizer or Normalizer()
    groups: list[tuple[set[str], Group]] = []
    for text in texts:
        stems = _trigrams(text, n) or {text.strip().lower()}
        for key, group in groups:
            if len(stems & key) / len(stems | key) >= SIMILAR:
                group.count += 1
                if text not in group.variants and len(group.variants) < 5:
                    group.variants.append(text)
                key |= stems
                break
        else:
            groups.append((set(stems), Group(1, text, [text])))
    return sorted((g for _, g in groups), key=lambda g: -g.count)


def build_report(feedback: FeedbackStore, since: str = ALL_TIME, top: int = 20) -> Report:
    days = [Day(c.day, c.answered + c.refused, c.answered, c.up, c.down) for c in feedback.days(since)]
    down = feedback.voted_down(since)
    return Report(
        since=since,
        questions=sum(d.questions for d in days), answered=sum(d.answered for d in days),
        up=sum(d.up for d in days), down=sum(d.down for d in days), days=days,
        unanswered=group_questions(feedback.unanswered_questions(since))[:top],
        unanswered_without_text=feedback.unanswered_without_text(since),
        voted_down=sorted(down.items(), key=lambda kv: (-kv[1], kv[0]))[:top],
    )


def as_text(r: Report) -> str:
    period = "All time" if r.since == ALL_TIME else f"Since {r.since}"
    lines = [f"{period}: {r.questions} questions, {r.answered} answered "
             f"({r.answer_rate:.0%}), votes 👍 {r.up} / 👎 {r.down}", "", "By day:"]
    lines += [f"  {d.day}  questions {d.questions:>5}  answered {d.answer_rate:>4.0%}  👍 {d.up:>4}  👎 {d.down:>4}"
              for d in r.days] or ["  (no data)"]
    lines += ["", "Most often unanswered:"]
    lines += [f"  {g.count:>4} × {g.example}" + (f"   (also: {'; '.join(g.variants[1:3])})" if len(g.variants) > 1
                                                 else "") for g in r.unanswered] or ["  (none with text)"]
    if r.unanswered_without_text:
        lines.append(f"  + {r.unanswered_without_text} unanswered without text (question logging is off)")
    lines += ["", "Most voted down:"]
    lines += [f"  {n:>4} × {pid}" for pid, n in r.voted_down] or ["  (none)"]
    return "\n".join(lines)


def as_json(r: Report) -> str:
    data = asdict(r)
    data["answer_rate"] = r.answer_rate
    for d, day in zip(data["days"], r.days, strict=True):
        d["answer_rate"] = day.answer_rate
    return json.dumps(data, ensure_ascii=False, indent=2)


def as_csv(r: Report) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["section", "key", "count", "answered", "answer_rate", "up", "down", "variants"])
    for d in r.days:
        w.writerow(["day", d.day, d.questions, d.answered, f"{d.answer_rate:.3f}", d.up, d.down, ""])
    for g in r.unanswered:
        w.writerow(["unanswered", g.example, g.count, "", "", "", "", " | ".join(g.variants)])
    for pid, n in r.voted_down:
        w.writerow(["voted_down", pid, n, "", "", "", "", ""])
    return out.getvalue()


FORMATS = {"text": as_text, "json": as_json, "csv": as_csv}
