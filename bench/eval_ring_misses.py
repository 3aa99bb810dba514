"""Why true rings are missed, on the two months *before* the test months (training's last
month and the validation month), so that ring extraction and ranking can be tuned without
looking at the test months.

    python bench/eval_ring_misses.py WORLD --workspace WS [--model combined|rules|trees+graph]

Scores the window like ``cbec evaluate`` scores the test months (trees+graph trained on the
labels known at the window's start, rules, their equal mix), builds the window's rings, and
prints per true ring active in the window (attributable members, as ``cbec evaluate``
matches them): members cut as hubs, quiet or business centres, the best Jaccard among the
raw candidates and among the final rings, and the rank of the first hit (Jaccard >= 0.5);
then ring recall@50 per typology. Reads the ground truth (like ``graph/evaluation``).
"""

from __future__ import annotations

import argparse
import types

import duckdb
import numpy as np
import pandas as pd

from graph.detection import rings as R
from graph.detection.features import build_features
from graph.detection.indicators import indicator_values, rules_score
from graph.detection.labels import month_split, month_start, training_labels
from graph.detection.model import train_trees
from graph.detection.pipeline import combine, monthly_features
from graph.evaluation.evaluate import _attributable
from graph.evaluation.metrics import jaccard
from graph.evaluation.truth import canonical_member, load_truth, person_ids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("world")
    ap.add_argument("--workspace", "-w", required=True)
    ap.add_argument("--model", default="combined", choices=["combined", "rules", "trees+graph"])
    ap.add_argument("--top", type=int, default=50)
    a = ap.parse_args()
    con = duckdb.connect(f"{a.workspace}/staging.duckdb", read_only=True)
    split = month_split(con)
    window = [split.train_months[-1], split.valid_month]
    start, end = month_start(window[0]), split.test_start
    X, meta, _ = monthly_features(con, split.train_months + [split.valid_month])
    rows = meta.index[meta.month.isin(window)]
    lab = training_labels(con, start)
    lab = lab[lab.decl_key.isin(X.index)]
    trees = train_trees(X.loc[lab.decl_key], lab.set_index("decl_key")["label"],
                        variant="graph").predict(X.loc[rows])
    scores = {"rules": rules_score(indicator_values(X)).loc[rows], "trees+graph": trees}
    scores["combined"] = combine(scores, {"trees+graph": 1.0, "rules": 1.0})
    fs = build_features(con, end, since=start, label_end=start)
    score = scores[a.model].reindex(fs.X.index).fillna(0.0)
    truth = load_truth(a.world, con)
    active = set(truth.decl.scheme_id.reindex(rows).dropna()) - {""}
    pids = person_ids(con)
    fair, left_out = _attributable(con, types.SimpleNamespace(ring_fs=fs),
                                   {s: m for s, m in truth.members.items() if s in active},
                                   pids)

    def canon(df: pd.DataFrame) -> list[str]:
        return [canonical_member(lab, k, pids) for lab, k in zip(df.label, df.key, strict=True)]

    links, _ = R._scored_links(con, score)
    ent = R.entity_scores(links, score)
    quiet, centres = R.quiet_nodes(ent, score), R.register_hubs(con)
    groups = R.candidate_groups(fs, links, centres, quiet)
    cands = pd.Series(canon(groups)).groupby(groups.group.to_numpy()).agg(set)
    hubs = set(pd.Series(canon(fs.nodes))[fs.nodes.hub.to_numpy()])
    rings = R.build_rings(con, fs, score, model_version=a.model, threshold=0.0, top=200)
    pred = [{canonical_member(m["ref"].label, m["ref"].key, pids) for m in r.members}
            - left_out for r in rings]
    out = []
    for sid, mem in fair.items():
        hit = next((i + 1 for i, p in enumerate(pred) if jaccard(p, mem) >= 0.5), None)
        out.append({
            "scheme": sid, "typology": truth.schemes.typology.get(sid, ""),
            "members": len(mem), "hubs": len(mem & hubs),
            "quiet": len(mem & set(canon(quiet))), "centres": len(mem & set(canon(centres))),
            "best_candidate_J": round(max((jaccard(c, mem) for c in cands), default=0.0), 2),
            "best_ring_J": round(max((jaccard(p, mem) for p in pred), default=0.0), 2),
            "hit_rank": hit})
    df = pd.DataFrame(out).sort_values(["typology", "scheme"])
    print(f"window {window[0]}..{window[1]}, model {a.model}, {len(df)} true rings")
    print(df.to_string(index=False))
    df["found"] = df.hit_rank.fillna(np.inf) <= a.top
    print(f"\nring recall@{a.top} {df.found.mean():.3f}")
    print(df.groupby("typology").found.agg(["sum", "size"]).to_string())


if __name__ == "__main__":
    main()
