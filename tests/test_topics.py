"""The curated topic tree and quiz: every id resolves, the 2025 resolution is covered, broken files fail loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import Corpus, KnowledgeError
from knowledge.topics import QuizQuestion, Topic, load_quiz, load_topics, validate


@pytest.fixture(scope="module")
def topics() -> list[Topic]:
    return load_topics()


@pytest.fixture(scope="module")
def quiz() -> list[QuizQuestion]:
    return load_quiz()


def test_real_files_validate(topics: list[Topic], quiz: list[QuizQuestion], corpus: Corpus) -> None:
    validate(topics, quiz, corpus)


def test_every_passage_in_the_tree_exists(topics: list[Topic], corpus: Corpus) -> None:
    missing = [(t.id, i.passage_id) for t in topics for i in t.items if corpus.get(i.passage_id) is None]
    assert not missing
    deleted = [i.passage_id for t in topics for i in t.items if corpus.get(i.passage_id).deleted]
    assert not deleted


def test_every_2025_paragraph_is_in_some_topic(topics: list[Topic], corpus: Corpus) -> None:
    covered = {i.passage_id for t in topics for i in t.items}
    paragraphs = [p.id for p in corpus.of("2025-cassation")]
    assert len(paragraphs) == 19  # preamble and 1–18
    assert [pid for pid in paragraphs if pid not in covered] == []


def test_topic_count_and_ids(topics: list[Topic]) -> None:
    assert 8 <= len(topics) <= 15
    ids = [t.id for t in topics]
    assert len(set(ids)) == len(ids)
    assert all(t.id.isascii() and len(t.id) <= 16 for t in topics)


def test_quiz_size_and_spread(topics: list[Topic], quiz: list[QuizQuestion]) -> None:
    assert len(quiz) >= 40
    assert len({q.id for q in quiz}) == len(quiz)
    per_topic = {t.id: sum(q.topic == t.id for q in quiz) for t in topics}
    assert all(n >= 2 for n in per_topic.values()), per_topic


def test_each_question_passage_is_in_its_topic(topics: list[Topic], quiz: list[QuizQuestion]) -> None:
    by_id = {t.id: t for t in topics}
    for q in quiz:
        assert q.topic in by_id, q.id
        assert q.passage_id in by_id[q.topic].passage_ids, q.id
        assert len(by_id[q.topic].passage_ids) >= 3, q.topic


TOPIC_TOML = """
[[topic]]
id = "t"
title_kk = "Тақырып"
title_ru = "Тема"
summary_kk = "Қысқаша"
summary_ru = "Кратко"
{items}
"""

ITEM = """
  [[topic.item]]
  passage = "{pid}"
  heading_kk = "Тақырыпша"
  heading_ru = "Подзаголовок"
