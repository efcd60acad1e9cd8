"""A curated topic tree and a self-check quiz that point at passages by id — they never carry legal text.

The bot teaches by quoting: a topic is a reading list of paragraphs, a quiz question is answered by pressing the
paragraph that says it.  Titles, headings and questions are human-written navigation in Kazakh (with Russian
labels) kept in ``topics.toml`` and ``quiz.toml`` so that a legal editor can change them without code.  Because
they only refer to passages, a renumbered or deleted paragraph would silently break navigation; ``validate`` turns
every such slip (unknown or deleted id, duplicate id, a question outside its topic, a topic too small to offer
answer buttons, a missing field) into one ``KnowledgeError`` line before the bot starts.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Protocol

from knowledge.errors import KnowledgeError
from knowledge.records import Passage

TOPICS = Path(__file__).with_name("topics.toml")
QUIZ = Path(__file__).with_name("quiz.toml")
MIN_QUIZ_CHOICES = 3  # the bot offers 3–4 passages of the question's topic as answer buttons


def _in(lang: str, kk: str, ru: str) -> str:
    """Navigation text in the interface language: Russian where chosen, Kazakh for everyone else."""
    return ru if lang == "ru" else kk


@dataclass(frozen=True)
class TopicItem:
    passage_id: str
    heading_kk: str
    heading_ru: str

    def heading(self, lang: str) -> str:
        return _in(lang, self.heading_kk, self.heading_ru)


@dataclass(frozen=True)
class Topic:
    id: str
    title_kk: str
    title_ru: str
    summary_kk: str
    summary_ru: str
    items: tuple[TopicItem, ...]

    def title(self, lang: str) -> str:
        return _in(lang, self.title_kk, self.title_ru)

    def summary(self, lang: str) -> str:
        return _in(lang, self.summary_kk, self.summary_ru)

    @property
    def passage_ids(self) -> tuple[str, ...]:
        """Distinct passage ids in reading order."""
        return tuple(dict.fromkeys(item.passage_id for item in self.items))


@dataclass(frozen=True)
class QuizQuestion:
    id: str
    topic: str
    passage_id: str
    question_kk: str
    question_ru: str

    def text(self, lang: str) -> str:
        return _in(lang, self.question_kk, self.question_ru)


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise KnowledgeError(path, f"cannot read: {e.strerror or e}") from e
    except tomllib.TOMLDecodeError as e:
        raise KnowledgeError(path, f"invalid TOML: {e}") from e


def _tables(data: Mapping[str, Any], key: str, path: Path, where: str) -> list[Mapping[str, Any]]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(t, dict) for t in value):
        raise KnowledgeError(path, f"{where}: no [[{key}]] tables")
    return value


def _text(table: Mapping[str, Any], key: str, path: Path, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeError(path, f"{where}: missing field '{key}'")
    return value.strip()


def load_topics(path: Path = TOPICS) -> list[Topic]:
    """The topic tree as written; ``validate`` checks it against the corpus."""
    topics: list[Topic] = []
    for i, t in enumerate(_tables(_read(path), "topic", path, "file"), 1):
        where = f"topic {t.get('id') or f'#{i}'}"
        items = tuple(
            TopicItem(
                passage_id=_text(item, "passage", path, f"{where} item {j}"),
                heading_kk=_text(item, "heading_kk", path, f"{where} item {j}"),
                heading_ru=_text(item, "heading_ru", path, f"{where} item {j}"),
            )
            for j, item in enumerate(_tables(t, "item", path, where), 1)
        )
        topics.append(
            Topic(
                id=_text(t, "id", path, where),
                title_kk=_text(t, "title_kk", path, where),
                title_ru=_text(t, "title_ru", path, where),
                summary_kk=_text(t, "summary_kk", path, where),
                summary_ru=_text(t, "summary_ru", path, where),
                items=items,
            )
        )
    return topics


def load_quiz(path: Path = QUIZ) -> list[QuizQuestion]:
    """The quiz as written; ``validate`` checks it against the topics and the corpus."""
    quiz: list[QuizQuestion] = []
    for i, q in enumerate(_tables(_read(path), "question", path, "file"), 1):
        where = f"question {q.get('id') or f'#{i}'}"
        quiz.append(
            QuizQuestion(
                id=_text(q, "id", path, where),
                topic=_text(q, "topic", path, where),
                passage_id=_text(q, "passage", path, where),
                question_kk=_text(q, "question_kk", path, where),
                question_ru=_text(q, "question_ru", path, where),
            )
        )
    return quiz


def _duplicate(ids: Iterable[str]) -> str | None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            return i
        seen.add(i)
    return None


def _require_fields(record: Topic | TopicItem | QuizQuestion, path: Path, where: str) -> None:
    """For records built in code rather than loaded: every text field must be non-empty."""
    for f in fields(record):
        value = getattr(record, f.name)
        if isinstance(value, str) and not value.strip():
            raise KnowledgeError(path, f"{where}: missing field '{f.name}'")


class PassageLookup(Protocol):
    """All that validation reads of the knowledge base, a passage by id (a `Corpus` is one): the study guide
    is loaded while the corpus is, so it must not depend on the corpus module."""

    def get(self, passage_id: str) -> Passage | None: ...


def _check_passage(corpus: PassageLookup, passage_id: str, path: Path, where: str) -> None:
    passage = corpus.get(passage_id)
    if passage is None:
        raise KnowledgeError(path, f"{where}: unknown passage '{passage_id}'")
    if passage.deleted:
        raise KnowledgeError(path, f"{where}: passage '{passage_id}' is deleted")


def validate(
    topics: list[Topic],
    quiz: list[QuizQuestion],
    corpus: PassageLookup,
    *,
    topics_path: Path = TOPICS,
    quiz_path: Path = QUIZ,
) -> None:
    """Raise ``KnowledgeError`` on the first problem; the paths only name the file in the message."""
    if not topics:
        raise KnowledgeError(topics_path, "no topics")
    if dup := _duplicate(t.id for t in topics):
        raise KnowledgeError(topics_path, f"duplicate topic id '{dup}'")
    for topic in topics:
        where = f"topic {topic.id}"
        _require_fields(topic, topics_path, where)
        if not topic.items:
            raise KnowledgeError(topics_path, f"{where}: no items")
        if dup := _duplicate(item.passage_id for item in topic.items):
            raise KnowledgeError(topics_path, f"{where}: passage '{dup}' listed twice")
        for item in topic.items:
            _require_fields(item, topics_path, f"{where} item {item.passage_id or '?'}")
            _check_passage(corpus, item.passage_id, topics_path, where)

    by_id = {t.id: t for t in topics}
    if dup := _duplicate(q.id for q in quiz):
        raise KnowledgeError(quiz_path, f"duplicate question id '{dup}'")
    for q in quiz:
        where = f"question {q.id}"
        _require_fields(q, quiz_path, where)
        topic = by_id.get(q.topic)
        if topic is None:
            raise KnowledgeError(quiz_path, f"{where}: unknown topic '{q.topic}'")
        _check_passage(corpus, q.passage_id, quiz_path, where)
        if q.passage_id not in topic.passage_ids:
            raise KnowledgeError(quiz_path, f"{where}: passage '{q.passage_id}' is not in topic '{q.topic}'")
        if len(topic.passage_ids) < MIN_QUIZ_CHOICES:
            raise KnowledgeError(
                quiz_path,
                f"{where}: topic '{q.topic}' has {len(topic.passage_ids)} passages, "
                f"a quiz needs at least {MIN_QUIZ_CHOICES}",
            )
