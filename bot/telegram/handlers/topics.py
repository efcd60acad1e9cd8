"""The topic guide: topics → a topic's paragraphs in reading order → each quoted, with "next in this topic"."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.core.assistant import Assistant
from bot.telegram.callbacks import TopicCB
from bot.telegram.filters import Fresh
from bot.telegram.views import topic_item_view, topic_view, topics_view


def _valid(assistant: Assistant, cb: TopicCB) -> dict | None:
    t, n, topics = cb.t, cb.n, assistant.topics
    ok = (t == -1 and n == -1) or (0 <= t < len(topics) and (n == -1 or 0 <= n < len(topics[t].items)))
    return {} if ok else None


async def topics_command(message: Message, assistant: Assistant) -> None:
    view = topics_view(assistant, get_i18n().current_locale, _)
    await message.answer(view.text, reply_markup=view.markup)


async def topic_button(query: CallbackQuery, callback_data: TopicCB, assistant: Assistant) -> None:
    lang = get_i18n().current_locale
    t, n = callback_data.t, callback_data.n
    await query.answer()
    if t == -1:
        view = topics_view(assistant, lang, _)
    elif n == -1:
        view = topic_view(assistant, t, lang, _)
    else:
        view = topic_item_view(assistant, t, n, lang, _)
    await query.message.answer(view.text, reply_markup=view.markup)


def make_router() -> Router:
    router = Router(name="topics")
    router.message.register(topics_command, Command("topics"))
    router.callback_query.register(topic_button, TopicCB.filter(), Fresh(_valid))
    return router
