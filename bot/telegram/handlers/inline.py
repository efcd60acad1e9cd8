"""Inline mode: "@bot question" in any chat lists the best passages; choosing one inserts the quote."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import InlineQuery
from aiogram.utils.i18n import gettext as _

from bot.core.assistant import NOT_FOUND, Assistant
from bot.core.feedback import FeedbackStore
from bot.settings import Settings
from bot.telegram.links import Links
from bot.telegram.offload import offload
from bot.telegram.views import inline_article, inline_not_found_button

PAGE = 10
MAX_RESULTS = 50
CACHE_SECONDS = 300


async def inline_query(query: InlineQuery, bot: Bot, assistant: Assistant, feedback: FeedbackStore,
                       settings: Settings) -> None:
    text = query.query.strip()[: settings.max_question_chars]
    offset = int(query.offset) if query.offset.isdigit() else 0
    if not text:
        # The most asked passages (from answers given), else the paragraphs the topic guide starts with.
        ids = await offload(feedback.popular_passages, MAX_RESULTS)
        ids += [t.items[0].passage_id for t in assistant.topics if t.items]
        ids = list(dict.fromkeys(ids))  # topics may share a first paragraph: Telegram rejects repeated ids
        passages = [p for p in (assistant.get(pid) for pid in ids) if p is not None]
        pairs = [(p, []) for p in passages[:MAX_RESULTS]]
    else:
        reply = await assistant.ask_async(text, k=MAX_RESULTS)
        # a direct answer or the closest paragraphs: the person choosing what to paste sees each quote
        pairs = [(h.passage, h.highlights) for h in reply.hits] if reply.outcome != NOT_FOUND else []
    if not pairs:
        # No fake "not found" article (tapping it would post into the chat): a button above the empty list
        # opens the private chat with the bot instead.
        await query.answer([], cache_time=CACHE_SECONDS, is_personal=True, button=inline_not_found_button(_))
        return
    page = pairs[offset: offset + PAGE]
    next_offset = str(offset + PAGE) if offset + PAGE < len(pairs) else ""
    links = Links((await bot.me()).username or "")  # the deep link only: a pasted quote leads back to its source
    await query.answer([inline_article(p, h, text, _, links) for p, h in page], cache_time=CACHE_SECONDS,
                       is_personal=True, next_offset=next_offset)


def make_router() -> Router:
    router = Router(name="inline")
    router.inline_query.register(inline_query)
    return router
