"""The self-check quiz: which paragraph answers this?  Rounds of ten, scored, with the weakest topics.

Stateless buttons: each answer button carries the question, the chosen paragraph, the position in the
round and the score so far.  Answers are also stored (salted user hash) so the round's end can name the
topics the student got wrong and the next question avoids recent ones.
"""

from __future__ import annotations

import random

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.core.assistant import Assistant
from bot.core.feedback import FeedbackStore
from bot.telegram.callbacks import QuizCB
from bot.telegram.filters import Fresh
from bot.telegram.offload import offload, store
from bot.telegram.views import ROUND, quiz_question_view, quiz_verdict_view, round_summary_view


def _next_question(assistant: Assistant, recent_ids: set[str], rng: random.Random) -> int:
    fresh = [i for i, q in enumerate(assistant.quiz) if q.id not in recent_ids]
    return rng.choice(fresh or list(range(len(assistant.quiz))))


async def quiz_command(message: Message, assistant: Assistant, feedback: FeedbackStore) -> None:
    user_id = message.from_user.id if message.from_user else message.chat.id
    await _ask(message, assistant, feedback, user_id, 0, 0)


async def _ask(message: Message, assistant: Assistant, feedback: FeedbackStore, user_id: int, pos: int,
               score: int) -> None:
    rng = random.Random()
    recent = await offload(feedback.recent_quiz, feedback.user_hash(user_id), ROUND)
    q = _next_question(assistant, {r.question_id for r in recent}, rng)
    view = quiz_question_view(assistant, q, pos, score, get_i18n().current_locale, rng, _)
    await message.answer(view.text, reply_markup=view.markup)


def _valid(assistant: Assistant, cb: QuizCB) -> bool:
    if cb.v != assistant.version or not 0 <= cb.pos < ROUND or not 0 <= cb.score <= cb.pos:
        return False
    if cb.q == -1:
        return cb.a == -1
    if not 0 <= cb.q < len(assistant.quiz) or not 0 <= cb.a < len(assistant.passages):
        return False
    return assistant.passages[cb.a].id in assistant.topic_passages(assistant.quiz[cb.q].topic)


async def quiz_button(query: CallbackQuery, callback_data: QuizCB, assistant: Assistant,
                      feedback: FeedbackStore) -> None:
    cb = callback_data
    await query.answer()
    if cb.q == -1:  # "next question" or "new round"
        await _ask(query.message, assistant, feedback, query.from_user.id, cb.pos, cb.score)
        return
    question = assistant.quiz[cb.q]
    right = assistant.get(question.passage_id)
    correct = assistant.passages[cb.a].id == right.id
    user_hash = feedback.user_hash(query.from_user.id)
    await store(feedback.record_quiz, user_hash, question.id, question.topic, correct)
    lang = get_i18n().current_locale
    highlights = await offload(assistant.highlight, right, question.text(lang))
    score, pos = cb.score + int(correct), cb.pos + 1
    view = quiz_verdict_view(assistant, right, highlights, correct, pos, score, _)
    await query.message.answer(view.text, reply_markup=view.markup)
    if pos < ROUND:
        return
    recent = await offload(feedback.recent_quiz, user_hash, ROUND)
    view = round_summary_view(assistant, recent, score, lang, _)
    await query.message.answer(view.text, reply_markup=view.markup)


def make_router() -> Router:
    router = Router(name="quiz")
    router.message.register(quiz_command, Command("quiz"))
    router.callback_query.register(quiz_button, QuizCB.filter(), Fresh(lambda a, cb: {} if _valid(a, cb) else None))
    return router
