"""Replies and passages → Telegram messages with their buttons (text + InlineKeyboardMarkup).

Every message the bot sends is built here, from what the core (`Assistant`) decided; handlers only choose
which view to send.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass
from html import escape

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    WebAppInfo,
)

from bot.core.assistant import Assistant, Reply
from bot.core.feedback import QuizAnswer
from bot.core.links import deep_link, paragraph_page_url
from bot.render import (
    ASK_PROMPT,
    GREETING,
    THANKS,
    Gettext,
    also_html,
    closest_html,
    document_notes,
    not_found_html,
    passage_html,
    short_ref,
    status_label,
)
from bot.report import Report
from bot.telegram.callbacks import AskCB, DocCB, LangCB, MoreCB, PassageCB, QuizCB, TopicCB, fits
from bot.telegram.links import NO_LINKS, Links
from knowledge import Passage
from knowledge.citation import document_citation

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
ROUND = 10  # quiz questions per round
DESCRIPTION = 120  # characters of an inline result's description


@dataclass
class View:
    text: str
    markup: InlineKeyboardMarkup | None = None


def _button(text: str, data: str) -> InlineKeyboardButton:
    assert fits(data), data
    return InlineKeyboardButton(text=text, callback_data=data)


def passage_button(a: Assistant, p: Passage, *, with_words: bool = True) -> InlineKeyboardButton:
    label = short_ref(p)
    if with_words:
        words = p.text[:BUTTON_TEXT].rsplit(" ", 1)[0]
        label = f"{label}: {words}…"
    return _button(label, PassageCB(v=a.version, act="show", i=a.ordinal(p)).pack())


def link_line(links: Links, p: Passage) -> str:
    """The paragraph's own deep link under a quote ("" until the bot knows its username)."""
    url = deep_link(links.username, p.id)
    return f"\n🔗 {escape(url)}" if url else ""


def reading_button(links: Links, p: Passage, t: Gettext) -> InlineKeyboardButton | None:
    """"Full text" opening the paragraph in the reading view: in place (a Web App) in a private chat over HTTPS,
    as an ordinary link elsewhere (Telegram allows Web App buttons only in private chats); None without a view."""
    if not links.reading_url:
        return None
    url = paragraph_page_url(links.reading_url, p.doc_id, p.number)
    if links.private and url.startswith("https://"):
        return InlineKeyboardButton(text=t("Full text"), web_app=WebAppInfo(url=url))
    return InlineKeyboardButton(text=t("Full text"), url=url)


def passage_view(a: Assistant, p: Passage, t: Gettext, highlights: list[int] | None = None,
                 more: list[Passage] | None = None, also: list[Passage] | None = None, lang: str = "kk", *,
                 links: Links = NO_LINKS) -> View:
    """A quote with its link and buttons: full text, neighbours, more results, votes; for a generic question,
    the other paragraphs that answer too, named in the message and one tap away."""
    rendered = passage_html(p, t, highlights)
    text = rendered.text + link_line(links, p)  # the link belongs to the quote, before other paragraphs are named
    i = a.ordinal(p)
    rows: list[list[InlineKeyboardButton]] = []
    web = reading_button(links, p, t)
    if web is not None:
        rows.append([web])
    if also:
        text = f"{text}\n\n{also_html(also, lambda q: a.heading(q, lang), t)}"
        rows += [[passage_button(a, q, with_words=False)] for q in also]
    if web is None and rendered.truncated:
        rows.append([_button(t("Full text"), PassageCB(v=a.version, act="full", i=i).pack())])
    prev, nxt = a.neighbours(p)
    nav = []
    if prev is not None:
        nav.append(_button(t("◀ Previous"), PassageCB(v=a.version, act="prev", i=i).pack()))
    if nxt is not None:
        nav.append(_button(t("Next ▶"), PassageCB(v=a.version, act="next", i=i).pack()))
    if nav:
        rows.append(nav)
    if more:
        ids = ".".join(str(a.ordinal(m)) for m in more)
        data = MoreCB(v=a.version, ids=ids).pack()
        while not fits(data) and "." in ids:
            ids = ids.rsplit(".", 1)[0]
            data = MoreCB(v=a.version, ids=ids).pack()
        rows.append([_button(t("More results"), data)])
    rows.append([_button("👍", PassageCB(v=a.version, act="up", i=i).pack()),
                 _button("👎", PassageCB(v=a.version, act="down", i=i).pack())])
    return View(text, InlineKeyboardMarkup(inline_keyboard=rows))


