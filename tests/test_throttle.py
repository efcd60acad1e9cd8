"""Throttling: a burst goes through, a small backlog waits its turn, a flood is refused and told once."""

from __future__ import annotations

from pathlib import Path

from bot.core.throttle import MemoryLimiter, ThrottlePolicy
from bot.telegram.callbacks import PassageCB
from embeddings.engine import Engine
from tests.botkit import exchange, running_bot
from tests.fake_bot_api import async_test


def test_burst_then_backlog_then_one_notice_per_flood() -> None:
    policy = ThrottlePolicy(MemoryLimiter(burst=5, per_seconds=10.0, backlog=3))
    decisions = [policy.decide("u", now=0.0) for _ in range(12)]
    actions = [d.action for d in decisions]
    assert actions == ["go"] * 5 + ["wait"] * 3 + ["refuse"] * 4
    assert [round(d.delay, 3) for d in decisions[5:8]] == [2.0, 4.0, 6.0]  # one turn every 2 s, in order
    assert [d.tell for d in decisions[8:]] == [True, False, False, False]  # told once, not per message
    assert policy.decide("other", now=0.0).action == "go"  # one user's flood costs nobody else
    later = policy.decide("u", now=60.0)
    assert later.action == "go"
    for _ in range(7):  # 4 more go, 3 wait
        policy.decide("u", now=60.0)
    again = policy.decide("u", now=60.0)
    assert again.action == "refuse" and again.tell  # a new flood is told again


def test_a_random_burst_loses_no_question_within_the_backlog() -> None:
    """The probe's case: users sending 6-8 questions in a burst had 20% dropped; now all wait their turn."""
    policy = ThrottlePolicy(MemoryLimiter(burst=5, per_seconds=10.0, backlog=3))
    refused = 0
    for user in range(50):
        for n in range(5 + user % 4):  # 5..8 messages within the same second
            refused += policy.decide(str(user), now=n * 0.1).action == "refuse"
    assert refused == 0


@async_test(timeout=120)
async def test_a_throttled_button_press_is_still_answered(engine: Engine, tmp_path: Path) -> None:
    """The spinner must stop: every press gets answerCallbackQuery, the first refused one with the notice."""
    async with running_bot(engine, tmp_path, throttle_burst=1, throttle_per_seconds=30,
                           throttle_backlog=0) as (api, wiring):
        api.user(777, language_code="kk")
        [quote] = await exchange(api, api.message_update("/p 2025-cassation 7", user_id=777))
        i = wiring.assistant.ordinal(engine.corpus.get("2025-cassation:7"))
        for _ in range(4):
            api.push_update(api.callback_update(PassageCB(v=wiring.assistant.version, act="up", i=i).pack(),
                                                message_id=quote.message_id, user_id=777))
        answers = await api.wait_for("answerCallbackQuery", count=4, timeout=20)
    assert all(a.ok for a in answers)
    notices = [a for a in answers if "қайта жіберіңіз" in (a.params.get("text") or "")]
    assert len(notices) == 1
