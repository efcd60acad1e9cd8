"""Feedback database faults and the user-hash salt: detected at start-up, said in one line, nothing lost."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bot.core.db_health import check_database
from bot.core.salt import SALT_FILE, SaltError, resolve_salt
from bot.telegram.app import create_bot
from bot.telegram.callbacks import PassageCB
from embeddings.engine import Engine
from tests.botkit import exchange, make_wiring, running_bot
from tests.fake_bot_api import FakeBotAPI, async_test

USER = 424242


def _database(path: Path, rows: int = 50) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT)")
    conn.executemany("INSERT INTO events (payload) VALUES (?)", [("x" * 200,) for _ in range(rows)])
    conn.commit()
    conn.close()


def test_a_garbage_file_is_moved_aside_and_a_fresh_database_started(tmp_path: Path) -> None:
    db = tmp_path / "feedback.sqlite3"
    db.write_bytes(b"this is not sqlite at all\x00" * 100)
    health = check_database(db)
    assert health.status == "recovered" and health.writable
    assert health.moved_to is not None and health.moved_to.read_bytes().startswith(b"this is not sqlite")
    assert "moved aside" in health.message and "\n" not in health.message
    assert db.exists() and check_database(db).status == "ok"  # a fresh, sound database in its place


def test_a_truncated_database_is_detected(tmp_path: Path) -> None:
    db = tmp_path / "feedback.sqlite3"
    _database(db, rows=400)
    size = db.stat().st_size
    with db.open("r+b") as handle:
        handle.truncate(size // 3)
    health = check_database(db)
    assert health.status == "recovered", health
    assert health.moved_to is not None and health.moved_to.stat().st_size == size // 3  # kept, not deleted


def test_a_sound_database_is_left_alone_even_when_another_process_holds_its_lock(tmp_path: Path) -> None:
    db = tmp_path / "feedback.sqlite3"
    _database(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert check_database(db).status == "ok"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert list(tmp_path.iterdir()) == [db]


def test_a_data_dir_that_is_a_file_turns_feedback_off_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("not a folder")
    health = check_database(blocker / "feedback.sqlite3")
    assert health.status == "unavailable" and not health.writable and "\n" not in health.message


READ_ONLY_PROBE = """
import os, sys, pathlib
from bot.core.db_health import check_database  # import first: the interpreter's files may be root's alone
os.setgid(65534); os.setuid(65534)
h = check_database(pathlib.Path(sys.argv[1]))
print(h.status, h.writable)
"""


def test_a_read_only_database_keeps_answers_and_turns_writes_off(tmp_path: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ro-feedback-"))
    db = folder / "feedback.sqlite3"
    _database(db)
    db.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    folder.chmod(0o755)
    if os.geteuid() == 0:  # root may write anywhere: look as an unprivileged user
        run = subprocess.run([sys.executable, "-c", READ_ONLY_PROBE, str(db)], capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parents[1], timeout=60)
        assert run.returncode == 0, run.stderr[-500:]
        assert run.stdout.split() == ["read_only", "False"]
    else:
        folder.chmod(0o555)
        try:
            health = check_database(db)
        finally:
            folder.chmod(0o755)
        assert health.status == "read_only" and not health.writable


def test_a_random_salt_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = resolve_salt(None, tmp_path)
    assert len(first) >= 32 and first == resolve_salt(None, tmp_path) == resolve_salt("", tmp_path)
    assert stat.S_IMODE((tmp_path / SALT_FILE).stat().st_mode) == 0o600
    other = tmp_path / "other"
    assert resolve_salt(None, other) != first  # every installation its own


@pytest.mark.parametrize("public", ["kassatsiya", "change-me", "s3cr3t"])
def test_a_public_or_weak_salt_is_refused_in_one_line(tmp_path: Path, public: str) -> None:
    with pytest.raises(SaltError) as exc:
        resolve_salt(public, tmp_path)
    assert "USER_HASH_SALT" in str(exc.value) and public not in str(exc.value).replace("USER_HASH_SALT", "")
    assert not (tmp_path / SALT_FILE).exists()


def test_a_salt_that_cannot_be_kept_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file, not a folder")
    with pytest.raises(SaltError, match="cannot keep a user-hash salt"):
        resolve_salt(None, blocker)
    assert resolve_salt("a-private-salt-of-32-characters!", blocker) == "a-private-salt-of-32-characters!"


# -- the running bot --------------------------------------------------------------------------------------------------
LOCK_HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


@async_test(timeout=120)
async def test_a_lock_held_by_another_process_delays_no_answer_and_loses_no_vote(engine: Engine,
                                                                                 tmp_path: Path) -> None:
    from bot.telegram.offload import drain

    async with running_bot(engine, tmp_path) as (api, wiring):
        api.user(USER, language_code="kk")
        [quote] = await exchange(api, api.message_update("/p 2025-cassation 7", user_id=USER))
        wiring.feedback.record_answer("warm-up", "kk", (), 1.0, "")  # the file and schema exist
        # an unlocked question first (it also warms the model up)
        await exchange(api, api.message_update("кассациялық шағымды кім бере алады", user_id=USER))
        holder = await asyncio.create_subprocess_exec(sys.executable, "-c", LOCK_HOLDER,
                                                      str(wiring.feedback.path), "3",
                                                      stdout=asyncio.subprocess.PIPE)
        assert holder.stdout is not None and (await holder.stdout.readline()).strip() == b"locked"
        [reply] = await exchange(api, api.message_update("кассациялық шағымның мазмұны", user_id=USER))
        answered_while_locked = holder.returncode is None  # the holder still has the lock
        i = wiring.assistant.ordinal(engine.corpus.get("2025-cassation:7"))
        api.push_update(api.callback_update(PassageCB(v=wiring.assistant.version, act="up", i=i).pack(),
                                            message_id=quote.message_id, user_id=USER))
        [vote] = await api.wait_for("answerCallbackQuery", timeout=20)
        await holder.wait()
        await drain()
    # The 11.7 s of the probe are gone: the write waits in the background, the answer does not wait for it.
    assert answered_while_locked
    assert "<blockquote" in reply.text
    assert vote.params["text"] == "Пікіріңізге рақмет!"
    kinds = dict(wiring.feedback.query("SELECT kind = 'vote', COUNT(*) FROM events GROUP BY kind = 'vote'"))
    assert kinds == {0: 3, 1: 1}  # warm-up + two questions (answered or refused) and the vote, once the lock went


@async_test(timeout=120)
async def test_a_vote_that_cannot_be_stored_is_not_thanked(engine: Engine, tmp_path: Path) -> None:
    from bot.core.sqlite_store import DB_FILE, SqliteStore

    (tmp_path / DB_FILE).mkdir()  # an unusable feedback database: the start-up check turns feedback off
    store = SqliteStore.open_checked(tmp_path, "a-private-salt-of-32-characters!")
    assert not store.writable
    async with FakeBotAPI() as api:
        wiring = make_wiring(engine, tmp_path, api.base_url)
        wiring.feedback = store  # the store the bot's start-up would open here
        assistant = wiring.assistant
        bot, dp = create_bot(wiring.settings), wiring.dispatcher()
        api.user(USER, language_code="kk")
        async with api.polling(dp, bot):
            [quote] = await exchange(api, api.message_update("кассациялық шағымның мазмұны", user_id=USER))
            i = assistant.ordinal(quote_passage(engine, quote.text))
            api.push_update(api.callback_update(PassageCB(v=assistant.version, act="down", i=i).pack(),
                                                message_id=quote.message_id, user_id=USER))
            [vote] = await api.wait_for("answerCallbackQuery")
            [empty] = await exchange(api, api.message_update("/quiz", user_id=USER))
    assert "<blockquote" in quote.text  # answering goes on
    assert vote.params["text"] == "Кешіріңіз, бағаңызды қазір сақтай алмадым."
    # /quiz works from what it has instead of apologising (a quiz question may itself contain the word «қате»)
    assert "қате шықты" not in empty.text and "1-сұрақ" in empty.text


def quote_passage(engine: Engine, text: str):
    """The passage a quote message shows (by its citation line)."""
    return next(p for p in engine.corpus.passages if p.citation in text)
