"""Feedback database faults and the user-hash salt: detected at start-up, said in one line, nothing lost."""

from __future__ import annotations

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
