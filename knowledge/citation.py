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


# A title longer than this is cited in a short form in answers; /sources and `cassbot show` give it whole.
SHORT_TITLE_CHARS = 60
# The 2025 resolution's text carries neither title nor number: its description is ours, and a citation says so.
UNTITLED = "ресми атауы мен нөмірі мәтінде жоқ, бұл — сипаттама"


def short_title(title: str) -> str:
    """The title cut at a word boundary with "…", as a lawyer shortens a long title in running text."""
    if len(title) <= SHORT_TITLE_CHARS + 10:
        return title
    cut = title[: SHORT_TITLE_CHARS].rsplit(" ", 1)[0]
    return f"{cut}…"


def document_citation(doc: Document, *, full: bool = False) -> str:
    """"ҚР Жоғарғы Сотының 2016 жылғы 15 қаңтардағы № 1 «Сот төрелігіне…» нормативтік қаулысы".

    `full` gives the whole title; otherwise a long title is shortened.  A resolution whose text has no title
    is cited by its description, marked as such, never by an invented name or number."""
    if doc.is_law:
        parts = ["ҚР Жоғарғы Сотының"]
        if doc.date:
            parts.append(kazakh_date(doc.date))
        if doc.number:
            parts.append(f"№ {doc.number}")
        if doc.title:
            parts.append(f"«{doc.title if full else short_title(doc.title)}»")
        elif doc.description:
            parts.append(doc.description)  # not in «»: it is not a title
        parts.append("нормативтік қаулысы")
        text = " ".join(parts)
        remarks = []
        if not doc.title and doc.description:
            remarks.append(UNTITLED)
        if not doc.date and doc.status_since:
            remarks.append(f"{kazakh_since(doc.status_since)} бастап қолданыста")
        return f"{text} ({'; '.join(remarks)})" if remarks else text
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
