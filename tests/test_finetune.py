"""The fine-tuning research command: its pairs come from the aids alone, its batches hold no false negatives, and a
short real run moves the trained pairs together while leaving the frozen layers exactly as they were."""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from embeddings.convert import PASSAGE_PROMPT, QUERY_PROMPT
from embeddings.finetune import Pair, distinct_batches, finetune, training_pairs
from knowledge.corpus import Corpus


def test_pairs_are_the_aids_of_each_paragraph(corpus: Corpus) -> None:
    pairs = training_pairs(corpus)
    live = {p.id for p in corpus.passages if not p.deleted}
    expected = sum(len(corpus.hints.get(pid, ())) + len(corpus.guide.get(pid, ())) + bool(corpus.translations.get(pid))
                   for pid in live)
    assert len(pairs) == expected > 1000
    assert {p.passage_id for p in pairs} <= live
    hint = corpus.hints["2025-cassation:5"][0]
    assert Pair(QUERY_PROMPT + hint, "2025-cassation:5") in pairs
    rendering = " ".join(corpus.translations["2025-cassation:5"])
    assert Pair(PASSAGE_PROMPT + rendering, "2025-cassation:5") in pairs


def test_a_document_left_out_gives_no_pairs(corpus: Corpus) -> None:
    every = training_pairs(corpus)
    rest = training_pairs(corpus, frozenset({"2025-cassation"}))
    assert not any(p.passage_id.startswith("2025-cassation:") for p in rest)
    assert rest == [p for p in every if not p.passage_id.startswith("2025-cassation:")]


def test_batches_use_every_pair_once_and_no_paragraph_twice() -> None:
    pairs = [Pair(f"q{i}", f"p{i % 7}") for i in range(60)]
    batches = list(distinct_batches(pairs, 5, random.Random(1)))
    assert Counter(p for b in batches for p in b) == Counter(pairs)
    for batch in batches:
        assert 1 <= len(batch) <= 5
        assert len({p.passage_id for p in batch}) == len(batch)


@pytest.mark.slow
def test_a_short_run_pulls_pairs_together_and_freezes_the_lower_layers(corpus: Corpus, data_dir: Path) -> None:
    from embeddings.model import EMBEDDED, load_model

    model = load_model(EMBEDDED, data_dir)
    ids = ["2025-cassation:5", "2025-cassation:11", "1998-1:8", "2016-1:4"]
    questions = [p for p in training_pairs(corpus) if p.anchor.startswith(QUERY_PROMPT)]
    pairs = [p for pid in ids for p in [q for q in questions if q.passage_id == pid][:6]]
    passages = {pid: corpus.get(pid).text for pid in ids}
    anchors = [p.anchor.removeprefix(QUERY_PROMPT) for p in pairs]
    own = np.array([ids.index(p.passage_id) for p in pairs])

    def margin() -> float:
        """How much closer a question is to its own paragraph than to the other three, on average."""
        q = model.encode(anchors, prompt_name="query", normalize_embeddings=True)
        d = model.encode([passages[pid] for pid in ids], prompt_name="passage", normalize_embeddings=True)
        sims = q @ d.T
        mine = sims[np.arange(len(pairs)), own]
        return float(np.mean(mine - (sims.sum(axis=1) - mine) / (len(ids) - 1)))

    before_state = {k: v.clone() for k, v in model[0].auto_model.state_dict().items()}
    before = margin()
    losses = finetune(model, pairs, passages, layers=1, epochs=3, lr=1e-4, batch=4)
    after = margin()
    assert len(losses) == 3 * 6  # four paragraphs, six questions each: six batches of four per epoch
    assert after > before + 0.005, (before, after)
    state = model[0].auto_model.state_dict()
    top = "encoder.layer.11."
    changed = {k for k, v in state.items() if not bool((v == before_state[k]).all())}
    assert changed and all(k.startswith(top) for k in changed), sorted(changed)[:5]


def test_the_command_line_names_the_module_defaults_without_importing_it() -> None:
    """`cassbot finetune --help` says the defaults of embeddings/finetune.py; `cassbot docs` does not import it (nor
    numpy through it): the parser is built in a fresh interpreter and asked."""
    import subprocess
    import sys

    from embeddings import finetune

    code = ("import sys, bot.cli; p = bot.cli.build_parser(); "
            "a = next(x for x in p._subparsers._group_actions[0].choices['finetune']._actions if x.dest == 'layers'); "
            "print('embeddings.finetune' in sys.modules, a.help)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("False ") and f"(default {finetune.LAYERS})" in out
    from bot.cli import build_parser

    sub = build_parser()._subparsers._group_actions[0].choices["finetune"]  # type: ignore[union-attr]
    helps = {a.dest: a.help for a in sub._actions}
    said = {k: float(re.search(r"\(default ([^)]+)\)", helps[k]).group(1)) for k in ("layers", "epochs", "lr", "seed")}
    assert said == {"layers": finetune.LAYERS, "epochs": finetune.EPOCHS, "lr": finetune.LEARNING_RATE,
                    "seed": finetune.SEED}
