"""The SQLite `FeedbackStore`: feedback, abstentions, interface language and quiz progress.

One file in the data directory, created on first use; the schema is versioned with `PRAGMA user_version`
and migrated forward step by step.  Users are stored only as a salted hash of their Telegram id, and a
question's text only when the operator turned question logging on.  The bot opens it through
`open_checked` (a corrupt file is moved aside, a read-only one turns writes off; see `bot.core.db_health`).
A write waits out another process's lock for a while (the bot runs writes off the answering path), then
is logged and dropped; every write says whether it was stored, so nobody is thanked for a lost vote.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import sqlite3
import threading
import time
from pathlib import Path

from bot.core.db_health import check_database
from bot.core.feedback import ALL_TIME, DayCounts, Event, EventWrites, QuizAnswer

log = logging.getLogger(__name__)

DB_FILE = "feedback.sqlite3"
WRITE_PATIENCE = 30.0  # seconds a background write waits for a lock held by another process
INTERACTIVE_PATIENCE = 4.0  # votes, /lang, quiz: the user waits for these, so wait less, then say so

# Each entry moves the schema from version i to i + 1.  Never edit a released step: add one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        day TEXT NOT NULL,
        user_hash TEXT NOT NULL,
        lang TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('answer', 'abstain', 'vote')),
        question TEXT,
        passages TEXT NOT NULL DEFAULT '[]',
        confidence REAL,
        vote INTEGER
    );
    CREATE INDEX events_day ON events(day);
    CREATE INDEX events_kind ON events(kind);
    CREATE TABLE users (
        user_hash TEXT PRIMARY KEY,
        lang TEXT NOT NULL,
        updated REAL NOT NULL
    );
    """,
    """
    CREATE TABLE quiz_answers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        user_hash TEXT NOT NULL,
        question_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        correct INTEGER NOT NULL
    );
    CREATE INDEX quiz_user ON quiz_answers(user_hash, id);
    """,
)


