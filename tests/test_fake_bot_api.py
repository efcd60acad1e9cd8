"""The fake Bot API server, exercised by a real aiogram Bot over real HTTP."""

from __future__ import annotations

import asyncio
import html
import json
import time

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    Update,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fake_bot_api import (
    BOT_USERNAME,
    DEFAULT_USER_ID,
    FakeBotAPI,
    async_test,
    parse_telegram_html,
    parse_telegram_html_entities,
)

CHAT = DEFAULT_USER_ID


def keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Go", callback_data=data)]])


@async_test
async def test_get_me_and_wrong_token() -> None:
    async with FakeBotAPI() as api, api.make_bot() as bot:
        me = await bot.get_me()
        assert (me.username, me.id, me.is_bot) == (BOT_USERNAME, bot.id, True)
        assert me.can_join_groups and me.supports_inline_queries
        assert api.calls_of("getMe")[0].ok

        async with Bot("42:wrong", session=api.session()) as intruder:
            with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
                await intruder.get_me()


@async_test
async def test_send_message_with_valid_html() -> None:
    async with FakeBotAPI() as api, api.make_bot() as bot:
        first = await bot.send_message(CHAT, "<b>Статья 1</b> &lt;ГПК&gt; <a href='https://adilet.zan.kz'>ссылка</a>")
        second = await bot.send_message(CHAT, "plain", reply_markup=keyboard("art:1"))

        assert second.message_id == first.message_id + 1
        assert first.text == "Статья 1 <ГПК> ссылка"
        assert [e.type for e in first.entities or []] == ["bold", "text_link"]
        assert first.chat.id == CHAT and first.from_user and first.from_user.is_bot
        sent = api.sent_messages(CHAT)
        assert [m.parse_mode for m in sent] == ["HTML", "HTML"]
        assert sent[0].text.startswith("<b>Статья 1</b>")
        assert sent[1].reply_markup == {"inline_keyboard": [[{"text": "Go", "callback_data": "art:1"}]]}
        assert api.get_message(CHAT, second.message_id)["reply_markup"] == sent[1].reply_markup


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<b>unclosed", "Can't find end tag"),
        ("<b><i>x</b></i>", "Unmatched end tag"),
        ("<div>x</div>", 'Unsupported start tag "div"'),
        ("1 < 2", "Unsupported start tag"),
        ("Q&A", 'Character "&"'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
@async_test
async def test_send_message_with_invalid_html(text: str, error: str) -> None:
    async with FakeBotAPI() as api, api.make_bot() as bot:
        with pytest.raises(TelegramBadRequest, match="can't parse entities") as raised:
            await bot.send_message(CHAT, text)
        assert error in raised.value.message
        assert api.sent_messages() == [] and api.calls_of("sendMessage")[0].status == 400
        await bot.send_message(CHAT, text, parse_mode=None)  # the same text is fine without parse_mode


@async_test
async def test_text_length_is_counted_on_visible_utf16_text() -> None:
    async with FakeBotAPI() as api, api.make_bot() as bot:
        await bot.send_message(CHAT, "<b>" + "я" * 4096 + "</b>")  # tags do not count
        with pytest.raises(TelegramBadRequest, match="message is too long"):
            await bot.send_message(CHAT, "я" * 4097)
        with pytest.raises(TelegramBadRequest, match="message is too long"):
            await bot.send_message(CHAT, "😀" * 2049)  # 4098 UTF-16 code units
        with pytest.raises(TelegramBadRequest, match="message text is empty"):
            await bot.send_message(CHAT, "<b> </b>\n")
        assert len(api.sent_messages()) == 1


@async_test
async def test_callback_data_limit_is_64_utf8_bytes() -> None:
    async with FakeBotAPI() as api, api.make_bot() as bot:
        await bot.send_message(CHAT, "ok", reply_markup=keyboard("x" * 64))
        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await bot.send_message(CHAT, "too long", reply_markup=keyboard("x" * 65))
        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await bot.send_message(CHAT, "cyrillic", reply_markup=keyboard("ж" * 33))  # 33 chars, 66 bytes
        assert len(api.sent_messages()) == 1


@async_test
async def test_fault_injection() -> None:
    async with FakeBotAPI() as api, api.make_bot() as bot:
        api.fail_next("sendMessage", error_code=429, retry_after=7)
        with pytest.raises(TelegramRetryAfter) as raised:
            await bot.send_message(CHAT, "flood")
        assert raised.value.retry_after == 7
        assert api.calls_of("sendMessage")[0].response == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        }

        api.fail_next("sendMessage", error_code=502, times=2)
        for _ in range(2):
            with pytest.raises(TelegramServerError):
                await bot.send_message(CHAT, "bad gateway")

        api.drop_next("*")
        with pytest.raises(TelegramNetworkError):
            await bot.send_message(CHAT, "dropped")
        assert api.calls_of("sendMessage")[-1].dropped

        api.block_chat(CHAT)
        with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
            await bot.send_message(CHAT, "blocked")
        await bot.send_message(CHAT + 1, "another user still works")
        assert [m.text for m in api.sent_messages()] == ["another user still works"]


