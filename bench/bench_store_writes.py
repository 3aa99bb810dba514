"""Benchmark of ``LadybugStore.write_nodes`` adding to (and updating) a label that is already big.

    python bench/bench_store_writes.py [--stored 200000] [--delta 20000]

Fills ``Order`` with ``--stored`` nodes by one ``write_nodes`` call, then times
``write_nodes`` of ``--delta`` new keys, and of ``--delta`` rows of which half exist (the
update path, with two columns NULL in every row). Prints wall and CPU seconds per step:
on a shared machine CPU time is the steadier number. The database goes to a temporary
folder that is deleted afterwards.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime

import pyarrow as pa

from graph.store.ladybug_store import LadybugStore


def _orders(start: int, n: int, nulls: bool = False) -> pa.Table:
    keys = [f"ebp|{i:09d}" for i in range(start, start + n)]
    return pa.table({
        "order_key": keys, "order_no": [k[4:] for k in keys],
        "goods_value": pa.nulls(n, pa.float64()) if nulls else [float(i % 997) for i in range(n)],
        "order_time": (pa.nulls(n, pa.timestamp("us")) if nulls
                       else [datetime(2024, 1, 1 + i % 28) for i in range(n)]),
    })


def _timed(what: str, fn) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    print(f"{what:<48} wall {time.perf_counter() - wall:7.2f} s   "
          f"cpu {time.process_time() - cpu:7.2f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stored", type=int, default=200_000)
    ap.add_argument("--delta", type=int, default=20_000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-store-writes-") as tmp:
        store = LadybugStore(f"{tmp}/graph", buffer_pool_bytes=1024**3)
        store.ensure_schema()
        _timed(f"fill: {a.stored:,} new nodes (empty label)",
               lambda: store.write_nodes("Order", _orders(0, a.stored)))
        _timed(f"add: {a.delta:,} new nodes to {a.stored:,}",
               lambda: store.write_nodes("Order", _orders(a.stored, a.delta)))
        start = a.stored + a.delta - a.delta // 2
        _timed(f"upsert: {a.delta:,} rows, half existing, 2 cols NULL",
               lambda: store.write_nodes("Order", _orders(start, a.delta, nulls=True)))
        print("nodes:", store.count_nodes("Order"))
        store.close()


if __name__ == "__main__":
    main()
