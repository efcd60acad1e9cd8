"""/stats for the admin ids in the settings; anyone else gets the ordinary "unknown command"."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.core.feedback import FeedbackStore
from bot.report import build_report
from bot.settings import Settings
from bot.telegram.offload import offload
from bot.telegram.views import stats_view


async def stats(message: Message, feedback: FeedbackStore) -> None:
    report = await offload(build_report, feedback)
    await message.answer(stats_view(report, _).text)


def make_router() -> Router:
    router = Router(name="admin")

    def is_admin(message: Message, settings: Settings) -> bool:
        return message.from_user is not None and message.from_user.id in settings.admin_ids

    router.message.register(stats, Command("stats"), F.func(lambda m: m.from_user is not None), is_admin)
    return router
