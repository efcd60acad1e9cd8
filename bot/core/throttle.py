"""Per-user rate limiting that is fair and visible, over a pluggable limiter.

The limiter is GCRA (a token bucket kept as one timestamp per user, the "theoretical arrival time"), so any
shared store with an atomic read-modify-write (Redis, PostgreSQL) can hold it for several replicas: it only
has to implement `Limiter.reserve`.  The policy on top:

- up to `burst` messages at once go straight through;
- the next `backlog` messages of a user wait their turn (answered a few seconds later, in order), so a
  person who types six short questions quickly loses none of them;
- beyond that, a message is refused, and the user is told so once per flood (not once per message);
- a button press waits its turn like a message, and is never left spinning: refused, it is still answered.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal, Protocol


class Limiter(Protocol):
    def reserve(self, key: str, now: float | None = None) -> float | None:
        """Seconds until this event's turn (0 = now), or None when the turn is beyond the backlog (not reserved)."""
        ...


class MemoryLimiter:
    """GCRA in this process's memory, for a single replica; least recently seen users are forgotten first."""

    def __init__(self, burst: int, per_seconds: float, backlog: int = 3, max_keys: int = 10_000) -> None:
        self.interval = per_seconds / burst
        self.tolerance = self.interval * (burst - 1)
        self.max_wait = self.interval * backlog
        self.max_keys = max_keys
        self._tat: OrderedDict[str, float] = OrderedDict()

    def reserve(self, key: str, now: float | None = None) -> float | None:
        now = time.monotonic() if now is None else now
        tat = max(self._tat.pop(key, now), now)
        wait = max(0.0, tat - self.tolerance - now)
        if wait > self.max_wait + 1e-9:
            self._tat[key] = tat
            return None
        self._tat[key] = tat + self.interval
        while len(self._tat) > self.max_keys:
            self._tat.popitem(last=False)
        return wait


@dataclass(frozen=True)
class Decision:
    action: Literal["go", "wait", "refuse"]
    delay: float = 0.0
    tell: bool = False  # refuse: say "slow down" (first refusal of this flood)


class ThrottlePolicy:
    """Turns the limiter's answer into what the bot does; remembers whom it already told (per flood)."""

    def __init__(self, limiter: Limiter, max_told: int = 10_000) -> None:
        self.limiter = limiter
        self._told: OrderedDict[str, None] = OrderedDict()
        self.max_told = max_told

    def decide(self, key: str, now: float | None = None) -> Decision:
        wait = self.limiter.reserve(key, now)
        if wait == 0.0:
            self._told.pop(key, None)  # the flood is over: a next one is told again
            return Decision("go")
        if wait is not None:
            return Decision("wait", delay=wait)
        tell = key not in self._told
        if tell:
            self._told[key] = None
            while len(self._told) > self.max_told:
                self._told.popitem(last=False)
        return Decision("refuse", tell=tell)
