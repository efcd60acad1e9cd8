"""Export a sentence-transformers model to ONNX once, offline, into the data dir.

Why: serving the PyTorch model costs ~270 MB for torch and transformers alone and runs each matmul in
fp32 on two shared cores. sentence-transformers' own ONNX backend exports the transformer through
optimum (``backend="onnx"``), optionally quantised to int8 by ``export_dynamic_quantized_onnx_model``
(see :data:`QUANTIZATION`); :mod:`embeddings.onnx_encoder` then serves the result with onnxruntime and the
SentencePiece twin of the tokenizer written beside it, without torch.

This module needs torch, transformers and optimum; it runs at build/convert time (``cassbot build``, or
a child process on the first start of a data dir without an export), never inside the serving process.
The folder is written beside its destination and renamed into place with a marker written last, so a
crash leaves the old export or none. It is a separate step from building the index because its peak
memory is that of torch and the fp32 model traced by the exporter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from embeddings.datadir import swap_in

# None: serve the fp32 graph, whose vectors equal the PyTorch model's (cosine 1.0000). A name such as
# "avx512_vnni" or "avx2" quantises it to int8 with export_dynamic_quantized_onnx_model: a quarter of the
# memory and faster, but with e5-small it moved R@1 on the holdout file by up to 0.13 per tag (README,
# "Speed and memory"; /work/coord/onnx-eval.md), against a limit of 0.01, so it is not the default.
QUANTIZATION: str | None = None
EXPORT_FORMAT = 3  # bump when the exported folder changes, so data dirs re-export once (2: SentencePiece model;
# 3: its template as bos/eos pieces)
MARKER_FILE = "onnx_export.json"
ONNX_SUBDIR = "onnx"
# The fp32 graph sentence-transformers/optimum writes; deleted after an int8 quantisation (4x its size).
_FP32_FILE = "model.onnx"


class OnnxExportError(RuntimeError):
    """The model could not be exported to ONNX; the message says why in one line."""


def onnx_file_name(quantization: str | None = QUANTIZATION) -> str:
    """Relative path of the graph, as sentence-transformers' export (and quantisation) names it."""
    if quantization is None:
        return f"{ONNX_SUBDIR}/{_FP32_FILE}"
    weights = "quint8" if quantization == "avx2" else "qint8"
    return f"{ONNX_SUBDIR}/model_{weights}_{quantization}.onnx"


def runtime_name(quantization: str | None = QUANTIZATION) -> str:
    """How vectors are computed, for index manifests: ``onnx-fp32`` or e.g. ``onnx-avx512_vnni`` (int8)."""
    return f"onnx-{quantization or 'fp32'}"


def _weights_beside(graph: Path) -> None:
    """Rewrite ``graph`` with its weights in a separate file, which onnxruntime maps instead of copying.

    One protobuf holding 300 MB of weights is read and parsed whole; a graph with external data is mapped
    page by page, so the embedding table's rows of tokens no question uses need not become resident.
    """
    import onnx

    model = onnx.load(str(graph))
    onnx.save_model(model, str(graph), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=graph.name + "_data", size_threshold=1024)
    (graph.parent / (graph.name + "_data")).chmod(0o644)  # onnx writes it 0600; the folder is readable by all


def _sentencepiece_beside(folder: Path) -> None:
    """Write the SentencePiece twin of the folder's tokenizer (:mod:`embeddings.sentencepiece_model`), when it has
    one and it tokenises the check sample exactly alike; otherwise serving keeps ``tokenizers``."""
    from embeddings import sentencepiece_model as spmodel

    tokenizer = folder / "tokenizer.json"
    try:
        model = spmodel.build(tokenizer)
    except (OSError, ValueError, KeyError):  # no tokenizer.json, another pipeline, or an unreadable one
        return
    if spmodel.same_ids(model, tokenizer):
        (folder / ONNX_SUBDIR / spmodel.FILE_NAME).write_bytes(model)


def export_identity(source_id: str, quantization: str | None = QUANTIZATION) -> dict[str, object]:
    """What a finished export must have been made from/as (compared field by field with its marker)."""
    return {"format": EXPORT_FORMAT, "source": source_id, "quantization": quantization,
            "file": onnx_file_name(quantization)}


def is_exported(folder: Path, source_id: str, quantization: str | None = QUANTIZATION) -> bool:
    try:
        marker = json.loads((Path(folder) / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    identity = export_identity(source_id, quantization)
    return (isinstance(marker, dict) and {k: marker.get(k) for k in identity} == identity
            and (Path(folder) / str(identity["file"])).is_file())


def export_onnx(source: str, dest: Path, source_id: str, quantization: str | None = QUANTIZATION) -> Path:
    """Export ``source`` (a sentence-transformers folder or hub id) into ``dest`` as ONNX; return ``dest``.

    ``dest`` becomes a sentence-transformers folder (tokenizer, pooling, prompts, ``onnx/*.onnx``) that
    ``SentenceTransformer(dest, backend="onnx", model_kwargs={"file_name": ...})`` also loads.
    """
    from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    try:
        tmp.chmod(0o755)
        try:
            model = SentenceTransformer(source, device="cpu", backend="onnx")
            model.save_pretrained(str(tmp))
            if quantization is not None:
                export_dynamic_quantized_onnx_model(model, quantization, str(tmp))
        except (OSError, ValueError, RuntimeError) as exc:
            raise OnnxExportError(f"cannot export {source!r} to ONNX: {exc}".splitlines()[0]) from exc
        del model
        if quantization is None:
            _weights_beside(tmp / ONNX_SUBDIR / _FP32_FILE)
        else:
            (tmp / ONNX_SUBDIR / _FP32_FILE).unlink(missing_ok=True)
        if not (tmp / onnx_file_name(quantization)).is_file():
            raise OnnxExportError(f"export of {source!r} wrote no {onnx_file_name(quantization)}")
        _sentencepiece_beside(tmp)
        (tmp / MARKER_FILE).write_text(json.dumps(export_identity(source_id, quantization), indent=2) + "\n")
        swap_in(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def export_in_child(source: str, dest: Path, source_id: str, quantization: str | None = QUANTIZATION) -> Path:
    """:func:`export_onnx` in a fresh interpreter, so the caller never imports torch (nor keeps its memory)."""
    code = ("import sys; from pathlib import Path; from embeddings.onnx_export import export_onnx; "
            "export_onnx(sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4] or None)")
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run([sys.executable, "-c", code, source, str(dest), source_id, quantization or ""],
                          capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        raise OnnxExportError(lines[-1] if lines else f"ONNX export failed (exit {proc.returncode})")
    return Path(dest)
