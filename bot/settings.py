"""The one place configuration comes from: environment variables and `.env` (see `.env.example`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_API = "https://api.telegram.org"
_TOKEN = re.compile(r"^\d{5,16}:[A-Za-z0-9_-]{30,}$")


class SettingsError(Exception):
    """An unusable setting; the message names it and never contains a secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = Field(default=None, description="token from @BotFather")
    telegram_api_url: str = Field(default=DEFAULT_API, description="Bot API base URL (self-hosted server, tests)")
    bot_mode: Literal["polling", "webhook"] = "polling"
    drop_pending_updates: bool = False
    webhook_url: str = Field(default="", description="public HTTPS base URL Telegram posts to")
    webhook_path: str = "/webhook"
    webhook_secret: SecretStr | None = None
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=8080, ge=1, le=65535)
    data_dir: Path = Path("data")
    knowledge_dir: Path | None = Field(default=None, description="folder with catalog.toml and texts/")
    embedding_model: str = Field(default="embedded", description="'embedded', a local folder or a HF model id")
    query_cache_size: int = Field(default=1024, ge=0, description=(
        "question vectors kept in memory, so a question asked again (a suggested one, a popular one) skips the "
        "model; 0: none"))
    encoder_threads: int = Field(default=2, ge=1, le=16, description=(
        "threads the model uses for one question; 1 where several replicas share a machine's cores"))
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    log_questions: bool = Field(default=False, description="store question texts in the feedback database")
    user_hash_salt: SecretStr | None = Field(
        default=None, description="secret salt of stored user hashes; unset: a random one kept in DATA_DIR")
    throttle_burst: int = Field(default=5, ge=1)
    throttle_per_seconds: float = Field(default=10.0, gt=0)
    throttle_backlog: int = Field(default=3, ge=0, description="messages over the burst that wait their turn")
    max_question_chars: int = Field(default=1000, ge=50)
    updates_in_flight: int = Field(default=16, ge=1, le=100, description=(
        "updates handled at once: aiogram's tasks_concurrency_limit when polling, Telegram's max_connections "
        "for a webhook; the rest wait at Telegram, so a flood costs time, not memory"))
    # Scale-out (deploy/README.md, "More than one machine").  Neither set: one process, SQLite in DATA_DIR,
    # state in memory, exactly the embedded default.
    redis_url: SecretStr | None = Field(default=None, description="redis://… shared by every replica: "
                                        "FSM state, per-user ordering, throttling")
    database_url: SecretStr | None = Field(default=None, description="postgresql://… feedback store instead of "
                                           "the SQLite file")
    api_retry_budget: float = Field(default=900.0, gt=0,
                                    description="seconds one Bot API request may spend retrying (outages, 429, 5xx)")
    api_outbox_size: int = Field(default=1000, ge=1, description="answers that may wait for the Bot API to return")
    # The reading view (bot/web): its public address for links, and where `cassbot web` listens.
    web_base_url: str = Field(default="", description="public base URL of the reading view; in webhook mode "
                              "WEBHOOK_URL + WEB_PATH when empty")
    web_path: str = Field(default="/read", description="path the reading view is mounted at in webhook mode")
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8081, ge=1, le=65535)
    web_search_burst: int = Field(default=10, ge=1, description="searches per client per window")
    web_search_per_seconds: float = Field(default=60.0, gt=0)
    web_behind_proxy: bool = Field(default=False, description="client address from X-Forwarded-For (last hop)")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, v: object) -> object:
        if isinstance(v, str):
            return [int(x) for x in re.split(r"[,\s]+", v.strip()) if x]
        if isinstance(v, int):
            return [v]
        return v

    @field_validator("redis_url", "database_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().strip().startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return v

    @field_validator("database_url")
    @classmethod
    def _postgres_scheme(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().strip().startswith(("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql:// (the only database besides the embedded SQLite)")
        return v

    @field_validator("telegram_api_url", "webhook_url", "web_base_url")
    @classmethod
    def _no_trailing_slash(cls, v: str) -> str:
        return v.rstrip("/")

    @field_validator("web_path")
    @classmethod
    def _web_path(cls, v: str) -> str:
        if not re.fullmatch(r"(/[A-Za-z0-9_-]+)+/?", v):
            raise ValueError("must be a path such as /read")
        return v.rstrip("/")

    def token(self) -> str:
        """The bot token, checked for shape; the error never echoes it."""
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise SettingsError("BOT_TOKEN is not set: put the token from @BotFather in the environment or .env")
        value = self.bot_token.get_secret_value().strip()
        if not _TOKEN.match(value):
            raise SettingsError("BOT_TOKEN is malformed: expected '<digits>:<35 characters>' as given by @BotFather")
        return value

    def check_webhook(self) -> None:
        if self.bot_mode != "webhook":
            return
        if not self.webhook_url.startswith("https://"):
            raise SettingsError("WEBHOOK_URL must be an https:// URL when BOT_MODE=webhook")
        if self.webhook_secret is None or not re.fullmatch(r"[A-Za-z0-9_-]{1,256}",
                                                           self.webhook_secret.get_secret_value()):
            raise SettingsError("WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and - in webhook mode")


    def reading_url(self) -> str:
        """Where links to the reading view point: WEB_BASE_URL, else the webhook's own host; "" for none."""
        if self.web_base_url:
            return self.web_base_url
        if self.bot_mode == "webhook" and self.webhook_url:
            return self.webhook_url + self.web_path.rstrip("/")
        return ""

    def corpus_paths(self) -> tuple[Path, Path]:
        """(catalog, texts folder): the packaged knowledge base unless KNOWLEDGE_DIR points elsewhere."""
        from knowledge.catalog import CATALOG

        base = self.knowledge_dir or CATALOG.parent
        return base / "catalog.toml", base / "texts"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with every validation problem turned into one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(x) for x in first["loc"]).upper() or "settings"
        raise SettingsError(f"{name}: {first['msg']}") from None
