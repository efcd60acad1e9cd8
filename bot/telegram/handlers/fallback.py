"""What nothing else handled: stale or forged buttons, unknown commands."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.telegram.filters import on_text


async def stale_button(query: CallbackQuery) -> None:
    # Forged, malformed, made for another version of the knowledge base, or pointing nowhere (every
    # handler's `Fresh` filter declined it): a polite alert, nothing else.
    await query.answer(_("This button is out of date. Please ask again."), show_alert=True)


async def unknown_command(message: Message) -> None:
    await message.answer(_("Unknown command. Send /help."))


def make_router() -> Router:
    router = Router(name="fallback")
    router.callback_query.register(stale_button)
    on_text(router, unknown_command, F.text.startswith("/"))
    return router
