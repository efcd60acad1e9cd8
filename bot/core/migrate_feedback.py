"""Copy the embedded SQLite feedback file into PostgreSQL, row for row (`cassbot migrate-feedback`).

Moving from one process to several replicas must not lose a vote: every event, language choice and quiz
answer is copied with its original time, day and order, in one transaction, and the copy is checked by
counting both sides.  The SQLite file is opened read-only and left as it was.  User hashes are copied as
stored, so the replicas must keep the same `USER_HASH_SALT` for old and new rows to group together.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.core.postgres_store import PostgresStore


class MigrationError(Exception):
    """The copy could not be made or does not match; one line, no traceback."""


@dataclass(frozen=True)
class Copied:
    source: dict[str, int]
    target: dict[str, int]


def _read(path: Path) -> tuple[list[tuple], list[tuple], list[tuple]]:
    if not path.is_file():
        raise MigrationError(f"{path}: no such SQLite file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise MigrationError(f"{path}: cannot open ({exc})") from None
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "events" not in tables:
            raise MigrationError(f"{path}: not a Kassatsiya feedback database (no events table)")
        events = []
        for ts, day, user_hash, lang, kind, question, passages, confidence, vote in conn.execute(
                "SELECT ts, day, user_hash, lang, kind, question, passages, confidence, vote"
                " FROM events ORDER BY id"):
            try:
                ids = [str(p) for p in json.loads(passages or "[]")]
            except json.JSONDecodeError:
                raise MigrationError(f"{path}: an event's passage list is not JSON: {passages[:40]!r}") from None
            events.append((float(ts), day, user_hash, lang, kind, question, ids,
                           None if confidence is None else float(confidence), vote))
        users = [(h, lang, float(updated)) for h, lang, updated in
                 conn.execute("SELECT user_hash, lang, updated FROM users")] if "users" in tables else []
        quiz = [(float(ts), h, q, topic, bool(correct)) for ts, h, q, topic, correct in
                conn.execute("SELECT ts, user_hash, question_id, topic, correct FROM quiz_answers ORDER BY id")
                ] if "quiz_answers" in tables else []
    except sqlite3.DatabaseError as exc:
        raise MigrationError(f"{path}: unreadable SQLite database ({exc})") from None
    finally:
        conn.close()
    return events, users, quiz


def migrate_feedback(sqlite_path: Path, store: PostgresStore) -> Copied:
    """Copy everything; raise MigrationError unless PostgreSQL then holds exactly the source's rows."""
    events, users, quiz = _read(Path(sqlite_path))
    source = {"events": len(events), "users": len(users), "quiz_answers": len(quiz)}
    try:
        store.import_rows(events, users, quiz)
    except MigrationError:
        raise
    except Exception as exc:
        raise MigrationError(f"copy into PostgreSQL at {store.where} failed: {exc}") from None
    target = store.counts()
    if target != source:
        raise MigrationError(f"counts differ after the copy: SQLite {source}, PostgreSQL {target}")
    return Copied(source, target)
