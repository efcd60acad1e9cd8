"""The question-vector table: a repeat skips the model, the table stays bounded, a warmed vector is the same."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.engine import Engine
from embeddings.query_vectors import QueryVectors


class CountingEncoder:
    """Plumbing stand-in: a vector per text (its length, its first letter), counting the texts it was given."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        return np.array([[len(t), ord(t[0])] for t in texts], dtype=np.float32)


def test_a_repeat_skips_the_model_and_the_table_stays_bounded() -> None:
    model = CountingEncoder()
    vectors = QueryVectors(model, size=2)
    first = vectors("мерзімі қанша")
    assert vectors("мерзімі қанша") is first and model.seen == ["мерзімі қанша"]
    with pytest.raises(ValueError):
        first[0] = 0.0  # shared by every caller: read-only
    vectors("кім бере алады")
    vectors("мерзімі қанша")  # now the most recent
    vectors("қайда")  # evicts "кім бере алады", the least recently used
    vectors("мерзімі қанша")
    vectors("кім бере алады")
    assert model.seen == ["мерзімі қанша", "кім бере алады", "қайда", "кім бере алады"]


def test_warm_encodes_only_the_new_ones() -> None:
    model = CountingEncoder()
    vectors = QueryVectors(model, size=100)
    vectors("а")
    vectors.warm(["а", "бб", "бб", *[f"в{i}" for i in range(40)]])
    assert model.seen == ["а", "бб", *[f"в{i}" for i in range(40)]]
    assert vectors("бб").tolist() == [2.0, ord("б")] and len(model.seen) == 42


def test_size_zero_keeps_nothing() -> None:
    model = CountingEncoder()
    vectors = QueryVectors(model, size=0)
    vectors("а")
    vectors.warm(["а", "б"])
    vectors("а")
    assert model.seen == ["а", "а"]


@pytest.mark.slow
def test_warmed_vectors_are_the_models_own(engine: Engine) -> None:
    """Batched (`cassbot eval` warms its file) and one at a time give the same vector, so the same ranking."""
    questions = ["Кассациялық шағымды кім бере алады?", "срок подачи кассационной жалобы",
                 "kassaciyalyq shagym merzimi qansha", "ҚПК-нің 485-бабы бойынша наразылық қалай негізделеді?"]
    table = QueryVectors(lambda texts: engine.model.encode(texts, prompt_name="query", normalize_embeddings=True),
                         size=10)
    table.warm(questions)
    for q in questions:
        single = engine.model.encode(q, prompt_name="query", normalize_embeddings=True)
        assert np.allclose(table(q), single, atol=1e-6), q
