"""Detection metrics at an inspection budget (shared/docs/evaluation.md).

>>> import numpy as np
>>> y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
>>> s = np.arange(10, 0, -1)
>>> precision_at(y, s, 0.2), recall_at(y, s, 0.2)
(0.5, 0.5)
>>> jaccard({"a", "b"}, {"b", "c"})
0.3333333333333333
"""

from __future__ import annotations

import numpy as np

__all__ = ["precision_at", "recall_at", "revenue_at", "pr_auc", "jaccard", "ring_metrics",
           "top_n"]


def top_n(n_rows: int, share: float) -> int:
    """Rows in the top ``share`` (at least one)."""
    return max(1, int(round(n_rows * share)))


def _order(s) -> np.ndarray:
    return np.argsort(-np.asarray(s, dtype=float), kind="stable")


def precision_at(y, s, share: float) -> float:
    y = np.asarray(y).astype(int)
    if len(y) == 0:
        return float("nan")
    k = top_n(len(y), share)
    return float(y[_order(s)[:k]].mean())


def recall_at(y, s, share: float) -> float:
    y = np.asarray(y).astype(int)
    if y.sum() == 0:
        return float("nan")
    k = top_n(len(y), share)
    return float(y[_order(s)[:k]].sum() / y.sum())


def revenue_at(y, s, value, share: float) -> float:
    """Share of the illicit declarations' value found in the top ``share``."""
    y = np.asarray(y).astype(int)
    v = np.asarray(value, dtype=float) * y
    if v.sum() <= 0:
        return float("nan")
    k = top_n(len(y), share)
    return float(v[_order(s)[:k]].sum() / v.sum())


def pr_auc(y, s) -> float:
    from sklearn.metrics import average_precision_score

    y = np.asarray(y).astype(int)
    return float(average_precision_score(y, s)) if 0 < y.sum() < len(y) else float("nan")


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def ring_metrics(predicted: list[set[str]], truth: dict[str, set[str]], k: int,
                 min_jaccard: float = 0.5) -> dict:
    """Ring precision, recall and F1 over the top ``k`` predicted rings; each predicted ring
    is matched to the true ring it overlaps most, a hit at Jaccard >= ``min_jaccard``.

    Also: the true rings found (``found``) and, per hit ring, the members that belong to no
    true ring (``innocents``, averaged)."""
    all_true = set().union(*truth.values()) if truth else set()
    hits, found, innocents = 0, set(), []
    for p in predicted[:k]:
        best, bj = None, 0.0
        for sid, t in truth.items():
            j = jaccard(p, t)
            if j > bj:
                best, bj = sid, j
        if best is not None and bj >= min_jaccard:
            hits += 1
            found.add(best)
            innocents.append(len(p - all_true))
    n = min(k, len(predicted))
    prec = hits / n if n else float("nan")
    rec = len(found) / len(truth) if truth else float("nan")
    f1 = 2 * prec * rec / (prec + rec) if prec and rec and prec + rec > 0 else 0.0
    return {"precision": prec, "recall": rec, "f1": f1, "found": found,
            "innocents": float(np.mean(innocents)) if innocents else float("nan")}
