"""Replies → text a person reads: Telegram HTML (the bot, inline mode) and plain text (the command line).

Quotes are verbatim.  A paragraph too long for one message is shortened only at sentence boundaries,
keeping the highlighted sentence(s) and marking every omission with "[…]"; the full text is then offered
separately, split into messages at paragraph or sentence boundaries.  Every piece of source text passes
through `html.escape`, so nothing in a paragraph or a question can break Telegram's parser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from bot.core.assistant import Reply
from knowledge import Document, Passage
from knowledge.citation import kazakh_since
from knowledge.repair import split_sentences

TELEGRAM_LIMIT = 4096
QUOTE_BUDGET = 2800  # characters of quote in an answer, leaving room for notes, citation and labels
OMITTED = "[…]"

Gettext = Callable[[str], str]



def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji or a rare character counts twice)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Rendered:
    text: str
    truncated: bool = False


def _paragraph_sentences(passage: Passage) -> list[list[tuple[int, str]]]:
    """Sentences grouped by sub-paragraph, numbered as in `Passage.sentences`."""
    out: list[list[tuple[int, str]]] = []
    n = 0
    for para in passage.paragraphs:
        out.append([(n + i, s) for i, s in enumerate(para)])
        n += len(para)
    return out


def _choose(passage: Passage, highlights: list[int], budget: int) -> set[int] | None:
    """Sentence indexes to show within `budget` characters (None: the whole passage fits)."""
    sentences = passage.sentences
    if tg_len(passage.text) <= budget or not sentences:
        return None
    centre = highlights or [0]
    keep = set(centre)
    used = sum(tg_len(sentences[i]) + 1 for i in keep)
    lo, hi = min(centre) - 1, max(centre) + 1
    while lo >= 0 or hi < len(sentences):
        grew = False
        for i in (hi, lo):
            if 0 <= i < len(sentences) and i not in keep and used + tg_len(sentences[i]) + 1 <= budget:
                keep.add(i)
                used += tg_len(sentences[i]) + 1
                grew = True
        lo, hi = lo - 1, hi + 1
        if not grew and used > budget * 0.6:
            break
    return keep


def _first_sentence_cut(sentence: str, budget: int) -> str:
    """A single sentence longer than the whole budget: cut at a word boundary, marked as omitted."""
    if tg_len(sentence) <= budget:
        return sentence
    cut = sentence[: max(1, budget // 2)]  # at most 2 UTF-16 units per character
    cut = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return f"{cut} {OMITTED}"


def quote_body(passage: Passage, highlights: list[int], budget: int, *, html: bool) -> Rendered:
    keep = _choose(passage, highlights, budget)
    marked = set(highlights)
    paragraphs: list[str] = []
    skipped = False
    for group in _paragraph_sentences(passage):
        parts: list[str] = []
        for i, s in group:
            if keep is not None and i not in keep:
                if not skipped:
                    parts.append(OMITTED)
                skipped = True
                continue
            skipped = False
            if keep is not None:
                s = _first_sentence_cut(s, budget)
            if html:
                s = escape(s, quote=False)
                s = f"<b>{s}</b>" if i in marked else s
            elif i in marked:
                s = f"«{s}»"
            parts.append(s)
        if parts:
            paragraphs.append(" ".join(parts))
    return Rendered("\n".join(paragraphs), keep is not None)


def passage_html(passage: Passage, t: Gettext, highlights: list[int] | None = None,
                 budget: int = QUOTE_BUDGET, limit: int = TELEGRAM_LIMIT - 300) -> Rendered:
    """A quote with its citation and notes, as one Telegram message of at most `limit` characters."""
    while True:
        rendered = _passage_html(passage, t, highlights, budget)
        size = tg_len(rendered.text)
        if size <= limit or budget <= 100:
            return rendered
        budget = max(100, budget - (size - limit) - 50)


def answer_sentences(passage: Passage, highlights: list[int]) -> str:
    """The highlighted sentence(s), verbatim, joined as they stand (a gap between them is marked)."""
    out: list[str] = []
    for n, i in enumerate(sorted(highlights)):
        if n and i != sorted(highlights)[n - 1] + 1:
            out.append(OMITTED)
        out.append(passage.sentences[i])
    return " ".join(out)


def _passage_html(passage: Passage, t: Gettext, highlights: list[int] | None, budget: int) -> Rendered:
    body = quote_body(passage, highlights or [], budget, html=True)
    lines = []
    if highlights and len(passage.sentences) > 1:
        # The answer first, so a phone screen shows it; the whole paragraph follows, folded.
        lead = answer_sentences(passage, highlights)
        if tg_len(lead) > budget // 3:  # a very long sentence: its start leads, the quote below has it whole
            lead = f"{_split_at_word(lead, budget // 6)} {OMITTED}"
        lines.append(f"«<b>{escape(lead, quote=False)}</b>»")
        lines.append(f"<blockquote expandable>{body.text}</blockquote>")
    else:
        lines.append(f"<blockquote>{body.text}</blockquote>")
    if passage.deleted:
        lines.append(f"<i>{escape(t('This paragraph has been deleted.'))}</i>")
    lines.append(f"📖 <b>{escape(passage.citation)}</b>")
    for note in passage.notes:
        note_text = note if len(note) <= 600 else note[:600].rsplit(" ", 1)[0] + f" {OMITTED}"
        lines.append(f"<i>{escape(note_text, quote=False)}</i>")  # the note says "Ескерту." itself
    if not passage.is_law:
        lines.append(f"⚠️ <i>{escape(t('Commentary (an article), not law'))}</i>")
    if body.truncated:
        lines.append(f"<i>{escape(t('The quote is shortened; press “Full text” to read all of it.'))}</i>")
    return Rendered("\n".join(lines), body.truncated)


def also_html(passages: list[Passage], heading: Callable[[Passage], str], t: Gettext) -> str:
    """"These paragraphs may answer too:" with each one's reference and heading (generic questions)."""
    items = "\n".join(f"• {escape(short_ref(p))} — {escape(heading(p))}" for p in passages)
    return f"<b>{escape(t('These paragraphs may answer too:'))}</b>\n{items}"


