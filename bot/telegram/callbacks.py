"""Button payloads: self-contained, short (≤ 64 bytes) and validated.

Everything a button needs travels in its callback data — passage ordinal, page, the corpus version it
was made for — so any replica of the bot can answer any button and nothing is kept per user.  Data that
does not parse, names another corpus version, or points outside the corpus matches no handler but the
catch-all, which answers with a polite alert.
"""

from __future__ import annotations

from typing import Literal

from aiogram.filters.callback_data import CallbackData

MAX_CALLBACK_BYTES = 64


class PassageCB(CallbackData, prefix="p"):
    """An action on one passage: show it, full text, neighbours, votes."""

    v: str
    act: Literal["show", "full", "prev", "next", "up", "down"]
    i: int


class MoreCB(CallbackData, prefix="m"):
    """Other results of an answer: passage ordinals joined by '.'."""

    v: str
    ids: str


class DocCB(CallbackData, prefix="d"):
    """A document from /sources: list its paragraphs."""

    v: str
    i: int


class AskCB(CallbackData, prefix="a"):
    """A suggested question: example n (i = -1) or hint n of passage i."""

    v: str
    i: int
    n: int


class LangCB(CallbackData, prefix="l"):
    lang: Literal["kk", "ru"]


class TopicCB(CallbackData, prefix="t"):
    """The topic guide: topic t, item n (n = -1: the topic's list; t = -1: all topics)."""

    v: str
    t: int
    n: int


class QuizCB(CallbackData, prefix="z"):
    """One quiz answer: question q, chosen passage a, position in the round, score so far.

    a = -1 starts the question (no answer yet); q = -1 starts a new round."""

    v: str
    q: int
    a: int
    pos: int
    score: int


def fits(data: str) -> bool:
    return 0 < len(data.encode()) <= MAX_CALLBACK_BYTES
