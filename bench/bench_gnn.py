"""Benchmark the heterogeneous GNN: quality on the last two months, training time, memory.

    .venv/bin/python bench/bench_gnn.py --workspace ws100k-7 --world world100k-7 --seeds 7 8 9

Trains ``fit_predict_gnn`` on inspection outcomes before the first test month (the split of
``graph.detection.labels.month_split``: the GNN's early stopping uses the validation month),
scores the last two months and measures them against the world's ground truth. This script
is the only GNN code that reads ``ground_truth/`` (the package never does). Each run is a
fresh process, so its peak resident memory is its own. ``--variants`` compares the GNN with
the same network without message passing (``nograph``: layers=0, own features only).
Run from another checkout than the venv's editable install with ``PYTHONPATH=.``: the
script's own folder, not the current one, leads ``sys.path``, so ``graph`` would otherwise
be imported from the installed checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

VARIANTS = {
    "gnn": {},                      # the defaults of GnnConfig
    "nograph": {"layers": 0},       # same features and head, no neighbours
    "gnn3": {"layers": 3},
    "nohubs": {"relations": ["seller", "agent", "carrier", "owner", "buyer", "consignee",
                             "payer", "ship_to", "contact", "pays_from"]},
}


def _metrics(y: np.ndarray, s: np.ndarray) -> dict:
    from sklearn.metrics import average_precision_score
    order = np.argsort(-s, kind="stable")
    ys = y[order]
    out = {"n": int(len(y)), "positives": int(y.sum()),
           "pr_auc": float(average_precision_score(y, s)) if 0 < y.sum() < len(y) else None}
    for pct in (1, 5):
        k = max(1, int(round(len(y) * pct / 100)))
        out[f"precision@{pct}%"] = float(ys[:k].mean())
        out[f"recall@{pct}%"] = float(ys[:k].sum() / max(1, y.sum()))
    return out


def one_run(ws: Path, world: Path, seed: int, variant: str) -> dict:
    """Train and evaluate once (in this process); returns the figures."""
    import duckdb

    from graph.detection.gnn import GnnConfig, fit_predict_gnn
    from graph.detection.labels import month_split

    con = duckdb.connect(str(ws / "staging.duckdb"), read_only=True)
    split = month_split(con)
    cfg = GnnConfig(**VARIANTS[variant])
    t0 = time.perf_counter()
    res = fit_predict_gnn(con, train_end=split.test_start, predict_start=split.test_start,
                          predict_end=split.test_end, seed=seed, progress=False, config=cfg)
    wall = time.perf_counter() - t0
    seen = set(con.execute("SELECT DISTINCT ebc_code FROM stg_declarations WHERE decl_time < $t",
                           {"t": split.test_start}).df()["ebc_code"])
    sellers = con.execute("SELECT invt_no AS decl_key, ebc_code FROM stg_declarations").df()
    truth = pd.read_parquet(world / "ground_truth" / "declarations.parquet",
                            columns=["invt_no", "is_malicious"]).rename(
                                columns={"invt_no": "decl_key"})
    df = res.scores.merge(truth, on="decl_key", how="left").merge(sellers, on="decl_key",
                                                                   how="left")
    df["is_malicious"] = df["is_malicious"].fillna(False).astype(int)
    y, s = df["is_malicious"].to_numpy(), df["gnn_score"].to_numpy()
    new = ~df["ebc_code"].isin(seen).to_numpy()
    return {"variant": variant, "seed": seed, "workspace": str(ws),
            "test_months": split.test_months, "all": _metrics(y, s),
            "unseen_sellers": _metrics(y[new], s[new]) if new.any() else None,
            "labels": res.card["labels"], "best_epoch": res.card["best_epoch"],
            "epochs_run": res.card["epochs_run"], "timings_s": res.card["timings_s"],
            "wall_s": round(wall, 1), "graph_train": res.card["graph_train"],
            "cpu_s": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 1),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "load_avg": os.getloadavg()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", type=Path, required=True)
    ap.add_argument("--world", type=Path, required=True, help="the generated world (ground truth)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[7])
    ap.add_argument("--variants", nargs="+", default=["gnn"], choices=sorted(VARIANTS))
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help="append each run's JSON to this file")
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one_run(a.workspace, a.world, a.seeds[0], a.variants[0])))
        return
    rows = []
    for variant in a.variants:
        for seed in a.seeds:
            cmd = [sys.executable, __file__, "--one", "--workspace", str(a.workspace),
                   "--world", str(a.world), "--seeds", str(seed), "--variants", variant]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            rows.append(r)
            if a.out:
                with a.out.open("a") as f:
                    f.write(json.dumps(r) + "\n")
            m, u = r["all"], r["unseen_sellers"] or {}
            print(f"{variant:8s} seed {seed}: PR-AUC {m['pr_auc']:.3f}  P@1% "
                  f"{m['precision@1%']:.3f}  R@5% {m['recall@5%']:.3f}  | unseen sellers "
                  f"PR-AUC {u.get('pr_auc') or float('nan'):.3f} R@5% "
                  f"{u.get('recall@5%', float('nan')):.3f} (n={u.get('n', 0)}, "
                  f"pos={u.get('positives', 0)})  | train {r['timings_s']['train_s']:.0f} s, "
                  f"total {r['wall_s']:.0f} s wall / {r['cpu_s']:.0f} s CPU, "
                  f"peak {r['peak_rss_mib']} MiB, "
                  f"epochs {r['epochs_run']} (best {r['best_epoch']}), load {r['load_avg'][0]:.1f}",
                  flush=True)
    for variant in a.variants:
        rs = [r for r in rows if r["variant"] == variant]
        mean = {k: float(np.mean([r["all"][k] for r in rs]))
                for k in ("pr_auc", "precision@1%", "recall@5%")}
        sd = {k: float(np.std([r["all"][k] for r in rs])) for k in mean}
        print(f"{variant:8s} mean over seeds {[r['seed'] for r in rs]}: "
              + "  ".join(f"{k} {mean[k]:.3f} ± {sd[k]:.3f}" for k in mean))


if __name__ == "__main__":
    main()
