"""The secret salt of the stored user hashes: the operator's own, or a random one kept in DATA_DIR.

A public salt makes the hashes reversible (Telegram ids are small integers: trying every plausible id finds
each user), so a value anyone can read in the repository is refused, never used silently.  Without
`USER_HASH_SALT`, the first run writes 32 random bytes to `DATA_DIR/user_hash_salt` (mode 0600) and every
later run reads them back, so hashes stay stable across restarts.  Losing that file only unlinks old rows
from new ones (languages and quiz progress start afresh); it never exposes anyone.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

SALT_FILE = "user_hash_salt"
# Values published in this repository (old default, .env.example): never a secret.
PUBLIC_SALTS = frozenset({"kassatsiya", "change-me", "changeme"})
MIN_SALT_CHARS = 16


class SaltError(Exception):
    """The salt cannot be used or kept; the message is one line for the operator and never shows the salt."""


def resolve_salt(configured: str | None, data_dir: Path) -> str:
    """The salt to hash user ids with: ``configured`` (USER_HASH_SALT) if set and private, else DATA_DIR's own."""
    if configured is not None and configured.strip():
        value = configured.strip()
        if value.lower() in PUBLIC_SALTS:
            raise SaltError("USER_HASH_SALT is a public example value: remove it (a random salt is then kept in "
                            f"DATA_DIR/{SALT_FILE}) or set a long random secret of your own")
        if len(value) < MIN_SALT_CHARS:
            raise SaltError(f"USER_HASH_SALT is too short to protect user ids: use {MIN_SALT_CHARS}+ random "
                            "characters, or remove it to have one generated")
        return value
    return _kept_salt(Path(data_dir))


def _kept_salt(data_dir: Path) -> str:
    path = data_dir / SALT_FILE
    try:
        value = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        value = ""
    except NotADirectoryError:
        raise SaltError(f"DATA_DIR {data_dir} is not a folder: cannot keep a user-hash salt there") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SaltError(f"cannot read the user-hash salt {path}: {exc.strerror or exc}") from None
    if len(value) >= MIN_SALT_CHARS:
        return value
    if value:
        raise SaltError(f"the user-hash salt {path} is damaged (too short): restore it from a backup, or delete it"
                        " to start new user hashes")
    return _create(path)


def _create(path: Path) -> str:
    value = secrets.token_hex(32)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(value + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # never overwrite a salt another process created meanwhile
        except FileExistsError:
            return _kept_salt(path.parent)
    except OSError as exc:
        raise SaltError(f"cannot keep a user-hash salt in {path.parent} ({exc.strerror or exc}): make DATA_DIR "
                        "writable or set USER_HASH_SALT") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return value
