"""The self-check quiz: which paragraph answers this?  Rounds of ten, scored, with the weakest topics.

Stateless buttons: each answer button carries the question, the chosen paragraph, the position in the
round and the score so far.  Answers are also stored (salted user hash) so the round's end can name the
topics the student got wrong and the next question avoids recent ones.
"""

from __future__ import annotations

import random
from collections import Counter
from html import escape

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.callbacks import QuizCB
from bot.render import passage_html
from bot.services import Services
from bot.views import View, short_ref

ROUND = 10
CHOICES = 4


def _topic_passages(s: Services, topic_id: str) -> list[str]:
    topic = next(t for t in s.topics if t.id == topic_id)
    return [i.passage_id for i in topic.items]


def _choices(s: Services, q: int, rng: random.Random) -> list[int]:
    """The right paragraph and distractors from the same topic, shuffled."""
    question = s.quiz[q]
    others = [pid for pid in dict.fromkeys(_topic_passages(s, question.topic)) if pid != question.passage_id]
    picked = [*rng.sample(others, min(CHOICES - 1, len(others))), question.passage_id]
    rng.shuffle(picked)
    return [s.ordinal(s.engine.corpus.get(pid)) for pid in picked]


def question_view(s: Services, q: int, pos: int, score: int, lang: str, rng: random.Random) -> View:
    question = s.quiz[q]
    text = (f"<b>{escape(_('Question {n} of {total}').format(n=pos + 1, total=ROUND))}</b>\n\n"
            f"{escape(question.text(lang))}\n\n"
            f"<i>{escape(_('Which paragraph answers this?'))}</i>")
    rows = []
    for a in _choices(s, q, rng):
        p = s.passages[a]
        words = p.text[:40].rsplit(" ", 1)[0]
        rows.append([InlineKeyboardButton(text=f"{short_ref(p)}: {words}…"[:64],
                                          callback_data=QuizCB(v=s.version, q=q, a=a, pos=pos, score=score).pack())])
    return View(text, InlineKeyboardMarkup(inline_keyboard=rows))


def _recent(s: Services, user_hash: str, n: int = ROUND) -> list[tuple[str, str, int]]:
    return s.storage.query("SELECT question_id, topic, correct FROM quiz_answers WHERE user_hash = ?"
                           " ORDER BY id DESC LIMIT ?", (user_hash, n))


def _next_question(s: Services, recent_ids: set[str], rng: random.Random) -> int:
    fresh = [i for i, q in enumerate(s.quiz) if q.id not in recent_ids]
    return rng.choice(fresh or list(range(len(s.quiz))))


async def quiz_command(message: Message, services: Services) -> None:
    await _ask(message, services, message.from_user.id if message.from_user else message.chat.id, 0, 0)


async def _ask(message: Message, s: Services, user_id: int, pos: int, score: int) -> None:
    rng = random.Random()
    recent = await s.run(_recent, s, s.storage.user_hash(user_id))
    q = _next_question(s, {r[0] for r in recent}, rng)
    view = question_view(s, q, pos, score, get_i18n().current_locale, rng)
    await message.answer(view.text, reply_markup=view.markup)


def _valid(s: Services, cb: QuizCB) -> bool:
    if cb.v != s.version or not 0 <= cb.pos < ROUND or not 0 <= cb.score <= cb.pos:
        return False
    if cb.q == -1:
        return cb.a == -1
    if not 0 <= cb.q < len(s.quiz) or not 0 <= cb.a < len(s.passages):
        return False
    return s.passages[cb.a].id in _topic_passages(s, s.quiz[cb.q].topic)


async def quiz_button(query: CallbackQuery, callback_data: QuizCB, services: Services) -> None:
    s, cb = services, callback_data
    if not _valid(s, cb) or not isinstance(query.message, Message):
        await query.answer(_("This button is out of date. Please ask again."), show_alert=True)
        return
    await query.answer()
    if cb.q == -1:  # "next question" or "new round"
        await _ask(query.message, s, query.from_user.id, cb.pos, cb.score)
        return
    question = s.quiz[cb.q]
    right = s.engine.corpus.get(question.passage_id)
    correct = s.passages[cb.a].id == right.id
    user_hash = s.storage.user_hash(query.from_user.id)
    await s.run(s.storage.record_quiz, user_hash, question.id, question.topic, correct)
    lang = get_i18n().current_locale
    highlights = await s.run(s.engine.retriever.highlight, right, question.text(lang))
    verdict = _("Right!") if correct else _("Not quite. The answer is:")
    text = f"{'✅' if correct else '❌'} <b>{escape(verdict)}</b>\n\n{passage_html(right, _, highlights).text}"
    score, pos = cb.score + int(correct), cb.pos + 1
    if pos < ROUND:
        button = InlineKeyboardButton(text=_("Next question ▶"),
                                      callback_data=QuizCB(v=s.version, q=-1, a=-1, pos=pos, score=score).pack())
        await query.message.answer(text, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]))
        return
    await query.message.answer(text)
    recent = await s.run(_recent, s, user_hash)
    summary, markup = _round_summary(s, recent, score, lang)
    await query.message.answer(summary, reply_markup=markup)


def _round_summary(s: Services, recent: list[tuple[str, str, int]], score: int,
                   lang: str) -> tuple[str, InlineKeyboardMarkup]:
    wrong = Counter(topic for _, topic, correct in recent if not correct)
    titles = {t.id: t.title(lang) for t in s.topics}
    lines = [f"🏁 <b>{escape(_('Round over: {score} of {total} right.').format(score=score, total=ROUND))}</b>"]
    if wrong:
        lines.append(escape(_("Topics to revisit:")))
        lines += [f"• {escape(titles.get(t, t))} ({n})" for t, n in wrong.most_common(3)]
    else:
        lines.append(escape(_("No mistakes, well done!")))
    again = InlineKeyboardButton(text=_("New round"), callback_data=QuizCB(v=s.version, q=-1, a=-1, pos=0,
                                                                          score=0).pack())
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=[[again]])


def make_router() -> Router:
    router = Router(name="quiz")
    router.message.register(quiz_command, Command("quiz"))
    router.callback_query.register(quiz_button, QuizCB.filter())
    return router
