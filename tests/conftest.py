"""Shared fixtures: the real corpus, and (for slow tests) the real converted model and index."""

from __future__ import annotations

from pathlib import Path

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
def _cached_engine(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory):
    """The real embedded model and index, made once per machine and reused while valid (tests/engine_cache.py)."""
    from tests.engine_cache import open_cached_engine

    data = tmp_path_factory.mktemp("data")
    return open_cached_engine(corpus, data), data


@pytest.fixture(scope="session")
def data_dir(_cached_engine) -> Path:
    """One data directory per test session, holding the converted model, its ONNX export and the index."""
    return _cached_engine[1]


@pytest.fixture(scope="session")
def engine(_cached_engine):
    return _cached_engine[0]


@pytest.fixture(scope="session")
def assistant(engine):
    """The application core over the real engine, with the study material (the paragraphs' headings)."""
    from bot.core.assistant import Assistant
    from knowledge.topics import load_quiz, load_topics

    core = Assistant(engine, load_topics(), load_quiz())
    yield core
    core.shutdown()