class SqliteStore(EventWrites):
    def __init__(self, path: Path, salt: str, *, log_questions: bool = False, writable: bool = True) -> None:
        self.path = Path(path)
        self._salt = salt.encode()
        self.log_questions = log_questions
        self.writable = writable  # False: the start-up check found the file read-only or unusable
        self._local = threading.local()
        self._migrate_lock = threading.Lock()
        self._ready = False

    @classmethod
    def in_data_dir(cls, data_dir: Path, salt: str, *, log_questions: bool = False) -> SqliteStore:
        return cls(Path(data_dir) / DB_FILE, salt, log_questions=log_questions)

    @classmethod
    def open_checked(cls, data_dir: Path, salt: str, *, log_questions: bool = False) -> SqliteStore:
        """The bot's store: the file is checked first (see `bot.core.db_health`), the result said in one line."""
        path = Path(data_dir) / DB_FILE
        health = check_database(path)
        (log.info if health.status in ("ok", "new") else log.warning)("%s", health.message)
        return cls(path, salt, log_questions=log_questions, writable=health.writable)

    def user_hash(self, user_id: int) -> str:
        """A salted hash: stable per user for grouping, useless to recover the id without the salt."""
        return hmac.new(self._salt, str(user_id).encode(), hashlib.sha256).hexdigest()[:24]

    # -- connection and schema -----------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=2.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=2000")
            self._local.conn = conn
        if not self._ready:
            with self._migrate_lock:
                if not self._ready:
                    self.migrate(conn)
                    self._ready = True
        return conn

    @staticmethod
    def migrate(conn: sqlite3.Connection) -> int:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for step in range(version, len(MIGRATIONS)):
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in filter(str.strip, MIGRATIONS[step].split(";")):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {step + 1}")
                conn.execute("COMMIT")
            except Exception:
                conn.execute("ROLLBACK")
                raise
            log.info("feedback database migrated to schema version %d", step + 1)
        return len(MIGRATIONS)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _write(self, sql: str, params: tuple, patience: float = WRITE_PATIENCE) -> bool:
        """One write, retried while another process holds the lock (up to ``patience`` seconds).

        True only when the row is stored: callers tell the user "thank you" on True alone.  Callers run it
        off the answering path (bot.telegram.offload), so waiting out a lock never delays an answer.
        """
        if not self.writable:
            return False
        deadline = time.monotonic() + patience
        delay = 0.05
        attempt = 0
        while True:
            attempt += 1
            try:
                self._conn().execute(sql, params)
                return True
            except sqlite3.OperationalError as exc:
                locked = "locked" in str(exc) or "busy" in str(exc)
                if not locked or time.monotonic() + delay > deadline:
                    log.error("feedback write dropped after %d attempt(s): %s", attempt, exc)
                    return False
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
            except sqlite3.Error as exc:
                log.error("feedback write dropped: %s", exc)
                return False

    # -- writes ----------------------------------------------------------------------------------------
    def record_vote(self, user_hash: str, lang: str, passage_id: str, up: bool) -> bool:
        # The user waits for the answer to the vote: a short patience, then an honest "not saved".
        return self.record(Event("vote", user_hash, lang, (passage_id,), vote=1 if up else -1),
                           patience=INTERACTIVE_PATIENCE)

    def record(self, event: Event, patience: float = WRITE_PATIENCE) -> bool:
        now = time.time()
        return self._write(
            "INSERT INTO events (ts, day, user_hash, lang, kind, question, passages, confidence, vote)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (now, time.strftime("%Y-%m-%d", time.gmtime(now)), event.user_hash, event.lang, event.kind,
             event.question if self.log_questions else None, json.dumps(list(event.passages)),
             event.confidence, event.vote),
            patience,
        )

    def set_language(self, user_hash: str, lang: str) -> bool:
        return self._write(
            "INSERT INTO users (user_hash, lang, updated) VALUES (?, ?, ?)"
            " ON CONFLICT(user_hash) DO UPDATE SET lang = excluded.lang, updated = excluded.updated",
            (user_hash, lang, time.time()), INTERACTIVE_PATIENCE,
        )

    def record_quiz(self, user_hash: str, question_id: str, topic: str, correct: bool) -> bool:
        return self._write(
            "INSERT INTO quiz_answers (ts, user_hash, question_id, topic, correct) VALUES (?, ?, ?, ?, ?)",
            (time.time(), user_hash, question_id, topic, int(correct)), INTERACTIVE_PATIENCE,
        )

    # -- reads -----------------------------------------------------------------------------------------
    def language(self, user_hash: str) -> str | None:
        try:
            row = self._conn().execute("SELECT lang FROM users WHERE user_hash = ?", (user_hash,)).fetchone()
        except sqlite3.Error as exc:
            log.warning("language lookup failed: %s", exc)
            return None
        return row[0] if row else None

    def recent_quiz(self, user_hash: str, n: int) -> list[QuizAnswer]:
        rows = self.query("SELECT question_id, topic, correct FROM quiz_answers WHERE user_hash = ?"
                          " ORDER BY id DESC LIMIT ?", (user_hash, n))
        return [QuizAnswer(q, topic, bool(correct)) for q, topic, correct in rows]

    def popular_passages(self, limit: int) -> list[str]:
        rows = self.query("SELECT json_extract(passages, '$[0]') AS pid, COUNT(*) FROM events"
                          " WHERE kind = 'answer' GROUP BY pid ORDER BY COUNT(*) DESC LIMIT ?", (limit,))
        return [pid for pid, _count in rows if pid]

    def days(self, since: str = ALL_TIME) -> list[DayCounts]:
        rows = self.query("SELECT day, SUM(kind = 'answer'), SUM(kind = 'abstain'), SUM(kind = 'vote' AND vote > 0),"
                          " SUM(kind = 'vote' AND vote < 0) FROM events WHERE day >= ? GROUP BY day ORDER BY day",
                          (since,))
        return [DayCounts(d, int(a or 0), int(b or 0), int(u or 0), int(dn or 0)) for d, a, b, u, dn in rows]

    def unanswered_questions(self, since: str = ALL_TIME) -> list[str]:
        return [r[0] for r in self.query("SELECT question FROM events WHERE kind = 'abstain' AND day >= ?"
                                         " AND question IS NOT NULL ORDER BY id", (since,))]

    def unanswered_without_text(self, since: str = ALL_TIME) -> int:
        rows = self.query("SELECT COUNT(*) FROM events WHERE kind = 'abstain' AND day >= ? AND question IS NULL",
                          (since,))
        return int(rows[0][0]) if rows else 0

    def voted_down(self, since: str = ALL_TIME) -> dict[str, int]:
        down: dict[str, int] = {}
        for (passages,) in self.query("SELECT passages FROM events WHERE kind = 'vote' AND vote < 0 AND day >= ?",
                                      (since,)):
            for pid in json.loads(passages)[:1]:
                down[pid] = down.get(pid, 0) + 1
        return down

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Raw SQL for this store's own reads and for tests inspecting the file; not part of `FeedbackStore`.

        A database that cannot be read (damaged while running, unusable from the start) reads as empty, logged:
        /stats, /quiz and the inline list then work from what they have instead of apologising.
        """
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            log.error("feedback read failed: %s", exc)
            return []
