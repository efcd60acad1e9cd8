"""DATA_DIR problems found before a long job starts, each said in one line (not a traceback at the end)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path


class DataDirError(RuntimeError):
    """DATA_DIR (or a folder in it) cannot hold what must be written there; the message is one line."""


def require_writable(folder: Path, purpose: str) -> None:
    """Fail at once, naming the folder and why, if ``purpose`` (e.g. "rebuild the index") cannot write there."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise DataDirError(f"{folder} is not a folder (is DATA_DIR pointing at a file?): cannot {purpose}") from None
    except OSError as exc:
        raise DataDirError(f"cannot create {folder} ({exc.strerror}): to {purpose}, DATA_DIR must be writable") \
            from None
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-probe-"):
            pass
    except OSError as exc:
        raise DataDirError(f"{folder} is not writable ({exc.strerror}): to {purpose}, make DATA_DIR writable"
                           " or point it elsewhere") from None


def swap_in(tmp: Path, dest: Path) -> None:
    """Put the finished folder ``tmp`` at ``dest`` by renames, so a reader sees the old folder or the new one.

    An existing ``dest`` is moved aside first and deleted after the new one is in place.
    """
    if dest.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
        dest.rename(old / "model")
        tmp.rename(dest)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(dest)
