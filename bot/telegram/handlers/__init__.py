"""One Router per module, made fresh per Dispatcher; `routers()` gives them in the order they must be tried."""

from aiogram import Router


def routers() -> list[Router]:
    from bot.telegram.handlers import admin, commands, fallback, inline, passages, questions, quiz, topics

    # Specific commands and buttons first, free text after them, catch-alls last.
    modules = (commands, admin, topics, quiz, passages, inline, questions, fallback)
    return [m.make_router() for m in modules]
