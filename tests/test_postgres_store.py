"""The PostgreSQL feedback store against a real PostgreSQL server (tests/servers.py starts one).

It must answer every named read exactly as the SQLite store does after the same writes, move its schema
forward once even when replicas start together, and `migrate-feedback` must copy a SQLite file without
losing a row.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from bot.core.migrate_feedback import MigrationError, migrate_feedback
from bot.core.postgres_store import MIGRATIONS, PostgresStore, StoreUnavailable
from bot.core.sqlite_store import SqliteStore

SALT = "test-salt-0123456789abcdef"


def feed(store, users: int = 7) -> None:
    """The same mixed history for any store: answers, refusals, votes, languages, quiz answers."""
    for u in range(users):
        h = store.user_hash(1000 + u)
        lang = "ru" if u % 3 == 0 else "kk"
        store.set_language(h, lang)
        for q in range(u + 1):
            passages = (f"2016-{q % 4}:1", f"2017-{u % 2}:{q}")
            store.record_answer(h, lang, passages, 0.5 + q / 100, f"сұрақ {u}/{q}")
        store.record_refusal(h, lang, (f"2016-{u}:9",), 0.1, f"белгісіз {u}")
        store.record_vote(h, lang, f"2016-{u % 4}:1", up=u % 2 == 0)
        store.record_vote(h, lang, "2016-0:1", up=False)
        for n in range(u % 3 + 1):
            store.record_quiz(h, f"q{n:02d}", f"t{u % 2}", correct=(u + n) % 2 == 0)
    store.set_language(store.user_hash(1000), "kk")  # a changed choice replaces the old one


def reads(store, users: int = 7) -> dict:
    hashes = [store.user_hash(1000 + u) for u in range(users)] + ["nobody"]
    return {
        "languages": [store.language(h) for h in hashes],
        "quiz": [store.recent_quiz(h, 2) for h in hashes],
        "popular": store.popular_passages(5),
        "days": store.days(),
        "days_future": store.days("2999-01-01"),
        "unanswered": store.unanswered_questions(),
        "unanswered_without_text": store.unanswered_without_text(),
        "voted_down": store.voted_down(),
    }


@pytest.fixture
def pg(database_url: str):
    store = PostgresStore(database_url, SALT, log_questions=True)
    yield store
    store.close()


def test_postgres_answers_every_read_as_sqlite_does(pg: PostgresStore, tmp_path: Path) -> None:
    lite = SqliteStore(tmp_path / "f.sqlite3", SALT, log_questions=True)
    feed(lite)
    feed(pg)
    expected = reads(lite)
    assert reads(pg) == expected
    # and the content is what was written, not merely equal emptiness
    assert expected["popular"][0] == "2016-0:1"
    # every user's extra down vote; odd users' own votes go down on 2016-1 (u = 1, 5) and 2016-3 (u = 3)
    assert expected["voted_down"] == {"2016-0:1": 7, "2016-1:1": 2, "2016-3:1": 1}
    assert expected["languages"][:4] == ["kk", "kk", "kk", "ru"]
    assert sum(d.answered for d in expected["days"]) == sum(range(1, 8))
    assert expected["unanswered"] == [f"белгісіз {u}" for u in range(7)]
    assert expected["days_future"] == []
    lite.close()


def test_question_text_is_kept_only_when_logging_is_on(database_url: str) -> None:
    store = PostgresStore(database_url, SALT, log_questions=False)
    try:
        store.record_refusal(store.user_hash(1), "kk", (), 0.0, "құпия мәтін")
        assert store.unanswered_questions() == []
        assert store.unanswered_without_text() == 1
    finally:
        store.close()


def test_replicas_starting_together_migrate_the_schema_once(database_url: str) -> None:
    stores: list[PostgresStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            stores.append(PostgresStore(database_url, SALT))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    versions = stores[0]._fetch("SELECT version FROM schema_version ORDER BY version")
    assert [r["version"] for r in versions] == list(range(1, len(MIGRATIONS) + 1))
    for s in stores:
        assert s.set_language(s.user_hash(5), "ru")
    assert stores[-1].language(stores[0].user_hash(5)) == "ru"
    for s in stores:
        s.close()


def test_unreachable_database_is_one_line_without_the_password(postgres_server) -> None:
    url = f"postgresql://cassbot:hunter2secret@127.0.0.1:{postgres_server.port}/no_such_db"
    with pytest.raises(StoreUnavailable) as info:
        PostgresStore(url, SALT)
    message = str(info.value)
    assert "hunter2secret" not in message and "\n" not in message
    assert f"127.0.0.1:{postgres_server.port}/no_such_db" in message


def test_migrate_feedback_copies_every_row(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    lite = SqliteStore(path, SALT, log_questions=True)
    feed(lite, users=40)
    expected = reads(lite, users=40)
    source_events = lite.query("SELECT COUNT(*) FROM events")[0][0]
    lite.close()
    store = PostgresStore(database_url, SALT, log_questions=True)
    try:
        copied = migrate_feedback(path, store)
        assert copied.source == copied.target
        assert copied.target["events"] == source_events == sum(range(1, 41)) + 40 * 3
        assert copied.target["users"] == 40
        assert copied.target["quiz_answers"] == sum(u % 3 + 1 for u in range(40))
        assert reads(store, users=40) == expected
        # a second run would double every row: refused, and nothing changes
        with pytest.raises(MigrationError, match="not empty"):
            migrate_feedback(path, store)
        assert store.counts() == copied.target
    finally:
        store.close()
    with sqlite3.connect(path) as conn:  # the source is left as it was
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == source_events


def test_migrate_feedback_refuses_what_is_not_a_feedback_file(pg: PostgresStore, tmp_path: Path) -> None:
    with pytest.raises(MigrationError, match="no such"):
        migrate_feedback(tmp_path / "missing.sqlite3", pg)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(MigrationError, match=r"junk\.sqlite3"):
        migrate_feedback(junk, pg)
    assert pg.counts() == {"events": 0, "users": 0, "quiz_answers": 0}


def test_cli_migrates_then_reports_from_postgres(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from bot import cli

    path = tmp_path / "feedback.sqlite3"
    lite = SqliteStore(path, SALT, log_questions=True)
    feed(lite, users=12)
    events = lite.query("SELECT COUNT(*) FROM events")[0][0]
    lite.close()
    monkeypatch.setenv("USER_HASH_SALT", SALT)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "empty"))  # the report must not read a SQLite file
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert cli.main(["migrate-feedback", str(path)]) == 2
    assert "DATABASE_URL is not set" in capsys.readouterr().err
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert cli.main(["migrate-feedback", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"events {events}, users 12" in out and "counts checked" in out
    assert cli.main(["report", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["answered"] == sum(range(1, 13))
    assert {g["example"] for g in report["unanswered"]} <= {f"белгісіз {u}" for u in range(12)}


def test_a_redelivered_update_stores_its_vote_once(pg: PostgresStore) -> None:
    from bot.core.feedback import DELIVERY

    h = pg.user_hash(1)
    token = DELIVERY.set(4242)
    try:
        assert pg.record_vote(h, "kk", "2016-1:1", up=True)
        assert pg.record_vote(h, "kk", "2016-1:1", up=True)  # the same update handled again elsewhere
        assert pg.record_answer(h, "kk", ("2016-1:1",), 0.9, "q")  # another kind of event of that update
    finally:
        DELIVERY.reset(token)
    assert pg.record_vote(h, "kk", "2016-1:1", up=True)  # no delivery known: every write counts
    assert pg.record_vote(h, "kk", "2016-1:1", up=True)
    assert [(d.up, d.answered) for d in pg.days()] == [(3, 1)]
