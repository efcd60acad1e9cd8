"""Shared fixtures: the real corpus, and (for slow tests) the real converted model and index."""

from __future__ import annotations

import pytest

from knowledge import Corpus, load_corpus


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return load_corpus()
