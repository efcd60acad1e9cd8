"""The topic guide: topics → a topic's paragraphs in reading order → each quoted, with "next in this topic"."""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.callbacks import TopicCB
from bot.render import passage_html
from bot.services import Services
from bot.views import View


def topics_view(s: Services, lang: str) -> View:
    rows = [[InlineKeyboardButton(text=t.title(lang)[:64], callback_data=TopicCB(v=s.version, t=i, n=-1).pack())]
            for i, t in enumerate(s.topics)]
    return View(escape(_("Choose a topic:")), InlineKeyboardMarkup(inline_keyboard=rows))


def topic_view(s: Services, t: int, lang: str) -> View:
    topic = s.topics[t]
    rows = []
    for n, item in enumerate(topic.items):
        rows.append([InlineKeyboardButton(text=f"{n + 1}. {item.heading(lang)}"[:64],
                                          callback_data=TopicCB(v=s.version, t=t, n=n).pack())])
    rows.append([InlineKeyboardButton(text=_("◀ Topics"), callback_data=TopicCB(v=s.version, t=-1, n=-1).pack())])
    heading = f"<b>{escape(topic.title(lang))}</b>\n{escape(topic.summary(lang))}"
    return View(heading, InlineKeyboardMarkup(inline_keyboard=rows))


def item_view(s: Services, t: int, n: int, lang: str) -> View:
    topic = s.topics[t]
    item = topic.items[n]
    passage = s.engine.corpus.get(item.passage_id)
    assert passage is not None  # validated at start-up
    body = passage_html(passage, _)
    text = (f"<b>{escape(topic.title(lang))} · {n + 1}/{len(topic.items)}</b>\n"
            f"<i>{escape(item.heading(lang))}</i>\n\n{body.text}")
    rows = []
    if n + 1 < len(topic.items):
        rows.append([InlineKeyboardButton(text=_("Next in this topic ▶"),
                                          callback_data=TopicCB(v=s.version, t=t, n=n + 1).pack())])
    else:
        text += f"\n\n<i>{escape(_('End of the topic.'))}</i>"
    rows.append([InlineKeyboardButton(text=_("◀ Topics"), callback_data=TopicCB(v=s.version, t=-1, n=-1).pack())])
    return View(text, InlineKeyboardMarkup(inline_keyboard=rows))


async def topics_command(message: Message, services: Services) -> None:
    view = topics_view(services, get_i18n().current_locale)
    await message.answer(view.text, reply_markup=view.markup)


async def topic_button(query: CallbackQuery, callback_data: TopicCB, services: Services) -> None:
    lang = get_i18n().current_locale
    t, n = callback_data.t, callback_data.n
    valid = callback_data.v == services.version and (
        (t == -1 and n == -1)
        or (0 <= t < len(services.topics) and (n == -1 or 0 <= n < len(services.topics[t].items)))
    )
    if not valid or not isinstance(query.message, Message):
        await query.answer(_("This button is out of date. Please ask again."), show_alert=True)
        return
    await query.answer()
    if t == -1:
        view = topics_view(services, lang)
    elif n == -1:
        view = topic_view(services, t, lang)
    else:
        view = item_view(services, t, n, lang)
    await query.message.answer(view.text, reply_markup=view.markup)


def make_router() -> Router:
    router = Router(name="topics")
    router.message.register(topics_command, Command("topics"))
    router.callback_query.register(topic_button, TopicCB.filter())
    return router
