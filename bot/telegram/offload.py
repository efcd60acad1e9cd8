"""Blocking work (feedback store calls) off the event loop, so a slow disk never stalls other users."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


async def offload(fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


async def remember(fn: Callable[..., bool], *args: Any) -> None:
    """A feedback write that must never cost the user an answer: failures are logged, not raised."""
    try:
        await offload(fn, *args)
    except Exception:
        log.exception("could not record feedback (%s)", getattr(fn, "__name__", "write"))
