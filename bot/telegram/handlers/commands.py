"""/start, /help, /lang, /sources and /p: the fixed parts of the conversation."""

from __future__ import annotations

import re

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.core.assistant import Assistant
from bot.core.feedback import FeedbackStore
from bot.core.links import decode_payload
from bot.settings import Settings
from bot.telegram.callbacks import DocCB, LangCB
from bot.telegram.filters import Fresh, on_text
from bot.telegram.links import links_for
from bot.telegram.offload import store
from bot.telegram.views import (
    View,
    document_view,
    help_view,
    language_chosen_text,
    language_view,
    passage_view,
    sources_view,
    start_view,
)


async def start(message: Message, bot: Bot, assistant: Assistant, settings: Settings,
                command: CommandObject | None = None) -> None:
    """/start, or a paragraph's deep link (t.me/<bot>?start=2016-1_5); a payload that names nothing is ignored."""
    passage_id = decode_payload(command.args if command else None)
    passage = assistant.get(passage_id) if passage_id else None
    if passage is not None:
        view = passage_view(assistant, passage, _, links=await links_for(bot, settings, message.chat))
    else:
        view = start_view(assistant, _)
    await message.answer(view.text, reply_markup=view.markup)


async def help_(message: Message) -> None:
    await message.answer(help_view(_).text)


async def lang(message: Message) -> None:
    view = language_view(_)
    await message.answer(view.text, reply_markup=view.markup)


async def set_lang(query: CallbackQuery, callback_data: LangCB, feedback: FeedbackStore, i18n_middleware) -> None:
    # Remember the choice (a user preference, not button state), then answer in the new language.
    await store(feedback.set_language, feedback.user_hash(query.from_user.id), callback_data.lang)
    with i18n_middleware.i18n.use_locale(callback_data.lang):
        text = language_chosen_text(callback_data.lang, _)
        await query.answer(text)
        if isinstance(query.message, Message):
            await query.message.edit_text(text)


async def sources(message: Message, assistant: Assistant, i18n_middleware) -> None:
    view = sources_view(assistant, _, i18n_middleware.i18n.current_locale)
    await message.answer(view.text, reply_markup=view.markup)


def _document(assistant: Assistant, cb: DocCB) -> dict[str, View] | None:
    view = document_view(assistant, cb.i, _)
    return None if view is None else {"view": view}


async def document(query: CallbackQuery, view: View) -> None:
    await query.answer()
    await query.message.answer(view.text, reply_markup=view.markup)


async def paragraph(message: Message, command: CommandObject, bot: Bot, assistant: Assistant,
                    settings: Settings) -> None:
    args = (command.args or "").split()
    if len(args) != 2:
        await message.answer(_("Usage: /p DOCUMENT PARAGRAPH, for example /p 2016-1 5"))
        return
    passage = assistant.paragraph(args[0], re.sub(r"[.,;]$", "", args[1]))
    if passage is None:
        await message.answer(_("No such document or paragraph. Send /sources to see the documents."))
        return
    view = passage_view(assistant, passage, _, links=await links_for(bot, settings, message.chat))
    await message.answer(view.text, reply_markup=view.markup)


def make_router() -> Router:
    router = Router(name="commands")
    on_text(router, start, CommandStart())
    on_text(router, help_, Command("help"))
    on_text(router, lang, Command("lang"))
    router.callback_query.register(set_lang, LangCB.filter())
    on_text(router, sources, Command("sources"))
    router.callback_query.register(document, DocCB.filter(), Fresh(_document))
    on_text(router, paragraph, Command("p"))
    return router
