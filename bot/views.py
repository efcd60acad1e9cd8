"""Ranked passages → Telegram messages with their buttons (text + InlineKeyboardMarkup)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.callbacks import AskCB, DocCB, LangCB, MoreCB, PassageCB, fits
from bot.render import Gettext, not_found_html, passage_html
from bot.services import Services
from bot.web.links import deep_link, paragraph_page_url
from embeddings.retriever import Answer
from knowledge import Passage

# Example questions offered on /start and when nothing was found (message ids in the catalogues).
EXAMPLES = (
    "In what language must a cassation complaint be written?",
    "What must a cassation complaint contain?",
    "May the cassation court worsen the convict's position?",
    "When is a cassation complaint returned without consideration?",
    "Can anyone interfere with a judge's work?",
)
DISCLAIMER = "I quote the Supreme Court's normative resolutions; this is not legal advice."
BUTTON_TEXT = 60  # characters of a passage's first words on a button


@dataclass
class View:
    text: str
    markup: InlineKeyboardMarkup | None = None


def _button(text: str, data: str) -> InlineKeyboardButton:
    assert fits(data), data
    return InlineKeyboardButton(text=text, callback_data=data)


def short_ref(p: Passage) -> str:
    """"2025-cassation, 5-тармақ" style label for buttons."""
    if p.number == "preamble":
        return f"{p.doc_id}, кіріспе"
    return f"{p.doc_id}, {p.number}-{'тармақ' if p.is_law else 'үзінді'}"


def passage_button(s: Services, p: Passage, *, with_words: bool = True) -> InlineKeyboardButton:
    label = short_ref(p)
    if with_words:
        words = p.text[:BUTTON_TEXT].rsplit(" ", 1)[0]
        label = f"{label}: {words}…"
    return _button(label, PassageCB(v=s.version, act="show", i=s.ordinal(p)).pack())


def link_line(s: Services, p: Passage) -> str:
    """The paragraph's own deep link under a quote ("" until the bot knows its username)."""
    url = deep_link(s.bot_username, p.id)
    return f"\n🔗 {escape(url)}" if url else ""


def reading_button(s: Services, p: Passage, t: Gettext, *, private: bool) -> InlineKeyboardButton | None:
    """"Full text" opening the paragraph in the reading view: in place (a Web App) in a private chat over HTTPS,
    as an ordinary link elsewhere (Telegram allows Web App buttons only in private chats); None without a view."""
    base = s.settings.reading_url()
    if not base:
        return None
    url = paragraph_page_url(base, p.doc_id, p.number)
    if private and url.startswith("https://"):
        return InlineKeyboardButton(text=t("Full text"), web_app=WebAppInfo(url=url))
    return InlineKeyboardButton(text=t("Full text"), url=url)


def passage_view(s: Services, p: Passage, t: Gettext, highlights: list[int] | None = None,
                 more: list[Passage] | None = None, *, private: bool = False) -> View:
    """A quote with its link and buttons: full text, neighbours, more results, votes."""
    rendered = passage_html(p, t, highlights)
    i = s.ordinal(p)
    rows: list[list[InlineKeyboardButton]] = []
    web = reading_button(s, p, t, private=private)
    if web is not None:
        rows.append([web])
    elif rendered.truncated:
        rows.append([_button(t("Full text"), PassageCB(v=s.version, act="full", i=i).pack())])
    prev, nxt = s.neighbours(p)
    nav = []
    if prev is not None:
        nav.append(_button(t("◀ Previous"), PassageCB(v=s.version, act="prev", i=i).pack()))
    if nxt is not None:
        nav.append(_button(t("Next ▶"), PassageCB(v=s.version, act="next", i=i).pack()))
    if nav:
        rows.append(nav)
    if more:
        ids = ".".join(str(s.ordinal(m)) for m in more)
        data = MoreCB(v=s.version, ids=ids).pack()
        while not fits(data) and "." in ids:
            ids = ids.rsplit(".", 1)[0]
            data = MoreCB(v=s.version, ids=ids).pack()
        rows.append([_button(t("More results"), data)])
    rows.append([_button("👍", PassageCB(v=s.version, act="up", i=i).pack()),
                 _button("👎", PassageCB(v=s.version, act="down", i=i).pack())])
    return View(rendered.text + link_line(s, p), InlineKeyboardMarkup(inline_keyboard=rows))


def answer_view(s: Services, answer: Answer, t: Gettext, *, private: bool = False) -> View:
    best = answer.best
    if best is None:
        return not_found_view(s, answer, t)
    more = [h.passage for h in answer.hits[1:4]]
    return passage_view(s, best.passage, t, best.highlights, more, private=private)


