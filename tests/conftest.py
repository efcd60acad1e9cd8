"""Shared fixtures: the real corpus, and (for slow tests) the real converted model and index."""

from __future__ import annotations

import pytest

from knowledge import Corpus, load_corpus
from tests.servers import (  # noqa: F401  (fixtures: real redis-server and PostgreSQL)
    SERVER_FIXTURES,
    database_url,
    postgres_server,
    redis_server,
    redis_url,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses a real server is marked `servers` (deselect with -m "not servers")."""
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.servers)


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
