"""Where a quote leads: its paragraph's deep link and the reading view's page, for the chat it is sent to.

The views need three facts the core does not have — the bot's username (for t.me links), the reading view's
public address (from `Settings`) and whether the chat is private (Telegram allows Web App buttons only there) —
so a handler gathers them once into `Links` and hands that to the view.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot
from aiogram.enums import ChatType
from aiogram.types import Chat

from bot.settings import Settings


@dataclass(frozen=True)
class Links:
    username: str = ""  # the bot's username: "" leaves the t.me link out
    reading_url: str = ""  # the reading view's public base URL: "" keeps "Full text" in the chat
    private: bool = False  # a private chat: "Full text" may open as a Web App


NO_LINKS = Links()


async def links_for(bot: Bot, settings: Settings, chat: Chat | None) -> Links:
    """The links for a message sent to `chat` (`bot.me()` is cached by aiogram after the first call)."""
    username = (await bot.me()).username or ""
    return Links(username, settings.reading_url(), chat is not None and chat.type == ChatType.PRIVATE)
