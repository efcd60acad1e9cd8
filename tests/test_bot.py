"""The Telegram bot end to end: a real aiogram Bot and Dispatcher against the fake Bot API server over HTTP."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.settings import SettingsError, load_settings
from bot.telegram.app import build_webhook_app, create_bot
from embeddings.engine import Engine
from tests.botkit import buttons, exchange, make_wiring, running_bot, texts
from tests.fake_bot_api import DEFAULT_TOKEN, FakeBotAPI, async_test

pytestmark = pytest.mark.slow
USER = 100001


@async_test(timeout=120)
async def test_conversation_over_polling(engine: Engine, tmp_path: Path) -> None:
    async with running_bot(engine, tmp_path) as (api, wiring):
        api.user(USER, language_code="kk")
        # /start: greeting, disclaimer, three example buttons
        [start] = await exchange(api, api.message_update("/start", user_id=USER))
        assert "кассация" in start.text and "құқықтық кеңес емес" in start.text
        assert len([b for b in buttons(start.reply_markup) if b[1].startswith("a:")]) == 3

        # a Kazakh question: the quote, highlighted sentence, citation, buttons
        [ans] = await exchange(api, api.message_update("Кассациялық шағымда не көрсетілуі керек?", user_id=USER))
        assert "<blockquote" in ans.text and "<b>" in ans.text
        assert "қылмыстық істер бойынша заңды күшіне енген сот актілерін кассациялық тәртіппен" in ans.text
        assert "7-тармақ" in ans.text
        labels = [b[0] for b in buttons(ans.reply_markup)]
        assert "👍" in labels and "👎" in labels and "Басқа нәтижелер" in labels

        # Kazakh typed on a Russian keyboard finds the same paragraph
        [tr] = await exchange(api, api.message_update("кассациялык шагымда не корсетилуи керек", user_id=USER))
        assert "7-тармақ" in tr.text

        # out of scope: an honest "not found" and suggestions, never a quote
        [oos] = await exchange(api, api.message_update("Ажырасу кезінде алимент қанша төленеді?", user_id=USER))
        assert "табылмады" in oos.text and "<blockquote" not in oos.text
        assert buttons(oos.reply_markup)

        # buttons: next paragraph, vote, more results
        data = dict((label, cb) for label, cb in buttons(ans.reply_markup))
        [nxt] = await exchange(api, api.callback_update(data["Келесі ▶"], message_id=ans.message_id, user_id=USER))
        assert "8-тармақ" in nxt.text
        api.push_update(api.callback_update(data["👍"], message_id=ans.message_id, user_id=USER))
        answers = await api.wait_for("answerCallbackQuery", count=2)
        assert any("рақмет" in (a.params.get("text") or "") for a in answers)
        [more] = await exchange(api, api.callback_update(data["Басқа нәтижелер"], message_id=ans.message_id,
                                                         user_id=USER))
        assert buttons(more.reply_markup) and all(cb.startswith("p:") for _, cb in buttons(more.reply_markup))

        # a forged button: a polite alert, no crash, no message
        sent = len(api.sent_messages())
        api.push_update(api.callback_update("p:zzzzzz:show:1", message_id=ans.message_id, user_id=USER))
        alerts = await api.wait_for("answerCallbackQuery", count=4)
        assert alerts[-1].params.get("show_alert") in (True, "true") and "ескірген" in alerts[-1].params["text"]
        await asyncio.sleep(0.2)
        assert len(api.sent_messages()) == sent

        # /p shows a paragraph directly; a sticker gets a polite request for text
        [p] = await exchange(api, api.message_update("/p 2016-1 1", user_id=USER))
        assert "Конституцияның 14-бабының 1-тармағымен" in p.text
        [st] = await exchange(api, api.sticker_update(user_id=USER))
        assert "мәтінмен жазыңыз" in st.text
    # commands registered for both interface languages
    langs = {c.params.get("language_code") for c in api.calls_of("setMyCommands")}
    assert langs == {None, "ru"}
    # feedback recorded, without the question text by default
    rows = wiring.feedback.query("SELECT kind, question FROM events")
    assert ("vote", None) in rows and any(k == "abstain" for k, _ in rows)
    assert all(q is None for _, q in rows)
    transcript = [{"in": "…", "out": re.sub(r"\s+", " ", t)[:300]} for t in texts(api)]
    (tmp_path / "transcript.json").write_text(json.dumps(transcript, ensure_ascii=False, indent=1))


@async_test(timeout=120)
async def test_russian_interface_and_language_switch(engine: Engine, tmp_path: Path) -> None:
    async with running_bot(engine, tmp_path) as (api, _):
        api.user(USER, language_code="ru")
        [help_] = await exchange(api, api.message_update("/help", user_id=USER))
        assert "Как задать вопрос" in help_.text
        [lang] = await exchange(api, api.message_update("/lang", user_id=USER))
        kk = next(cb for label, cb in buttons(lang.reply_markup) if label == "Қазақша")
        api.push_update(api.callback_update(kk, message_id=lang.message_id, user_id=USER))
        await api.wait_for("editMessageText")
        [help_kk] = await exchange(api, api.message_update("/help", user_id=USER))
        assert "Қалай сұрауға болады" in help_kk.text


@async_test(timeout=120)
async def test_group_chats_answer_only_when_addressed(engine: Engine, tmp_path: Path) -> None:
    async with running_bot(engine, tmp_path) as (api, _):
        api.push_update(api.message_update("кассациялық шағым мерзімі", chat_type="supergroup"))
        [reply] = await exchange(api, api.message_update("@kassatsiya_test_bot кассациялық шағымның мазмұны",
                                                         chat_type="supergroup"))
        assert "<blockquote" in reply.text
        await asyncio.sleep(0.3)
        assert len(api.sent_messages()) == 1  # the unaddressed message got no answer


@async_test(timeout=120)
async def test_flood_limits_are_retried_and_an_ambiguous_drop_is_not_repeated(engine: Engine,
                                                                                tmp_path: Path) -> None:
    async with running_bot(engine, tmp_path) as (api, _):
        api.fail_next("sendMessage", 429, retry_after=1)
        [first] = await exchange(api, api.message_update("/start"))
        assert "кассация" in first.text.lower() or "кассации" in first.text.lower()
        api.drop_next("sendMessage")  # the bot cannot tell whether Telegram got it: never sent twice
        api.push_update(api.message_update("/help"))
        await api.wait_for("sendMessage", count=3)
        await asyncio.sleep(0.3)
    failed = [c for c in api.calls_of("sendMessage") if not c.ok]
    assert len(failed) == 2 and len(api.calls_of("sendMessage")) == 3  # the 429 retried; the drop not repeated
    assert not [t for t in texts(api) if "қате" in t]  # and no apology that might follow a delivered answer


@async_test(timeout=60)
async def test_webhook_requires_the_secret(engine: Engine, tmp_path: Path) -> None:
    async with FakeBotAPI() as api:
        wiring = make_wiring(engine, tmp_path, api.base_url, bot_mode="webhook",
                                 webhook_url="https://bot.example.org", webhook_secret="s3cret-Token_1")
        bot, dp = create_bot(wiring.settings), wiring.dispatcher()
        app = build_webhook_app(dp, bot)
        async with TestClient(TestServer(app)) as client:
            assert (await client.get("/healthz")).status == 200
            assert (await (await client.get("/healthz")).json())["index_loaded"] is True
            update = api.message_update("/start")
            rejected = await client.post("/webhook", json=update)
            assert rejected.status in (401, 403)
            wrong = await client.post("/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
            assert wrong.status in (401, 403)
            ok = await client.post("/webhook", json=api.message_update("/start"),
                                   headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"})
            assert ok.status == 200
            await api.wait_for("sendMessage", count=1)
            assert len(api.sent_messages()) == 1
            hooks = api.calls_of("setWebhook")
            assert hooks and hooks[0].params["url"] == "https://bot.example.org/webhook"
            assert hooks[0].params["secret_token"] == "s3cret-Token_1"
        await bot.session.close()


def test_settings_errors_are_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    with pytest.raises(SettingsError, match="BOT_TOKEN is not set"):
        load_settings(_env_file=None).token()
    with pytest.raises(SettingsError, match="malformed") as exc:
        load_settings(bot_token="123:short", _env_file=None).token()
    assert "123:short" not in str(exc.value)
    with pytest.raises(SettingsError, match="LISTEN_PORT"):
        load_settings(listen_port=0, _env_file=None)
    s = load_settings(bot_mode="webhook", webhook_url="http://x", bot_token=DEFAULT_TOKEN, _env_file=None)
    with pytest.raises(SettingsError, match="WEBHOOK_URL"):
        s.check_webhook()


@async_test(timeout=60)
async def test_webhook_bad_bodies_are_4xx_or_ignored_never_a_traceback(engine: Engine, tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    secret = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"}
    async with FakeBotAPI() as api:
        wiring = make_wiring(engine, tmp_path, api.base_url, bot_mode="webhook",
                             webhook_url="https://bot.example.org", webhook_secret="s3cret-Token_1")
        bot, dp = create_bot(wiring.settings), wiring.dispatcher()
        async with TestClient(TestServer(build_webhook_app(dp, bot))) as client:
            for body in (b"{not json", b"\x89PNG\r\n\x1a\n\x00\x00binary", b"[1, 2]", b'{"message": {}}'):
                response = await client.post("/webhook", data=body, headers=secret)
                assert response.status == 400, body
            shaped_wrong = {"update_id": 5, "message": {"text": "no chat, no date"}}
            response = await client.post("/webhook", json=shaped_wrong, headers=secret)
            assert response.status == 200  # logged and ignored: anything else makes Telegram resend it
            ok = await client.post("/webhook", json=api.message_update("/start"), headers=secret)
            assert ok.status == 200
            await api.wait_for("sendMessage", count=1)
            await asyncio.sleep(0.1)
        await bot.session.close()
    assert len(api.sent_messages()) == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Traceback" not in logged and "never retrieved" not in logged
    assert not [r for r in caplog.records if r.exc_info]
    assert "update 5 has a shape" in logged


@async_test(timeout=120)
async def test_three_outcomes(engine: Engine, tmp_path: Path) -> None:
    """A direct quote leads with its answer; the closest paragraphs are named as such; nothing found says so."""
    async with running_bot(engine, tmp_path) as (api, wiring):
        api.user(USER, language_code="kk")
        [direct] = await exchange(api, api.message_update("Кассациялық шағым қай тілде жазылуы керек?", user_id=USER))
        assert direct.text.startswith("«<b>") and "<blockquote expandable>" in direct.text
        lead = direct.text.split("»", 1)[0]
        assert "тілінде" in lead and "7-тармақ" in direct.text
        assert "👍" in [b[0] for b in buttons(direct.reply_markup)]

        # a generic question: the best paragraph quoted, the others that answer it named in the same message
        [generic] = await exchange(api, api.message_update("Кассациялық шағымды кім бере алады?", user_id=USER))
        assert "5-тармақ" in generic.text and "<blockquote expandable>" in generic.text
        also = wiring.assistant.ask("Кассациялық шағымды кім бере алады?").also
        assert also and "Бұл тармақтар да жауап беруі мүмкін:" in generic.text
        for p in also:
            assert f"{p.number}-тармақ — {wiring.assistant.heading(p, 'kk')}" in generic.text

        # the filing deadline: no resolution states it, the history article does — quoted, and labelled as commentary
        [deadline] = await exchange(api, api.message_update("Кассациялық шағым беру мерзімі қанша?", user_id=USER))
        assert "алты ай" in deadline.text.split("»", 1)[0] and "заң нормасы емес" in deadline.text

        # near the subject, but no paragraph answers it directly (an appeal deadline, which the cassation resolution
        # does not give): named by heading, never quoted as the answer
        [near] = await exchange(api, api.message_update("Апелляциялық шағым беру мерзімі қанша?", user_id=USER))
        assert "тікелей жауап беретін тармақ табылмады" in near.text and "<blockquote" not in near.text
        closest = wiring.assistant.ask("Апелляциялық шағым беру мерзімі қанша?").closest
        assert len(closest) >= 2
        for p in closest:
            assert wiring.assistant.heading(p, "kk") in near.text
        assert [cb for _, cb in buttons(near.reply_markup)] and all(
            cb.startswith("p:") for _, cb in buttons(near.reply_markup))
        # and why: the nearest paragraph is about reviewing acts in force, not about an appeal
        assert "заңды күшіне енген сот актілерін қайта қарау туралы" in near.text

        # another country's courts: the Kazakh paragraph on the same matter is close, never quoted as the answer
        [abroad] = await exchange(api, api.message_update("Жәбірленуші Ресейде кассациялық шағым бере ала ма?",
                                                          user_id=USER))
        assert "тікелей жауап беретін тармақ табылмады" in abroad.text and "<blockquote" not in abroad.text
        assert "басқа елдің соттары туралы сұраққа жауап бермейді" in abroad.text

        [none] = await exchange(api, api.message_update("Ажырасу кезінде алимент қанша төленеді?", user_id=USER))
        assert "табылмады" in none.text and "<blockquote" not in none.text
    kinds = [k for k, in wiring.feedback.query("SELECT kind FROM events ORDER BY rowid")]
    assert kinds[:3] == ["answer"] * 3 and kinds[3:] == ["abstain"] * 3  # only direct quotes count


@async_test(timeout=120)
async def test_a_greeting_or_thanks_alone_is_answered_in_kind(engine: Engine, tmp_path: Path) -> None:
    """"Сәлеметсіз бе!" gets what the bot does and example questions, "Рахмет!" a short reply — not "nothing found";
    a greeting before a question changes nothing; neither counts as an unanswered question."""
    async with running_bot(engine, tmp_path) as (api, wiring):
        api.user(USER, language_code="kk")
        [hello] = await exchange(api, api.message_update("Сәлеметсіз бе!", user_id=USER))
        assert "кассация" in hello.text and "табылмады" not in hello.text
        assert [cb for _, cb in buttons(hello.reply_markup)]  # the example questions
        [thanks] = await exchange(api, api.message_update("Көп рахмет!", user_id=USER))
        assert thanks.text == "Оқасы жоқ! Тағы сұрағыңыз болса, жаза беріңіз."
        [asked] = await exchange(api, api.message_update(
            "Сәлеметсіз бе! Кассациялық шағым қай тілде жазылуы керек? Рахмет", user_id=USER))
        assert "тілінде" in asked.text.split("»", 1)[0] and "7-тармақ" in asked.text
        api.user(USER + 1, language_code="ru")
        [thanks_ru] = await exchange(api, api.message_update("Спасибо большое", user_id=USER + 1))
        assert thanks_ru.text.startswith("Пожалуйста!")
    kinds = [k for k, in wiring.feedback.query("SELECT kind FROM events ORDER BY rowid")]
    assert kinds == ["answer"]
