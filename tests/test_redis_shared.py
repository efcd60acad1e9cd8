"""What replicas share through a real redis-server: throttling, per-user locks, update dedup, private keys."""

from __future__ import annotations

import asyncio

from aiogram.fsm.storage.base import StorageKey
from aiogram.types import Update

from bot.telegram.replicas import DeliveredOnce, HashedKeyBuilder, RedisThrottle, connect, shared_fsm


def test_throttle_is_one_budget_across_replicas(redis_url: str) -> None:
    async def scenario() -> list[tuple[str, bool]]:
        clients = [connect(redis_url) for _ in range(3)]
        throttles = [RedisThrottle(c, redis_url, burst=4, per_seconds=60) for c in clients]  # three "replicas"
        try:
            out = [await throttles[i % 3].decide("user-a") for i in range(7)]
            out.append(await throttles[0].decide("user-b"))  # another user has a budget of their own
            return [(d.action, d.tell) for d in out]
        finally:
            for c in clients:
                await c.aclose()

    decisions = asyncio.run(scenario())
    assert decisions[:4] == [("go", False)] * 4
    assert decisions[4:7] == [("refuse", True), ("refuse", False), ("refuse", False)]  # told once, then silence
    assert decisions[7] == ("go", False)


def test_one_users_updates_never_run_at_once_on_two_replicas(redis_url: str) -> None:
    async def scenario() -> list[str]:
        a, b = connect(redis_url), connect(redis_url)
        (_, iso_a), (_, iso_b) = shared_fsm(a, "salt"), shared_fsm(b, "salt")
        key = StorageKey(bot_id=1, chat_id=42, user_id=42)
        trace: list[str] = []

        async def handle(isolation, name: str) -> None:
            async with isolation.lock(key):
                trace.append(f"{name}-in")
                await asyncio.sleep(0.2)
                trace.append(f"{name}-out")

        await asyncio.gather(handle(iso_a, "a"), handle(iso_b, "b"))
        await a.aclose()
        await b.aclose()
        return trace

    trace = asyncio.run(scenario())
    assert trace in (["a-in", "a-out", "b-in", "b-out"], ["b-in", "b-out", "a-in", "a-out"])


def test_a_redelivered_update_is_handled_once(redis_url: str) -> None:
    async def scenario() -> tuple[int, list[str]]:
        clients = [connect(redis_url), connect(redis_url)]
        calls = 0

        async def handler(event, data) -> str:
            nonlocal calls
            calls += 1
            return "ok"

        update = Update(update_id=777)
        for client in clients:  # the first replica handles it, the re-delivery goes to the second
            await DeliveredOnce(client)(handler, update, {})
        await DeliveredOnce(clients[0])(handler, Update(update_id=778), {})
        keys = sorted(k.decode() for k in await clients[0].keys("*"))
        for c in clients:
            await c.aclose()
        return calls, keys

    calls, keys = asyncio.run(scenario())
    assert calls == 2
    assert keys == ["cassbot:delivered:777", "cassbot:delivered:778"]


def test_redis_keys_carry_no_telegram_id() -> None:
    builder = HashedKeyBuilder("salt")
    key = StorageKey(bot_id=7000000001, chat_id=123456789, user_id=123456789)
    names = [builder.build(key, part) for part in ("data", "state", "lock")]
    assert all("123456789" not in n and "7000000001" not in n for n in names)
    assert len({n.rsplit(":", 1)[0] for n in names}) == 1
    assert HashedKeyBuilder("other").build(key, "lock") != names[2]
