"""Study mode in Telegram: browse a topic to its end; answer a round of ten quiz questions."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.telegram.callbacks import QuizCB, TopicCB
from embeddings.engine import Engine
from tests.botkit import buttons, exchange, make_wiring, running_bot
from tests.fake_bot_api import async_test

pytestmark = pytest.mark.slow
USER = 100002


@async_test(timeout=120)
async def test_browse_a_topic_to_its_end(engine: Engine, tmp_path: Path) -> None:
    async with running_bot(engine, tmp_path) as (api, wiring):
        api.user(USER, language_code="kk")
        [listing] = await exchange(api, api.message_update("/topics", user_id=USER))
        topic_buttons = buttons(listing.reply_markup)
        assert len(topic_buttons) == len(wiring.assistant.topics) >= 8
        # open the topic on grounds of cassation and walk it with "next in this topic"
        t = next(i for i, topic in enumerate(wiring.assistant.topics) if topic.id == "grounds")
        topic = wiring.assistant.topics[t]
        [overview] = await exchange(api, api.callback_update(TopicCB(v=wiring.assistant.version, t=t, n=-1).pack(),
                                                             user_id=USER))
        assert topic.title_kk in overview.text
        assert len(buttons(overview.reply_markup)) == len(topic.items) + 1
        data = buttons(overview.reply_markup)[0][1]
        seen = []
        for step in range(len(topic.items)):
            [page] = await exchange(api, api.callback_update(data, user_id=USER))
            passage = engine.corpus.get(topic.items[step].passage_id)
            assert passage.citation in page.text
            assert f"{step + 1}/{len(topic.items)}" in page.text
            seen.append(passage.id)
            nxt = [cb for label, cb in buttons(page.reply_markup) if label.startswith("Тақырыптағы келесі")]
            if step + 1 < len(topic.items):
                data = nxt[0]
            else:
                assert not nxt and "Тақырыптың соңы" in page.text
        assert seen == [i.passage_id for i in topic.items]


@async_test(timeout=180)
async def test_a_round_of_ten_with_right_and_wrong_answers(engine: Engine, tmp_path: Path) -> None:
    async with running_bot(engine, tmp_path) as (api, wiring):
        api.user(USER, language_code="kk")
        [question] = await exchange(api, api.message_update("/quiz", user_id=USER))
        right_answers = 0
        wrong_topics = set()
        for n in range(10):
            assert f"{n + 1}-сұрақ" in question.text
            choices = [QuizCB.unpack(cb) for _, cb in buttons(question.reply_markup)]
            assert 3 <= len(choices) <= 4 and len({c.a for c in choices}) == len(choices)
            quiz_q = wiring.assistant.quiz[choices[0].q]
            right = wiring.assistant.ordinal(engine.corpus.get(quiz_q.passage_id))
            topic_ids = {wiring.assistant.corpus.get(i.passage_id).id for t in wiring.assistant.topics
                         if t.id == quiz_q.topic for i in t.items}
            assert all(wiring.assistant.passages[c.a].id in topic_ids for c in choices)  # same-topic distractors
            answer_right = n % 3 != 0  # 1st, 4th, 7th, 10th answered wrong
            chosen = next(c for c in choices if (c.a == right) == answer_right)
            expected = 2 if n < 9 else 3  # verdict (+ next button) / verdict and round summary
            replies = await exchange(api, api.callback_update(chosen.pack(), user_id=USER), count=2 if n == 9
                                     else 1)
            verdict = replies[0]
            assert ("Дұрыс!" in verdict.text) == answer_right
            assert engine.corpus.get(quiz_q.passage_id).citation in verdict.text
            assert "<b>" in verdict.text
            right_answers += answer_right
            if not answer_right:
                wrong_topics.add(quiz_q.topic)
            if n < 9:
                [nxt] = buttons(verdict.reply_markup)
                [question] = await exchange(api, api.callback_update(nxt[1], user_id=USER))
            del expected
        summary = replies[-1]
        assert f"Дұрыс жауаптар: {right_answers}/10" in summary.text
        titles = {t.id: t.title_kk for t in wiring.assistant.topics}
        assert any(titles[t] in summary.text for t in wrong_topics)
        await asyncio.sleep(0.05)
    stored = wiring.feedback.query("SELECT COUNT(*), SUM(correct) FROM quiz_answers")[0]
    assert stored == (10, right_answers)


def test_forged_quiz_data_is_rejected(engine: Engine, tmp_path: Path) -> None:
    from bot.telegram.handlers.quiz import _valid

    wiring = make_wiring(engine, tmp_path, "http://127.0.0.1:9")
    q = wiring.assistant.quiz[0]
    right = wiring.assistant.ordinal(engine.corpus.get(q.passage_id))
    assert _valid(wiring.assistant, QuizCB(v=wiring.assistant.version, q=0, a=right, pos=0, score=0))
    assert not _valid(wiring.assistant, QuizCB(v="old000", q=0, a=right, pos=0, score=0))
    assert not _valid(wiring.assistant, QuizCB(v=wiring.assistant.version, q=10**6, a=right, pos=0, score=0))
    assert not _valid(wiring.assistant, QuizCB(v=wiring.assistant.version, q=0, a=right, pos=3, score=9))
    outside = next(i for i, p in enumerate(wiring.assistant.passages) if p.id not in
                   {it.passage_id for t in wiring.assistant.topics if t.id == q.topic for it in t.items})
    assert not _valid(wiring.assistant, QuizCB(v=wiring.assistant.version, q=0, a=outside, pos=0, score=0))