@async_test
async def test_polling_dispatcher_replies_to_pushed_message() -> None:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(f"<i>{html.escape(message.text or '')}</i>")

    async with FakeBotAPI() as api:
        bot = api.make_bot()
        task = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
        try:
            api.push_update(api.message_update("привет & <hi>", user_id=555))
            await api.wait_for("sendMessage")
        finally:
            await dp.stop_polling()
            await task
        [reply] = api.sent_messages(555)
        assert reply.text == "<i>привет &amp; &lt;hi&gt;</i>" and reply.visible_text == "привет & <hi>"
        assert [r.method for r in api.calls[:2]] == ["getMe", "getUpdates"]


@async_test
async def test_polling_helper_and_allowed_updates() -> None:
    dp = Dispatcher()

    @dp.message()
    async def reply(message: Message) -> None:
        await message.reply("got it")

    async with FakeBotAPI() as api:
        async with api.polling(dp, api.make_bot()):
            api.push_update(api.callback_update("ignored"))  # no callback handler: not in allowed_updates
            update = api.push_update(api.message_update("/start"))
            await api.wait_for("sendMessage")
        assert api.filtered_updates[0]["callback_query"]["data"] == "ignored"
        [sent] = api.sent_messages()
        assert sent.message["reply_to_message"]["message_id"] == update["message"]["message_id"]
        assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]


@async_test
async def test_get_updates_offset_limit_timeout() -> None:
    async with FakeBotAPI(max_poll_timeout=0.3) as api, api.make_bot() as bot:
        ids = [api.push_update(api.message_update(f"m{i}"))["update_id"] for i in range(3)]
        assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]
        assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]  # confirms ids[0]
        assert [u.update_id for u in await bot.get_updates(offset=ids[2] + 1, timeout=0)] == []
        started = time.monotonic()
        assert await bot.get_updates(timeout=30) == []  # long poll capped by max_poll_timeout
        assert 0.2 < time.monotonic() - started < 2

        async def push_later() -> None:
            await asyncio.sleep(0.05)
            api.push_update(api.message_update("late"))

        pusher = asyncio.create_task(push_later())
        started = time.monotonic()
        [late] = await bot.get_updates(timeout=30)
        assert late.message and late.message.text == "late" and time.monotonic() - started < 0.25
        await pusher

        seen = len(api.calls_of("getUpdates"))
        older = asyncio.create_task(bot.get_updates(offset=late.update_id + 1, timeout=30))
        await api.wait_for("getUpdates", count=seen + 1, answered=False)
        assert (
            await bot.get_updates(offset=late.update_id + 1) == []
        )  # a second poller terminates the first one, like Telegram
        with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
            await older

        await bot.set_webhook("https://example.com/hook", secret_token="s3cret")
        assert api.webhook["secret_token"] == "s3cret"
        with pytest.raises(TelegramConflictError):
            await bot.get_updates()
        with pytest.raises(TelegramBadRequest, match="HTTPS URL"):
            await bot.set_webhook("http://example.com/hook")
        api.push_update(api.message_update("queued while the webhook is set"))
        info = await bot.get_webhook_info()
        assert (info.url, info.pending_update_count) == ("https://example.com/hook", 1)
        await bot.delete_webhook(drop_pending_updates=True)
        assert (await bot.get_webhook_info()).url == "" and api.pending_updates == []


