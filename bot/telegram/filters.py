"""Filters shared by the routers: one check for stale buttons, one registration for new and edited messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message

from bot.core.assistant import Assistant

Resolve = Callable[[Assistant, Any], dict[str, Any] | None]


class Fresh(Filter):
    """A button made for this corpus, under a message, whose references still resolve.

    `resolve` turns the callback data into what the handler needs (passed on as keyword arguments) or None
    when it points nowhere.  A button that fails matches no handler but the catch-all of the fallback
    router, which answers with the one "out of date" alert.
    """

    def __init__(self, resolve: Resolve | None = None) -> None:
        self.resolve = resolve

    async def __call__(self, query: CallbackQuery, callback_data: CallbackData,
                       assistant: Assistant) -> bool | dict[str, Any]:
        if getattr(callback_data, "v", None) != assistant.version or not isinstance(query.message, Message):
            return False
        if self.resolve is None:
            return True
        resolved = self.resolve(assistant, callback_data)
        if resolved is None:
            return False
        return resolved or True  # an empty dict would read as "no match"


def on_text(router: Router, handler: Callable[..., Any], *filters: Any) -> None:
    """Register `handler` for new and edited messages alike: an edited question is asked again."""
    for observer in (router.message, router.edited_message):
        observer.register(handler, *filters)