def answer_view(a: Assistant, reply: Reply, t: Gettext, lang: str = "kk", *, links: Links = NO_LINKS) -> View:
    """One of the three outcomes: a direct quote, the closest paragraphs (not a direct answer), not found."""
    if reply.outcome == "closest" and reply.closest:
        rows = [[_button(f"{short_ref(p)}: {a.heading(p, lang)}"[:64],
                         PassageCB(v=a.version, act="show", i=a.ordinal(p)).pack())] for p in reply.closest]
        return View(closest_html(reply.closest, lambda p: a.heading(p, lang), t, reply.outside),
                    InlineKeyboardMarkup(inline_keyboard=rows))
    if reply.courtesy == "greeting":
        return start_view(a, t)
    if reply.courtesy == "thanks":
        return View(escape(t(THANKS)))
    if reply.best is None:
        return not_found_view(a, reply, t)
    return passage_view(a, reply.best, t, reply.highlights, reply.others, reply.also, lang, links=links)


def not_found_view(a: Assistant, reply: Reply | None, t: Gettext) -> View:
    """"Not found", with the curated questions near a near miss, else the general examples."""
    rows = [[_button(g.text[:64], AskCB(v=a.version, i=a.ordinal(g.passage), n=g.n).pack())]
            for g in (reply.suggestions if reply else [])]
    if not rows:
        rows = [[_button(t(q), AskCB(v=a.version, i=-1, n=n).pack())] for n, q in enumerate(EXAMPLES[:3])]
    return View(not_found_html(t), InlineKeyboardMarkup(inline_keyboard=rows))


def more_view(a: Assistant, passages: list[Passage], t: Gettext) -> View:
    rows = [[passage_button(a, p)] for p in passages]
    return View(escape(t("Other passages that may answer:")), InlineKeyboardMarkup(inline_keyboard=rows))


def start_view(a: Assistant, t: Gettext) -> View:
    text = "\n\n".join([
        escape(t(GREETING)),
        escape(t(ASK_PROMPT)),
        f"<i>{escape(t(DISCLAIMER))}</i>",
    ])
    rows = [[_button(t(q), AskCB(v=a.version, i=-1, n=n).pack())] for n, q in enumerate(EXAMPLES[:3])]
    if a.topics:
        rows.append([_button(t("Topics"), TopicCB(v=a.version, t=-1, n=-1).pack())])
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


