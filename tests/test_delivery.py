"""Bot API faults: no answer lost, none sent twice (see bot/telegram/delivery.py for the policy).

The real bot polls the fake Bot API over HTTP while it injects 500 and 502 storms, a 429 storm, an outage with
the port closed, and a connection dropped after the message was delivered.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter

from bot.telegram.delivery import DeliveryPolicy, OutboxFull, ResilientSession
from embeddings.engine import Engine
from tests.botkit import running_bot
from tests.fake_bot_api import FakeBotAPI, async_test

QUESTIONS = ["кассациялық шағым мерзімі", "кассациялық шағымның мазмұны", "кім кассациялық шағым бере алады",
             "жалоба на приговор", "kassaciyalyq şağym"]


async def deliver_under(api: FakeBotAPI, fault: str, users: list[int]) -> None:
    """Inject ``fault``, then ask one question per user at once (the answers meet the fault)."""
    if fault == "500-storm":
        api.storm("sendMessage", 500, times=len(users))
    elif fault == "502-storm":
        api.storm("sendMessage", 502, times=len(users))
    elif fault == "429-storm":
        api.storm("sendMessage", 429, times=4, retry_after=1)
    elif fault == "outage":
        api.outage_after_updates(4.0)  # longer than the 3.5 s the old retries could bridge
    elif fault == "drop-after-delivery":
        api.drop_after_next("sendMessage", times=2)
    for user, text in zip(users, QUESTIONS, strict=False):
        api.push_update(api.message_update(text, user_id=user))


async def settle(api: FakeBotAPI, users: list[int], timeout: float) -> Counter[int]:
    """Answers per user once every user has one (or ``timeout`` passed), plus a moment for stray repeats."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        got = Counter(m.chat_id for m in api.sent_messages() if m.chat_id in users)
        if len(got) == len(users):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    # sent_messages() includes messages delivered although the connection dropped before the bot heard so
    return Counter(m.chat_id for m in api.sent_messages() if m.chat_id in users)


FAULTS = ["500-storm", "502-storm", "429-storm", "outage", "drop-after-delivery"]


async def _one_fault(engine: Engine, folder: Path, fault: str, users: list[int]) -> tuple[tuple[int, int, int], list]:
    """One bot and its own Bot API through one fault: (delivered, duplicates, asked), and any apology it sent."""
    folder.mkdir()
    async with running_bot(engine, folder, api_retry_budget=30.0) as (api, _services):
        await deliver_under(api, fault, users)
        got = await settle(api, users, timeout=20)
        assert all(c.ok or c.status in (429, 500, 502) or c.dropped for c in api.calls_of("sendMessage"))
        if fault == "outage":
            assert api.outages == [4.0]
        apologies = [m for m in api.sent_messages() if "қате" in m.text]
    counts = (sum(1 for u in users if got[u] >= 1), sum(max(0, got[u] - 1) for u in users), len(users))
    return counts, apologies


@async_test(timeout=120)
async def test_no_answer_is_lost_or_doubled_under_bot_api_faults(engine: Engine, tmp_path: Path) -> None:
    """The five faults at once, each met by a bot of its own (their waits overlap instead of adding up)."""
    results = await asyncio.gather(*(
        _one_fault(engine, tmp_path / fault, fault, [700000 + 10 * n + i for i in range(5)])
        for n, fault in enumerate(FAULTS)))
    counts = {fault: c for fault, (c, _) in zip(FAULTS, results, strict=True)}
    assert counts == {f: (5, 0, 5) for f in FAULTS}, counts  # (delivered, duplicates, asked) per fault
    assert not [m for _, apologies in results for m in apologies]


# -- the session alone, with a virtual clock where Telegram's waits are long -----------------------------------------
class VirtualClock:
    """Time that passes only when the session sleeps: a 45 s retry_after costs the test nothing."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@async_test(timeout=30)
async def test_a_long_retry_after_is_honoured_within_the_budget() -> None:
    async with FakeBotAPI() as api:
        time = VirtualClock()
        session = ResilientSession(api=api.server, policy=DeliveryPolicy(budget=120), sleep=time.sleep,
                                   clock=time.clock)
        async with api.make_bot(session=session) as bot:
            api.storm("sendMessage", 429, times=3, retry_after=45)  # the old code gave up over 30 s
            with pytest.raises(TelegramRetryAfter):  # a third 45 s wait would pass the 120 s budget: say so
                await bot.send_message(1, "a")
            assert time.slept == [45.0, 45.0] and session.gave_up == 1
            api.storm("sendMessage", 429, times=2, retry_after=45)
            sent = await bot.send_message(1, "b")
            assert sent.text == "b" and time.slept[2:] == [45.0, 45.0]
    assert [m.text for m in api.sent_messages()] == ["b"]


@async_test(timeout=30)
async def test_an_outage_queues_answers_and_delivers_them_in_order() -> None:
    async with FakeBotAPI() as api:
        session = ResilientSession(api=api.server, policy=DeliveryPolicy(budget=20, outbox=4, base_delay=0.05,
                                                                         max_delay=0.2))
        async with api.make_bot(session=session) as bot:
            await bot.send_message(1, "before")
            async with api.outage():
                tasks = [asyncio.create_task(bot.send_message(1, f"m{i}")) for i in range(6)]
                await asyncio.sleep(0.5)
                assert not api.sent_messages()[1:]
            results = await asyncio.gather(*tasks, return_exceptions=True)
    dropped = [r for r in results if isinstance(r, OutboxFull)]
    assert len(dropped) == 2  # the outbox holds 4; the two beyond it fail at once, logged
    assert [m.text for m in api.sent_messages()] == ["before", "m0", "m1", "m2", "m3"]  # in order, once each


@async_test(timeout=30)
async def test_a_send_that_may_have_arrived_is_not_repeated_but_an_edit_is() -> None:
    async with FakeBotAPI() as api:
        session = ResilientSession(api=api.server, policy=DeliveryPolicy(budget=5, base_delay=0.05))
        async with api.make_bot(session=session) as bot:
            api.drop_after_next("sendMessage")
            with pytest.raises(TelegramNetworkError):
                await bot.send_message(1, "once")
            assert len(api.calls_of("sendMessage")) == 1  # delivered once, not repeated
            api.drop_next("sendMessage")  # dropped before it took effect: the client cannot tell, so no repeat
            with pytest.raises(TelegramNetworkError):
                await bot.send_message(1, "maybe")
            [first] = [c for c in api.calls_of("sendMessage") if c.ok]
            message_id = first.result["message_id"]
            api.drop_after_next("editMessageText")  # edited, answer lost: the repeat is harmless
            assert await bot.edit_message_text("twice", chat_id=1, message_id=message_id)
            assert api.get_message(1, message_id)["text"] == "twice"
            assert len(api.calls_of("editMessageText")) == 2
