"""Shared fixtures: the real corpus, and (for slow tests) the real converted model and index."""

from __future__ import annotations

import pytest

from knowledge import Corpus, load_corpus


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return load_corpus()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory):
    """One data directory per test session: the embedded model is converted and indexed once."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def engine(corpus: Corpus, data_dir):
    from embeddings.engine import Engine

    return Engine.open(corpus, "embedded", data_dir)


@pytest.fixture(scope="session")
def assistant(engine):
    """The application core over the real engine, with the study material (the paragraphs' headings)."""
    from bot.core.assistant import Assistant
    from knowledge.topics import load_quiz, load_topics

    core = Assistant(engine, load_topics(), load_quiz())
    yield core
    core.shutdown()
