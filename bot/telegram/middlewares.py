"""Cross-cutting behaviour: interface language, per-user throttling, and resilient Bot API requests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, InlineQuery, Message, TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot.core.feedback import FeedbackStore
from bot.core.throttle import ThrottlePolicy
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES

log = logging.getLogger(__name__)


def _user(event: TelegramObject) -> User | None:
    return getattr(event, "from_user", None)


class LanguageMiddleware(I18nMiddleware):
    """The user's interface language: their /lang choice, else Telegram's language_code (ru → ru), else kk."""

    def __init__(self, i18n: I18n, feedback: FeedbackStore) -> None:
        super().__init__(i18n)
        self.feedback = feedback

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user = _user(event)
        if user is None:
            return DEFAULT_LANGUAGE
        loop = asyncio.get_running_loop()
        chosen = await loop.run_in_executor(None, self.feedback.language, self.feedback.user_hash(user.id))
        if chosen in LANGUAGES:
            return chosen
        code = (user.language_code or "").split("-")[0]
        return "ru" if code in ("ru", "uk", "be") else DEFAULT_LANGUAGE


class ThrottlingMiddleware(BaseMiddleware):
    """Applies `bot.core.throttle.ThrottlePolicy`: a burst goes through, a small backlog waits its turn, a flood
    is told once; a refused button press is still answered, so its spinner stops."""

    def __init__(self, policy: ThrottlePolicy, *, shared: Any = None,
                 key_of: Callable[[int], str] | None = None) -> None:
        # `shared` (replicas.RedisThrottle) replaces the in-process policy when replicas share Redis; it counts
        # users by `key_of(user id)`, the feedback store's salted hash, and never makes a message wait.
        self.policy = policy
        self.shared = shared
        self.key_of = key_of or str

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        user = _user(event)
        if user is None or isinstance(event, InlineQuery):
            return await handler(event, data)
        if self.shared is not None:
            decision = await self.shared.decide(self.key_of(user.id))
        else:
            decision = self.policy.decide(str(user.id))
        if decision.action == "wait":
            await asyncio.sleep(decision.delay)
        if decision.action != "refuse":
            return await handler(event, data)
        from aiogram.utils.i18n import gettext as _

        text = _("Too many messages at once: I answer the first ones; please send the rest again in a few seconds.")
        if isinstance(event, CallbackQuery):
            await event.answer(text if decision.tell else None)  # always answered: the client stops spinning
        elif isinstance(event, Message) and decision.tell:
            await event.answer(text)
        return None
