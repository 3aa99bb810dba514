"""``cbec evaluate``: every model on the same time split, in one run with a fixed seed,
measured against the world's ground truth on the test months (the last two).

Rows of the table (columns: rules, trees, trees+graph, gnn, combined):
precision@1%, recall@1/2/5/10%, revenue@1/5% (share of the illicit lists' value),
PR-AUC, ring precision/recall/F1 at 10 and 50 (Jaccard >= 0.5), innocent entities per hit
ring, recall@5% per typology, and the breakdown for schemes and sellers never seen in
training (PR-AUC and recall@5% inside the test lists of unseen schemes or sellers plus all
benign lists).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from graph.detection.idgraph import PROVIDER_MAX_SELLERS
from graph.detection.pipeline import Experiment, run_experiment
from graph.detection.rings import build_rings
from graph.evaluation.metrics import (
    pr_auc,
    precision_at,
    recall_at,
    revenue_at,
    ring_metrics,
    top_n,
)
from graph.evaluation.truth import Truth, canonical_member, load_truth, person_ids

__all__ = ["EvalResult", "evaluate", "evaluate_experiment", "format_table", "MODEL_ORDER"]

MODEL_ORDER = ["rules", "trees", "trees+graph", "gnn", "combined"]
TYPOLOGIES = [f"T{i}" for i in range(1, 11)]


@dataclass
class EvalResult:
    table: pd.DataFrame  # metric rows x model columns
    notes: list[str] = field(default_factory=list)
    rings: dict = field(default_factory=dict)  # model -> list of Ring


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, str):
        return v
    return f"{v:.3f}"


def format_table(result: EvalResult) -> str:
    """The table as fixed-width text (what the command prints)."""
    t = result.table
    cols = list(t.columns)
    w0 = max(len(str(i)) for i in t.index) + 2
    lines = ["metric".ljust(w0) + "".join(c.rjust(13) for c in cols)]
    lines.append("-" * len(lines[0]))
    for idx, row in t.iterrows():
        lines.append(str(idx).ljust(w0) + "".join(_fmt(row[c]).rjust(13) for c in cols))
    return "\n".join(lines + [""] + result.notes)


def evaluate(workspace: str | Path, world: str | Path, *, seed: int = 7,
             with_gnn: bool = True, gnn_epochs: int | None = None,
             progress=None) -> EvalResult:
    """Run the experiment on the workspace's staging and measure it (module doc)."""
    import duckdb

    db = Path(workspace) / "staging.duckdb"
    if not db.exists():
        raise FileNotFoundError(f"{db} not found: run `cbec load WORLD --workspace "
                                f"{workspace}` first")
    con = duckdb.connect(str(db), read_only=True)
    try:
        exp = run_experiment(con, seed=seed, with_gnn=with_gnn, gnn_epochs=gnn_epochs,
                             progress=progress)
        truth = load_truth(world, con)
        return evaluate_experiment(con, exp, truth, progress=progress)
    finally:
        con.close()


def _unseen(exp: Experiment, truth: Truth, test: pd.Index) -> tuple[pd.Series, pd.Series]:
    """Masks over ``test``: lists of schemes / of sellers with nothing before the test."""
    before = exp.meta.index[exp.meta.decl_time < exp.split.test_start]
    tdec = truth.decl
    seen_schemes = set(tdec.scheme_id.reindex(before).dropna()) - {""}
    sch = tdec.scheme_id.reindex(test)
    unseen_scheme = sch.notna() & (sch != "") & ~sch.isin(seen_schemes)
    seen_sellers = set(exp.meta.seller.reindex(before).dropna())
    unseen_seller = ~exp.meta.seller.reindex(test).isin(seen_sellers)
    return unseen_scheme, unseen_seller


def _attributable(con, exp: Experiment, true_rings: dict[str, set[str]], pids: dict
                  ) -> tuple[dict[str, set[str]], set[str]]:
    """The true rings over the members a ring detector can attribute, and what is left out.

    Left out: members the data up to the test end never names (a successor firm registered
    after it), and shared providers (an agent, carrier or payment firm on the lists of more
    than ``PROVIDER_MAX_SELLERS`` sellers: the story may name the ring's carrier, but a
    carrier of 90 sellers says nothing about which of them is a ring). The strict figure,
    every true member, is a row of its own. Reads the ``det_ent`` table of the ring graph
    (``exp.ring_fs``, built up to the test end on ``con``)."""
    ent = con.execute("SELECT label, key, n_sellers FROM det_ent").df()
    named = {canonical_member(lab, k, pids) for lab, k in zip(ent.label, ent.key,
                                                               strict=True)}
    nodes = exp.ring_fs.nodes if exp.ring_fs is not None else ent.iloc[:0]
    named |= {canonical_member(lab, k, pids) for lab, k in zip(nodes.label, nodes.key,
                                                               strict=True)}
    prov = ent[(ent.label == "Enterprise") & (ent.n_sellers > PROVIDER_MAX_SELLERS)]
    shared = {canonical_member("Enterprise", k) for k in prov.key}
    fair = {sid: (m & named) - shared for sid, m in true_rings.items()}
    return {sid: m for sid, m in fair.items() if m}, shared


