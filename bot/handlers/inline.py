"""Inline mode: "@bot question" in any chat lists the best passages; choosing one inserts the quote."""

from __future__ import annotations

import hashlib
from html import escape

from aiogram import Router
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
)
from aiogram.utils.i18n import gettext as _

from bot.render import passage_html
from bot.services import Services
from bot.views import link_line

PAGE = 10
MAX_RESULTS = 50
CACHE_SECONDS = 300
DESCRIPTION = 120


def _result_id(passage_id: str, query: str) -> str:
    return hashlib.sha1(f"{passage_id}\x00{query}".encode()).hexdigest()[:32]


def _article(passage, highlights: list[int], query: str, link: str = "") -> InlineQueryResultArticle:
    """One result; `link` (the paragraph's deep link line) goes with the quote, so a pasted quote leads back."""
    sentences = passage.sentences
    lead = sentences[highlights[0]] if highlights and highlights[0] < len(sentences) else passage.text
    return InlineQueryResultArticle(
        id=_result_id(passage.id, query),
        title=passage.citation[:200],
        description=lead[:DESCRIPTION],
        input_message_content=InputTextMessageContent(message_text=passage_html(passage, _, highlights).text + link,
                                                      parse_mode="HTML"),
    )


def _popular(s: Services) -> list[str]:
    rows = s.storage.query("SELECT json_extract(passages, '$[0]') AS pid, COUNT(*) FROM events"
                           " WHERE kind = 'answer' GROUP BY pid ORDER BY COUNT(*) DESC LIMIT ?", (MAX_RESULTS,))
    return [pid for pid, _count in rows if pid]


async def inline_query(query: InlineQuery, services: Services) -> None:
    text = query.query.strip()[: services.settings.max_question_chars]
    offset = int(query.offset) if query.offset.isdigit() else 0
    if not text:
        # The most asked passages (from answers given), else the paragraphs the topic guide starts with.
        ids = await services.run(_popular, services)
        ids += [t.items[0].passage_id for t in services.topics if t.items and t.items[0].passage_id not in ids]
        passages = [p for p in (services.engine.corpus.get(pid) for pid in ids) if p is not None]
        pairs = [(p, []) for p in passages[:MAX_RESULTS]]
    else:
        answer = await services.ask(text, k=MAX_RESULTS)
        pairs = [(h.passage, h.highlights) for h in answer.hits] if answer.answered else []
    if not pairs:
        username = services.bot_username
        link = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
            text=_("Not found: ask me in a private chat"), url=f"https://t.me/{username}")]]) if username else None
        result = InlineQueryResultArticle(
            id="not-found", title=_("Not found: ask me in a private chat"),
            description=_("Open the bot and ask your question there."),
            input_message_content=InputTextMessageContent(
                message_text=escape(_("Nothing in these documents answers this question.")), parse_mode="HTML"),
            reply_markup=link,
        )
        await query.answer([result], cache_time=CACHE_SECONDS, is_personal=True)
        return
    page = pairs[offset: offset + PAGE]
    next_offset = str(offset + PAGE) if offset + PAGE < len(pairs) else ""
    results = [_article(p, h, text, link_line(services, p)) for p, h in page]
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=True, next_offset=next_offset)


def make_router() -> Router:
    router = Router(name="inline")
    router.inline_query.register(inline_query)
    return router