@async_test
async def test_callbacks_edits_and_inline_queries() -> None:
    async with FakeBotAPI() as api, api.make_bot() as bot:
        sent = await bot.send_message(CHAT, "menu", reply_markup=keyboard("a"))
        query = Update.model_validate(api.callback_update("a"), context={"bot": bot}).callback_query
        assert query and query.message and query.message.message_id == sent.message_id

        await bot.answer_callback_query(query.id, text="ok")
        with pytest.raises(TelegramBadRequest, match="query is too old"):
            await bot.answer_callback_query(query.id)
        with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
            await bot.answer_callback_query(api.callback_update("a")["callback_query"]["id"], text="x" * 201)

        edited = await bot.edit_message_text("<b>menu 2</b>", chat_id=CHAT, message_id=sent.message_id)
        assert isinstance(edited, Message) and edited.text == "menu 2" and edited.reply_markup is None
        with pytest.raises(TelegramBadRequest, match="message is not modified"):
            await bot.edit_message_text("<b>menu 2</b>", chat_id=CHAT, message_id=sent.message_id)
        await bot.edit_message_reply_markup(chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard("b"))
        assert api.get_message(CHAT, sent.message_id)["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "b"
        await bot.delete_message(CHAT, sent.message_id)
        with pytest.raises(TelegramBadRequest, match="message to delete not found"):
            await bot.delete_message(CHAT, sent.message_id)

        inline_id = api.inline_query_update("кассация", offset="")["inline_query"]["id"]

        def article(result_id: str, text: str) -> InlineQueryResultArticle:
            return InlineQueryResultArticle(
                id=result_id, title="t", input_message_content=InputTextMessageContent(message_text=text)
            )

        with pytest.raises(TelegramBadRequest, match="RESULTS_TOO_MUCH"):
            await bot.answer_inline_query(inline_id, [article(str(i), "x") for i in range(51)])
        with pytest.raises(TelegramBadRequest, match="RESULT_ID_DUPLICATE"):
            await bot.answer_inline_query(inline_id, [article("1", "x"), article("1", "y")])
        with pytest.raises(TelegramBadRequest, match="can't parse entities"):
            await bot.answer_inline_query(inline_id, [article("1", "<b>x")])
        await bot.answer_inline_query(inline_id, [article("1", "<b>x</b>")], next_offset="10")
        record = api.calls_of("answerInlineQuery")[-1]
        assert record.ok and record.params["results"][0]["input_message_content"]["parse_mode"] == "HTML"


@async_test
async def test_commands_menu_actions_and_fallback() -> None:
    async with FakeBotAPI() as api, api.make_bot() as bot:
        await bot.set_my_commands([BotCommand(command="start", description="Начать")], language_code="ru")
        assert [c.command for c in await bot.get_my_commands(language_code="ru")] == ["start"]
        assert await bot.get_my_commands() == []
        with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
            await bot.set_my_commands([BotCommand(command="Start-Now", description="x")])
        await bot.delete_my_commands(language_code="ru")
        assert await bot.get_my_commands(language_code="ru") == []

        await bot.set_chat_menu_button()
        await bot.send_chat_action(CHAT, "typing")
        with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
            await bot.send_chat_action(CHAT, "dancing")
        assert (await bot.get_chat(CHAT)).type == "private"
        location = await bot.send_location(CHAT, latitude=51.13, longitude=71.43)
        assert location.location and location.location.latitude == 51.13
        api.set_handler("getChatMember", lambda params: 1 / 0)  # a crashing custom handler surfaces as a 500
        with pytest.raises(TelegramServerError, match="ZeroDivisionError"):
            await bot.get_chat_member(CHAT, CHAT)
        assert await bot.set_my_description("Тестовый бот") is True  # not modelled: recorded, answered True
        assert api.calls_of("setMyDescription")[0].params == {"description": "Тестовый бот"}


@async_test
async def test_files_builders_and_raw_http_bodies() -> None:
    async with FakeBotAPI() as api, api.make_bot() as bot:
        builders = [
            api.message_update("hi", chat_type="supergroup"),
            api.sticker_update(),
            api.photo_update("caption"),
            api.voice_update(),
            api.location_update(),
            api.document_update(content=b"%PDF-1.4 data"),
            api.edited_message_update("edited"),
            api.channel_post_update("post"),
            api.callback_update("data"),
            api.inline_query_update("query"),
        ]
        for raw in builders:
            update = Update.model_validate(raw, context={"bot": bot})
            assert update.event_type == next(k for k in raw if k != "update_id")
        document = Update.model_validate(builders[5], context={"bot": bot}).message.document  # type: ignore[union-attr]
        assert document is not None
        downloaded = await bot.download(document.file_id)
        assert downloaded is not None and downloaded.read() == b"%PDF-1.4 data"

        photo = await bot.send_photo(CHAT, BufferedInputFile(b"jpeg-bytes", "p.jpg"), caption="<b>c</b>")
        assert photo.caption == "c" and api.calls_of("sendPhoto")[0].files
        assert (await bot.download(photo.photo[-1].file_id)).read() == b"jpeg-bytes"  # type: ignore[index,union-attr]

        url = f"{api.base_url}/bot{api.token}/sendMessage"
        markup = {"inline_keyboard": [[{"text": "a", "callback_data": "1"}]]}
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json={"chat_id": CHAT, "text": "123", "reply_markup": markup}) as response:
                assert (await response.json())["result"]["text"] == "123"
            form = {"chat_id": str(CHAT), "text": "456", "reply_markup": json.dumps(markup)}
            async with http.post(url, data=form) as response:
                assert response.status == 200
            async with http.post(f"{api.base_url}/botWRONG/getMe") as response:
                assert response.status == 401
                assert await response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        assert [(m.text, m.reply_markup) for m in api.sent_messages()] == [("123", markup), ("456", markup)]


