"""A hostile run: hundreds of mixed updates; the bot never crashes and answers every text message once."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from pathlib import Path

import pytest

from embeddings.engine import Engine
from tests.botkit import exchange, running_bot, texts
from tests.fake_bot_api import FakeBotAPI, async_test

pytestmark = pytest.mark.slow

NASTY_TEXTS = [
    "<b>кассация</b> & <i>шағым</i>", "*жирный* _курсив_ `код` [ссылка](http://x)", "&amp; &lt; &#x26; &",
    "   ", "\u200b", "😀" * 50, "кассациялық шағым " * 600, "ҚПК <script>alert(1)</script>", "a" * 10_000,
    "Кассациялық шағымды кім бере алады?", "kassaciyalyq şağym", "жалоба на приговор", "/p", "/p 2016-1 99",
    "/p nope 1", "5-тармақ", "\n\n\n", "🙂 <>&\"'", "</blockquote>", "1" * 5000,
]


@async_test(timeout=600)
async def test_two_hundred_mixed_updates(engine: Engine, tmp_path: Path) -> None:
    rng = random.Random(7)
    async with running_bot(engine, tmp_path, poll_timeout=30, throttle_burst=1000) as (api, wiring):
        [ans] = await exchange(api, api.message_update("/p 2025-cassation 7", user_id=1))
        expected: Counter[int] = Counter()  # chat id → text messages that must get exactly one answer
        pushed = 0
        kinds: dict[int, str] = {}
        for n in range(220):
            user = 300000 + n
            kind = rng.choice(["text", "text", "text", "sticker", "photo", "voice", "location", "document",
                               "forged", "edited", "channel"])
            kinds[user] = kind
            if kind == "text":
                api.push_update(api.message_update(rng.choice(NASTY_TEXTS), user_id=user))
                expected[user] += 1
            elif kind == "edited":
                api.push_update(api.edited_message_update(rng.choice(NASTY_TEXTS), user_id=user))
                expected[user] += 1
            elif kind == "forged":
                version = wiring.assistant.version
                data = rng.choice(["p:zzz:show:1", "p:" + "9" * 60, "m:x:1.2.3", "q", "t:0:999:999",
                                   "z:0:0:0:0:0", "a::", "l:xx", "d:abc:-5", "p:" + version + ":up:-1"])
                api.push_update(api.callback_update(data[:64], message_id=ans.message_id, user_id=user))
            elif kind == "channel":
                api.push_update(api.channel_post_update(rng.choice(NASTY_TEXTS)))
            else:
                builder = getattr(api, f"{kind}_update")
                api.push_update(builder(user_id=user))
                expected[user] += 1  # a polite request for text
            pushed += 1
            if n % 20 == 0:
                await asyncio.sleep(0.05)
        deadline = asyncio.get_running_loop().time() + 60
        while sum(1 for m in api.sent_messages() if m.chat_id in expected) < sum(expected.values()):
            if asyncio.get_running_loop().time() > deadline:
                got = Counter(m.chat_id for m in api.sent_messages() if m.chat_id in expected)
                missing = {u: expected[u] - got[u] for u in expected if got[u] != expected[u]}
                raise AssertionError(f"not every message was answered: {missing}, {kinds.get(next(iter(missing)))}")
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
    assert pushed == 220
    replies = Counter(m.chat_id for m in api.sent_messages() if m.chat_id in expected)
    assert replies == expected  # exactly one answer per text (or non-text) message
    apologies = [m for m in api.sent_messages() if "қате шықты" in m.text]
    assert not apologies, "a handler failed"
    failed = [c for c in api.calls if c.method == "sendMessage" and not c.ok]
    assert not failed, [c.description for c in failed]
    forged = [c for c in api.calls_of("answerCallbackQuery")]
    assert all(c.ok for c in forged)


@async_test(timeout=120)
async def test_a_flood_gets_one_slow_down(engine: Engine, tmp_path: Path) -> None:
    """3 at once, 3 more wait their turn (0.5 s apart), the other 6 are refused with one notice."""
    async with running_bot(engine, tmp_path, throttle_burst=3, throttle_per_seconds=1.5,
                           throttle_backlog=3) as (api, _):
        api.user(555, language_code="kk")
        for _ in range(12):
            api.push_update(api.message_update("/help", user_id=555))
        await api.wait_for("sendMessage", count=7)
        await asyncio.sleep(0.5)
    sent = texts(api)
    assert sum("қайта жіберіңіз" in t for t in sent) == 1
    assert sum("Қалай сұрауға болады" in t for t in sent) == 6


@async_test(timeout=60)
async def test_the_start_up_check_retries_for_its_own_short_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not for the answers' budget (900 s by default): for STARTUP_CHECK_SECONDS (here shortened to 1 s)."""
    from aiogram.exceptions import TelegramNetworkError

    from bot.settings import Settings
    from bot.telegram import app

    monkeypatch.setattr(app, "STARTUP_CHECK_SECONDS", 1.0)
    settings = Settings(_env_file=None, bot_token="123456789:" + "W" * 35, telegram_api_url="http://127.0.0.1:9")
    assert settings.api_retry_budget >= 60
    started = time.monotonic()
    with pytest.raises(TelegramNetworkError):
        await app._check_token(settings)
    assert time.monotonic() - started < 15


@async_test(timeout=300)
async def test_start_up_failures_are_one_line_without_the_token(data_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str],
                                                                caplog: pytest.LogCaptureFixture) -> None:
    """A token Telegram rejects stops with 2 (don't restart); an unreachable Bot API with 1 (do restart).

    Both through `main`, the entry point the `cassbot` console script calls (its return value is the exit code),
    in this process: an interpreter start would cost an aiogram import, ~5 s of CPU (the replicas test runs the
    console script itself).
    """
    from bot.cli import main

    wrong = "123456789:" + "W" * 35
    monkeypatch.setenv("BOT_TOKEN", wrong)
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.setenv("API_RETRY_BUDGET", "2")  # the unreachable one retries for min(API_RETRY_BUDGET, 20 s)
    outcomes = []
    async with FakeBotAPI() as api:  # its own token differs, so it answers 401 like Telegram
        for url in (api.base_url, "http://127.0.0.1:9"):
            monkeypatch.setenv("TELEGRAM_API_URL", url)
            code = await asyncio.to_thread(main, ["run"])
            printed = capsys.readouterr()
            outcomes.append((code, printed.err, printed.out + printed.err + caplog.text))
            caplog.clear()
    (rejected, rejected_err, rejected_all), (unreachable, unreachable_err, unreachable_all) = outcomes
    assert rejected == 2 and "rejected BOT_TOKEN" in rejected_err
    assert unreachable == 1 and "cannot reach the Bot API" in unreachable_err
    for err, everything in ((rejected_err, rejected_all), (unreachable_err, unreachable_all)):
        assert err.strip().count("\n") == 0, err  # one line
        assert "Traceback" not in everything and wrong not in everything and "W" * 35 not in everything
