"""TL-19's item-link issue (T10 order pushing) against a generated world's truth.

Stages WORLD into WORKSPACE (unless it already holds a staging), times TL-19 alone (best
of 3, full run) and the learning of the platforms' own hosts alone, prints the hosts
learned per platform, then per ground-truth group (typology for malicious lists, look-alike
or 'benign' for the rest) the share of lists TL-19 routes to risk at all and the share
whose explanation names an outside item link. Only this script reads the ground truth.

    .venv/bin/cbec generate -n 100000 --seed 7 --out world100k
    .venv/bin/python bench/eval_item_links.py world100k ws100k
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from etl.checks.parties import _PLATFORM_HOSTS

_OUTSIDE = "the item link points to"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("world", type=Path)
    ap.add_argument("workspace", type=Path)
    args = ap.parse_args()

    from etl.load import open_staging, stage_if_empty
    from etl.three_list import check_by_id, run_checks

    con = open_staging(args.workspace)
    load_id = stage_if_empty(args.world, args.workspace, con)
    n = con.execute("SELECT count(*) FROM stg_declarations").fetchone()[0]

    def best(fn, repeat: int = 3) -> float:  # the machine is shared: best of 3
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    hosts_sql = f"WITH {_PLATFORM_HOSTS} SELECT * FROM pd ORDER BY ebp_code"
    t_hosts = best(lambda: con.execute(hosts_sql).fetchall())
    t_tl19 = best(lambda: run_checks(con, load_id, full=True, checks=[check_by_id("TL-19")]))
    print(f"{n:,} lists: TL-19 full run {t_tl19:.2f} s, of which learning the platforms' "
          f"hosts {t_hosts:.2f} s")
    pd.set_option("display.width", 200)
    print("\nlearned platform hosts:")
    print(con.execute(hosts_sql).df().to_string(index=False))

    t = pd.read_parquet(args.world / "ground_truth" / "declarations.parquet")
    t["group"] = t["typology"].where(t["is_malicious"], t["lookalike"].fillna("benign"))
    t.loc[~t["is_malicious"], "group"] = "benign:" + t.loc[~t["is_malicious"], "group"]
    res = con.execute("SELECT invt_no, status, explanation FROM stg_check_results "
                      "WHERE check_id = 'TL-19'").df().set_index("invt_no")
    imp = t[t.invt_no.isin(res.index)].copy()  # TL-19 applies (import, order and slip)
    imp["TL-19 risk"] = imp.invt_no.map(res.status).eq("risk")
    imp["outside link"] = imp.invt_no.map(res.explanation).str.contains(_OUTSIDE, regex=False)
    cols = ["TL-19 risk", "outside link"]
    table = imp.groupby("group")[cols].mean()
    table.insert(0, "lists", imp.groupby("group").size())
    overall = imp.groupby("is_malicious")[cols].mean()
    overall.index = ["all benign", "all malicious"]
    overall.insert(0, "lists", imp.groupby("is_malicious").size().values)
    print("\nshare of the lists TL-19 applies to:")
    print(pd.concat([table, overall]).round(4).to_string())
    ex = res[res.explanation.str.contains(_OUTSIDE, regex=False)].explanation.head(1)
    if len(ex):
        print("\nexample:", ex.iloc[0])
    con.close()


if __name__ == "__main__":
    main()
