"""A SentencePiece model equivalent to a folder's Unigram ``tokenizer.json``, for the serving process.

Why: the ``tokenizers`` library holds a Unigram vocabulary in a trie of about 1 KB per piece (~140 MB for the
embedded model's 144k pieces); SentencePiece's double array holds the same pieces in about 25 MB. Both run the
same algorithm on the same data — the normaliser's ``precompiled_charsmap``, the pieces and their scores, a
"▁" before every word — so the ids are the same. They differ only where ``tokenizers`` treats a literal special
token typed in the text ("</s>", "<mask>") as that token; SentencePiece reads it as text, which is what a
question means. :func:`build` refuses a tokenizer of any other shape, and the export keeps ``tokenizers`` then.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

FILE_NAME = "sentencepiece.model"
SAMPLE = (  # mixed scripts, spacing and compatibility forms, checked at build time (the tests check far more)
    "Кассациялық шағымды кім бере алады?", "кассациялык шагым калай беремин", "Kassatsiyalyq shagym qansha?",
    "Кто может подать кассационную жалобу?", "ҚПК-нің 484-бабының  бірінші бөлігі", "ＦＵＬＬ ﬁ ① №5 «үкім»",
)


class NotSentencePiece(ValueError):
    """The tokenizer is not a SentencePiece-style Unigram pipeline."""


def build(tokenizer_json: Path) -> bytes:
    """A serialised SentencePiece ``ModelProto`` with the pieces, scores, normaliser and template of
    ``tokenizer_json``. The template (one special token before the text, one after: XLM-R's ``<s>`` … ``</s>``)
    is recorded as the model's bos and eos pieces, so serving reads nothing but this file."""
    from sentencepiece import sentencepiece_model_pb2 as pb

    spec = json.loads(Path(tokenizer_json).read_text(encoding="utf-8"))
    model, norm, pre = spec.get("model") or {}, spec.get("normalizer") or {}, spec.get("pre_tokenizer") or {}
    steps = norm.get("normalizers", [norm]) if norm.get("type") == "Sequence" else [norm]
    charsmaps = [s.get("precompiled_charsmap") for s in steps if s.get("type") == "Precompiled"]
    if (model.get("type") != "Unigram" or model.get("byte_fallback") or len(charsmaps) != 1
            or pre.get("type") != "Metaspace" or pre.get("prepend_scheme", "always") != "always"):
        raise NotSentencePiece("not a Unigram tokenizer with a precompiled charsmap and Metaspace")
    bos, eos = _template(spec)
    special = {t["id"]: t["content"] for t in spec.get("added_tokens", []) if t.get("special")}
    if bos not in special or eos not in special:
        raise NotSentencePiece("the template's tokens are not special tokens")
    unk = model.get("unk_id")
    proto = pb.ModelProto()
    proto.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
    proto.trainer_spec.vocab_size = len(model["vocab"])
    for name in ("unk", "bos", "eos", "pad"):  # ids come from the pieces' types and names; -1: no trainer checks
        setattr(proto.trainer_spec, f"{name}_id", -1)
    proto.trainer_spec.bos_piece, proto.trainer_spec.eos_piece = special[bos], special[eos]
    proto.normalizer_spec.name = "user_defined"
    proto.normalizer_spec.precompiled_charsmap = base64.b64decode(charsmaps[0])
    proto.normalizer_spec.add_dummy_prefix = True
    proto.normalizer_spec.remove_extra_whitespaces = True
    proto.normalizer_spec.escape_whitespaces = True
    kinds = pb.ModelProto.SentencePiece
    for i, (piece, score) in enumerate(model["vocab"]):
        entry = proto.pieces.add(piece=piece, score=score)
        entry.type = kinds.UNKNOWN if i == unk else kinds.CONTROL if i in special else kinds.NORMAL
    return proto.SerializeToString()


def _template(spec: dict) -> tuple[int, int]:
    """The id the post-processor puts before one text and the one it puts after; any other template is refused."""
    post = spec.get("post_processor") or {}
    if post.get("type") != "TemplateProcessing":
        raise NotSentencePiece("no template post-processor")
    ids = {name: tok["ids"] for name, tok in post.get("special_tokens", {}).items()}
    before: list[int] = []
    after: list[int] = []
    seen_text = False
    for item in post.get("single", []):
        if "Sequence" in item:
            seen_text = True
        elif "SpecialToken" in item:
            (after if seen_text else before).extend(ids[item["SpecialToken"]["id"]])
    if len(before) != 1 or len(after) != 1:
        raise NotSentencePiece(f"template {before} … {after}: one token before and one after is supported")
    return before[0], after[0]


class SentencePieceIds:
    """Token ids as ``tokenizers`` gives them for one text, truncated to ``max_length`` like it: bos, the first
    ``max_length - 2`` pieces, eos."""

    def __init__(self, model: Path | bytes, max_length: int) -> None:
        import sentencepiece as spm

        self._sp = (spm.SentencePieceProcessor(model_proto=model) if isinstance(model, bytes)
                    else spm.SentencePieceProcessor(model_file=str(model)))
        self.bos, self.eos = self._sp.bos_id(), self._sp.eos_id()
        if self.bos < 0 or self.eos < 0:
            raise NotSentencePiece("the model records no bos/eos piece (made by an older export)")
        self.room = max_length - 2

    def piece_id(self, piece: str) -> int | None:
        found = self._sp.piece_to_id(piece)
        return found if self._sp.id_to_piece(found) == piece else None

    def ids(self, text: str) -> list[int]:
        return [self.bos, *self._sp.encode(text)[: self.room], self.eos]


def same_ids(model: bytes, tokenizer_json: Path, texts: tuple[str, ...] = SAMPLE) -> bool:
    """Whether the model tokenises ``texts`` exactly as ``tokenizer_json`` does (its template included)."""
    from tokenizers import Tokenizer

    reference = Tokenizer.from_file(str(tokenizer_json))
    reference.no_padding()
    reference.no_truncation()
    ours = SentencePieceIds(model, max_length=10**9)
    return all(reference.encode(text).ids == ours.ids(text) for text in texts)