"""

QUIZ_TOML = """
[[question]]
id = "q1"
topic = "{topic}"
passage = "{pid}"
question_kk = "Сұрақ?"
question_ru = "Вопрос?"
"""


def _write_topics(tmp_path: Path, pids: list[str]) -> Path:
    path = tmp_path / "topics.toml"
    path.write_text(TOPIC_TOML.format(items="".join(ITEM.format(pid=p) for p in pids)), encoding="utf-8")
    return path


def _write_quiz(tmp_path: Path, topic: str, pid: str) -> Path:
    path = tmp_path / "quiz.toml"
    path.write_text(QUIZ_TOML.format(topic=topic, pid=pid), encoding="utf-8")
    return path


GOOD = ["2025-cassation:1", "2025-cassation:2", "2025-cassation:3"]


def test_temp_files_validate(tmp_path: Path, corpus: Corpus) -> None:
    tp, qp = _write_topics(tmp_path, GOOD), _write_quiz(tmp_path, "t", GOOD[0])
    validate(load_topics(tp), load_quiz(qp), corpus, topics_path=tp, quiz_path=qp)


@pytest.mark.parametrize(
    ("pids", "topic", "answer", "problem"),
    [
        ([*GOOD, "2025-cassation:99"], "t", GOOD[0], "unknown passage '2025-cassation:99'"),
        ([*GOOD, "1998-1:2"], "t", GOOD[0], "is deleted"),
        ([*GOOD, GOOD[0]], "t", GOOD[0], "listed twice"),
        (GOOD, "nope", GOOD[0], "unknown topic 'nope'"),
        (GOOD, "t", "2025-cassation:4", "not in topic"),
        (GOOD[:2], "t", GOOD[0], "at least 3"),
    ],
)
def test_validate_rejects(
    tmp_path: Path, corpus: Corpus, pids: list[str], topic: str, answer: str, problem: str
) -> None:
    tp, qp = _write_topics(tmp_path, pids), _write_quiz(tmp_path, topic, answer)
    with pytest.raises(KnowledgeError, match=problem) as info:
        validate(load_topics(tp), load_quiz(qp), corpus, topics_path=tp, quiz_path=qp)
    assert info.value.path in (tp, qp)


def test_duplicate_ids_are_rejected(topics: list[Topic], quiz: list[QuizQuestion], corpus: Corpus) -> None:
    with pytest.raises(KnowledgeError, match="duplicate topic id"):
        validate([*topics, topics[0]], quiz, corpus)
    with pytest.raises(KnowledgeError, match="duplicate question id"):
        validate(topics, [*quiz, quiz[0]], corpus)


def test_missing_field_is_rejected(tmp_path: Path) -> None:
    path = _write_topics(tmp_path, GOOD)
    path.write_text(path.read_text(encoding="utf-8").replace('title_ru = "Тема"\n', ""), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="missing field 'title_ru'"):
        load_topics(path)
    bad = tmp_path / "broken.toml"
    bad.write_text("[[topic]\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="invalid TOML"):
        load_topics(bad)


def test_topic_guide_in_the_command_line(topics: list[Topic], corpus: Corpus, capsys: pytest.CaptureFixture,
                                         monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`cassbot topics` → a topic's reading list → each paragraph quoted with its citation, then the next."""
    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # no stray .env
    assert main(["topics"]) == 0
    listing = capsys.readouterr().out
    assert all(t.id in listing and t.title_kk in listing for t in topics)

    topic = next(t for t in topics if t.id == "content")
    assert main(["topics", "content"]) == 0
    reading = capsys.readouterr().out
    assert [line.split("[")[-1].rstrip("]") for line in reading.splitlines() if line.endswith("]")] == [
        item.passage_id for item in topic.items]

    last = len(topic.items)
    for n in range(1, last + 1):
        assert main(["topics", "content", str(n)]) == 0
        out = capsys.readouterr().out
        passage = corpus.get(topic.items[n - 1].passage_id)
        assert passage.citation in out and passage.sentences[0] in out
        assert (f"cassbot topics content {n + 1}" in out) == (n < last)
    assert "Тақырыптың соңы" in out

    assert main(["topics", "content", str(last + 1)]) == 2
    assert main(["topics", "no-such-topic"]) == 2
    assert "no-such-topic" in capsys.readouterr().err
    assert main(["topics", "powers", "1", "--lang", "ru"]) == 0
    assert "Полномочия кассационного суда" in capsys.readouterr().out


def test_every_paragraph_has_a_navigation_heading(corpus) -> None:
    """Curated for every passage of today's knowledge base; a new, uncurated document falls back to its words."""
    from knowledge.headings import fallback_heading, load_headings
    from knowledge.records import Passage

    topics = load_topics()
    headings = load_headings(corpus.passages, topics)
    for p in corpus.passages:
        h = headings[p.id]
        assert h.kk.strip() and h.ru.strip(), p.id
        assert p.deleted or h != fallback_heading(p), f"{p.id} has no curated heading"  # deleted: "Алып тасталды…"
    new = Passage(id="new:1", doc_id="new", number="1", citation="c",
                  text="Жаңа құжаттың бірінші тармағы сот актілерін қайта қарау тәртібін түсіндіреді және басқалар.")
    fallback = load_headings([new], [], Path("/nonexistent/headings.toml"))["new:1"]
    assert fallback.text("kk") == "Жаңа құжаттың бірінші тармағы сот актілерін қайта қарау…"


def test_the_study_guide_labels_each_curated_paragraph_for_search(corpus) -> None:
    """`corpus.guide`: every heading and the title of every topic that lists a passage, Kazakh and Russian — and
    nothing for a passage no one curated (a new document is found by its own text)."""
    from knowledge.headings import HEADINGS, load_guide
    from knowledge.records import Passage

    topics = load_topics()
    for topic in topics:
        for item in topic.items:
            labels = corpus.guide[item.passage_id]
            assert {item.heading_kk, item.heading_ru, topic.title_kk, topic.title_ru} <= set(labels)
            assert len(labels) == len(set(labels))
    assert {p.id for p in corpus.passages if not p.deleted} <= set(corpus.guide)
    new = Passage(id="new:1", doc_id="new", number="1", citation="c", text="Жаңа құжаттың бірінші тармағы.")
    guide = load_guide([*corpus.passages, new], topics, HEADINGS)
    assert "new:1" not in guide and guide == corpus.guide