def _left_out_note(true_rings: dict[str, set[str]], fair: dict[str, set[str]]) -> str:
    n_all = sum(len(m) for m in true_rings.values())
    n_fair = sum(len(m) for m in fair.values())
    return (f"{n_all - n_fair} of {n_all} members (unnamed by the test end or shared "
            f"providers), {len(true_rings) - len(fair)} whole rings")


def evaluate_experiment(con, exp: Experiment, truth: Truth, *, progress=None) -> EvalResult:
    split = exp.split
    test = exp.meta.index[exp.meta.month.isin(split.test_months)]
    y = truth.decl.is_malicious.reindex(test).fillna(False).astype(bool).to_numpy()
    value = exp.meta.value_cny.reindex(test).to_numpy()
    typ = truth.decl.typology.reindex(test).fillna("").to_numpy()
    unseen_scheme, unseen_seller = _unseen(exp, truth, test)
    benign = ~y
    rows: dict[str, dict] = {}
    # the true rings of the test months: schemes with a list in them
    active = set(truth.decl.scheme_id.reindex(test).dropna()) - {""}
    true_rings = {s: m for s, m in truth.members.items() if s in active}
    true_typ = {s: truth.schemes.typology.get(s, "") for s in true_rings}
    ring_out = {}
    pids = person_ids(con)
    fair, left_out = _attributable(con, exp, true_rings, pids)
    for model in MODEL_ORDER:
        if model not in exp.scores:
            continue
        s = exp.scores[model].reindex(test).fillna(0.0).to_numpy()
        r = {
            "precision@1%": precision_at(y, s, 0.01),
            "recall@1%": recall_at(y, s, 0.01), "recall@2%": recall_at(y, s, 0.02),
            "recall@5%": recall_at(y, s, 0.05), "recall@10%": recall_at(y, s, 0.10),
            "revenue@1%": revenue_at(y, s, value, 0.01),
            "revenue@5%": revenue_at(y, s, value, 0.05),
            "PR-AUC": pr_auc(y, s),
        }
        k5 = top_n(len(y), 0.05)
        top5 = np.zeros(len(y), bool)
        top5[np.argsort(-s, kind="stable")[:k5]] = True
        for t in TYPOLOGIES:
            m = typ == t
            r[f"recall@5% {t}"] = float(top5[m].mean()) if m.any() else float("nan")
        for name, mask in (("unseen schemes", unseen_scheme.to_numpy()),
                           ("unseen sellers", unseen_seller.to_numpy())):
            sub = (mask & y) | benign  # the unseen illicit lists among all benign ones
            r[f"{name}: PR-AUC"] = pr_auc(y[sub], s[sub])
            r[f"{name}: recall@5%"] = recall_at(y[sub], s[sub], 0.05)
            r[f"{name}: illicit lists"] = float((mask & y).sum())
        if exp.ring_fs is not None:
            if progress:
                progress(f"rings by {model}")
            rings = build_rings(con, exp.ring_fs, exp.scores[model].reindex(
                exp.ring_fs.X.index).fillna(0.0), model_version=model, threshold=0.0,
                top=50)
            ring_out[model] = rings
            pred = [{canonical_member(m["ref"].label, m["ref"].key, pids) for m in rg.members}
                    for rg in rings]
            r["ring recall@50, every true member"] = ring_metrics(pred, true_rings,
                                                                   50)["recall"]
            pred = [p - left_out for p in pred]
            for k in (10, 50):
                rm = ring_metrics(pred, fair, k)
                r[f"ring precision@{k}"] = rm["precision"]
                r[f"ring recall@{k}"] = rm["recall"]
                r[f"ring F1@{k}"] = rm["f1"]
                if k == 50:
                    r["innocents per hit ring@50"] = rm["innocents"]
                    for t in ("T6",):
                        ts = [sid for sid in fair if true_typ[sid] == t]
                        r[f"ring recall@50 {t}"] = (len(rm["found"] & set(ts)) / len(ts)
                                                    if ts else float("nan"))
        rows[model] = r
    table = pd.DataFrame(rows)
    notes = [
        f"split: train {split.train_months[0]}..{split.train_months[-1]}, validation "
        f"{split.valid_month}, test {', '.join(split.test_months)}; {len(test)} test lists, "
        f"{int(y.sum())} illicit; {len(true_rings)} true rings active in the test months",
        f"ring matching: Jaccard over the members the data can attribute to a ring; left "
        f"out of the true rings: {_left_out_note(true_rings, fair)}",
        f"combination weights (chosen on the validation month's inspections): "
        f"{exp.weights}",
        "validation PR-AUC on inspected lists: "
        + ", ".join(f"{k} {v:.3f}" for k, v in exp.valid_ap.items() if not math.isnan(v)),
        exp.gnn_note,
    ]
    return EvalResult(table, notes, ring_out)