def test_parse_telegram_html_details() -> None:
    text, entities = parse_telegram_html_entities(
        '<pre><code class="language-python">x = 1</code></pre><blockquote expandable>q</blockquote>'
        '<tg-spoiler>s</tg-spoiler><span class="tg-spoiler">😀</span>&#128512;&#x1F600;&quot;'
    )
    assert text == 'x = 1qs😀😀😀"'
    assert entities == [
        {"type": "pre", "offset": 0, "length": 5, "language": "python"},
        {"type": "expandable_blockquote", "offset": 5, "length": 1},
        {"type": "spoiler", "offset": 6, "length": 1},
        {"type": "spoiler", "offset": 7, "length": 2},
    ]
    assert parse_telegram_html("<B>bold</B> a > b") == "bold a > b"
    for bad in ("<b>", "</b>", "<a href='x>y</a>", "<br/>", "&nbsp;", "&#0;", "<i>x</>y</i>", "<tg-emoji>e</tg-emoji>"):
        with pytest.raises(ValueError):
            parse_telegram_html(bad)


TAGS = st.sampled_from(["b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler", "code", "pre"])


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_escaped_text_is_accepted_verbatim(text: str) -> None:
    assert parse_telegram_html(html.escape(text)) == text


@settings(max_examples=200, deadline=None)
@given(st.text(), TAGS, st.text())
def test_unclosed_tags_are_rejected(before: str, tag: str, after: str) -> None:
    assert parse_telegram_html(f"<{tag}>{html.escape(after)}</{tag}>") == after
    with pytest.raises(ValueError, match=f'start tag "{tag}"'):
        parse_telegram_html(f"{html.escape(before)}<{tag}>{html.escape(after)}")
