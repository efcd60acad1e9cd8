"""Calibrate fusion weights and the abstention threshold on a question file (`cassbot eval FILE --calibrate`).

Features are computed once per question; a small grid over channel weights picks the ranking that
maximises 2·R@1 + R@3 summed over tags (each tag counts equally, so Russian and Latin questions are not
drowned by Kazakh ones).  Then a logistic regression on three confidence features separates in-scope
from out-of-scope questions, and the threshold is the highest one that keeps false refusals within
`MAX_FALSE_REFUSAL` of in-scope questions.  The result is printed as a `Weights(...)` literal to paste
into `retriever.py`, so the shipped numbers are reproducible.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from embeddings.evaluate import Question, is_correct
from embeddings.retriever import Features, Retriever, Weights

MAX_FALSE_REFUSAL = 0.03
GRID = {
    "dense_hint": (0.0, 0.3, 0.6, 1.0),
    "bm25": (0.0, 0.3, 0.6),
    "bm25_sentence": (0.3, 0.6, 0.9),
    "bm25_hint": (0.0, 0.3, 0.6),
    "commentary_penalty": (0.0, 0.3, 0.6),
}


def _ranking_score(retriever: Retriever, rows: list[tuple[Question, Features, np.ndarray]]) -> tuple[float, dict]:
    per_tag: dict[str, list[int]] = {}
    for q, f, correct in rows:
        if not q.expect:
            continue
        fused = retriever.fuse(f)
        order = np.argsort(-fused)[:3]
        hit = [bool(correct[i]) for i in order]
        stats = per_tag.setdefault(q.tag, [0, 0, 0])
        stats[0] += 1
        stats[1] += hit[0]
        stats[2] += any(hit)
    table = {t: (s[1] / s[0], s[2] / s[0]) for t, s in per_tag.items()}
    return sum(2 * r1 + r3 for r1, r3 in table.values()), table


def calibrate(retriever: Retriever, questions: list[Question]) -> tuple[Weights, dict]:
    rows = []
    for q in questions:
        f = retriever.features(q.question)
        correct = np.array([is_correct(p, q.expect) for p in retriever.passages]) if q.expect else None
        rows.append((q, f, correct))
    base = retriever.weights
    best: tuple[float, Weights, dict] | None = None
    keys = list(GRID)
    for values in itertools.product(*(GRID[k] for k in keys)):
        chosen = dict(zip(keys, values, strict=True))
        channels = tuple((name, chosen.get(name, w)) for name, w in base.channels)
        retriever.weights = replace(base, channels=channels, commentary_penalty=chosen["commentary_penalty"])
        score, table = _ranking_score(retriever, rows)
        if best is None or score > best[0] + 1e-9:
            best = (score, retriever.weights, table)
    assert best is not None
    retriever.weights = best[1]

    # Confidence: logistic regression on `Retriever.evidence`.
    from sklearn.linear_model import LogisticRegression

    x, y = [], []
    for q, f, _ in rows:
        x.append(retriever.evidence(f, retriever.fuse(f)))
        y.append(0 if q.tag == "oos" else 1)
    model = LogisticRegression(C=10.0, class_weight="balanced", max_iter=1000).fit(np.array(x), np.array(y))
    coef = model.coef_[0]
    weights = replace(retriever.weights, confidence=(float(model.intercept_[0]), *map(float, coef)))
    probs = model.predict_proba(np.array(x))[:, 1]
    in_scope = np.sort(probs[np.array(y) == 1])
    allowed = int(np.floor(MAX_FALSE_REFUSAL * len(in_scope)))
    threshold = float(in_scope[allowed]) - 1e-6 if len(in_scope) else 0.5
    weights = replace(weights, threshold=round(threshold, 4))
    oos = probs[np.array(y) == 0]
    report = {
        "ranking": best[2],
        "oos_refused": float((oos < threshold).mean()) if len(oos) else None,
        "false_refusal": float((in_scope < threshold).mean()),
    }
    retriever.weights = weights
    return weights, report
