"""Buttons under a quote: full text, previous/next paragraph, more results, 👍/👎."""

from __future__ import annotations

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.callbacks import MoreCB, PassageCB
from bot.render import full_text_html
from bot.services import Services
from bot.storage import Event
from bot.views import more_view, passage_view


async def _stale(query: CallbackQuery) -> None:
    await query.answer(_("This button is out of date. Please ask again."), show_alert=True)


async def passage_action(query: CallbackQuery, callback_data: PassageCB, services: Services) -> None:
    passage = services.passage_at(callback_data.i) if callback_data.v == services.version else None
    if passage is None or not isinstance(query.message, Message):
        await _stale(query)
        return
    act = callback_data.act
    if act in ("up", "down"):
        await services.record(Event(
            kind="vote", user_hash=services.storage.user_hash(query.from_user.id), lang=get_i18n().current_locale,
            passages=(passage.id,), vote=1 if act == "up" else -1,
        ))
        await query.answer(_("Thank you for your feedback!"))
        return
    if act == "full":
        await query.answer()
        for chunk in full_text_html(passage, _):
            await query.message.answer(chunk)
        return
    if act in ("prev", "next"):
        prev, nxt = services.neighbours(passage)
        passage = prev if act == "prev" else nxt
        if passage is None:
            await _stale(query)
            return
    await query.answer()
    view = passage_view(services, passage, _, private=query.message.chat.type == ChatType.PRIVATE)
    await query.message.answer(view.text, reply_markup=view.markup)


async def more(query: CallbackQuery, callback_data: MoreCB, services: Services) -> None:
    passages = []
    if callback_data.v == services.version:
        for part in callback_data.ids.split("."):
            p = services.passage_at(int(part)) if part.isdigit() else None
            if p is None:
                passages = []
                break
            passages.append(p)
    if not passages or len(passages) > 10 or not isinstance(query.message, Message):
        await _stale(query)
        return
    await query.answer()
    view = more_view(services, passages, _)
    await query.message.answer(view.text, reply_markup=view.markup)


def make_router() -> Router:
    router = Router(name="passages")
    router.callback_query.register(passage_action, PassageCB.filter())
    router.callback_query.register(more, MoreCB.filter())
    return router
