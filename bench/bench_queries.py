"""Query benchmark of the embedded store: 2-hop neighbourhoods and shortest paths at 1M scale.

Builds (or reuses, with ``--store PATH`` of an existing database) a Ladybug store holding
about 1M declarations' worth of graph, synthesised with numpy in the shape of
``graph/schema.yaml`` and written through the public ``write_nodes`` / ``write_edges`` API:
1M Declarations, Orders and Waybills, 0.7M Payments, 400k Persons, 300k Addresses and
Phones, 30k Enterprises, ~11M edges with heavy-tailed degrees (Zipf-like buyers,
addresses, sellers; ~20 platforms and ~40 carriers with up to hundreds of thousands of
edges; every declaration linked to a Country and an HsCode).

Then times ``--neighbourhoods`` random 2-hop neighbourhoods (limit 500) and ``--paths``
shortest paths between Person/Enterprise pairs (half of them a random walk apart, so
connected within 6 hops, half drawn at random), and prints p50/p95/max and the build time.
Target (issue #3): neighbourhood p95 <= 100 ms, shortest path p95 <= 1 s.

``--walks index`` (the default) first builds the store's adjacency index
(``store.use_adjacency()``, as the app does once) and prints its build time and size;
``--walks cypher`` walks with one Cypher query per node or frontier, as a one-shot CLI
command does. Run the two in separate processes: each starts with a cold buffer pool.

    .venv/bin/python bench/bench_queries.py                      # build in a temp dir
    .venv/bin/python bench/bench_queries.py --store /tmp/g1m     # build once, keep, reuse
    .venv/bin/python bench/bench_queries.py --scale 0.05         # a quick small run
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from etl.normalise import normalise_name
from graph.store.base import NodeRef
from graph.store.ladybug_store import LadybugStore
from graph.store.paths import PathSearchGaveUp

console = Console()
BASE_SIZES = {"Declaration": 1_000_000, "Order": 1_000_000, "Waybill": 1_000_000,
              "Payment": 700_000, "Person": 400_000, "Address": 300_000, "Phone": 300_000,
              "IdNumber": 350_000, "PaymentAccount": 200_000, "Enterprise": 30_000,
              "HsCode": 2_000, "Country": 60}
PLATFORMS, CARRIERS = 20, 40  # the first Enterprise codes: platforms, then carriers
T0 = np.datetime64("2024-01-01T00:00:00", "us")
SYLLABLES = ["zhang", "wang", "li", "zhao", "chen", "liu", "yang", "huang", "wu", "zhou",
             "xu", "sun", "ma", "hu", "guo", "lin", "he", "gao", "luo", "zheng", "wei", "na",
             "fang", "min", "jing", "lei", "yan", "jun", "hua", "ping", "ming", "hong"]


def keys(prefix: str, n: int) -> pa.Array:
    return pa.array([f"{prefix}{i:07d}" for i in range(n)], pa.string())


def zipf_pick(rng: np.random.Generator, n_items: int, size: int, s: float) -> np.ndarray:
    """``size`` draws from ``n_items`` with weights 1/rank^s (heavy-tailed degrees)."""
    w = 1.0 / np.arange(1, n_items + 1) ** s
    return rng.choice(n_items, size=size, p=w / w.sum())


def names(rng: np.random.Generator, n: int) -> list[str]:
    a, b, c = (rng.integers(0, len(SYLLABLES), n) for _ in range(3))
    return [f"{SYLLABLES[i]} {SYLLABLES[j]}{SYLLABLES[k]}" for i, j, k in zip(a, b, c,
                                                                               strict=True)]


def synthesise(scale: float, seed: int):
    """Node tables and edge tables (type, from label, to label, table) of the benchmark."""
    rng = np.random.default_rng(seed)
    n = {k: max(int(v * scale), 50) for k, v in BASE_SIZES.items()}
    n["Country"], n["HsCode"] = BASE_SIZES["Country"], min(BASE_SIZES["HsCode"], n["HsCode"])
    pre = {"Declaration": "D", "Order": "O", "Waybill": "W", "Payment": "T", "Person": "P",
           "Address": "A", "Phone": "+86139", "IdNumber": "ID", "PaymentAccount": "ACC",
           "Enterprise": "E", "HsCode": "HS", "Country": "C"}
    k = {lab: keys(pre[lab], n[lab]) for lab in n}
    secs = lambda m: pa.array(T0 + rng.integers(0, 365 * 86400, m) * 1_000_000)  # noqa: E731
    person_names = names(rng, n["Person"])
    ent_names = [f"{x} trading co ltd" for x in names(rng, n["Enterprise"])]
    nodes = {
        "Country": pa.table({"iso2": k["Country"]}),
        "HsCode": pa.table({"gcode": k["HsCode"]}),
        "Enterprise": pa.table({"code": k["Enterprise"], "name": ent_names,
                                "name_norm": [normalise_name(x) for x in ent_names]}),
        "Person": pa.table({"person_key": k["Person"], "name": person_names,
                            "name_norm": [normalise_name(x) for x in person_names]}),
        "Address": pa.table({"address_key": k["Address"],
                             "address_norm": [f"NO {i} RD {i % 997}" for i in
                                              range(n["Address"])]}),
        "Phone": pa.table({"phone": k["Phone"]}),
        "IdNumber": pa.table({"id_key": k["IdNumber"]}),
        "PaymentAccount": pa.table({"account_key": k["PaymentAccount"]}),
        "Order": pa.table({"order_key": k["Order"], "order_time": secs(n["Order"]),
                           "goods_value": rng.gamma(2.0, 60.0, n["Order"])}),
        "Payment": pa.table({"payment_key": k["Payment"], "pay_time": secs(n["Payment"]),
                             "amount_paid": rng.gamma(2.0, 60.0, n["Payment"])}),
        "Waybill": pa.table({"waybill_key": k["Waybill"], "ship_time": secs(n["Waybill"])}),
        "Declaration": pa.table({"invt_no": k["Declaration"],
                                 "decl_time": secs(n["Declaration"]),
                                 "total_value": rng.gamma(2.0, 60.0, n["Declaration"])}),
    }

    def edge(typ, fl, tl, fidx, tidx):
        return typ, fl, tl, pa.table({"from_key": k[fl].take(pa.array(fidx)),
                                      "to_key": k[tl].take(pa.array(tidx))})

    nd, no, nw, npay = n["Declaration"], n["Order"], n["Waybill"], n["Payment"]
    ne, npers = n["Enterprise"], n["Person"]
    d_order = np.arange(nd) % no
    sellers = PLATFORMS + CARRIERS + zipf_pick(rng, ne - PLATFORMS - CARRIERS, no, 0.9)
    order_buyer = zipf_pick(rng, npers, no, 0.8)
    pay_order = rng.choice(no, npay, replace=False)
    people = np.arange(npers)
    edges = [
        edge("FOR_ORDER", "Declaration", "Order", np.arange(nd), d_order),
        edge("SHIPPED_AS", "Declaration", "Waybill", np.arange(nd), np.arange(nd) % nw),
        edge("SOLD_BY", "Order", "Enterprise", np.arange(no), sellers),
        edge("ON_PLATFORM", "Order", "Enterprise", np.arange(no),
             zipf_pick(rng, PLATFORMS, no, 1.0)),
        edge("CARRIED_BY", "Waybill", "Enterprise", np.arange(nw),
             PLATFORMS + zipf_pick(rng, CARRIERS, nw, 1.0)),
        edge("DESTINED_TO", "Declaration", "Country", np.arange(nd),
             zipf_pick(rng, n["Country"], nd, 1.2)),
        edge("CLASSIFIED_AS", "Declaration", "HsCode", np.arange(nd),
             zipf_pick(rng, n["HsCode"], nd, 1.0)),
        edge("BUYER", "Order", "Person", np.arange(no), order_buyer),
        edge("SHIP_TO", "Order", "Address", np.arange(no),
             zipf_pick(rng, n["Address"], no, 0.7)),
        edge("PAYS", "Payment", "Order", np.arange(npay), pay_order),
        edge("FROM_ACCOUNT", "Payment", "PaymentAccount", np.arange(npay),
             zipf_pick(rng, n["PaymentAccount"], npay, 0.6)),
        edge("HAS_PHONE", "Person", "Phone", people, zipf_pick(rng, n["Phone"], npers, 0.5)),
        edge("LOCATED_AT", "Person", "Address", people,
             zipf_pick(rng, n["Address"], npers, 0.5)),
        edge("HAS_ID", "Person", "IdNumber", people[: n["IdNumber"]],
             np.arange(min(n["IdNumber"], npers))),
        edge("HAS_PHONE", "Enterprise", "Phone", np.arange(ne),
             rng.integers(0, n["Phone"], ne)),
        edge("LOCATED_AT", "Enterprise", "Address", np.arange(ne),
             rng.integers(0, n["Address"], ne)),
    ]
    return nodes, edges


def build(path: Path, scale: float, seed: int, pool: int) -> float:
    """Synthesise and load the store at ``path``; returns the seconds the load took."""
    t0 = time.perf_counter()
    nodes, edges = synthesise(scale, seed)
    console.print(f"synthesised {sum(t.num_rows for t in nodes.values()):,} nodes, "
                  f"{sum(e[3].num_rows for e in edges):,} edges in "
                  f"{time.perf_counter() - t0:.1f} s")
    t1 = time.perf_counter()
    with LadybugStore(path, buffer_pool_bytes=pool) as store, Progress(console=console) as bar:
        store.ensure_schema()
        task = bar.add_task("loading", total=len(nodes) + len(edges))
        for label, rows in nodes.items():
            store.write_nodes(label, rows)
            bar.advance(task)
        for typ, fl, tl, rows in edges:
            store.write_edges(typ, fl, tl, rows, batch=f"bench-{typ}-{fl}-{tl}")
            bar.advance(task)
    return time.perf_counter() - t1


def stats(ms: list[float]) -> tuple[float, float, float]:
    a = np.array(ms)
    return float(np.percentile(a, 50)), float(np.percentile(a, 95)), float(a.max())


def random_walk_end(store, start: NodeRef, steps: int, rnd: random.Random) -> NodeRef | None:
    """The last Person/Enterprise (not ``start``) met on a hub-avoiding random walk of
    ``steps`` edges from ``start``: an entity at most ``steps`` hops away, or None."""
    node, found = start, None
    for _ in range(steps):
        # sorted: stores return neighbours in their own order, and the walk must draw the
        # same pairs on every store (unsorted, Ladybug and Neo4j timed different pairs)
        nb = sorted(store._neighbour_keys([node]))
        if not nb:
            break
        node = rnd.choice(nb)[2]
        if node.label in ("Person", "Enterprise") and node != start:
            found = node
    return found


def run_queries(store, n_nb: int, n_paths: int, seed: int) -> dict:
    rnd = random.Random(seed)
    # Start points are drawn from the keys the store really holds, so the same code runs on
    # the synthetic store and on one written by `cbec load` (--store WORKSPACE/graph).
    keys = {}
    for lab in ("Person", "Enterprise", "Declaration", "Address", "Phone"):
        k = store.schema.node(lab).key
        keys[lab] = sorted(r["k"] for r in store.query(f"MATCH (n:{lab}) RETURN n.{k} AS k"))
    pick = lambda lab: NodeRef(lab, rnd.choice(keys[lab]))  # noqa: E731
    labels = ["Person"] * 10 + ["Declaration"] * 5 + ["Enterprise"] * 2 + ["Address", "Phone"] * 2
    out: dict = {"nb_ms": [], "nb_nodes": [], "nb_truncated": 0, "path_ms": [], "found": 0,
                 "gave_up": 0, "found_linked": 0, "hops": [], "pair_hops": []}
    with Progress(console=console) as bar:
        task = bar.add_task("2-hop neighbourhoods", total=n_nb)
        for _ in range(n_nb):
            ref = pick(rnd.choice(labels))
            t = time.perf_counter()
            sg = store.neighbourhood(ref, hops=2, limit=500)
            out["nb_ms"].append((time.perf_counter() - t) * 1000)
            out["nb_nodes"].append(len(sg.nodes))
            out["nb_truncated"] += sg.truncated
            bar.advance(task)
        pairs = []
        while len(pairs) < n_paths:
            a = pick(rnd.choice(["Person", "Enterprise"]))
            if len(pairs) % 2 == 0:  # connected within 6 hops (a walk of 2-6 edges apart)
                b = random_walk_end(store, a, rnd.randint(2, 6), rnd)
                if b is None:
                    continue
            else:
                b = pick(rnd.choice(["Person", "Enterprise"]))
            pairs.append((a, b))
        task = bar.add_task("shortest paths", total=n_paths)
        for i, (a, b) in enumerate(pairs):
            t = time.perf_counter()
            try:
                p = store.shortest_path(a, b, max_hops=6)
            except PathSearchGaveUp:
                p, out["gave_up"] = None, out["gave_up"] + 1
            out["path_ms"].append((time.perf_counter() - t) * 1000)
            out["pair_hops"].append(p.hops if p is not None else None)  # compared across stores
            if p is not None:
                out["found"] += 1
                out["found_linked"] += i % 2 == 0
                out["hops"].append(p.hops)
            bar.advance(task)
        more = random.Random(seed + 1)  # apart, so the runs above draw what they always drew
        _subgraphs_and_searches(store, keys, more, n_paths // 2, bar, out)
    return out


def _typo(text: str, rnd: random.Random) -> str:
    """``text`` with one letter in its middle replaced (a misheard or mistyped name)."""
    i = rnd.randrange(len(text) // 3, max(len(text) * 2 // 3, len(text) // 3 + 1))
    return text[:i] + ("Q" if text[i] != "Q" else "X") + text[i + 1:]


def _subgraphs_and_searches(store, keys: dict, rnd: random.Random, n: int, bar, out) -> None:
    """``n`` subgraphs of the ~300 nodes around a random start (the subgraph call timed
    alone), and ``n`` name searches: half a person's or firm's name as stored, half with
    one typo; ``search_top10`` counts those whose node is among the first 10 hits."""
    out.update(sub_ms=[], sub_edges=[], search_ms=[], search_top10=0, searches=0)
    task = bar.add_task("subgraphs", total=n)
    for _ in range(n):
        ref = NodeRef(lab := rnd.choice(["Person", "Enterprise", "Declaration"]),
                      rnd.choice(keys[lab]))
        refs = list(store.neighbourhood(ref, hops=2, limit=300).nodes)
        t = time.perf_counter()
        sg = store.subgraph(refs)
        out["sub_ms"].append((time.perf_counter() - t) * 1000)
        out["sub_edges"].append(len(sg.edges))
        bar.advance(task)
    task = bar.add_task("searches", total=n)
    for i in range(n):
        ref = NodeRef(lab := rnd.choice(["Person", "Person", "Enterprise"]), rnd.choice(keys[lab]))
        name = (store.get_node(ref) or {}).get("name")
        if name and len(name) >= 4:
            query = name if i % 2 == 0 else _typo(name, rnd)
            t = time.perf_counter()
            hits = store.search(query)
            out["search_ms"].append((time.perf_counter() - t) * 1000)
            out["searches"] += 1
            out["search_top10"] += ref in {h.ref for h in hits[:10]}
        bar.advance(task)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, help="database to build, or reuse when it exists "
                    "(e.g. WORKSPACE/graph written by `cbec load`)")
    ap.add_argument("--scale", type=float, default=1.0, help="1.0 = 1M declarations")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--neighbourhoods", type=int, default=200)
    ap.add_argument("--paths", type=int, default=100)
    ap.add_argument("--buffer-pool-gib", type=float, default=2.0)
    ap.add_argument("--walks", choices=["index", "cypher"], default="index",
                    help="traverse the adjacency index (built first) or walk in Cypher")
    args = ap.parse_args(argv)
    pool = int(args.buffer_pool_gib * 1024**3)
    console.print(f"load average before: {os.getloadavg()[0]:.2f} "
                  f"({os.cpu_count()} cores; other work on the machine slows every figure)")
    with tempfile.TemporaryDirectory(prefix="bench-graph-") as tmp:
        path = args.store or Path(tmp) / "graph"
        build_s = None
        if not path.exists():
            build_s = build(path, args.scale, args.seed, pool)
        with LadybugStore(path, read_only=True, buffer_pool_bytes=pool) as store:
            n_nodes, n_edges = store.count_nodes(), store.count_edges()
            index_note = ""
            if args.walks == "index":
                t = time.perf_counter()
                with console.status("building the adjacency index") as status:
                    adj = store.use_adjacency(lambda step: status.update(f"index: {step}"))
                index_note = (f"adjacency index: built in {time.perf_counter() - t:.1f} s, "
                              f"{adj.nbytes() / 2**20:,.0f} MiB")
            res = run_queries(store, args.neighbourhoods, args.paths, args.seed)
    t = Table(title=f"Ladybug store: {n_nodes:,} nodes, {n_edges:,} edges; "
                    f"walks: {args.walks}")
    for col in ("query", "n", "p50 ms", "p95 ms", "max ms", "notes"):
        t.add_column(col)
    p50, p95, mx = stats(res["nb_ms"])
    t.add_row("2-hop neighbourhood (limit 500)", str(len(res["nb_ms"])), f"{p50:.1f}",
              f"{p95:.1f}", f"{mx:.1f}", f"median {np.median(res['nb_nodes']):.0f} nodes, "
              f"{res['nb_truncated']} truncated")
    p50, p95, mx = stats(res["path_ms"])
    hops = f", median {np.median(res['hops']):.0f} hops" if res["hops"] else ""
    t.add_row("shortest path (<= 6 hops)", str(len(res["path_ms"])), f"{p50:.1f}",
              f"{p95:.1f}", f"{mx:.1f}", f"{res['found']} found ({res['found_linked']} of "
              f"{(len(res['path_ms']) + 1) // 2} linked pairs){hops}, "
              f"{res['gave_up']} gave up")
    if res["sub_ms"]:
        p50, p95, mx = stats(res["sub_ms"])
        t.add_row("subgraph of a neighbourhood's nodes (limit 300)", str(len(res["sub_ms"])),
                  f"{p50:.1f}", f"{p95:.1f}", f"{mx:.1f}",
                  f"median {np.median(res['sub_edges']):.0f} edges")
    if res["search_ms"]:
        p50, p95, mx = stats(res["search_ms"])
        t.add_row("search a name (half with a typo)", str(res["searches"]), f"{p50:.1f}",
                  f"{p95:.1f}", f"{mx:.1f}", f"{res['search_top10']} of {res['searches']} "
                  f"found in the top 10")
    console.print(t)
    if build_s is not None:
        console.print(f"store build (write_nodes + write_edges): {build_s:.1f} s")
    if index_note:
        console.print(index_note)
    console.print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")
    console.print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
