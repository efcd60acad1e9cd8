"""What several webhook replicas share through Redis (`REDIS_URL`): state, per-user order, throttling, dedup.

One process keeps all of this in memory; N processes behind a proxy must agree on it, so each piece
moves to Redis, using maintained components rather than home-made ones:

- aiogram's `RedisStorage` keeps conversation (FSM) state where every replica reads it;
- aiogram's `RedisEventIsolation` holds a per-user lock in Redis while an update is handled, so two
  replicas never handle one user's updates at the same time;
- the `limits` library counts each user's messages in a moving window in Redis, so the burst allowed is
  the same whatever the number of replicas;
- `DeliveredOnce` remembers, per update id, that an update was handled: Telegram re-delivers an update
  whose delivery got no 2xx (a replica died, the proxy timed out), and the replica that gets it again
  answers only if nobody did.

Redis keys never contain a raw Telegram id: users are keyed by the salted hash the feedback store uses.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from aiogram import BaseMiddleware
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, KeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.types import TelegramObject, Update

from bot.core.feedback import DELIVERY
from bot.core.throttle import Decision

log = logging.getLogger(__name__)

PREFIX = "cassbot"
# A user's lock outlives a replica killed while holding it by at most this long; a handler takes ~0.1 s.
LOCK_TIMEOUT = 15
LOCK_WAIT = 60  # how long a second update of the same user waits for the first before giving up
DELIVERED_TTL = 24 * 3600  # Telegram gives up re-delivering an update well within a day


class HashedKeyBuilder(KeyBuilder):
    """FSM and lock keys named by a salted hash of (bot, chat, user, thread), never by the raw ids."""

    def __init__(self, salt: str) -> None:
        self._salt = salt.encode()

    def build(self, key: StorageKey, part: Literal["data", "state", "lock"] | None = None) -> str:
        raw = f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.thread_id}:{key.business_connection_id}:{key.destiny}"
        digest = hashlib.blake2b(raw.encode(), key=self._salt[:64], digest_size=12).hexdigest()
        return f"{PREFIX}:fsm:{digest}" + (f":{part}" if part else "")


class RedisUnavailable(Exception):
    """Redis cannot be reached; the message names the setting, never the URL (it may hold a password)."""


def connect(url: str) -> Any:
    """One asyncio Redis client (with its connection pool) for everything a replica keeps in Redis."""
    from redis.asyncio import Redis

    return Redis.from_url(url, health_check_interval=30, socket_timeout=10, socket_connect_timeout=5)


def shared_fsm(redis: Any, salt: str) -> tuple[BaseStorage, BaseEventIsolation]:
    keys = HashedKeyBuilder(salt)
    storage = RedisStorage(redis, key_builder=keys)
    isolation = RedisEventIsolation(redis, key_builder=keys,
                                    lock_kwargs={"timeout": LOCK_TIMEOUT, "blocking_timeout": LOCK_WAIT})
    return storage, isolation


class RedisThrottle:
    """`burst` messages per `per_seconds` for each user across all replicas (a moving window in Redis)."""

    def __init__(self, redis: Any, url: str, burst: int, per_seconds: float) -> None:
        from limits import RateLimitItemPerSecond
        from limits.aio.storage import RedisStorage as LimitsRedis
        from limits.aio.strategies import MovingWindowRateLimiter

        self._redis = redis
        self.window = max(1, math.ceil(per_seconds))
        self._item = RateLimitItemPerSecond(burst, self.window)
        storage = LimitsRedis(url.replace("redis://", "async+redis://", 1).replace("rediss://", "async+rediss://", 1),
                              implementation="redispy", key_prefix=f"{PREFIX}:throttle")
        self._limiter = MovingWindowRateLimiter(storage)

    async def decide(self, key: str) -> Decision:
        """Go, or refuse (the first refusal in a window is told, the rest are silent); nothing waits here."""
        if await self._limiter.hit(self._item, key):
            return Decision("go")
        tell = await self._redis.set(f"{PREFIX}:throttle-warned:{key}", 1, nx=True, ex=self.window)
        return Decision("refuse", tell=bool(tell))


class DeliveredOnce(BaseMiddleware):
    """Skip an update another replica (or this one) already handled: Telegram's re-delivery is at-least-once.

    Registered as an outer update middleware after the FSM one, so it runs inside the user's Redis lock: a
    re-delivery that arrives while the first delivery is still being handled waits, then sees it done.  The
    mark is set after the handler returns, so an update whose replica died mid-way is handled again
    (answered late rather than never); only a replica dying between sending the answer and setting the
    mark can make a re-delivery answer twice; its feedback is still stored once (`feedback.DELIVERY`).
    """

    def __init__(self, redis: Any) -> None:
        self._redis = redis

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        key = f"{PREFIX}:delivered:{event.update_id}"
        if await self._redis.exists(key):
            log.info("update %d was already handled; skipped", event.update_id)
            return None
        token = DELIVERY.set(event.update_id)  # the PostgreSQL store keeps one event of a kind per update
        try:
            result = await handler(event, data)
        finally:
            DELIVERY.reset(token)
        await self._redis.set(key, 1, ex=DELIVERED_TTL)
        return result
