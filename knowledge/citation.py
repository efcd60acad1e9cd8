"""Kazakh citation strings, written the way a lawyer cites a Supreme Court resolution."""

from __future__ import annotations

from knowledge.records import Document

# Month names in the locative-attributive form used in dates: "15 қаңтардағы".
_MONTHS = (
    "қаңтардағы", "ақпандағы", "наурыздағы", "сәуірдегі", "мамырдағы", "маусымдағы",
    "шілдедегі", "тамыздағы", "қыркүйектегі", "қазандағы", "қарашадағы", "желтоқсандағы",
)
_MONTHS_ABL = (
    "қаңтардан", "ақпаннан", "наурыздан", "сәуірден", "мамырдан", "маусымнан",
    "шілдеден", "тамыздан", "қыркүйектен", "қазаннан", "қарашадан", "желтоқсаннан",
)


def kazakh_date(iso: str) -> str:
    """"2016-01-15" → "2016 жылғы 15 қаңтардағы"."""
    year, month, day = iso.split("-")
    return f"{year} жылғы {int(day)} {_MONTHS[int(month) - 1]}"


def kazakh_since(iso: str) -> str:
    """"2025-07-01" → "2025 жылғы 1 шілдеден"."""
    year, month, day = iso.split("-")
    return f"{year} жылғы {int(day)} {_MONTHS_ABL[int(month) - 1]}"


def document_citation(doc: Document) -> str:
    if doc.is_law:
        parts = ["ҚР Жоғарғы Сотының"]
        if doc.date:
            parts.append(kazakh_date(doc.date))
        if doc.number:
            parts.append(f"№ {doc.number}")
        if not doc.date and not doc.number and doc.description:
            parts.append(doc.description)
        parts.append("нормативтік қаулысы")
        text = " ".join(parts)
        if not doc.date and doc.status_since:
            text += f" ({kazakh_since(doc.status_since)} бастап қолданыста)"
        return text
    authors = ", ".join(doc.authors)
    return f"{authors}. «{doc.title}» (мақала)" if authors else f"«{doc.title}» (мақала)"


def passage_citation(doc: Document, number: str, *, title: str = "", authors: tuple[str, ...] = ()) -> str:
    if doc.is_law:
        where = "кіріспе" if number == "preamble" else f"{number}-тармақ"
        return f"{document_citation(doc)}, {where}"
    who = ", ".join(authors)
    what = f"«{title}»" if title else "конференция материалдарындағы үзінді (авторы мен тақырыбы мәтінде жоқ)"
    head = f"{who}. {what}" if who else what
    return f"{head} (мақала, түсініктеме), {number}-үзінді"
