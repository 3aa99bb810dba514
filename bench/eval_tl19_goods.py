"""TL-19's goods-name comparison on a generated world: how many honest and how many fraud
lists it routes to risk, and how many of those for the goods name.

    python bench/eval_tl19_goods.py --world W [--workspace WS] [--declarations 30000 --seed 7]

Stages ``W`` (generated first when missing) into ``WS`` once (reused on later runs), runs
TL-19 over every list and prints, per ground-truth group (benign / each typology / all
fraud), the share of lists TL-19 does not pass, the share whose explanation names the goods,
and the share whose only issue is the goods. The check never reads the ground truth; this
script does, to score it. ``--pairs N`` also prints N goods-only disagreements per group.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", type=Path, required=True)
    ap.add_argument("--workspace", type=Path, help="default: WORLD-ws")
    ap.add_argument("--declarations", type=int, default=30000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pairs", type=int, default=0)
    args = ap.parse_args()

    import pandas as pd

    from etl.load import open_staging, stage_if_empty
    from etl.three_list import check_by_id, run_checks

    if not (args.world / "manifest.json").exists():
        from synthetic.config import GenConfig
        from synthetic.world import generate

        generate(GenConfig(declarations=args.declarations, seed=args.seed), args.world)
    ws = args.workspace or args.world.with_name(args.world.name + "-ws")
    con = open_staging(ws)
    try:
        load_id = stage_if_empty(args.world, ws, con)
        t0 = time.perf_counter()
        run_checks(con, load_id, full=True, checks=[check_by_id("TL-19")])
        took = time.perf_counter() - t0
        res = con.execute("SELECT invt_no, status, explanation FROM stg_check_results "
                          "WHERE check_id = 'TL-19'").df()
    finally:
        con.close()
    truth = pd.read_parquet(args.world / "ground_truth" / "declarations.parquet")
    res = res.merge(truth[["invt_no", "typology"]], on="invt_no", how="left")
    res["group"] = res["typology"].fillna("benign")
    res["flagged"] = res.status != "pass"
    res["goods"] = res.explanation.str.contains("its goods ", regex=False)
    issues = res.explanation.str.split(": ", n=1).str[1].fillna("")
    res["goods_only"] = res.goods & ~issues.str.contains("; ", regex=False)
    fraud = res[res.group != "benign"].assign(group="all fraud")
    table = pd.concat([res, fraud]).groupby("group").agg(
        lists=("invt_no", "size"), flagged=("flagged", "mean"), goods=("goods", "mean"),
        goods_only=("goods_only", "mean"))
    print(f"TL-19 over {len(res):,} lists in {took:.1f} s (load average "
          f"{os.getloadavg()[0]:.1f}); share of lists:")
    print(table.round(3).to_string())
    if args.pairs:
        with pd.option_context("display.max_colwidth", 200, "display.width", 250):
            for g, part in res[res.goods].groupby("group"):
                print(f"\n{g}:")
                for e in part.explanation.head(args.pairs):
                    print("  ", e[e.find("its goods"):][:220])


if __name__ == "__main__":
    main()
