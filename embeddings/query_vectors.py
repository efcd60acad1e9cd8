"""Question vectors, remembered: the model is the costly step of an answer (~30 ms of CPU for a question).

People ask the same things word for word: the suggested questions under /start and /help, the study guide's
buttons, the popular questions of a day. A bounded least-recently-used table keeps their vectors (1,024 of 384
floats: 1.5 MB), so a repeat skips the model; the ranking after it is unchanged. `warm` encodes many questions in
one call (an evaluation's whole file: two thirds of the CPU of one at a time). Batched vectors equal the single
ones to float rounding: over the 552 questions of tests/data, `cassbot eval --json` prints the same output
either way.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np


class QueryVectors:
    """``encode_many`` (list of texts → normalised rows) behind a thread-safe LRU table of ``size`` entries."""

    def __init__(self, encode_many: Callable[[list[str]], np.ndarray], size: int) -> None:
        self._encode_many = encode_many
        self.size = size
        self._table: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, question: str) -> np.ndarray:
        with self._lock:
            vector = self._table.get(question)
            if vector is not None:
                self._table.move_to_end(question)
                return vector
        vector = _frozen(self._encode_many([question])[0])  # outside the lock: two may be encoded at once
        self._keep({question: vector})
        return vector

    def warm(self, questions: Sequence[str]) -> None:
        """Encode the ones not yet known, in batches (up to the table's size; the rest wait for their turn)."""
        with self._lock:
            new = list(dict.fromkeys(q for q in questions if q not in self._table))[: self.size]
        if new:  # one call: the encoder sorts them by length, so its batches carry little padding
            self._keep({q: _frozen(v) for q, v in zip(new, self._encode_many(new), strict=True)})

    def items(self) -> list[tuple[str, np.ndarray]]:
        """What the table holds, least recently used first (to keep it across processes)."""
        with self._lock:
            return list(self._table.items())

    def add(self, vectors: dict[str, np.ndarray]) -> None:
        """Vectors this model gave before (another process of the same model and code)."""
        self._keep({q: _frozen(v) for q, v in vectors.items()})

    def _keep(self, vectors: dict[str, np.ndarray]) -> None:
        if self.size <= 0:
            return
        with self._lock:
            for question, vector in vectors.items():
                self._table[question] = vector
                self._table.move_to_end(question)
            while len(self._table) > self.size:
                self._table.popitem(last=False)


def _frozen(row: np.ndarray) -> np.ndarray:
    """A row of its own, read-only: every caller of a remembered question shares it."""
    vector = np.array(row, dtype=np.float32)
    vector.setflags(write=False)
    return vector
