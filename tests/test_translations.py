"""The Russian renderings: a search aid that reaches the index and the ranker, never a quote; broken files fail."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings.engine import Engine
from knowledge import Corpus, KnowledgeError
from knowledge.corpus import TRANSLATIONS_FILE, load_translations

SHIPPED = Path(__file__).resolve().parents[1] / "knowledge" / TRANSLATIONS_FILE


def test_every_kazakh_passage_has_a_russian_rendering(corpus: Corpus) -> None:
    live = [p for p in corpus.passages if not p.deleted and p.language == "kk"]
    assert len(live) > 90 and [p.id for p in live if not corpus.translations.get(p.id)] == []
    # a passage in Russian already is its own rendering
    assert not any(corpus.get(pid).language == "ru" for pid in corpus.translations)
    # Split into sentences like the passages, so one Russian sentence can meet a question on its own.
    seven = corpus.translations["2025-cassation:7"]
    assert len(seven) > 3 and all(s.strip() == s and s for s in seven)
    assert any("кассационн" in s.lower() for s in seven)


def test_a_rendering_is_never_part_of_a_quote(corpus: Corpus) -> None:
    for pid, sentences in corpus.translations.items():
        passage = corpus.get(pid)
        assert passage is not None and not any(s in passage.text for s in sentences if len(s) > 40), pid


@pytest.mark.parametrize(("text", "problem"), [
    ("[[translation]]\npassage = 'nope:1'\nru = 'Текст.'\n", "unknown passage 'nope:1'"),
    ("[[translation]]\npassage = '2025-cassation:7'\nru = '  '\n", "no Russian text"),
    ("[[translation]]\npassage = '2025-cassation:7'\nru = 'А.'\n[[translation]]\npassage = '2025-cassation:7'\n"
     "ru = 'Б.'\n", "a second translation of 2025-cassation:7"),
    ("[[translation]\n", "not valid TOML"),
])
def test_a_broken_file_names_itself_and_the_problem(corpus: Corpus, tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / TRANSLATIONS_FILE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError, match=problem) as info:
        load_translations(path, corpus)
    assert TRANSLATIONS_FILE in str(info.value)


def test_no_file_means_no_renderings(corpus: Corpus, tmp_path: Path) -> None:
    assert load_translations(tmp_path / TRANSLATIONS_FILE, corpus) == {}
    assert SHIPPED.is_file()


@pytest.mark.slow
@pytest.mark.parametrize(("question", "answer"), [
    ("В течение какого срока кассационный суд рассматривает жалобу?", "2025-cassation:11"),  # six months
    ("Кому судья обязан давать объяснения по делу?", "1998-1:3"),  # to no one
])
def test_a_russian_question_meets_the_russian_rendering(engine: Engine, question: str, answer: str) -> None:
    ranker = engine.retriever
    f = ranker.features(question)
    assert ranker.passages[int(np.argmax(f.channels["bm25_ru"]))].id == answer
    # without its document's aids the channels stand in with the passage's own scores: never a condition
    doc = answer.split(":")[0]
    bare = engine.without_hints(frozenset({doc}))
    g = bare.features(question)
    rows = [i for i, p in enumerate(bare.passages) if p.doc_id == doc]
    assert not bare.translated[rows].any() and ranker.translated[rows].all()
    np.testing.assert_array_equal(g.channels["bm25_ru"][rows], g.channels["bm25_sentence"][rows])
    np.testing.assert_array_equal(g.channels["dense_ru"][rows], g.channels["dense"][rows])
