"""Per-client limit on searches: each search costs an embedding, so one client cannot starve the others.

A sliding window of recent search times per client key, in memory only (nothing is written anywhere); the table is
pruned so a flood of distinct addresses cannot grow it without bound.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MAX_CLIENTS = 10_000


class RateLimiter:
    def __init__(self, burst: int, per_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst, self.per_seconds, self.clock = burst, per_seconds, clock
        self._seen: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = self.clock()
        window = self._seen.get(key)
        if window is None:
            if len(self._seen) >= MAX_CLIENTS:
                self._prune(now)
            window = self._seen[key] = deque()
        while window and now - window[0] >= self.per_seconds:
            window.popleft()
        if len(window) >= self.burst:
            return False
        window.append(now)
        return True

    def _prune(self, now: float) -> None:
        stale = [k for k, w in self._seen.items() if not w or now - w[-1] >= self.per_seconds]
        for k in stale:
            del self._seen[k]
        if len(self._seen) >= MAX_CLIENTS:  # all recent: forget the oldest half rather than grow
            for k in sorted(self._seen, key=lambda k: self._seen[k][-1])[: MAX_CLIENTS // 2]:
                del self._seen[k]
