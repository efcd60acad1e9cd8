"""Bot API requests that survive Telegram's bad moments without losing or doubling an answer.

`ResilientSession` is aiogram's `AiohttpSession` with a retry loop and an outbox around every request:

- **What is retried.** 5xx answers (also nginx's HTML 502 page), 429 flood limits (their `retry_after` is
  honoured however long it is) and network errors, with exponential backoff, all within one bounded total
  time per request (`DeliveryPolicy.budget`, `API_RETRY_BUDGET`).  Other errors (400, 403 …) are final.
- **The outbox.** When Telegram is unreachable or answers 5xx, the first request that notices waits with
  backoff and probes; every later request queues behind it in arrival order (at most `DeliveryPolicy.outbox`
  of them, `API_OUTBOX_SIZE`; beyond that a request fails at once and is logged).  When the probe gets
  through, the queue drains in order, so answers produced during an outage arrive, in order, once it ends.
  `getUpdates` is left to aiogram's polling loop, which has its own backoff.
- **The duplicate policy.** Methods that create something (`send*`, `copy*`, `forward*`) are repeated after a
  network error only when the request surely never reached Telegram: the connection was refused or could
  not be opened (`ClientConnectorError`, `ConnectionTimeoutError`).  A connection lost or timed out after
  the request was written is ambiguous — the answer may already be in the chat — and the Bot API offers no
  idempotency key, so such a send is *not* repeated: it is logged as possibly undelivered.  A 5xx or 429
  answer means Telegram did not carry out the method, so those are always retried.  Every other method is
  repeated freely and its repeat made harmless: the "message is not modified" or "query is too old" answer
  to a repeat of an edit, a delete or a callback answer that did get through counts as success.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiohttp import ClientConnectorError, ConnectionTimeoutError

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)

# Methods that create a message: a blind repeat could show the user the same answer twice.
CREATING_PREFIXES = ("send", "copy", "forward")
# Left to aiogram's own loop (polling backs off by itself; a long poll must never queue behind answers).
UNMANAGED = frozenset({"getUpdates"})
# Answers to a repeated request that mean "the first attempt did get through".
HARMLESS_REPEAT_ERRORS = ("message is not modified", "query is too old", "query id is invalid",
                          "message to delete not found")


@dataclass(frozen=True)
class DeliveryPolicy:
    """How long and how often to try one Bot API request."""

    budget: float = 900.0  # seconds, from the first attempt to giving up (queueing included)
    outbox: int = 1000  # requests that may wait for the API to come back
    base_delay: float = 0.5
    max_delay: float = 15.0


class OutboxFull(TelegramNetworkError):
    """Too many answers are already waiting for the Bot API to come back; this one is dropped (logged)."""


def surely_not_sent(exc: TelegramNetworkError) -> bool:
    """True when the request never left this machine: the connection itself could not be made."""
    cause = exc.__cause__
    return isinstance(cause, (ClientConnectorError, ConnectionTimeoutError))


def may_repeat(method_name: str, exc: TelegramNetworkError) -> bool:
    """The duplicate policy: a creating method is repeated only if Telegram surely never saw it."""
    return not method_name.startswith(CREATING_PREFIXES) or surely_not_sent(exc)


class ResilientSession(AiohttpSession):
    """An `AiohttpSession` that retries within a time budget and queues requests during an outage."""

    def __init__(self, *, policy: DeliveryPolicy | None = None,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.policy = policy or DeliveryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._down = False  # an outage is on: new requests join the outbox
        self._queued = 0
        self._gate: asyncio.Lock | None = None
        self.gave_up = 0  # requests abandoned (budget spent, outbox full, ambiguous send): for tests and logs

    def check_response(self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int,
                       content: str) -> Response[TelegramType]:
        """A proxy's HTML error page (nginx 502) is a server error, not an undecodable answer."""
        if status_code >= 500 and not content.lstrip().startswith("{"):
            raise TelegramServerError(method=method, message=f"HTTP {status_code} without a Bot API answer")
        return super().check_response(bot=bot, method=method, status_code=status_code, content=content)

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType],
                           timeout: int | None = None) -> TelegramType:
        if method.__api_method__ in UNMANAGED:
            return await super().make_request(bot, method, timeout)
        deadline = self._clock() + self.policy.budget
        if self._down or self._queued:
            return await self._through_outbox(bot, method, timeout, deadline, first_wait=0.0)
        return await self._attempts(bot, method, timeout, deadline, gated=False)

    async def _through_outbox(self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None,
                              deadline: float, first_wait: float, maybe_done: bool = False) -> TelegramType:
        name = method.__api_method__
        if self._queued >= self.policy.outbox:
            self.gave_up += 1
            log.error("outbox full (%d waiting): %s dropped", self._queued, name)
            raise OutboxFull(method=method, message="outbox full while the Bot API is unreachable")
        if self._gate is None:
            self._gate = asyncio.Lock()
        self._queued += 1
        try:
            async with self._gate:  # FIFO: answers leave in the order they were produced
                if self._down and first_wait:
                    await self._sleep(min(first_wait, max(0.0, deadline - self._clock())))
                return await self._attempts(bot, method, timeout, deadline, gated=True, maybe_done=maybe_done)
        finally:
            self._queued -= 1

    async def _attempts(self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None,
                        deadline: float, *, gated: bool, maybe_done: bool = False) -> TelegramType:
        name = method.__api_method__  # maybe_done: an earlier attempt may have been carried out
        delay = self.policy.base_delay
        attempt = 0
        while True:
            attempt += 1
            outage = False
            try:
                result = await super().make_request(bot, method, timeout)
                if gated and self._down:
                    self._down = False
                    log.warning("Bot API reachable again; delivering %d queued request(s)", self._queued - 1)
                return result
            except TelegramRetryAfter as exc:
                wait = float(exc.retry_after)
                log.warning("flood limit on %s: retrying after %s s", name, exc.retry_after)
                error: Exception = exc
            except TelegramServerError as exc:
                wait, delay, outage, error = delay, min(delay * 2, self.policy.max_delay), True, exc
                log.warning("server error on %s (attempt %d): %s", name, attempt, exc.message[:80])
            except TelegramNetworkError as exc:
                if not may_repeat(name, exc):
                    self.gave_up += 1
                    log.error("%s may or may not have reached Telegram (%s); not repeated, to never send it"
                              " twice", name, type(exc.__cause__).__name__)
                    raise
                maybe_done = maybe_done or not surely_not_sent(exc)
                wait, delay, outage, error = delay, min(delay * 2, self.policy.max_delay), True, exc
                log.warning("network error on %s (attempt %d): %s", name, attempt, type(exc.__cause__).__name__)
            except TelegramBadRequest as exc:
                if maybe_done and any(s in exc.message.lower() for s in HARMLESS_REPEAT_ERRORS):
                    return True  # type: ignore[return-value]  # the first attempt got through
                raise
            if self._clock() + wait > deadline:
                self.gave_up += 1
                log.error("%s given up after %d attempt(s): the retry budget of %.0f s is spent",
                          name, attempt, self.policy.budget)
                raise error
            if outage and not gated:
                self._down = True
                return await self._through_outbox(bot, method, timeout, deadline, first_wait=wait,
                                                  maybe_done=maybe_done)
            await self._sleep(wait)