# Why the closest paragraph cannot answer (`Reply.outside`) → the message (its msgid), for every face.
OUTSIDE_NOTES = {
    "foreign": "These are resolutions of the Supreme Court of Kazakhstan: they do not answer for another country's "
               "courts.",
    "proceedings": "The closest paragraph is about another kind of case (criminal, civil or administrative) than the "
                   "one in the question.",
    "stage": "The closest paragraph is about reviewing court acts in force, not about a trial or an appeal.",
}


def outside_note(outside: str, t: Gettext) -> str:
    """Why the closest paragraph cannot answer, in the user's language; "" when not known."""
    return t(OUTSIDE_NOTES[outside]) if outside in OUTSIDE_NOTES else ""


def closest_html(passages: list[Passage], heading: Callable[[Passage], str], t: Gettext, outside: str = "") -> str:
    """The closest paragraphs, named by heading and clearly not offered as a direct answer, with why the nearest
    cannot be it when that is known (another country's courts, another kind of case or stage)."""
    items = "\n".join(f"• {escape(short_ref(p))} — {escape(heading(p))}" for p in passages)
    why = outside_note(outside, t)
    return (f"{escape(t('No paragraph answers this directly. The closest ones:'))}\n{items}\n\n"
            + (f"{escape(why)}\n" if why else "")
            + f"<i>{escape(t('Open one below, or ask more precisely.'))}</i>")


def short_ref(p: Passage) -> str:
    """"2025-cassation, 5-тармақ": a passage's reference on buttons and in lists."""
    if p.number == "preamble":
        return f"{p.doc_id}, кіріспе"
    return f"{p.doc_id}, {p.number}-{'тармақ' if p.is_law else 'үзінді'}"


GREETING = ("Hello! I answer questions about cassation, the review of court acts that have entered into force, by "
            "quoting the normative resolutions of the Supreme Court of Kazakhstan paragraph by paragraph.")
ASK_PROMPT = "Write your question in Kazakh or Russian, or try one of these:"  # above the example buttons
ASK_PLAIN = "Write your question in Kazakh or Russian."  # where there are no buttons (the command line)
THANKS = "You are welcome! Write whenever you have another question."
# A message that is only a greeting or thanks (`Reply.courtesy`), answered in kind where there are no buttons (the
# command line, the web page); Telegram greets with its start message instead.
COURTESY_TEXTS = {"greeting": (GREETING, ASK_PLAIN), "thanks": (THANKS,)}


def not_found_html(t: Gettext) -> str:
    return (f"{escape(t('Nothing in these documents answers this question.'))}\n\n"
            f"{escape(t('Try naming the key term, for example “cassation complaint content” or “rights of the victim”, or pick a question below.'))}")  # noqa: E501


