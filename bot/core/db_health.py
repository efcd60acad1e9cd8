"""Start-up check of the feedback database: corrupt, truncated, read-only or missing, said in one line.

The policy: a corrupt or truncated file is **moved aside** (renamed `feedback.sqlite3.corrupt-<UTC time>`,
with its `-wal`/`-shm` files; never deleted, so it can be examined or salvaged) and a fresh database is
started.  A read-only file or folder keeps the bot answering questions with feedback switched off: votes,
`/lang` choices and quiz answers are then not stored, and users are told so instead of being thanked.
A lock held by another process is not a fault at start-up: writes wait for it off the answering path.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Status = Literal["ok", "new", "recovered", "read_only", "unavailable"]
SIDE_FILES = ("-wal", "-shm")


@dataclass(frozen=True)
class DatabaseHealth:
    status: Status
    message: str  # one line for the operator's log
    moved_to: Path | None = None

    @property
    def writable(self) -> bool:
        return self.status in ("ok", "new", "recovered")


def _is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    """"file is not a database", "malformed", "disk image": corruption; locks and permissions are not."""
    text = str(exc).lower()
    return not isinstance(exc, sqlite3.OperationalError) or "malformed" in text or "not a database" in text


def _integrity(path: Path) -> str | None:
    """None when the file reads as a sound database, else what is wrong; locks count as sound."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5)
    except sqlite3.OperationalError:
        return None  # cannot open read-only here (permissions): judged by the write check
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc) if _is_corrupt(exc) else None
    finally:
        conn.close()
    result = "; ".join(str(r[0]) for r in rows[:3])
    return None if result == "ok" else result


def database_problem(path: Path) -> str | None:
    """What is wrong with the file (damaged, not a database), or None; never changes anything (for reports)."""
    return _integrity(Path(path))


def _move_aside(path: Path) -> Path:
    target = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}")
    n = 1
    while target.exists():
        target = target.with_name(f"{target.name.split('~')[0]}~{n}")
        n += 1
    os.replace(path, target)
    for side in SIDE_FILES:
        extra = path.with_name(path.name + side)
        if extra.exists():
            os.replace(extra, target.with_name(target.name + side))
    return target


def _writable(path: Path) -> str | None:
    """None when a write transaction can be opened, else why not (a lock held elsewhere is fine)."""
    if not os.access(path.parent, os.W_OK):
        return f"its folder {path.parent} is read-only"
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is read-only"
    try:
        conn = sqlite3.connect(path, timeout=0.5, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return None
        return str(exc)
    return None


def check_database(path: Path) -> DatabaseHealth:
    """Look at the feedback database before the bot starts; repair what can be repaired without losing data."""
    path = Path(path)
    if path.exists() and not path.is_file():
        return DatabaseHealth("unavailable", f"feedback database {path} is not a file: feedback is off")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return DatabaseHealth("unavailable", f"feedback database folder {path.parent} cannot be created "
                                             f"({exc.strerror}): feedback is off")
    moved = None
    existed = path.exists()
    if existed:
        problem = _integrity(path)
        if problem is not None:
            try:
                moved = _move_aside(path)
            except OSError as exc:
                return DatabaseHealth("unavailable", f"feedback database {path} is corrupt ({problem}) and cannot "
                                                     f"be moved aside ({exc.strerror}): feedback is off")
    reason = _writable(path)
    if reason is not None:
        if not path.exists():
            return DatabaseHealth("unavailable", f"feedback database {path} cannot be created: {reason}; "
                                                 "feedback is off")
        return DatabaseHealth("read_only", f"feedback database {path} is not writable ({reason}): answers go on, "
                                           "votes, languages and quiz answers are not stored")
    if moved is not None:
        return DatabaseHealth("recovered", f"feedback database was corrupt: moved aside to {moved.name}, "
                                           "a fresh one started", moved)
    return DatabaseHealth("ok" if existed else "new", f"feedback database {path} ready")
