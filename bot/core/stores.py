"""Which feedback store this installation uses: PostgreSQL when DATABASE_URL is set, else the SQLite file."""

from __future__ import annotations

from bot.core.feedback import FeedbackStore
from bot.core.salt import SaltError, resolve_salt
from bot.settings import Settings


def open_feedback(settings: Settings) -> FeedbackStore:
    """The configured store, connected (PostgreSQL) or checked and opened (SQLite).

    Several replicas must hash users alike and cannot keep a generated salt in their read-only DATA_DIR, so
    with REDIS_URL or DATABASE_URL the salt must be given (USER_HASH_SALT).  Raises `SaltError` or
    `postgres_store.StoreUnavailable` (one line, no secret) when the store cannot be used.
    """
    configured = settings.user_hash_salt.get_secret_value() if settings.user_hash_salt else None
    if (settings.database_url is not None or settings.redis_url is not None) and not (configured or "").strip():
        raise SaltError("USER_HASH_SALT must be set with REDIS_URL or DATABASE_URL: every replica must hash users "
                        "alike (the same value on each, 16+ random characters)")
    salt = resolve_salt(configured, settings.data_dir)
    if settings.database_url is not None:
        from bot.core.postgres_store import PostgresStore

        return PostgresStore(settings.database_url.get_secret_value(), salt, log_questions=settings.log_questions)
    from bot.core.sqlite_store import SqliteStore

    return SqliteStore.open_checked(settings.data_dir, salt, log_questions=settings.log_questions)
