"""Free text → the best passage, quoted; anything that isn't text → a polite request for text."""

from __future__ import annotations

import logging
import re

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.core.assistant import Assistant
from bot.core.feedback import FeedbackStore
from bot.settings import Settings
from bot.telegram.callbacks import AskCB
from bot.telegram.filters import Fresh, on_text
from bot.telegram.links import links_for
from bot.telegram.offload import remember
from bot.telegram.views import EXAMPLES, answer_view, asked_text, long_message_note, passage_view
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


def _referenced_paragraph(assistant: Assistant, message: Message, text: str) -> Passage | None:
    """"5-тармақ" in reply to a quote means that paragraph of the quoted document.

    The document is the one whose citation the replied-to message contains; a bare "5-тармақ" that replies
    to nothing (or to a message citing no document, or several) is an ordinary question.
    """
    m = PARAGRAPH_REF.match(text)
    if not m or message.reply_to_message is None:
        return None
    candidates = assistant.cited_documents(message.reply_to_message.text or "")
    if len(candidates) != 1:
        return None
    return assistant.paragraph(candidates[0], m.group(1))


async def answer_question(message: Message, bot: Bot, assistant: Assistant, feedback: FeedbackStore,
                          settings: Settings, question: str, user_id: int, lang: str) -> None:
    limit = settings.max_question_chars
    notes = []
    if len(question) > limit:
        notes.append(long_message_note(limit, _))
        question = question[:limit]
    reply = await assistant.ask_async(question)
    view = answer_view(assistant, reply, _, lang, links=await links_for(bot, settings, message.chat))
    await message.answer("\n\n".join([*notes, view.text]), reply_markup=view.markup)
    if reply.courtesy:  # a greeting or thanks is not a question the texts failed to answer
        return
    record = feedback.record_answer if reply.answered else feedback.record_refusal
    remember(record, feedback.user_hash(user_id), lang, tuple(h.passage.id for h in reply.hits[:3]),
             reply.confidence, question)  # after the answer, in the background: a locked database costs nothing


async def question(message: Message, bot: Bot, assistant: Assistant, feedback: FeedbackStore,
                   settings: Settings) -> None:
    addressed, text = _addressed_to_bot(message, bot.id, (await bot.me()).username or "")
    if not addressed:
        return
    text = text.strip()
    if not text:
        await message.answer(_("The message is empty. Please write your question."))
        return
    passage = _referenced_paragraph(assistant, message, text)
    if passage is not None:
        view = passage_view(assistant, passage, _, links=await links_for(bot, settings, message.chat))
        await message.answer(view.text, reply_markup=view.markup)
        return
    user_id = message.from_user.id if message.from_user else message.chat.id
    await answer_question(message, bot, assistant, feedback, settings, text, user_id, get_i18n().current_locale)


def _suggested(assistant: Assistant, cb: AskCB) -> dict[str, str] | None:
    """The question a suggestion button stands for: example n (i = -1) or curated question n of passage i."""
    if cb.i == -1:
        return {"text": _(EXAMPLES[cb.n])} if 0 <= cb.n < len(EXAMPLES) else None
    p = assistant.passage_at(cb.i)
    hints = assistant.hints(p) if p else []
    return {"text": hints[cb.n]} if 0 <= cb.n < len(hints) else None


async def suggested(query: CallbackQuery, text: str, bot: Bot, assistant: Assistant, feedback: FeedbackStore,
                    settings: Settings) -> None:
    await query.answer()
    await query.message.answer(asked_text(text))
    await answer_question(query.message, bot, assistant, feedback, settings, text, query.from_user.id,
                          get_i18n().current_locale)


async def not_text(message: Message, bot: Bot) -> None:
    """Stickers, photos, voice, files, locations…: ask for a typed question (in groups only if addressed)."""
    addressed, _text = _addressed_to_bot(message, bot.id, (await bot.me()).username or "")
    if (addressed and message.chat.type == ChatType.PRIVATE) or (addressed and message.reply_to_message):
        await message.answer(_("Please type your question as text: I can't read stickers, photos, voice messages, "
                               "files or locations."))


def make_router() -> Router:
    router = Router(name="questions")
    on_text(router, question, F.text & ~F.text.startswith("/"))
    router.callback_query.register(suggested, AskCB.filter(), Fresh(_suggested))
    router.message.register(not_text, ~F.text)
    return router
