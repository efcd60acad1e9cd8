"""/stats for the admin ids in the settings; anyone else gets the ordinary "unknown command"."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.report import build_report
from bot.services import Services


async def stats(message: Message, services: Services) -> None:
    r = await services.run(build_report, services.storage)
    lines = [f"<b>{escape(_('Statistics'))}</b>",
             f"{escape(_('Questions'))}: {r.questions}",
             f"{escape(_('Answer rate'))}: {r.answer_rate:.0%}",
             f"{escape(_('Votes'))}: 👍 {r.up} / 👎 {r.down}"]
    if r.voted_down:
        lines.append(f"\n{escape(_('Most voted-down passages'))}:")
        lines += [f"• {escape(pid)} — {n}" for pid, n in r.voted_down[:5]]
    if r.unanswered:
        lines.append(f"\n{escape(_('Most frequent unanswered questions'))}:")
        lines += [f"• {escape(g.example[:100])} — {g.count}" for g in r.unanswered[:5]]
    await message.answer("\n".join(lines))


def make_router() -> Router:
    router = Router(name="admin")

    def is_admin(message: Message, services: Services) -> bool:
        return message.from_user is not None and message.from_user.id in services.settings.admin_ids

    router.message.register(stats, Command("stats"), F.func(lambda m: m.from_user is not None), is_admin)
    return router
