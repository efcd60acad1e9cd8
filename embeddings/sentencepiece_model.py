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
    """A serialised SentencePiece ``ModelProto`` with the pieces, scores and normaliser of ``tokenizer_json``."""
    from sentencepiece import sentencepiece_model_pb2 as pb

    spec = json.loads(Path(tokenizer_json).read_text(encoding="utf-8"))
    model, norm, pre = spec.get("model") or {}, spec.get("normalizer") or {}, spec.get("pre_tokenizer") or {}
    steps = norm.get("normalizers", [norm]) if norm.get("type") == "Sequence" else [norm]
    charsmaps = [s.get("precompiled_charsmap") for s in steps if s.get("type") == "Precompiled"]
    if (model.get("type") != "Unigram" or model.get("byte_fallback") or len(charsmaps) != 1
            or pre.get("type") != "Metaspace" or pre.get("prepend_scheme", "always") != "always"):
        raise NotSentencePiece("not a Unigram tokenizer with a precompiled charsmap and Metaspace")
    special = {t["id"]: t["content"] for t in spec.get("added_tokens", []) if t.get("special")}
    unk = model.get("unk_id")
    proto = pb.ModelProto()
    proto.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
    proto.trainer_spec.vocab_size = len(model["vocab"])
    for name in ("unk", "bos", "eos", "pad"):  # ids are taken from the pieces' types; -1 switches the checks off
        setattr(proto.trainer_spec, f"{name}_id", -1)
    proto.trainer_spec.unk_id = unk if unk is not None else -1
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


def template_ids(tokenizer_json: Path) -> tuple[list[int], list[int]]:
    """The ids the tokenizer's post-processor puts before and after one text (XLM-R: ``<s>`` … ``</s>``)."""
    spec = json.loads(Path(tokenizer_json).read_text(encoding="utf-8"))
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
    return before, after


class SentencePieceIds:
    """Token ids as ``tokenizers`` gives them for one text, truncated to ``max_length`` like it: the template's
    ids around the first ``max_length - len(template)`` pieces."""

    def __init__(self, model_file: Path, tokenizer_json: Path, max_length: int) -> None:
        import sentencepiece as spm

        self._sp = spm.SentencePieceProcessor(model_file=str(model_file))
        self.before, self.after = template_ids(tokenizer_json)
        self.room = max_length - len(self.before) - len(self.after)

    def piece_id(self, piece: str) -> int | None:
        found = self._sp.piece_to_id(piece)
        return found if self._sp.id_to_piece(found) == piece else None

    def ids(self, text: str) -> list[int]:
        return [*self.before, *self._sp.encode(text)[: self.room], *self.after]


def same_ids(model: bytes, tokenizer_json: Path, texts: tuple[str, ...] = SAMPLE) -> bool:
    """Whether the model tokenises ``texts`` exactly as ``tokenizer_json`` does (special tokens included)."""
    import sentencepiece as spm
    from tokenizers import Tokenizer

    reference = Tokenizer.from_file(str(tokenizer_json))
    reference.no_padding()
    reference.no_truncation()
    before, after = template_ids(tokenizer_json)
    sp = spm.SentencePieceProcessor(model_proto=model)
    return all(reference.encode(text).ids == [*before, *sp.encode(text), *after] for text in texts)
