"""Paragraph links in the bot: /start deep links, the link under every quote (answers and inline results),
and the "Full text" button that opens the reading view (a Web App in private chats, a link in groups)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.i18n import gettext_for
from bot.render import passage_html
from embeddings.engine import Engine
from tests.botkit import buttons, exchange, running_bot
from tests.fake_bot_api import BOT_USERNAME, async_test

pytestmark = pytest.mark.slow
T = gettext_for("kk")
USER = 100016
READ = "https://read.example.org/read"


def web_buttons(markup: dict | None) -> list[dict]:
    return [b for row in (markup or {}).get("inline_keyboard", []) for b in row if "web_app" in b or "url" in b]


@async_test(timeout=120)
async def test_deep_links_open_their_paragraph(engine: Engine, tmp_path: Path) -> None:
    async with running_bot(engine, tmp_path, web_base_url=READ) as (api, _wiring):
        api.user(USER, language_code="kk")
        p = engine.corpus.get("2025-cassation:5")
        [msg] = await exchange(api, api.message_update("/start 2025-cassation_5", user_id=USER))
        # the bot's own quote of the paragraph, then its link
        assert msg.text.startswith(passage_html(p, T).text)
        assert msg.text.endswith(f"https://t.me/{BOT_USERNAME}?start=2025-cassation_5")
        [web] = web_buttons(msg.reply_markup)
        assert web["text"] == "Толық мәтін" and web["web_app"]["url"] == f"{READ}/doc/2025-cassation/5"

        [pre] = await exchange(api, api.message_update("/start 1998-1_preamble", user_id=USER))
        assert "1998-1_preamble" in pre.text and "<blockquote>" in pre.text

        # anything else is the plain /start: too long, foreign characters, unknown paragraph, no separator
        for bad in ("x" * 65, "2016-1:5", "2016-1_99", "2016-1", "%2F..%2F", "2016-1_5_"):
            [plain] = await exchange(api, api.message_update(f"/start {bad}", user_id=USER))
            assert "<blockquote>" not in plain.text and "құқықтық кеңес емес" in plain.text, bad


@async_test(timeout=120)
async def test_answers_and_inline_results_carry_their_link(engine: Engine, tmp_path: Path) -> None:
    async with running_bot(engine, tmp_path, web_base_url=READ) as (api, _wiring):
        api.user(USER, language_code="kk")
        [ans] = await exchange(api, api.message_update("Кассациялық шағымда не көрсетілуі керек?", user_id=USER))
        # the link right under the quote's citation (other answering paragraphs, if any, are named after it)
        assert f"7-тармақ</b>\n🔗 https://t.me/{BOT_USERNAME}?start=2025-cassation_7" in ans.text
        assert web_buttons(ans.reply_markup)[0]["web_app"]["url"] == f"{READ}/doc/2025-cassation/7"
        # neighbours keep the link too
        data = dict(buttons(ans.reply_markup))
        [nxt] = await exchange(api, api.callback_update(data["Келесі ▶"], message_id=ans.message_id, user_id=USER))
        assert "?start=2025-cassation_8" in nxt.text

        # a group: Telegram allows Web App buttons only in private chats, so an ordinary link
        [grp] = await exchange(api, api.message_update(f"@{BOT_USERNAME} кассациялық шағымның мазмұны",
                                                       chat_id=-100500, chat_type="supergroup", user_id=USER))
        [link] = web_buttons(grp.reply_markup)
        assert "web_app" not in link and link["url"].startswith(f"{READ}/doc/")

        api.push_update(api.inline_query_update("кассациялық шағымның мазмұны", user_id=USER))
        [call] = await api.wait_for("answerInlineQuery")
        assert call.ok, call.description
        for r in call.params["results"]:
            assert f"https://t.me/{BOT_USERNAME}?start=" in r["input_message_content"]["message_text"]


@async_test(timeout=120)
async def test_without_a_reading_view_full_text_stays_in_the_chat(engine: Engine, tmp_path: Path) -> None:
    async with running_bot(engine, tmp_path) as (api, wiring):
        api.user(USER, language_code="kk")
        assert wiring.settings.reading_url() == ""
        [msg] = await exchange(api, api.message_update("/start 2016-1_5", user_id=USER))
        assert msg.text.endswith("?start=2016-1_5") and not web_buttons(msg.reply_markup)


@async_test(timeout=120)
async def test_webhook_server_mounts_the_reading_view(engine: Engine, tmp_path: Path) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from bot.telegram.app import build_webhook_app, create_bot
    from bot.web.app import CSP
    from tests.botkit import make_wiring
    from tests.fake_bot_api import FakeBotAPI

    async with FakeBotAPI() as api:
        wiring = make_wiring(engine, tmp_path, api.base_url, bot_mode="webhook",
                             webhook_url="https://bot.example.org", webhook_secret="s3cret-Token_1")
        assert wiring.settings.reading_url() == "https://bot.example.org/read"
        bot, dp = create_bot(wiring.settings), wiring.dispatcher()
        async with TestClient(TestServer(build_webhook_app(dp, bot))) as client:
            page = await client.get("/read/doc/2025-cassation")
            text = await page.text()
            assert page.status == 200 and page.headers["Content-Security-Policy"] == CSP
            # links stay under the mount point
            assert 'href="/read/static/style.css"' in text and 'action="/read/search"' in text
            assert (await client.get("/read/static/style.css")).status == 200
            search = await client.get("/read/search", params={"q": "кассациялық шағым қай тілде"})
            assert 'outcome-direct' in await search.text() and 'href="/read/doc/' in await search.text()
            assert (await client.post("/read/doc/2016-1")).status == 405
            health = await client.get("/healthz")
            assert health.status == 200 and "Content-Security-Policy" not in health.headers  # the bot's own
        await bot.session.close()
