"""Calibrate fusion weights and the abstention threshold on a question file (`cassbot eval FILE --calibrate`).

Features are computed once per question; a small grid over channel weights picks the ranking that
maximises 2·R@1 + R@3 summed over tags (each tag counts equally, so Russian and Latin questions are not
drowned by Kazakh ones), if it beats the weights in use by more than a question's worth (`calibrate`).  Then
two logistic regressions on the confidence features:

* "in scope": separates questions the texts answer from those they don't; its threshold is the highest
  that keeps false refusals ("not found" for an in-scope question) within `MAX_FALSE_REFUSAL`;
* "direct": predicts that the best passage is a right answer; its threshold is the lowest that keeps wrong
  direct quotes within `MAX_WRONG_DIRECT` of the questions of each kind (written from the texts, real, basic).
  Between the two, the closest paragraphs are offered, labelled as not a direct answer.

The in-scope model is also fitted on the questions each document answers alone, asked once more of a ranker without
that document's curated aids (`without_hints`): a new document comes without hints, and a confidence learnt only
where every paragraph has them refused a fifth of such a document's questions.  The threshold then also keeps each
document's false refusals without its aids within `MAX_FALSE_REFUSAL_WITHOUT_HINTS`: pooled, the 3 % could all fall
on one document.  The grid ranks with every aid.

The result is printed as a `Weights(...)` literal to paste into `retriever.py`, so the shipped numbers are
reproducible.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from embeddings.evaluate import Question, documents_left_out, is_correct
from embeddings.retriever import Features, Retriever, Weights, fuse_channels, zscore

MAX_FALSE_REFUSAL = 0.03
MAX_FALSE_REFUSAL_WITHOUT_HINTS = 0.10  # per document, asked without its aids (the bound for a new document)
MAX_WRONG_DIRECT = 0.04
GRID = {  # a small grid: the features are computed once, every point re-fuses every question
    "answer_type": (0.0, 0.3, 0.6, 1.0),
    "dense_hint": (0.6, 1.0),
    "bm25": (0.0, 0.3),
    "bm25_sentence": (0.3, 0.6, 0.9),
    "bm25_hint": (0.3, 0.6),
    "commentary_penalty": (0.3, 0.6),
    "dense_guide": (0.0, 0.3, 0.6),
    "bm25_guide": (0.0, 0.3, 0.6),
    "dense_ru": (0.0, 0.3, 0.6, 1.0),
    "bm25_ru": (0.0, 0.3),
}


Row = tuple[Question, Features, "np.ndarray | None"]  # the question, its features, which passages are right


class _Ranking:
    """The in-scope questions' channels, z-scored and stacked once: a grid point then re-fuses every question at once
    (`fuse_channels` over the stack, as `Retriever.fuse` over one question: the same ranks)."""

    def __init__(self, retriever: Retriever, rows: list[Row]) -> None:
        kept = [(q, f, c) for q, f, c in rows if c is not None]
        self.tags = np.array([q.tag for q, _, _ in kept])
        self.z = {name: np.stack([zscore(f.channels[name]) for _, f, _ in kept])
                  for name, _ in retriever.weights.channels}
        self.kind = np.stack([f.channels["answer_type"] for _, f, _ in kept])
        self.correct = np.stack([c for _, _, c in kept])
        self.commentary = retriever.commentary

    def score(self, weights: Weights) -> tuple[float, dict]:
        """2·R@1 + R@3 summed over tags (each tag counts equally), and the per-tag (R@1, R@3) table."""
        fused = fuse_channels(weights, self.z, self.kind, self.commentary)
        top = np.take_along_axis(self.correct, np.argsort(-fused, axis=1)[:, :3], axis=1)
        table = {}
        for tag in dict.fromkeys(self.tags.tolist()):
            mine = top[self.tags == tag]
            table[tag] = (float(mine[:, 0].mean()), float(mine.any(axis=1).mean()))
        return sum(2 * r1 + r3 for r1, r3 in table.values()), table


def _rows(retriever: Retriever, questions: list[Question]) -> list[Row]:
    return [(q, retriever.features(q.question),
             np.array([is_correct(p, q.expect, q.gold) for p in retriever.passages]) if q.in_scope else None)
            for q in questions]


def calibrate(retriever: Retriever, questions: list[Question],
              without_hints: Callable[[frozenset[str]], Retriever] | None = None) -> tuple[Weights, dict]:
    """``without_hints`` (document ids → a ranker without their aids): fit the in-scope model on the
    leave-one-document-out questions too."""
    rows = _rows(retriever, questions)
    base = retriever.weights
    # The weights in use stay unless a grid point ranks clearly better: over some 2,600 points the best one beats
    # them by chance, and the grid's optimum is flat (two far-apart points within a question or two of each
    # other); "clearly" is one question more at R@1 and at R@3 in the smallest tag.
    ranking = _Ranking(retriever, rows)
    incumbent, table = ranking.score(base)
    smallest = min(sum(1 for q, _, c in rows if c is not None and q.tag == tag) for tag in table)
    best: tuple[float, Weights, dict] = (incumbent + 3.0 / smallest, base, table)
    keys = list(GRID)
    for values in itertools.product(*(GRID[k] for k in keys)):
        chosen = dict(zip(keys, values, strict=True))
        channels = tuple((name, chosen.get(name, w)) for name, w in base.channels)
        retriever.weights = replace(base, channels=channels, commentary_penalty=chosen["commentary_penalty"],
                                    answer_type=chosen["answer_type"])
        score, table = ranking.score(retriever.weights)
        if score > best[0] + 1e-9:
            best = (score, retriever.weights, table)
    retriever.weights = best[1]

    # The in-scope model's rows: every question as ranked with every aid, then (with `without_hints`) each
    # document's own questions as ranked without its aids.
    ranked = [(retriever, row) for row in rows]
    left_out = [""] * len(rows)  # per row: the document whose aids were left out ("" for none)
    docs = dict.fromkeys(p.doc_id for p in retriever.passages) if without_hints else ()
    for doc, subset, bare in documents_left_out(questions, retriever.passages, docs, without_hints):
        bare.weights = retriever.weights
        ranked += [(bare, row) for row in _rows(bare, subset)]
        left_out += [doc] * (len(ranked) - len(left_out))
    # Confidence: logistic regression on `Retriever.evidence`, threshold from the in-scope questions: false
    # refusals within MAX_FALSE_REFUSAL over all of them, and within MAX_FALSE_REFUSAL_WITHOUT_HINTS for each
    # document asked without its aids (pooled, one document's questions could all be refused).
    fused = [r.fuse(f) for r, (_, f, _) in ranked]
    x = np.array([r.evidence(f, fz) for (r, (_, f, _)), fz in zip(ranked, fused, strict=True)])
    y = np.array([0 if c is None else 1 for _, (_, _, c) in ranked])
    intercept, coef, threshold = _fit_confidence(x, y)
    probs = _predict(x, intercept, coef)
    own = {doc: np.array([d == doc for d in left_out]) & (y == 1) for doc in dict.fromkeys(d for d in left_out if d)}
    for rows_of_doc in own.values():
        threshold = min(threshold, _keeping(probs[rows_of_doc], MAX_FALSE_REFUSAL_WITHOUT_HINTS))
    # Direct answers: the best passage is right.  Fitted, and its threshold held (wrong direct quotes within
    # MAX_WRONG_DIRECT), on the questions as asked with every aid in use: what users get.  (Fitted on the rows
    # without hints too, it quoted directly less often where hints exist and no more rightly where they don't.)
    n = len(rows)
    top_right = np.array([c is not None and bool(c[int(np.argmax(fz))])
                          for (_, (_, _, c)), fz in zip(ranked, fused, strict=True)])
    d_intercept, d_coef = _fit_logistic(x[:n], top_right[:n].astype(int), "best passages (right or wrong)")
    direct_probs = _predict(x, d_intercept, d_coef)
    # A best passage that cannot be the answer (`Retriever.outside`) is never quoted, whatever the model says.
    outside = [bool(r.outside(f, int(np.argmax(fz))))
               for (r, (_, f, _)), fz in zip(ranked[:n], fused[:n], strict=True)]
    quotable = (probs[:n] >= threshold) & ~np.array(outside)
    kinds = np.array([q.kind for q, _, _ in rows])
    d_threshold = _direct_threshold(direct_probs[:n], quotable, top_right[:n], kinds)
    # printed to four places; the in-scope threshold rounded down, so rounding never refuses one more question
    weights = replace(retriever.weights, confidence=(round(intercept, 4), *(round(c, 4) for c in coef)),
                      threshold=math.floor(threshold * 1e4) / 1e4,
                      direct=(round(d_intercept, 4), *(round(c, 4) for c in d_coef)),
                      direct_threshold=round(d_threshold, 4))
    direct = quotable & (direct_probs[:n] >= d_threshold)
    report = {
        "questions": len(questions),
        "ranking": best[2],
        "oos_refused": float((probs[y == 0] < threshold).mean()) if (y == 0).any() else None,
        "false_refusal": float((probs[:n][y[:n] == 1] < threshold).mean()),
        "false_refusal_without_hints": float((probs[n:] < threshold).mean()) if len(probs) > n else None,
        "false_refusal_without_hints_by_document": {d: float((probs[m] < threshold).mean()) for d, m in own.items()},
        "right_direct": float((direct & top_right[:n]).sum() / max((y[:n] == 1).sum(), 1)),
        "wrong_direct": float((direct & ~top_right[:n]).mean()),
        # The figures above are in-sample; this is what to expect on questions the fit has not seen.
        "cross_validated": _cross_validate(x, y),
    }
    retriever.weights = weights
    return weights, report


class CalibrationError(ValueError):
    """The questions cannot fit a model; the message says what they lack."""


def _fit_logistic(x: np.ndarray, y: np.ndarray, what: str) -> tuple[float, list[float]]:
    from sklearn.linear_model import LogisticRegression

    if len(np.unique(y)) < 2:
        raise CalibrationError(f"the calibration questions give {what} of one kind only; give more questions, "
                               "in scope and out of scope (tag oos), with right and wrong best passages")
    model = LogisticRegression(C=10.0, class_weight="balanced", max_iter=5000).fit(x, y)
    return float(model.intercept_[0]), [float(c) for c in model.coef_[0]]


def _direct_threshold(direct_probs: np.ndarray, quotable: np.ndarray, top_right: np.ndarray,
                      kinds: np.ndarray) -> float:
    """The lowest threshold whose wrong direct quotes stay within MAX_WRONG_DIRECT of the questions of each kind
    (written from the texts, harvested, a citizen's): pooled, the easy questions written from the passages
    outnumber the real ones and spend their budget for them."""
    for t in np.unique(np.round(direct_probs, 4)):
        wrong = quotable & (direct_probs >= t) & ~top_right
        if all(wrong[kinds == kind].mean() <= MAX_WRONG_DIRECT for kind in np.unique(kinds)):
            return float(t)
    return 1.0


def _fit_confidence(x: np.ndarray, y: np.ndarray) -> tuple[float, list[float], float]:
    intercept, coef = _fit_logistic(x, y, "questions (in scope or out of scope)")
    return intercept, coef, _keeping(_predict(x, intercept, coef)[y == 1], MAX_FALSE_REFUSAL)


def _keeping(in_scope_probs: np.ndarray, max_refused: float) -> float:
    """The highest threshold that refuses at most `max_refused` of these in-scope questions."""
    in_scope = np.sort(in_scope_probs)
    allowed = int(np.floor(max_refused * len(in_scope)))
    return float(in_scope[allowed]) - 1e-6 if len(in_scope) else 0.5


def _predict(x: np.ndarray, intercept: float, coef: list[float]) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(intercept + x @ np.array(coef))))


def _cross_validate(x: np.ndarray, y: np.ndarray, folds: int = 5) -> dict[str, float] | None:
    """Abstention rates of the confidence fit on held-out folds (the ranking weights stay as chosen)."""
    from sklearn.model_selection import StratifiedKFold

    if min((y == 0).sum(), (y == 1).sum()) < folds:
        return None
    refused_oos, refused_in = [], []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(x, y):
        intercept, coef, threshold = _fit_confidence(x[train], y[train])
        refused = _predict(x[test], intercept, coef) < threshold
        refused_oos += refused[y[test] == 0].tolist()
        refused_in += refused[y[test] == 1].tolist()
    return {"oos_refused": float(np.mean(refused_oos)), "false_refusal": float(np.mean(refused_in))}
