"""Helpers shared by the end-to-end bot tests (test_bot, test_study, test_support, test_hostile).

They used to live in test_bot.py and were imported from there by the other test modules; here they have a home of
their own, together with ``running_bot``, the one way these tests start the real bot against the fake Bot API.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.assistant import Assistant
from bot.core.sqlite_store import SqliteStore
from bot.settings import Settings
from bot.telegram.app import create_bot, create_dispatcher
from bot.telegram.offload import drain
from embeddings.engine import Engine
from knowledge.topics import load_quiz, load_topics
from tests.fake_bot_api import DEFAULT_TOKEN, FakeBotAPI, SentMessage


@dataclass
class Wiring:
    """What a test's bot was started with, to read back: the core, the feedback store, the settings."""

    assistant: Assistant
    feedback: SqliteStore
    settings: Settings

    def dispatcher(self):
        return create_dispatcher(self.assistant, self.feedback, self.settings)


def make_wiring(engine: Engine, tmp: Path, api_url: str, **overrides: object) -> Wiring:
    """A test's bot parts: settings pointed at ``api_url`` and ``tmp`` (no .env file read), then ``overrides``."""
    values: dict[str, object] = {"bot_token": DEFAULT_TOKEN, "telegram_api_url": api_url, "data_dir": tmp,
                                 "throttle_burst": 50, **overrides}
    settings = Settings(_env_file=None, **values)
    feedback = SqliteStore.in_data_dir(tmp, "test-salt")
    return Wiring(Assistant(engine, load_topics(), load_quiz()), feedback, settings)


@contextlib.asynccontextmanager
async def running_bot(engine: Engine, tmp_path: Path, *, poll_timeout: float | None = None,
                      **overrides: object) -> AsyncIterator[tuple[FakeBotAPI, Wiring]]:
    """Start the fake Bot API and the real bot polling it; yield ``(api, wiring)`` while the bot is live.

    ``overrides`` are settings (see ``make_wiring``); ``poll_timeout`` is passed to ``FakeBotAPI.polling`` (how long
    to wait for polling to start and to stop). On exit polling stops first, then the fake server; what it recorded
    (``api.calls``, ``api.sent_messages()``) and ``wiring.feedback`` stay readable afterwards.
    """
    async with FakeBotAPI() as api:
        wiring = make_wiring(engine, tmp_path, api.base_url, **overrides)
        bot, dp = create_bot(wiring.settings), wiring.dispatcher()
        # As the bot polls (bot.telegram.app): at most UPDATES_IN_FLIGHT updates handled at once.
        polling: dict[str, Any] = {"tasks_concurrency_limit": wiring.settings.updates_in_flight}
        if poll_timeout is not None:
            polling["timeout"] = poll_timeout
        async with api.polling(dp, bot, **polling):
            yield api, wiring
        await drain()  # feedback is written in the background after each answer: let it land before reads


def texts(api: FakeBotAPI) -> list[str]:
    """The texts of all messages the bot sent, in order."""
    return [m.text for m in api.sent_messages()]


def buttons(markup: dict | None) -> list[tuple[str, str]]:
    """(label, callback_data) of every button of an inline keyboard, row by row."""
    if not markup:
        return []
    return [(b["text"], b.get("callback_data", "")) for row in markup["inline_keyboard"] for b in row]


async def exchange(api: FakeBotAPI, update: dict, count: int = 1) -> list[SentMessage]:
    """Push one update and wait until `count` more messages were sent."""
    before = len(api.sent_messages())
    api.push_update(update)
    deadline = asyncio.get_running_loop().time() + 30
    while len(api.sent_messages()) < before + count:
        assert asyncio.get_running_loop().time() < deadline, "no answer within 30 s"
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)  # nothing more than expected arrives
    return api.sent_messages()[before:]
