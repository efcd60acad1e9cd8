"""The served encoder: the fp32 ONNX export of the embedded model, run by onnxruntime without torch.

The retrieval figures it must keep are checked by `cassbot eval` (tests/data; before/after in the README);
here: its vectors stay close to the fp32 model's, it reads sentence-transformers folders the way
sentence-transformers does, its SentencePiece tokenizer gives the very ids of `tokenizers`, and the serving
path never imports torch.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from embeddings.model import EMBEDDED, encoder_id, ensure_onnx_export, load_encoder, load_model, model_id
from embeddings.onnx_encoder import OnnxEncoder, UnsupportedModel, _pooling
from embeddings.onnx_export import MARKER_FILE, onnx_file_name, runtime_name
from tests.engine_cache import model_copy

TEXTS = ["Кассациялық шағымды кім бере алады?", "kassaciyalyq şağym merzimi", "Кто может подать кассационную жалобу?",
         "Заңды күшіне енген сот актілері кассациялық тәртіппен қайта қаралады."]


def test_pooling_configs_of_both_sentence_transformers_versions() -> None:
    assert _pooling({"word_embedding_dimension": 384, "pooling_mode_mean_tokens": True}) == ("mean", True)
    assert _pooling({"pooling_mode_cls_token": True, "include_prompt": False}) == ("cls", False)
    assert _pooling({"embedding_dimension": 384, "pooling_mode": "mean", "include_prompt": True}) == ("mean", True)
    with pytest.raises(UnsupportedModel, match="pooling"):
        _pooling({"pooling_mode_max_tokens": True})


def test_encoder_id_names_the_runtime() -> None:
    assert encoder_id(EMBEDDED) == f"{model_id(EMBEDDED)}+{runtime_name()}"
    assert runtime_name(None) == "onnx-fp32" and runtime_name("avx2") == "onnx-avx2"
    assert onnx_file_name(None) == "onnx/model.onnx" and onnx_file_name("avx2") == "onnx/model_quint8_avx2.onnx"


@pytest.mark.slow
def test_onnx_vectors_equal_the_pytorch_models(engine, data_dir: Path) -> None:
    fp32 = load_model(EMBEDDED, data_dir)
    assert isinstance(engine.model, OnnxEncoder)
    for prompt in ("query", "passage"):
        ours = engine.model.encode(TEXTS, prompt_name=prompt, normalize_embeddings=True)
        ref = fp32.encode(TEXTS, prompt_name=prompt, normalize_embeddings=True)
        assert ours.shape == ref.shape == (len(TEXTS), 384)
        assert (ours * ref).sum(1).min() > 0.9999  # fp32 graph: the same vectors, not approximately
    one = engine.model.encode(TEXTS[0], prompt_name="query", normalize_embeddings=True)
    assert one.shape == (384,) and abs(float(np.linalg.norm(one)) - 1) < 1e-5
    # batching (padding, length-sorted batches) does not change a text's vector
    batched = engine.model.encode(TEXTS, prompt_name="query", batch_size=2, normalize_embeddings=True)
    assert np.allclose(batched[0], one, atol=1e-4)


@pytest.mark.slow
def test_a_batch_stays_within_the_attention_budget_whatever_the_script(engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches are cut by token length: sorted by characters, a Kazakh text (more tokens per character) behind a
    longer Russian one widened its batch past the budget, and the index build peaked at 1 GB instead of 0.7."""
    from embeddings import onnx_encoder

    model = engine.model
    seen: list[list[int]] = []
    embed = model._embed
    monkeypatch.setattr(model, "_embed", lambda toks, pl: (seen.append([len(t) for t in toks]), embed(toks, pl))[1])
    kazakh = "Заңды күшіне енген сот актілері кассациялық тәртіппен қайта қаралады, " * 4
    russian = "Вступившие в законную силу судебные акты пересматриваются в кассационном порядке, " * 4
    texts = [kazakh[: 60 + 7 * i] for i in range(40)] + [russian[: 80 + 7 * i] for i in range(40)]
    vectors = model.encode(texts, prompt_name="passage", batch_size=32, normalize_embeddings=True)
    assert vectors.shape == (80, 384) and sum(map(len, seen)) == 80
    for batch in seen:
        assert len(batch) == 1 or len(batch) * max(batch) ** 2 <= onnx_encoder.MAX_PAIRS, batch
        assert batch == sorted(batch, reverse=True), batch  # the first is the widest


@pytest.mark.slow
def test_export_is_cached_with_its_marker(engine, data_dir: Path) -> None:
    folder = ensure_onnx_export(EMBEDDED, data_dir)
    marker = json.loads((folder / MARKER_FILE).read_text())
    assert marker["source"] == model_id(EMBEDDED) and marker["file"] == onnx_file_name()
    assert (folder / onnx_file_name()).stat().st_size < 5_000_000  # the weights live beside it, mapped
    before = (folder / onnx_file_name()).stat().st_mtime_ns
    assert ensure_onnx_export(EMBEDDED, data_dir) == folder
    assert (folder / onnx_file_name()).stat().st_mtime_ns == before


@pytest.mark.slow
def test_unsupported_modules_are_refused(engine, data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "with-dense"
    model_copy(ensure_onnx_export(EMBEDDED, data_dir), folder)
    modules = json.loads((folder / "modules.json").read_text())
    modules.insert(2, {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
    (folder / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(UnsupportedModel, match="Dense"):
        OnnxEncoder(folder, onnx_file_name())


@pytest.mark.slow
def test_serving_never_imports_torch(engine, data_dir: Path) -> None:
    code = ("import sys; from pathlib import Path; from embeddings.model import load_encoder; "
            f"m = load_encoder('embedded', Path({str(data_dir)!r})); m.encode('сот', prompt_name='query'); "
            "print('torch' in sys.modules, 'transformers' in sys.modules, 'sentence_transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    assert out.stdout.split() == ["False", "False", "False"]
    assert load_encoder.__module__ == "embeddings.model"


def every_text(corpus) -> list[str]:
    """Everything the encoder is ever given: passages, sentences, hints and the question files, with prompts."""
    texts = [p.text for p in corpus.passages] + [s for p in corpus.passages for s in p.sentences]
    texts += [q for hints in corpus.hints.values() for q in hints]
    for path in sorted((Path(__file__).parent / "data").glob("*.jsonl")):
        texts += [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    return texts + ["query: " + t for t in texts] + ["passage: " + t for t in texts]


def test_sentencepiece_twin_gives_the_tokenizers_ids(engine, corpus, data_dir: Path) -> None:
    from tokenizers import Tokenizer

    from embeddings.sentencepiece_model import FILE_NAME, SentencePieceIds

    folder = ensure_onnx_export(EMBEDDED, data_dir)
    twin = folder / "onnx" / FILE_NAME
    assert twin.is_file(), "the export writes the SentencePiece twin of the embedded model's tokenizer"
    reference = Tokenizer.from_file(str(folder / "tokenizer.json"))
    reference.no_padding()
    reference.enable_truncation(512)
    ours = SentencePieceIds(twin, 512)
    texts = [*every_text(corpus), "  два   пробела", "ＦＵＬＬ ﬁ ①②", "emoji 😀👍🏽", "日本語", "a" * 3000, "\u200bz"]
    different = [t[:60] for t in texts if reference.encode(t).ids != ours.ids(t)]
    assert len(texts) > 4000 and different == []
    encoder = load_encoder(EMBEDDED, data_dir)
    assert encoder.tokenizer is None  # served by the twin, not by tokenizers' 140 MB trie
