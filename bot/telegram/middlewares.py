"""Cross-cutting behaviour: interface language, per-user throttling, and resilient Bot API requests."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import CallbackQuery, InlineQuery, Message, TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot.core.feedback import FeedbackStore
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
    """A token bucket per user: a short burst is fine, a flood gets one friendly "slow down" and silence."""

    def __init__(self, burst: int, per_seconds: float, max_users: int = 10_000, *, shared: Any = None,
                 key_of: Callable[[int], str] | None = None) -> None:
        # `shared` (replicas.RedisThrottle) replaces the in-process buckets when replicas share Redis;
        # it counts users by `key_of(user id)`, the feedback store's salted hash.
        self.shared = shared
        self.key_of = key_of or str
        self.burst = burst
        self.rate = burst / per_seconds
        self.buckets: OrderedDict[int, tuple[float, float, bool]] = OrderedDict()  # tokens, time, warned
        self.max_users = max_users

    def allow(self, user_id: int, now: float | None = None) -> tuple[bool, bool]:
        """(allowed, should_warn)."""
        now = time.monotonic() if now is None else now
        tokens, last, warned = self.buckets.pop(user_id, (float(self.burst), now, False))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self.buckets[user_id] = (tokens - 1.0, now, False)
            allowed, warn = True, False
        else:
            self.buckets[user_id] = (tokens, now, True)
            allowed, warn = False, not warned
        while len(self.buckets) > self.max_users:
            self.buckets.popitem(last=False)
        return allowed, warn

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        user = _user(event)
        if user is None or isinstance(event, InlineQuery):
            return await handler(event, data)
        if self.shared is not None:
            allowed, warn = await self.shared.decide(self.key_of(user.id))
        else:
            allowed, warn = self.allow(user.id)
        if allowed:
            return await handler(event, data)
        if warn:
            from aiogram.utils.i18n import gettext as _

            text = _("Too many messages; please wait a few seconds.")
            if isinstance(event, Message):
                await event.answer(text)
            elif isinstance(event, CallbackQuery):
                await event.answer(text, show_alert=False)
        return None


class RetryMiddleware(BaseRequestMiddleware):
    """Bot API calls survive flood limits (429 retry_after) and brief network drops, within bounds."""

    def __init__(self, attempts: int = 4, base_delay: float = 0.5, max_retry_after: float = 30.0) -> None:
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_retry_after = max_retry_after

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Any,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        delay = self.base_delay
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts or exc.retry_after > self.max_retry_after:
                    raise
                log.warning("flood limit on %s: retrying after %s s", type(method).__name__, exc.retry_after)
                await asyncio.sleep(exc.retry_after)
            except TelegramNetworkError as exc:
                if attempt == self.attempts:
                    raise
                log.warning("network error on %s (%s): retry %d in %.1f s", type(method).__name__,
                            exc.__class__.__name__, attempt, delay)
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")
