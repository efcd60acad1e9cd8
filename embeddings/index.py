"""The dense index on disk: passage and sentence vectors in faiss, beside a manifest that says what built it.

Units are whole passages and their sentences (a long paragraph's best sentence often matches a question
better than the paragraph does), and the search aids beside them: curated hints and study-guide labels.
Vectors are L2-normalised, so inner product (IndexFlatIP) is cosine.
The manifest records the model id, dimension, corpus fingerprint, unit count and the index file's
sha256: loading never re-embeds, and any mismatch — another model, changed texts, a truncated or
corrupt file — is detected, logged in one line, and rebuilt. A rebuild after changed texts embeds only what
changed: each row's prompt-and-text digest is kept beside the index, and an intact index of the same model lends
the vectors of texts it already holds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from embeddings.datadir import require_writable
from knowledge import Corpus

if TYPE_CHECKING:
    import faiss
    from sentence_transformers import SentenceTransformer

    from embeddings.onnx_encoder import OnnxEncoder

log = logging.getLogger(__name__)

INDEX_FILE = "index.faiss"
UNITS_FILE = "units.json"
MANIFEST_FILE = "manifest.json"
# Per index row, a digest of the prompt and text it embeds: a rebuild after a knowledge edit (a hint added, a
# paragraph corrected) embeds only the texts that changed and takes the rest from the index it replaces.
TEXTS_FILE = "texts.json"
FORMAT = 2
BATCH = 32


PASSAGE, SENTENCE, HINT, GUIDE, TRANSLATION = "p", "s", "h", "g", "t"


@dataclass(frozen=True)
class Unit:
    """One embedded text: a whole passage, its n-th sentence, its n-th curated retrieval hint, its n-th study-guide
    label (heading or topic title), or the n-th sentence of its Russian rendering."""

    passage_id: str
    kind: str
    n: int = 0


@dataclass
class Manifest:
    format: int
    model: str
    dim: int
    corpus: str
    units: int
    index_sha256: str
    built_at: str
    build_seconds: float


class StaleIndex(Exception):
    """The index on disk cannot serve this model and corpus; the message says why."""


@dataclass
class DenseIndex:
    index: faiss.Index
    units: list[Unit]
    manifest: Manifest

    def search(self, query_vec: np.ndarray, k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        k = min(k or len(self.units), len(self.units))
        scores, ids = self.index.search(query_vec.reshape(1, -1).astype(np.float32), k)
        return scores[0], ids[0]


def units_of(corpus: Corpus) -> tuple[list[Unit], list[str]]:
    units: list[Unit] = []
    texts: list[str] = []
    for p in corpus.passages:
        if p.deleted:
            continue  # a deleted paragraph is addressable, but never an answer
        units.append(Unit(p.id, PASSAGE))
        texts.append(p.text)
        sentences = p.sentences
        if len(sentences) > 1:
            for i, s in enumerate(sentences):
                units.append(Unit(p.id, SENTENCE, i))
                texts.append(s)
        for kind, aids in ((HINT, corpus.hints), (GUIDE, corpus.guide), (TRANSLATION, corpus.translations)):
            for i, text in enumerate(aids.get(p.id, ())):
                units.append(Unit(p.id, kind, i))
                texts.append(text)
    return units, texts


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _digest(prompt: str, text: str) -> str:
    return hashlib.sha256(f"{prompt}\x00{text}".encode()).hexdigest()[:32]


def _previous_vectors(model_id: str, directory: Path) -> dict[str, np.ndarray]:
    """The vectors of the index in ``directory`` by text digest, when it was built by this model and is intact
    (`load_index`'s checks, but for the corpus); otherwise none (the build then embeds everything)."""
    try:
        previous = _read_index(model_id, directory, None)
        digests = json.loads((directory / TEXTS_FILE).read_text())
    except (StaleIndex, OSError, ValueError):  # none, another model's, damaged, or no digests: embed everything
        return {}
    if not isinstance(digests, list) or len(digests) != previous.index.ntotal:
        return {}
    vecs = previous.index.reconstruct_n(0, previous.index.ntotal)
    return {str(d): vecs[i] for i, d in enumerate(digests)}


def build_index(corpus: Corpus, model: OnnxEncoder | SentenceTransformer, model_id: str, directory: Path, *,
                reuse: bool = True) -> DenseIndex:
    """Embed the corpus's units and write the index; ``reuse``: take unchanged texts' vectors from the index this
    one replaces (the same model's, checksum intact) instead of embedding them again."""
    import faiss

    start = time.perf_counter()
    units, texts = units_of(corpus)
    previous = _previous_vectors(model_id, directory) if reuse else {}
    digests = [""] * len(units)
    rows_vecs: list[np.ndarray | None] = [None] * len(units)
    # Hints are questions and guide labels are short like questions, so both are embedded as queries; passages,
    # sentences and the Russian renderings' sentences as passages.
    for prompt, kinds in (("passage", (PASSAGE, SENTENCE, TRANSLATION)), ("query", (HINT, GUIDE))):
        new = []
        for i, u in enumerate(units):
            if u.kind in kinds:
                digests[i] = _digest(prompt, texts[i])
                rows_vecs[i] = previous.get(digests[i])
                if rows_vecs[i] is None:
                    new.append(i)
        if new:
            # Each distinct text once: a study-guide heading often labels several paragraphs, and a vector is a
            # function of its prompt and text (encoding is compute-bound: every token costs the same).
            distinct = list(dict.fromkeys(texts[i] for i in new))
            part = model.encode(distinct, prompt_name=prompt, batch_size=BATCH,
                                normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            vector_of = dict(zip(distinct, part, strict=True))
            for i in new:
                rows_vecs[i] = vector_of[texts[i]]
    reused = sum(d in previous for d in digests)
    vecs = np.stack(rows_vecs).astype(np.float32)  # type: ignore[arg-type]
    index = faiss.IndexFlatIP(vecs.shape[1])
    index.add(vecs)
    directory.mkdir(parents=True, exist_ok=True)
    # Write beside, then rename: a crash mid-build leaves the old index or none, never half of one.
    tmp_index = directory / f".{INDEX_FILE}.tmp"
    faiss.write_index(index, str(tmp_index))
    manifest = Manifest(
        format=FORMAT, model=model_id, dim=int(vecs.shape[1]), corpus=corpus.fingerprint, units=len(units),
        index_sha256=_sha256(tmp_index), built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        build_seconds=round(time.perf_counter() - start, 2),
    )
    tmp_units = directory / f".{UNITS_FILE}.tmp"
    tmp_units.write_text(json.dumps([[u.passage_id, u.kind, u.n] for u in units], ensure_ascii=False))
    tmp_texts = directory / f".{TEXTS_FILE}.tmp"
    tmp_texts.write_text(json.dumps(digests))
    tmp_manifest = directory / f".{MANIFEST_FILE}.tmp"
    tmp_manifest.write_text(json.dumps(asdict(manifest), indent=2))
    # The manifest last: until it names the new index's checksum, a crash leaves files no one trusts.
    os.replace(tmp_index, directory / INDEX_FILE)
    os.replace(tmp_units, directory / UNITS_FILE)
    os.replace(tmp_texts, directory / TEXTS_FILE)
    os.replace(tmp_manifest, directory / MANIFEST_FILE)
    log.info("built index: %d units (%d vectors kept from the previous index), dim %d, %.1f s", len(units), reused,
             manifest.dim, manifest.build_seconds)
    return DenseIndex(index, units, manifest)


def load_index(corpus: Corpus, model_id: str, directory: Path) -> DenseIndex:
    """Load without embedding anything; raise StaleIndex when it does not match or is damaged."""
    return _read_index(model_id, directory, corpus.fingerprint)


def _read_index(model_id: str, directory: Path, fingerprint: str | None) -> DenseIndex:
    """The index in ``directory`` if this model built it and it is intact, of the corpus with ``fingerprint``
    (None: of any corpus, as a rebuild that keeps the unchanged texts' vectors reads it); else StaleIndex."""
    import faiss

    mpath, ipath, upath = directory / MANIFEST_FILE, directory / INDEX_FILE, directory / UNITS_FILE
    if not (mpath.exists() and ipath.exists() and upath.exists()):
        raise StaleIndex("no index yet")
    try:
        manifest = Manifest(**json.loads(mpath.read_text()))
    except (ValueError, TypeError) as exc:
        raise StaleIndex(f"manifest unreadable ({exc.__class__.__name__})") from None
    if manifest.format != FORMAT:
        raise StaleIndex(f"index format {manifest.format}, expected {FORMAT}")
    if manifest.model != model_id:
        raise StaleIndex(f"built with model {manifest.model!r}, configured {model_id!r}")
    if fingerprint is not None and manifest.corpus != fingerprint:
        raise StaleIndex("the knowledge base changed since the index was built")
    if _sha256(ipath) != manifest.index_sha256:
        raise StaleIndex("index file is truncated or corrupt (checksum mismatch)")
    try:
        index = faiss.read_index(str(ipath))
        units = [Unit(pid, str(kind), int(n)) for pid, kind, n in json.loads(upath.read_text())]
    except (RuntimeError, ValueError, TypeError) as exc:  # faiss: RuntimeError
        raise StaleIndex(f"index unreadable ({exc.__class__.__name__})") from None
    if index.ntotal != len(units) or len(units) != manifest.units or index.d != manifest.dim:
        raise StaleIndex("index, units and manifest disagree")
    return DenseIndex(index, units, manifest)


def open_index(corpus: Corpus, model: OnnxEncoder | SentenceTransformer, model_id: str, directory: Path) -> DenseIndex:
    """The index for this model and corpus: loaded when valid, otherwise rebuilt with a log line why."""
    try:
        return load_index(corpus, model_id, directory)
    except StaleIndex as why:
        require_writable(directory, f"rebuild the index ({why})")  # before the build, not after it
        log.warning("rebuilding the index in %s: %s", directory, why)
        logging.getLogger("embeddings.progress").info("building the search index (%s)…", why)
        return build_index(corpus, model, model_id, directory)
