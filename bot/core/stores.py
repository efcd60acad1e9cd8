"""Which feedback store this installation uses: PostgreSQL when DATABASE_URL is set, else the SQLite file."""

from __future__ import annotations

from bot.core.feedback import FeedbackStore
from bot.settings import Settings


def open_feedback(settings: Settings) -> FeedbackStore:
    """The configured store, connected (PostgreSQL) or ready to create its file on first use (SQLite).

    Raises `postgres_store.StoreUnavailable` (one line, no password) when PostgreSQL cannot be used.
    """
    salt = settings.user_hash_salt.get_secret_value()
    if settings.database_url is not None:
        from bot.core.postgres_store import PostgresStore

        return PostgresStore(settings.database_url.get_secret_value(), salt, log_questions=settings.log_questions)
    from bot.core.sqlite_store import SqliteStore

    return SqliteStore.in_data_dir(settings.data_dir, salt, log_questions=settings.log_questions)
