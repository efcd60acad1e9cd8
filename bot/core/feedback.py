"""What the application remembers about its use, as named reads and writes (no SQL in the contract).

Every store (SQLite now, PostgreSQL next) implements `FeedbackStore`; callers never see its query
language.  Users appear only as a salted hash of their id, and a question's text only when the operator
turned question logging on.  A store that cannot write logs and drops the write: feedback must never
cost a user an answer.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

ALL_TIME = "0000-00-00"  # sorts before every stored day

# The delivery (a Telegram update id) whose handling causes the current writes, when the front end knows it.
# A store that can records each kind of event at most once per delivery, so an update delivered twice (a
# replica died before acknowledging it) does not count a vote twice.
DELIVERY: ContextVar[int | None] = ContextVar("feedback_delivery", default=None)


@dataclass(frozen=True)
class Event:
    kind: str  # answer | abstain | vote
    user_hash: str
    lang: str
    passages: tuple[str, ...] = ()
    confidence: float | None = None
    question: str | None = None
    vote: int | None = None


@dataclass(frozen=True)
class QuizAnswer:
    question_id: str
    topic: str
    correct: bool


@dataclass(frozen=True)
class DayCounts:
    day: str
    answered: int
    refused: int
    up: int
    down: int


class EventWrites:
    """The named writes of answers and refusals, in terms of a store's own ``record(event)``: one definition for
    the SQLite and the PostgreSQL store."""

    def record(self, event: Event) -> bool:
        raise NotImplementedError

    def record_answer(self, user_hash: str, lang: str, passages: tuple[str, ...], confidence: float,
                      question: str) -> bool:
        return self.record(Event("answer", user_hash, lang, passages, confidence, question))

    def record_refusal(self, user_hash: str, lang: str, passages: tuple[str, ...], confidence: float,
                       question: str) -> bool:
        return self.record(Event("abstain", user_hash, lang, passages, confidence, question))


class FeedbackStore(Protocol):
    """Named reads and writes of the feedback a front end collects.

    Writes return True only when the row is stored; a store that cannot write (read-only, damaged, locked
    past its patience) returns False and logs why, and `writable` is False when that is known at start-up.
    Reads of an unusable store return empty results, never raise.
    """

    writable: bool

    def user_hash(self, user_id: int) -> str:
        """A salted hash: stable per user for grouping, useless to recover the id without the salt."""
        ...

    # -- writes --------------------------------------------------------------------------------------
    def record_answer(self, user_hash: str, lang: str, passages: tuple[str, ...], confidence: float,
                      question: str) -> bool: ...

    def record_refusal(self, user_hash: str, lang: str, passages: tuple[str, ...], confidence: float,
                       question: str) -> bool: ...

    def record_vote(self, user_hash: str, lang: str, passage_id: str, up: bool) -> bool: ...

    def set_language(self, user_hash: str, lang: str) -> bool: ...

    def record_quiz(self, user_hash: str, question_id: str, topic: str, correct: bool) -> bool: ...

    # -- reads ---------------------------------------------------------------------------------------
    def language(self, user_hash: str) -> str | None: ...

    def recent_quiz(self, user_hash: str, n: int) -> list[QuizAnswer]:
        """The user's last `n` quiz answers, newest first."""
        ...

    def popular_passages(self, limit: int) -> list[str]:
        """Ids of the passages most often given as the best answer, most frequent first."""
        ...

    def days(self, since: str = ALL_TIME) -> list[DayCounts]: ...

    def unanswered_questions(self, since: str = ALL_TIME) -> list[str]:
        """Texts of refused questions (logged ones only), oldest first."""
        ...

    def unanswered_without_text(self, since: str = ALL_TIME) -> int: ...

    def voted_down(self, since: str = ALL_TIME) -> dict[str, int]:
        """Votes down per passage id."""
        ...

    def close(self) -> None: ...
