"""Free text → the best passage, quoted; anything that isn't text → a polite request for text."""

from __future__ import annotations

import logging
import re
from html import escape

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.callbacks import AskCB
from bot.services import Services
from bot.storage import Event
from bot.views import EXAMPLES, answer_view, passage_view
from knowledge import Passage

log = logging.getLogger(__name__)

# "5-тармақ", "4-1 тармақ", "5 пункт": a paragraph asked for by number.
PARAGRAPH_REF = re.compile(r"^\s*(\d{1,2}(?:-\d)?)\s*-?\s*(?:тармақ|тармағы|тармақты|пункт|п\.)\w*\s*[.?!]?\s*$", re.I)


def _addressed_to_bot(message: Message, bot_id: int, username: str) -> tuple[bool, str]:
    """In groups, answer only when mentioned or replied to; return the text without the mention."""
    text = message.text or message.caption or ""
    if message.chat.type == ChatType.PRIVATE:
        return True, text
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.id == bot_id:
        return True, text
    if username and f"@{username.lower()}" in text.lower():
        return True, re.sub(rf"@{re.escape(username)}", " ", text, flags=re.I)
    return False, text


def _referenced_paragraph(services: Services, message: Message, text: str) -> Passage | None:
    """"5-тармақ" in reply to a quote (or naming one document's year) means that document's paragraph."""
    m = PARAGRAPH_REF.match(text)
    if not m:
        return None
    number = m.group(1)
    candidates = []
    reply_text = (message.reply_to_message.text or "") if message.reply_to_message else ""
    for doc in services.engine.corpus.documents:
        cited = services.engine.corpus.of(doc.id)[0].citation.rsplit(",", 1)[0]
        if reply_text and cited in reply_text:
            candidates.append(doc.id)
    if len(candidates) != 1:
        return None
    try:
        return services.engine.corpus.passage(candidates[0], number)
    except KeyError:
        return None


async def answer_question(message: Message, services: Services, question: str, user_id: int, lang: str) -> None:
    limit = services.settings.max_question_chars
    notes = []
    if len(question) > limit:
        notes.append(_("Your message is long; I read only its first {n} characters.").format(n=limit))
        question = question[:limit]
    answer = await services.ask(question)
    best = answer.best
    await services.record(Event(
        kind="answer" if best else "abstain", user_hash=services.storage.user_hash(user_id), lang=lang,
        passages=tuple(h.passage.id for h in answer.hits[:3]), confidence=answer.confidence, question=question,
    ))
    view = answer_view(services, answer, _, private=message.chat.type == ChatType.PRIVATE)
    text = "\n\n".join([*(f"<i>{n}</i>" for n in notes), view.text])
    await message.answer(text, reply_markup=view.markup)


async def question(message: Message, bot: Bot, services: Services) -> None:
    addressed, text = _addressed_to_bot(message, bot.id, services.bot_username)
    if not addressed:
        return
    text = text.strip()
    if not text:
        await message.answer(_("The message is empty. Please write your question."))
        return
    passage = _referenced_paragraph(services, message, text)
    if passage is not None:
        view = passage_view(services, passage, _, private=message.chat.type == ChatType.PRIVATE)
        await message.answer(view.text, reply_markup=view.markup)
        return
    user_id = message.from_user.id if message.from_user else message.chat.id
    await answer_question(message, services, text, user_id, get_i18n().current_locale)


async def suggested(query: CallbackQuery, callback_data: AskCB, services: Services) -> None:
    """A suggested question pressed: an example (i = -1) or a curated question of a passage."""
    text = None
    if callback_data.v == services.version:
        if callback_data.i == -1 and 0 <= callback_data.n < len(EXAMPLES):
            text = _(EXAMPLES[callback_data.n])
        else:
            p = services.passage_at(callback_data.i)
            hints = services.engine.corpus.hints.get(p.id, []) if p else []
            if 0 <= callback_data.n < len(hints):
                text = hints[callback_data.n]
    if text is None or not isinstance(query.message, Message):
        await query.answer(_("This button is out of date. Please ask again."), show_alert=True)
        return
    await query.answer()
    await query.message.answer(f"❓ <i>{escape(text)}</i>")
    await answer_question(query.message, services, text, query.from_user.id, get_i18n().current_locale)


async def not_text(message: Message, bot: Bot, services: Services) -> None:
    """Stickers, photos, voice, files, locations…: ask for a typed question (in groups only if addressed)."""
    addressed, _text = _addressed_to_bot(message, bot.id, services.bot_username)
    if (addressed and message.chat.type == ChatType.PRIVATE) or (addressed and message.reply_to_message):
        await message.answer(_("Please type your question as text: I can't read stickers, photos, voice messages, "
                               "files or locations."))


def make_router() -> Router:
    router = Router(name="questions")
    router.message.register(question, F.text & ~F.text.startswith("/"))
    router.edited_message.register(question, F.text & ~F.text.startswith("/"))
    router.callback_query.register(suggested, AskCB.filter())
    router.message.register(not_text, ~F.text)
    return router
