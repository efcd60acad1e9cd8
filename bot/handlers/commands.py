"""/start, /help, /lang, /sources and /p: the fixed parts of the conversation."""

from __future__ import annotations

import re

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.callbacks import DocCB, LangCB
from bot.services import Services
from bot.views import document_view, help_view, language_view, passage_view, sources_view, start_view
from bot.web.links import decode_payload


async def start(message: Message, services: Services, command: CommandObject | None = None) -> None:
    """/start, or a paragraph's deep link (t.me/<bot>?start=2016-1_5); a payload that names nothing is ignored."""
    passage_id = decode_payload(command.args if command else None)
    passage = services.engine.corpus.get(passage_id) if passage_id else None
    if passage is not None:
        view = passage_view(services, passage, _, private=message.chat.type == ChatType.PRIVATE)
    else:
        view = start_view(services, _)
    await message.answer(view.text, reply_markup=view.markup)


async def help_(message: Message) -> None:
    await message.answer(help_view(_).text)


async def lang(message: Message) -> None:
    view = language_view(_)
    await message.answer(view.text, reply_markup=view.markup)


async def set_lang(query: CallbackQuery, callback_data: LangCB, services: Services, i18n_middleware) -> None:
    # Remember the choice (a user preference, not button state), then answer in the new language.
    await services.run(services.storage.set_language, services.storage.user_hash(query.from_user.id),
                       callback_data.lang)
    with i18n_middleware.i18n.use_locale(callback_data.lang):
        text = _("Interface language: Kazakh") if callback_data.lang == "kk" else _("Interface language: Russian")
        await query.answer(text)
        if isinstance(query.message, Message):
            await query.message.edit_text(text)


async def sources(message: Message, services: Services) -> None:
    view = sources_view(services, _)
    await message.answer(view.text, reply_markup=view.markup)


async def document(query: CallbackQuery, callback_data: DocCB, services: Services) -> None:
    view = document_view(services, callback_data.i, _) if callback_data.v == services.version else None
    if view is None:
        await query.answer(_("This button is out of date. Please ask again."), show_alert=True)
        return
    await query.answer()
    await query.message.answer(view.text, reply_markup=view.markup)


def find_paragraph(services: Services, doc_ref: str, number: str):
    try:
        return services.engine.corpus.passage(doc_ref, number)
    except KeyError:
        return None


async def paragraph(message: Message, command: CommandObject, services: Services) -> None:
    args = (command.args or "").split()
    if len(args) != 2:
        await message.answer(_("Usage: /p DOCUMENT PARAGRAPH, for example /p 2016-1 5"))
        return
    passage = find_paragraph(services, args[0], re.sub(r"[.,;]$", "", args[1]))
    if passage is None:
        await message.answer(_("No such document or paragraph. Send /sources to see the documents."))
        return
    view = passage_view(services, passage, _, private=message.chat.type == ChatType.PRIVATE)
    await message.answer(view.text, reply_markup=view.markup)


def make_router() -> Router:
    router = Router(name="commands")
    router.message.register(start, CommandStart())
    router.edited_message.register(start, CommandStart())
    router.message.register(help_, Command("help"))
    router.edited_message.register(help_, Command("help"))
    router.message.register(lang, Command("lang"))
    router.edited_message.register(lang, Command("lang"))
    router.callback_query.register(set_lang, LangCB.filter())
    router.message.register(sources, Command("sources"))
    router.edited_message.register(sources, Command("sources"))
    router.callback_query.register(document, DocCB.filter(F.v.len() > 0))
    router.message.register(paragraph, Command("p"))
    router.edited_message.register(paragraph, Command("p"))
    return router
