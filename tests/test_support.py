"""Support staff and curators: inline quoting, feedback under load, /stats for admins, the report."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.feedback import Event
from bot.core.sqlite_store import SqliteStore
from bot.report import as_csv, as_json, as_text, build_report, group_questions
from bot.telegram.callbacks import PassageCB
from embeddings.engine import Engine
from tests.botkit import exchange, running_bot
from tests.fake_bot_api import async_test, parse_telegram_html

pytestmark = pytest.mark.slow
ADMIN, USER = 424242, 100003


@async_test(timeout=120)
async def test_inline_query_returns_citation_bearing_results(engine: Engine, tmp_path: Path) -> None:
    async with running_bot(engine, tmp_path) as (api, _):
        api.push_update(api.inline_query_update("кассациялық шағымның мазмұны", user_id=USER))
        [call] = await api.wait_for("answerInlineQuery")
        assert call.ok, call.description
        results = call.params["results"]
        assert 1 <= len(results) <= 10 and call.params.get("next_offset")
        assert any("7-тармақ" in r["title"] for r in results)
        for r in results:
            assert "нормативтік қаулысы" in r["title"] or "мақала" in r["title"]
            content = r["input_message_content"]["message_text"]
            visible = parse_telegram_html(content)  # valid for Telegram's parser
            head, _, where = r["title"].partition("…")  # a long citation is shortened in the middle
            assert head in visible and where.lstrip(", ") in visible and len(visible) <= 4096
        assert str(call.params.get("is_personal")).lower() == "true"
        # the next page, then an out-of-scope query
        # (both in flight at once: answers are matched to queries by id, not by arrival order)
        more = api.push_update(api.inline_query_update("кассациялық шағымның мазмұны", user_id=USER,
                                                       offset=call.params["next_offset"]))
        borsch = api.push_update(api.inline_query_update("борщ рецепті қандай", user_id=USER))
        by_id = {c.params["inline_query_id"]: c for c in await api.wait_for("answerInlineQuery", count=3)}
        page2 = by_id[more["inline_query"]["id"]].params["results"]
        assert page2 and not {r["id"] for r in page2} & {r["id"] for r in results}
        nothing = by_id[borsch["inline_query"]["id"]]
        assert nothing.ok and nothing.params["results"] == []  # no fake article that would post into the chat
        assert nothing.params["button"]["start_parameter"] == "inline" and nothing.params["button"]["text"]
        api.push_update(api.inline_query_update("", user_id=USER))
        empty = (await api.wait_for("answerInlineQuery", count=4))[3]
        assert empty.ok, empty.description  # a fresh database: topics sharing a first paragraph, ids unique
        ids = [r["id"] for r in empty.params["results"]]
        assert len(ids) >= 5 and len(set(ids)) == len(ids)


@async_test(timeout=120)
async def test_a_hundred_concurrent_votes_are_all_recorded(engine: Engine, tmp_path: Path) -> None:
    async with running_bot(engine, tmp_path, poll_timeout=30) as (api, wiring):
        [ans] = await exchange(api, api.message_update("/p 2025-cassation 7", user_id=USER))
        i = wiring.assistant.ordinal(engine.corpus.get("2025-cassation:7"))
        for n in range(100):
            act = "up" if n % 4 else "down"
            api.push_update(api.callback_update(PassageCB(v=wiring.assistant.version, act=act, i=i).pack(),
                                                message_id=ans.message_id, user_id=200000 + n))
        await api.wait_for("answerCallbackQuery", count=100, timeout=60)
    votes = wiring.feedback.query("SELECT vote, COUNT(*), COUNT(DISTINCT user_hash) FROM events"
                                   " WHERE kind = 'vote' GROUP BY vote ORDER BY vote")
    assert votes == [(-1, 25, 25), (1, 75, 75)]


@async_test(timeout=120)
async def test_stats_answers_admins_only(engine: Engine, tmp_path: Path) -> None:
    async with running_bot(engine, tmp_path, admin_ids=[ADMIN]) as (api, _):
        api.user(ADMIN, language_code="kk")
        api.user(USER, language_code="kk")
        await exchange(api, api.message_update("кассациялық шағымның мазмұны", user_id=USER))
        [other] = await exchange(api, api.message_update("/stats", user_id=USER))
        assert "Белгісіз команда" in other.text
        [stats] = await exchange(api, api.message_update("/stats", user_id=ADMIN))
        assert "Статистика" in stats.text and "Сұрақтар: 1" in stats.text


def test_storage_never_stores_raw_ids_or_texts_by_default(tmp_path: Path) -> None:
    s = SqliteStore(tmp_path / "f.sqlite3", "salt")
    h = s.user_hash(123456789)
    assert "123456789" not in h and h == s.user_hash(123456789) != SqliteStore(tmp_path / "g", "other").user_hash(
        123456789)
    s.record(Event("abstain", h, "kk", question="секретный вопрос"))
    raw = (tmp_path / "f.sqlite3").read_bytes() + (tmp_path / "f.sqlite3-wal").read_bytes()
    assert "секретный".encode() not in raw and b"123456789" not in raw
    assert s.query("PRAGMA user_version")[0][0] == 2


def test_an_unwritable_database_is_logged_and_dropped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    s = SqliteStore(blocker / "f.sqlite3", "salt")
    with pytest.raises(Exception):  # noqa: B017 - the first touch reports it; writes afterwards do not raise
        s.query("SELECT 1")
    s2 = SqliteStore(tmp_path / "ok.sqlite3", "salt")
    conn = s2._conn()
    conn.execute("BEGIN EXCLUSIVE")  # another writer holds the lock
    other = SqliteStore(tmp_path / "ok.sqlite3", "salt")
    other._ready = True
    import time

    t0 = time.monotonic()
    assert other.record(Event("answer", "h", "kk"), patience=2.0) is False
    # gives up after its patience (2 s here; WRITE_PATIENCE in service) rather than waiting for the lock
    assert time.monotonic() - t0 < 30
    assert "dropped" in caplog.text
    conn.execute("ROLLBACK")


def seeded(tmp_path: Path) -> SqliteStore:
    s = SqliteStore(tmp_path / "feedback.sqlite3", "salt", log_questions=True)
    u = s.user_hash(1)
    for q in ["ажырасу алименті қанша", "Ажырасу алименті қанша?", "ажырасу алимент канша", "салық декларациясы",
              "салык декларациясы калай"]:
        s.record(Event("abstain", u, "kk", question=q, confidence=0.1))
    for _ in range(3):
        s.record(Event("answer", u, "kk", passages=("2025-cassation:7",), confidence=0.9))
    s.record(Event("vote", u, "kk", passages=("2025-cassation:8",), vote=-1))
    s.record(Event("vote", u, "kk", passages=("2025-cassation:8",), vote=-1))
    s.record(Event("vote", u, "kk", passages=("2025-cassation:7",), vote=1))
    return s


def test_report_groups_near_duplicates(tmp_path: Path) -> None:
    r = build_report(seeded(tmp_path))
    assert r.questions == 8 and r.answered == 3 and r.up == 1 and r.down == 2
    assert [g.count for g in r.unanswered] == [3, 2]
    assert r.voted_down == [("2025-cassation:8", 2)]
    text = as_text(r)
    assert text.startswith("All time: 8 questions") and "3 × ажырасу алименті қанша" in text and "38%" in text
    assert json.loads(as_json(r))["unanswered"][0]["count"] == 3
    assert "voted_down,2025-cassation:8,2" in as_csv(r)
    assert len(group_questions(["a b c", "x y z"])) == 2


def test_report_command_line(tmp_path: Path) -> None:
    seeded(tmp_path).close()
    env = {"DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "bot.cli", "report", "--format", "json"], capture_output=True,
                         text=True, env=env, check=True)
    assert json.loads(out.stdout)["answered"] == 3
    bad = subprocess.run([sys.executable, "-m", "bot.cli", "report", "--since", "yesterday"], capture_output=True,
                         text=True, env=env)
    assert bad.returncode == 2 and "--since" in bad.stderr and "Traceback" not in bad.stderr
    asyncio.run(asyncio.sleep(0))