def suggestions(s: Services, answer: Answer | None) -> list[tuple[str, str]]:
    """(label, callback) pairs: curated questions near the failed one, else the examples."""
    out: list[tuple[str, str]] = []
    # A near miss gets the curated questions of the closest paragraphs; a question far from the subject
    # (divorce, weather) gets the general examples instead, which say what the bot is for.
    near_miss = answer is not None and answer.confidence >= s.engine.retriever.weights.threshold / 2
    if answer is not None and near_miss:
        for hit in answer.hits[:3]:
            hints = [h for h in s.engine.corpus.hints.get(hit.passage.id, []) if h.endswith("?")]
            if hints:
                out.append((hints[0], AskCB(v=s.version, i=s.ordinal(hit.passage), n=s.engine.corpus.hints[
                    hit.passage.id].index(hints[0])).pack()))
    return out


def not_found_view(s: Services, answer: Answer | None, t: Gettext) -> View:
    rows = [[_button(label[:64], data)] for label, data in suggestions(s, answer)]
    if not rows:
        rows = [[_button(t(q), AskCB(v=s.version, i=-1, n=n).pack())] for n, q in enumerate(EXAMPLES[:3])]
    return View(not_found_html(t), InlineKeyboardMarkup(inline_keyboard=rows))


def more_view(s: Services, passages: list[Passage], t: Gettext) -> View:
    rows = [[passage_button(s, p)] for p in passages]
    return View(escape(t("Other passages that may answer:")), InlineKeyboardMarkup(inline_keyboard=rows))


def start_view(s: Services, t: Gettext) -> View:
    text = "\n\n".join([
        escape(t("Hello! I answer questions about cassation, the review of court acts that have entered into force, "
                 "by quoting the normative resolutions of the Supreme Court of Kazakhstan paragraph by paragraph.")),
        escape(t("Write your question in Kazakh or Russian, or try one of these:")),
        f"<i>{escape(t(DISCLAIMER))}</i>",
    ])
    rows = [[_button(t(q), AskCB(v=s.version, i=-1, n=n).pack())] for n, q in enumerate(EXAMPLES[:3])]
    if s.topics:
        from bot.callbacks import TopicCB

        rows.append([_button(t("Topics"), TopicCB(v=s.version, t=-1, n=-1).pack())])
    return View(text, InlineKeyboardMarkup(inline_keyboard=rows))


def help_view(t: Gettext) -> View:
    examples = "\n".join(f"• {escape(t(q))}" for q in EXAMPLES)
    text = (f"<b>{escape(t('How to ask'))}</b>\n"
            f"{escape(t('Write a question in your own words, in Kazakh (Russian keyboard and Latin letters are fine) or in Russian. I answer with the paragraph of a resolution that fits best, quoted word for word, with its reference.'))}\n\n"  # noqa: E501
            f"<b>{escape(t('Examples'))}</b>\n{examples}\n\n"
            f"<b>{escape(t('Commands'))}</b>\n"
            f"{escape(t('/sources — the documents; /p DOCUMENT PARAGRAPH — show a paragraph (e.g. /p 2016-1 5); /topics — study by topic; /quiz — self-check; /lang — interface language.'))}\n\n"  # noqa: E501
            f"<i>{escape(t(DISCLAIMER))}</i>")
    return View(text)


def status_label(s: Services, doc_id: str, t: Gettext) -> str:
    doc = s.engine.corpus.document(doc_id)
    if doc.status == "commentary":
        return t("commentary, not law")
    if doc.status == "repealed":
        return t("repealed")
    if doc.status_since:
        return t("in force since {date}").format(date=doc.status_since)
    return t("in force")


def sources_view(s: Services, t: Gettext) -> View:
    lines = [f"<b>{escape(t('Documents of the knowledge base:'))}</b>"]
    rows = []
    for n, doc in enumerate(s.engine.corpus.documents):
        title = doc.title or doc.description
        lines.append(f"\n<b>{escape(doc.id)}</b> — {escape(title)}\n<i>{escape(status_label(s, doc.id, t))}</i>")
        rows.append([_button(doc.short[:60], DocCB(v=s.version, i=n).pack())])
    return View("\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows))


def document_view(s: Services, doc_index: int, t: Gettext) -> View | None:
    docs = s.engine.corpus.documents
    if not 0 <= doc_index < len(docs):
        return None
    doc = docs[doc_index]
    passages = s.engine.corpus.of(doc.id)
    text = f"<b>{escape(doc.short)}</b>\n{escape(t('Paragraphs of this document:'))}"
    rows = [[passage_button(s, p)] for p in passages]
    return View(text, InlineKeyboardMarkup(inline_keyboard=rows[:90]))


def language_view(t: Gettext) -> View:
    rows = [[_button("Қазақша", LangCB(lang="kk").pack()), _button("Русский", LangCB(lang="ru").pack())]]
    return View(escape(t("Choose the interface language. Quotes always stay in the original language.")),
                InlineKeyboardMarkup(inline_keyboard=rows))
