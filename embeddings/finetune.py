"""Research: fine-tune the top layers of the embedded e5-small on the knowledge base's own (aid, paragraph) pairs.

Why: the issue on real questions asks whether adapting the model to this domain helps more than the linear query
adapter (:mod:`embeddings.adapter`). The pairs are the search aids only — each curated hint, study-guide label and
Russian rendering with the paragraph it belongs to — never a question file, so every question file stays a fair
measure. ``cassbot finetune OUT`` writes a plain sentence-transformers folder; ``EMBEDDING_MODEL=OUT cassbot eval
…`` measures it (its own ONNX export and index, in the data dir). Not the default: see the README ("Fine-tuning
the model") for what it measured, and why it was not adopted.

Approach: in-batch negatives (a symmetric contrastive loss, as sentence-transformers'
MultipleNegativesRankingLoss), no two pairs of one paragraph in a batch (they would be each other's false
negatives). Only the top ``layers`` transformer layers learn; the layers below are frozen, so their outputs are
computed once per text and cached — on 2 CPU cores a step then costs the top layers alone (about 4 minutes for
two layers, one epoch, instead of about half an hour).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from embeddings.convert import PASSAGE_PROMPT, QUERY_PROMPT

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from knowledge.corpus import Corpus

LAYERS = 2  # top transformer layers that learn (of 12)
EPOCHS = 1
LEARNING_RATE = 1.5e-5  # 3e-5 over two epochs helped the tune halves as much but lowered leave-one-document-out
BATCH = 32
SCALE = 20.0  # inverse temperature of the contrastive loss (sentence-transformers' default)
MAX_TOKENS = 160  # per training text; the saved model keeps its own limit for encoding
SEED = 0


@dataclass(frozen=True)
class Pair:
    """An anchor text (with its e5 prompt) and the paragraph it should find."""

    anchor: str
    passage_id: str


def training_pairs(corpus: Corpus, without: frozenset[str] = frozenset()) -> list[Pair]:
    """Every hint and guide label (questions: query prompt) and Russian rendering (a text: passage prompt)."""
    pairs: list[Pair] = []
    for p in corpus.passages:
        if p.deleted or p.doc_id in without:
            continue
        for aid in (*corpus.hints.get(p.id, ()), *corpus.guide.get(p.id, ())):
            pairs.append(Pair(QUERY_PROMPT + aid, p.id))
        if corpus.translations.get(p.id):
            pairs.append(Pair(PASSAGE_PROMPT + " ".join(corpus.translations[p.id]), p.id))
    return pairs


def distinct_batches(pairs: list[Pair], size: int, rng: random.Random) -> Iterator[list[Pair]]:
    """Shuffled batches in which no paragraph appears twice; every pair is used exactly once."""
    rest = list(pairs)
    rng.shuffle(rest)
    while rest:
        seen: set[str] = set()
        batch: list[Pair] = []
        left: list[Pair] = []
        for pair in rest:
            if len(batch) < size and pair.passage_id not in seen:
                batch.append(pair)
                seen.add(pair.passage_id)
            else:
                left.append(pair)
        rest = left
        yield batch


def finetune(model: SentenceTransformer, pairs: list[Pair], passages: dict[str, str], *, layers: int = LAYERS,
             epochs: int = EPOCHS, lr: float = LEARNING_RATE, batch: int = BATCH, seed: int = SEED,
             progress: Callable[[str], None] = lambda _: None) -> list[float]:
    """Train ``model``'s top ``layers`` in place on ``pairs`` (``passages``: id → text); the loss of each step."""
    import torch
    import torch.nn.functional as F

    rng = random.Random(seed)
    torch.manual_seed(seed)
    bert = model[0].auto_model
    blocks = bert.encoder.layer
    frozen, learning = blocks[: len(blocks) - layers], blocks[len(blocks) - layers:]
    for prm in bert.parameters():
        prm.requires_grad = False
    params = [prm for block in learning for prm in block.parameters()]
    for prm in params:
        prm.requires_grad = True

    # The frozen layers' output of each distinct text, once: the bulk of the compute.
    limit, model.max_seq_length = model.max_seq_length, MAX_TOKENS
    ptexts = {pid: PASSAGE_PROMPT + text for pid, text in passages.items()}
    texts = sorted({p.anchor for p in pairs} | set(ptexts.values()), key=len)
    cache: dict[str, torch.Tensor] = {}
    bert.eval()
    started = time.monotonic()
    with torch.no_grad():
        for i in range(0, len(texts), 64):
            chunk = texts[i:i + 64]
            feats = model.tokenize(chunk)
            hidden = bert.embeddings(input_ids=feats["input_ids"], token_type_ids=feats.get("token_type_ids"))
            mask = bert.get_extended_attention_mask(feats["attention_mask"], feats["input_ids"].shape)
            for block in frozen:
                hidden = block(hidden, attention_mask=mask)[0]
            for j, text in enumerate(chunk):
                cache[text] = hidden[j, : int(feats["attention_mask"][j].sum())].clone()
    model.max_seq_length = limit
    progress(f"{len(cache)} texts through the {len(frozen)} frozen layers in {time.monotonic() - started:.0f} s")

    def encode(batch_texts: list[str]) -> torch.Tensor:
        rows = [cache[t] for t in batch_texts]
        width = max(len(r) for r in rows)
        hidden = torch.zeros(len(rows), width, rows[0].shape[1])
        keep = torch.zeros(len(rows), width, dtype=torch.long)
        for i, r in enumerate(rows):
            hidden[i, : len(r)], keep[i, : len(r)] = r, 1
        mask = bert.get_extended_attention_mask(keep, keep.shape)
        for block in learning:
            hidden = block(hidden, attention_mask=mask)[0]
        weights = keep.unsqueeze(-1).float()  # mean pooling, as the model's own Pooling module
        return F.normalize((hidden * weights).sum(1) / weights.sum(1), dim=-1)

    steps = sum(1 for _ in distinct_batches(pairs, batch, random.Random(seed))) * epochs
    optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, 1 - s / steps))
    for block in learning:
        block.train()
    losses: list[float] = []
    for _ in range(epochs):
        for chunk in distinct_batches(pairs, batch, rng):
            if len(chunk) < 2:
                continue  # nothing to contrast with
            anchors = encode([p.anchor for p in chunk])
            targets = encode([ptexts[p.passage_id] for p in chunk])
            logits = SCALE * anchors @ targets.T
            labels = torch.arange(len(chunk))
            loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2
            loss.backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            losses.append(float(loss.detach()))
            if len(losses) % 10 == 0:
                progress(f"step {len(losses)}/{steps}: loss {losses[-1]:.3f}, {time.monotonic() - started:.0f} s")
    bert.eval()
    for prm in bert.parameters():
        prm.requires_grad = True
    return losses


def finetune_embedded(corpus: Corpus, data_dir: Path, out: Path, without: frozenset[str] = frozenset(),
                      progress: Callable[[str], None] = lambda _: None, **options: float) -> list[float]:
    """The embedded model, fine-tuned on ``corpus``'s aids (``without`` these documents'), saved to ``out``."""
    from embeddings.model import EMBEDDED, load_model

    model = load_model(EMBEDDED, data_dir)
    pairs = training_pairs(corpus, without)
    passages = {p.id: p.text for p in corpus.passages if not p.deleted}
    left_out = f", without {', '.join(sorted(without))}" if without else ""
    progress(f"{len(pairs)} pairs from the search aids{left_out}")
    losses = finetune(model, pairs, passages, progress=progress, **options)  # type: ignore[arg-type]
    model.save(str(out))
    return losses