def sources_view(a: Assistant, t: Gettext, lang: str = "kk") -> View:
    """The documents with their full citation (whole title), status and the amendment notes on the document."""
    lines = [f"<b>{escape(t('Documents of the knowledge base:'))}</b>"]
    rows = []
    for n, doc in enumerate(a.documents):
        lines.append(f"\n<b>{escape(doc.id)}</b> — {escape(document_citation(doc, full=True))}\n"
                     f"<i>{escape(status_label(doc, t, lang))}</i>")
        lines += [f"<i>{escape(note, quote=False)}</i>" for note in document_notes(doc)]
        rows.append([_button(doc.short[:60], DocCB(v=a.version, i=n).pack())])
    return View("\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows))


def document_view(a: Assistant, doc_index: int, t: Gettext) -> View | None:
    doc = a.document_at(doc_index)
    if doc is None:
        return None
    passages = a.of(doc.id)
    text = f"<b>{escape(doc.short)}</b>\n{escape(t('Paragraphs of this document:'))}"
    rows = [[passage_button(a, p)] for p in passages]
    return View(text, InlineKeyboardMarkup(inline_keyboard=rows[:90]))


def language_view(t: Gettext) -> View:
    rows = [[_button("Қазақша", LangCB(lang="kk").pack()), _button("Русский", LangCB(lang="ru").pack())]]
    return View(escape(t("Choose the interface language. Quotes always stay in the original language.")),
                InlineKeyboardMarkup(inline_keyboard=rows))


def language_chosen_text(lang: str, t: Gettext) -> str:
    return t("Interface language: Kazakh") if lang == "kk" else t("Interface language: Russian")


def long_message_note(limit: int, t: Gettext) -> str:
    """Said before the answer to a message cut to `limit` characters."""
    return f"<i>{t('Your message is long; I read only its first {n} characters.').format(n=limit)}</i>"


def asked_text(question: str) -> str:
    """Echo of a suggested question the user pressed, so the chat shows what was asked."""
    return f"❓ <i>{escape(question)}</i>"


# -- the topic guide ----------------------------------------------------------------------------------------
def topics_view(a: Assistant, lang: str, t: Gettext) -> View:
    rows = [[InlineKeyboardButton(text=topic.title(lang)[:64], callback_data=TopicCB(v=a.version, t=i, n=-1).pack())]
            for i, topic in enumerate(a.topics)]
    return View(escape(t("Choose a topic:")), InlineKeyboardMarkup(inline_keyboard=rows))


def topic_view(a: Assistant, ti: int, lang: str, t: Gettext) -> View:
    topic = a.topics[ti]
    rows = []
    for n, item in enumerate(topic.items):
        rows.append([InlineKeyboardButton(text=f"{n + 1}. {item.heading(lang)}"[:64],
                                          callback_data=TopicCB(v=a.version, t=ti, n=n).pack())])
    rows.append([InlineKeyboardButton(text=t("◀ Topics"), callback_data=TopicCB(v=a.version, t=-1, n=-1).pack())])
    heading = f"<b>{escape(topic.title(lang))}</b>\n{escape(topic.summary(lang))}"
    return View(heading, InlineKeyboardMarkup(inline_keyboard=rows))


def topic_item_view(a: Assistant, ti: int, n: int, lang: str, t: Gettext) -> View:
    topic = a.topics[ti]
    item = topic.items[n]
    passage = a.get(item.passage_id)
    assert passage is not None  # validated at start-up
    body = passage_html(passage, t)
    text = (f"<b>{escape(topic.title(lang))} · {n + 1}/{len(topic.items)}</b>\n"
            f"<i>{escape(item.heading(lang))}</i>\n\n{body.text}")
    rows = []
    if n + 1 < len(topic.items):
        rows.append([InlineKeyboardButton(text=t("Next in this topic ▶"),
                                          callback_data=TopicCB(v=a.version, t=ti, n=n + 1).pack())])
    else:
        text += f"\n\n<i>{escape(t('End of the topic.'))}</i>"
    rows.append([InlineKeyboardButton(text=t("◀ Topics"), callback_data=TopicCB(v=a.version, t=-1, n=-1).pack())])
    return View(text, InlineKeyboardMarkup(inline_keyboard=rows))


# -- the quiz -----------------------------------------------------------------------------------------------
QUIZ_CHOICES = 4


def _quiz_choices(a: Assistant, q: int, rng: random.Random) -> list[int]:
    """The right paragraph and distractors from the same topic, shuffled."""
    question = a.quiz[q]
    others = [pid for pid in dict.fromkeys(a.topic_passages(question.topic)) if pid != question.passage_id]
    picked = [*rng.sample(others, min(QUIZ_CHOICES - 1, len(others))), question.passage_id]
    rng.shuffle(picked)
    return [a.ordinal(a.get(pid)) for pid in picked]


def quiz_question_view(a: Assistant, q: int, pos: int, score: int, lang: str, rng: random.Random,
                       t: Gettext) -> View:
    question = a.quiz[q]
    text = (f"<b>{escape(t('Question {n} of {total}').format(n=pos + 1, total=ROUND))}</b>\n\n"
            f"{escape(question.text(lang))}\n\n"
            f"<i>{escape(t('Which paragraph answers this?'))}</i>")
    rows = []
    for choice in _quiz_choices(a, q, rng):
        p = a.passages[choice]
        words = p.text[:40].rsplit(" ", 1)[0]
        rows.append([InlineKeyboardButton(
            text=f"{short_ref(p)}: {words}…"[:64],
            callback_data=QuizCB(v=a.version, q=q, a=choice, pos=pos, score=score).pack())])
    return View(text, InlineKeyboardMarkup(inline_keyboard=rows))


def quiz_verdict_view(a: Assistant, right: Passage, highlights: list[int], correct: bool, pos: int, score: int,
                      t: Gettext) -> View:
    """Right or wrong, the answering paragraph quoted, and "next question" until the round is over."""
    verdict = t("Right!") if correct else t("Not quite. The answer is:")
    text = f"{'✅' if correct else '❌'} <b>{escape(verdict)}</b>\n\n{passage_html(right, t, highlights).text}"
    if pos >= ROUND:
        return View(text)
    button = InlineKeyboardButton(text=t("Next question ▶"),
                                  callback_data=QuizCB(v=a.version, q=-1, a=-1, pos=pos, score=score).pack())
    return View(text, InlineKeyboardMarkup(inline_keyboard=[[button]]))


def round_summary_view(a: Assistant, recent: list[QuizAnswer], score: int, lang: str, t: Gettext) -> View:
    wrong = Counter(r.topic for r in recent if not r.correct)
    titles = {topic.id: topic.title(lang) for topic in a.topics}
    lines = [f"🏁 <b>{escape(t('Round over: {score} of {total} right.').format(score=score, total=ROUND))}</b>"]
    if wrong:
        lines.append(escape(t("Topics to revisit:")))
        lines += [f"• {escape(titles.get(k, k))} ({n})" for k, n in wrong.most_common(3)]
    else:
        lines.append(escape(t("No mistakes, well done!")))
    again = InlineKeyboardButton(text=t("New round"), callback_data=QuizCB(v=a.version, q=-1, a=-1, pos=0,
                                                                          score=0).pack())
    return View("\n".join(lines), InlineKeyboardMarkup(inline_keyboard=[[again]]))


# -- inline mode --------------------------------------------------------------------------------------------
def _result_id(passage_id: str, query: str) -> str:
    return hashlib.sha1(f"{passage_id}\x00{query}".encode()).hexdigest()[:32]


def inline_article(passage: Passage, highlights: list[int], query: str, t: Gettext,
                   links: Links = NO_LINKS) -> InlineQueryResultArticle:
    """One result; the paragraph's deep link goes with the quote, so a pasted quote leads back to its source."""
    sentences = passage.sentences
    lead = sentences[highlights[0]] if highlights and highlights[0] < len(sentences) else passage.text
    return InlineQueryResultArticle(
        id=_result_id(passage.id, query),
        title=_inline_title(passage.citation),
        description=lead[:DESCRIPTION],
        input_message_content=InputTextMessageContent(
            message_text=passage_html(passage, t, highlights).text + link_line(links, passage), parse_mode="HTML"),
    )


def _inline_title(citation: str, limit: int = 200) -> str:
    """The citation as a result title; a long one is shortened in the middle so "7-тармақ" stays visible."""
    if len(citation) <= limit:
        return citation
    head, _, where = citation.rpartition(", ")
    return f"{head[: limit - len(where) - 3].rstrip()}…, {where}"


def inline_not_found_button(t: Gettext) -> InlineQueryResultsButton:
    """Shown above an empty result list: opens the private chat (/start inline) to ask there."""
    return InlineQueryResultsButton(text=t("Not found: ask me in a private chat"), start_parameter="inline")


# -- for admins ---------------------------------------------------------------------------------------------
def stats_view(r: Report, t: Gettext) -> View:
    lines = [f"<b>{escape(t('Statistics'))}</b>",
             f"{escape(t('Questions'))}: {r.questions}",
             f"{escape(t('Answer rate'))}: {r.answer_rate:.0%}",
             f"{escape(t('Votes'))}: 👍 {r.up} / 👎 {r.down}"]
    if r.voted_down:
        lines.append(f"\n{escape(t('Most voted-down passages'))}:")
        lines += [f"• {escape(pid)} — {n}" for pid, n in r.voted_down[:5]]
    if r.unanswered:
        lines.append(f"\n{escape(t('Most frequent unanswered questions'))}:")
        lines += [f"• {escape(g.example[:100])} — {g.count}" for g in r.unanswered[:5]]
    return View("\n".join(lines))
