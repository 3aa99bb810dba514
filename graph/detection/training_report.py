"""The report of ``cbec train``: each model on the validation and test months, measured on
the declarations that carry a label there (what an administration without ground truth
can measure: inspected declarations only, so the numbers are biased toward what was
inspected)."""

from __future__ import annotations

import numpy as np

from graph.detection.pipeline import Experiment, average_precision

__all__ = ["label_report"]


def _precision_at(y: np.ndarray, s: np.ndarray, share: float) -> float:
    k = max(1, int(round(len(y) * share)))
    return float(y[np.argsort(-s, kind="stable")[:k]].mean()) if len(y) else float("nan")


def label_report(con, exp: Experiment, labels) -> str:
    """Fixed-width text: PR-AUC and precision@10%/@20% per model and period."""
    sp = exp.split
    lab = labels(con, sp.test_end).set_index("decl_key")["label"]
    periods = {"validation " + sp.valid_month: [sp.valid_month],
               "test " + ", ".join(sp.test_months): sp.test_months}
    lines = [f"{'model':<14}{'period':<28}{'labels':>8}{'positive':>10}{'PR-AUC':>9}"
             f"{'P@10%':>8}{'P@20%':>8}"]
    for name, s in exp.scores.items():
        for pname, months in periods.items():
            idx = exp.meta.index[exp.meta.month.isin(months)]
            y = lab.reindex(idx).dropna()
            if y.empty:
                continue
            yy, ss = y.to_numpy().astype(int), s.reindex(y.index).fillna(0).to_numpy()
            lines.append(f"{name:<14}{pname:<28}{len(yy):>8}{int(yy.sum()):>10}"
                         f"{average_precision(yy, ss):>9.3f}{_precision_at(yy, ss, .1):>8.3f}"
                         f"{_precision_at(yy, ss, .2):>8.3f}")
    lines.append(f"combination weights (validation month): {exp.weights}")
    return "\n".join(lines)
