"""Shared fixtures: the real corpus, and (for slow tests) the real converted model and index."""

from __future__ import annotations

import atexit
import os
import sys
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

# Compiled bytecode is kept between runs (the gitignored __pycache__ folders), as the model is kept in .test-cache:
# where the environment sets PYTHONDONTWRITEBYTECODE, every pytest-xdist worker would rewrite and compile every test
# module again (~2 s of CPU each), and every child interpreter (replicas, bench, `cassbot` runs) the project's modules.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

# A pytest-xdist worker that has reported everything skips the interpreter's own teardown: freeing torch,
# onnxruntime, faiss and aiogram's ~600 models took 2-3 s after the last test, during which the run just waited.
# Registered here, before the test modules import anything, so it runs after every other exit handler.
def _exit_worker_now() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if os.environ.get("PYTEST_XDIST_WORKER"):
    atexit.register(_exit_worker_now)

# The longest tests (each 15-40 s, mostly child processes and waits), started first: pytest-xdist hands out
# work in collection order, so two workers then finish at about the same time instead of one waiting for the
# other's late long test.
RUN_FIRST = ("tests/test_replicas.py::", "tests/test_bench.py::test_bench_command_prints_every_figure",
             "tests/test_delivery.py::test_no_answer_is_lost_or_doubled_under_bot_api_faults",
             "tests/test_retrieval.py::test_calibration_set_figures_stay_above_the_floor",
             "tests/test_hostile.py::test_start_up_failures_are_one_line_without_the_token")


# Files whose tests share an expensive start (torch and the PyTorch model; chromium) run on one xdist worker,
# so that start is paid once, as are the servers (redis-server, PostgreSQL) of the `servers` tests.
XDIST_GROUPS = {"test_convert.py": "pytorch", "test_onnx.py": "pytorch", "test_web_browser.py": "browser"}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the xdist_group marks into node ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses a real server is marked `servers` (deselect with -m "not servers")."""
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.servers)
            item.add_marker(pytest.mark.xdist_group("servers"))
        elif item.path.name in XDIST_GROUPS:
            item.add_marker(pytest.mark.xdist_group(XDIST_GROUPS[item.path.name]))

    def rank(item: pytest.Item) -> int:
        return next((i for i, prefix in enumerate(RUN_FIRST) if item.nodeid.startswith(prefix)), len(RUN_FIRST))

    items.sort(key=rank)  # stable: everything else keeps its order


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (the default, see pyproject.toml): one worker per core and one more, at most 5.

    The extra worker keeps the cores busy while another waits on a Bot API retry, a browser or a child's
    start-up (on 2 cores: 98-115 s against 118-151 s with two workers). Each worker holds the model (~0.5 GB).
    """
    return max(1, min(5, len(os.sched_getaffinity(0)) + 1))


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return load_corpus()


@pytest.fixture(scope="session")
def _cached_engine(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory):
    """The real embedded model and index, made once per machine and reused while valid (tests/engine_cache.py)."""
    from tests.engine_cache import keep_query_vectors, open_cached_engine

    data = tmp_path_factory.mktemp("data")
    engine = open_cached_engine(corpus, data)
    yield engine, data
    keep_query_vectors(engine)


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