def _split_at_word(text: str, n: int) -> str:
    head = text[:n]
    return head.rsplit(" ", 1)[0] if " " in head.strip() else head


def full_text_html(passage: Passage, t: Gettext, limit: int = TELEGRAM_LIMIT - 200) -> list[str]:
    """The whole passage, split into messages at paragraph, then sentence, boundaries."""
    chunks: list[str] = []
    current = ""
    for para in passage.text.split("\n"):
        pieces = [para] if tg_len(escape(para)) <= limit else split_sentences(para)
        for piece in pieces:
            piece_html = escape(piece, quote=False)
            while tg_len(piece_html) > limit:  # one enormous sentence: its own messages, cut at words
                head = _split_at_word(piece, limit // 2)
                chunks.extend([current] if current else [])
                current = ""
                chunks.append(escape(head, quote=False))
                piece = piece[len(head):].lstrip()
                piece_html = escape(piece, quote=False)
            sep = "\n" if piece is para else " "
            if current and tg_len(current) + len(sep) + tg_len(piece_html) > limit:
                chunks.append(current)
                current = piece_html
            else:
                current = f"{current}{sep}{piece_html}" if current else piece_html
    if current:
        chunks.append(current)
    out = []
    for i, chunk in enumerate(chunks):
        head = f"<i>{escape(t('(continued)'))}</i>\n" if i else ""
        tail = f"\n📖 <b>{escape(passage.citation)}</b>" if i == len(chunks) - 1 else ""
        out.append(f"{head}<blockquote>{chunk}</blockquote>{tail}")
    return out


def answer_plain(reply: Reply, t: Gettext, heading: Callable[[Passage], str] | None = None) -> str:
    """The command line's rendering, in the bot's shape: the answer sentence(s) first, then the paragraph
    with the highlighted sentence between «», the citation; or the closest paragraphs; or not found."""
    name = heading or (lambda p: p.text[:60])
    if reply.outcome == "closest":
        lines = [t("No paragraph answers this directly. The closest ones:")]
        lines += [f"• {short_ref(p)} — {name(p)}   (cassbot show {p.doc_id} {p.number})" for p in reply.closest]
        why = outside_note(reply.outside, t)
        return "\n".join([*lines, "", why] if why else lines)
    if reply.courtesy in COURTESY_TEXTS:
        return "\n".join(t(text) for text in COURTESY_TEXTS[reply.courtesy])
    if reply.best is None:
        # No buttons in a terminal: the hint without "pick a question below".
        return "\n".join([t("Nothing in these documents answers this question."),
                          t("Try naming the key term, for example “cassation complaint content” or “rights of the "
                            "victim”.")])
    lines = []
    if reply.highlights and len(reply.best.sentences) > 1:
        lines += [f"«{answer_sentences(reply.best, reply.highlights)}»", ""]
    lines.append(passage_plain(reply.best, t, reply.highlights))
    if reply.also:
        lines += ["", t("These paragraphs may answer too:")]
        lines += [f"• {short_ref(p)} — {name(p)}" for p in reply.also]
    return "\n".join(lines)


def passage_plain(p: Passage, t: Gettext, highlights: list[int] | None = None) -> str:
    """A whole passage for the terminal: text, citation, amendment notes, the commentary label."""
    lines = [quote_body(p, highlights or [], 10**9, html=False).text, "", f"— {p.citation}"]
    lines += [f"[{n}]" for n in p.notes]  # each note says "Ескерту." itself
    if not p.is_law:
        lines.append(f"({t('Commentary (an article), not law')})")
    return "\n".join(lines)



def status_label(doc: Document, t: Gettext, lang: str = "kk") -> str:
    """A document's legal status as a reader sees it: in force (since when), repealed, or commentary."""
    if doc.status == "commentary":
        return t("commentary, not law")
    if doc.status == "repealed":
        return t("repealed")
    if doc.status_since:
        year, month, day = doc.status_since.split("-")
        date = f"{day}.{month}.{year}" if lang == "ru" else kazakh_since(doc.status_since)  # "2025 жылғы 1 шілдеден"
        return t("in force since {date}").format(date=date)
    return t("in force")


def document_notes(doc: Document) -> list[str]:
    """The amendment notes on a document's title and preamble, each as printed ("Ескерту. …")."""
    return list(doc.notes)
