"""Blocking work (feedback store calls) off the event loop, so a slow disk never stalls other users."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


async def offload(fn: Callable[..., T], *args: Any) -> T:
    # The caller's context goes along (feedback.DELIVERY: which update a write belongs to).
    return await asyncio.get_running_loop().run_in_executor(None, contextvars.copy_context().run, fn, *args)


# Feedback writes get their own thread: a write waiting out another process's lock never holds up the
# default executor (language lookups, reads) or retrieval, and a question's answer never waits for it.
_WRITER = ThreadPoolExecutor(1, "feedback-writes")
MAX_PENDING_WRITES = 1000
_pending: set[asyncio.Future[Any]] = set()


def remember(fn: Callable[..., bool], *args: Any) -> None:
    """Queue a feedback write that must never cost the user an answer or time; failures are logged.

    Bounded: with `MAX_PENDING_WRITES` already waiting (a database locked for long), the write is dropped
    with a log line rather than piling up memory.
    """
    if len(_pending) >= MAX_PENDING_WRITES:
        log.error("feedback write dropped: %d writes already waiting", len(_pending))
        return
    future = asyncio.get_running_loop().run_in_executor(_WRITER, contextvars.copy_context().run, fn, *args)
    _pending.add(future)
    future.add_done_callback(_finished)


def _finished(future: asyncio.Future[Any]) -> None:
    _pending.discard(future)
    if not future.cancelled() and future.exception() is not None:
        log.error("could not record feedback: %s", type(future.exception()).__name__)


async def store(fn: Callable[..., bool], *args: Any) -> bool:
    """A feedback write whose outcome the user is told (a vote): True only if the row was stored."""
    try:
        return bool(await offload(fn, *args))
    except Exception as exc:
        log.error("could not record feedback: %s", type(exc).__name__)
        return False


async def drain(timeout: float = 5.0) -> None:
    """Wait (bounded) for queued feedback writes, e.g. before shutting down or in tests."""
    if _pending:
        await asyncio.wait(set(_pending), timeout=timeout)
