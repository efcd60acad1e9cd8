"""Buttons under a quote: full text, previous/next paragraph, more results, 👍/👎."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.core.assistant import Assistant
from bot.core.feedback import FeedbackStore
from bot.render import full_text_html
from bot.settings import Settings
from bot.telegram.callbacks import MoreCB, PassageCB
from bot.telegram.filters import Fresh
from bot.telegram.links import links_for
from bot.telegram.offload import store
from bot.telegram.views import more_view, passage_view
from knowledge import Passage

MAX_MORE = 10


def _passage(assistant: Assistant, cb: PassageCB) -> dict[str, Any] | None:
    """The passage the button acts on (for prev/next: the neighbour it leads to)."""
    passage = assistant.passage_at(cb.i)
    if passage is not None and cb.act in ("prev", "next"):
        prev, nxt = assistant.neighbours(passage)
        passage = prev if cb.act == "prev" else nxt
    return None if passage is None else {"passage": passage}


def _passages(assistant: Assistant, cb: MoreCB) -> dict[str, Any] | None:
    parts = cb.ids.split(".")
    passages = [assistant.passage_at(int(p)) if p.isdigit() else None for p in parts]
    if not passages or len(passages) > MAX_MORE or any(p is None for p in passages):
        return None
    return {"passages": passages}


async def passage_action(query: CallbackQuery, callback_data: PassageCB, passage: Passage, bot: Bot,
                         assistant: Assistant, feedback: FeedbackStore, settings: Settings) -> None:
    act = callback_data.act
    if act in ("up", "down"):
        stored = await store(feedback.record_vote, feedback.user_hash(query.from_user.id),
                             get_i18n().current_locale, passage.id, act == "up")
        # Thanks only for a vote that was stored; otherwise say so (read-only, damaged or long-locked database).
        await query.answer(_("Thank you for your feedback!") if stored
                           else _("Sorry, your vote could not be saved right now."))
        return
    await query.answer()
    if act == "full":
        for chunk in full_text_html(passage, _):
            await query.message.answer(chunk)
        return
    view = passage_view(assistant, passage, _, links=await links_for(bot, settings, query.message.chat))
    await query.message.answer(view.text, reply_markup=view.markup)


async def more(query: CallbackQuery, passages: list[Passage], assistant: Assistant) -> None:
    await query.answer()
    view = more_view(assistant, passages, _)
    await query.message.answer(view.text, reply_markup=view.markup)


def make_router() -> Router:
    router = Router(name="passages")
    router.callback_query.register(passage_action, PassageCB.filter(), Fresh(_passage))
    router.callback_query.register(more, MoreCB.filter(), Fresh(_passages))
    return router
