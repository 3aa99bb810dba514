"""Neo4j beside Ladybug on the same world, in one run: ``cbec load`` and the query API.

Generates a world of ``-n`` declarations (or takes ``--world``), loads it with the real
``cbec load`` (a child process per load, each phase timed, peak RSS from ``wait4``) into
the embedded Ladybug store and then into Neo4j: a local Neo4j 5.26 server this script
starts (``--heap``, ``--page-cache-mb``; its peak RSS read from ``/proc``) or, when
``NEO4J_URI`` is set, that server (emptied first: point it at a throwaway database). Then
times, on both, 2-hop neighbourhoods (limit 500), shortest paths (<= 6 hops), subgraphs
and name searches, drawing the same starts and pairs from the same seed
(``bench_queries.run_queries``). Ladybug walks its adjacency index, as the app does;
``--ladybug-walks cypher`` walks in Cypher, as a one-shot CLI command does.

Targets for 1M declarations on a 2-core machine (issue 8): Neo4j load <= 10 min,
neighbourhood p95 <= 150 ms, shortest path p95 <= 1 s.

    .venv/bin/python bench/bench_neo4j_beside_ladybug.py -n 100000
    .venv/bin/python bench/bench_neo4j_beside_ladybug.py --world /tmp/w1m --heap 3g \\
        --page-cache-mb 4096 --keep /tmp/b1m

Figures on a shared machine are pessimistic: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import numpy as np  # noqa: E402
from bench_load import generate, run_load, staging_rows, uptime  # noqa: E402
from bench_queries import run_queries, stats  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from graph.store.neo4j_store import ENV_VARS  # noqa: E402

console = Console()
PHASES = ["read/validate/stage", "three-list", "project", "resolve", "push", "total"]


def jvm_peak_rss(pid: int) -> int:
    """The JVM's peak resident memory in bytes (``VmHWM``), 0 if unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def jvm_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the JVM has used so far, 0 if unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def load_into(world: Path, ws: Path, neo4j_env: dict[str, str] | None
              ) -> tuple[dict, int, float]:
    """``cbec load`` (timed child) into Ladybug (``neo4j_env`` None) or Neo4j: its report,
    peak RSS and CPU seconds (on a shared machine CPU time says more than wall time)."""
    saved = {k: os.environ.pop(k) for k in ENV_VARS if k in os.environ}
    os.environ.update(neo4j_env or {})
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        report, _, rss = run_load(world, ws)
    finally:
        for k in ENV_VARS:
            os.environ.pop(k, None)
        os.environ.update(saved)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return report, rss, cpu


def phase_rows(ws: Path, report: dict) -> dict[str, int]:
    """What each phase works through: staged rows, declarations, graph rows, rows sent."""
    rows = staging_rows(ws)
    stg = sum(n for t, n in rows.items() if t.startswith("stg_"))
    graph = sum(n for t, n in rows.items() if t.startswith(("node_", "edge_")))
    decls = rows.get("stg_declarations", 0)
    return {"read/validate/stage": stg, "three-list": decls, "project": graph,
            "resolve": rows.get("stg_persons", 0), "push": sum(report["sent"].values()),
            "total": decls}


def query_rows(name: str, res: dict) -> list[list[str]]:
    out = []
    for what, key, note in (
            ("2-hop neighbourhood", "nb_ms",
             f"median {np.median(res['nb_nodes']):.0f} nodes, {res['nb_truncated']} cut"),
            ("shortest path <= 6", "path_ms",
             f"{res['found']} found, {res['gave_up']} gave up"),
            ("subgraph (~300 nodes)", "sub_ms", ""),
            ("name search", "search_ms",
             f"{res['search_top10']}/{res['searches']} in top 10")):
        if res.get(key):
            p50, p95, mx = stats(res[key])
            out.append([what, name, f"{p50:.1f}", f"{p95:.1f}", f"{mx:.1f}", note])
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", "--declarations", type=int, default=100_000)
    ap.add_argument("--world", type=Path, help="existing extracts (skips generation)")
    ap.add_argument("--keep", type=Path, help="folder to keep worlds, workspaces, Neo4j data")
    ap.add_argument("--heap", default="2g", help="the local Neo4j's JVM heap")
    ap.add_argument("--page-cache-mb", type=int, default=2048)
    ap.add_argument("--neighbourhoods", type=int, default=200)
    ap.add_argument("--paths", type=int, default=100)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--ladybug-walks", choices=["index", "cypher"], default="index")
    ap.add_argument("--warmup", action="store_true",
                    help="run the query workload once with other starts (seed + 100), "
                         "untimed, before the timed run: plans compiled, caches warm")
    ap.add_argument("--queries-only", action="store_true",
                    help="reuse --keep's loaded workspaces and Neo4j data: time the queries "
                         "only (after a change to the query code)")
    args = ap.parse_args(argv)
    if args.queries_only:
        if args.keep is None:
            ap.error("--queries-only needs --keep (the folder of an earlier run)")
        return _queries_only(args)
    base = args.keep or Path(tempfile.mkdtemp(prefix="cbec-neo4j-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    console.print(f"before: {uptime()}")
    world = args.world
    if world is None:
        world = base / "world"
        secs = generate(args.declarations, world)
        console.print(f"generated {args.declarations:,} declarations in {secs:.0f} s")

    loads: dict[str, tuple[dict, int, dict]] = {}
    ws_lb, ws_nj = base / "ws-ladybug", base / "ws-neo4j"
    for ws in (ws_lb, ws_nj):
        shutil.rmtree(ws, ignore_errors=True)
    console.print("loading into Ladybug ...")
    report, rss, cpu = load_into(world, ws_lb, None)
    loads["Ladybug"] = (report, rss, phase_rows(ws_lb, report), cpu)

    server, jvm_pid = None, None
    if os.environ.get("NEO4J_URI"):
        neo4j_env = {k: os.environ[k] for k in ENV_VARS if os.environ.get(k)}
        _empty(neo4j_env)
        where = neo4j_env["NEO4J_URI"]
    else:
        from graph.store import neo4j_local_server as local

        data = base / "neo4j-data"
        shutil.rmtree(data, ignore_errors=True)
        server = local.start(data, heap=args.heap, page_cache_mb=args.page_cache_mb,
                             log=console.print)
        neo4j_env, jvm_pid = server.env, server.pid
        where = (f"local Neo4j {local.NEO4J_VERSION}, heap {args.heap}, page cache "
                 f"{args.page_cache_mb} MiB, started in {server.started_s:.0f} s")
    try:
        console.print(f"loading into Neo4j ({where}) ...")
        jvm_cpu0 = jvm_cpu_s(jvm_pid) if jvm_pid else 0.0
        report, rss, cpu = load_into(world, ws_nj, neo4j_env)
        loads["Neo4j"] = (report, rss, phase_rows(ws_nj, report), cpu)
        jvm_after_load = jvm_peak_rss(jvm_pid) if jvm_pid else 0
        jvm_load_cpu = (jvm_cpu_s(jvm_pid) - jvm_cpu0) if jvm_pid else 0.0
        results = _queries(ws_lb, neo4j_env, args)
        jvm_peak = jvm_peak_rss(jvm_pid) if jvm_pid else 0
    finally:
        if server is not None:
            server.stop()
    console.print(f"after: {uptime()}")
    _print_loads(loads, jvm_after_load, jvm_peak, jvm_load_cpu)
    _print_queries(results)
    if args.keep is None:
        shutil.rmtree(base, ignore_errors=True)


def _queries_only(args) -> None:
    """The query half of a run, on the workspaces and Neo4j data ``--keep`` holds."""
    from graph.store import neo4j_local_server as local

    console.print(f"before: {uptime()}")
    server = None
    if os.environ.get("NEO4J_URI"):
        neo4j_env = {k: os.environ[k] for k in ENV_VARS if os.environ.get(k)}
    else:
        server = local.start(args.keep / "neo4j-data", heap=args.heap,
                             page_cache_mb=args.page_cache_mb, log=console.print)
        neo4j_env = server.env
    try:
        results = _queries(args.keep / "ws-ladybug", neo4j_env, args)
    finally:
        if server is not None:
            server.stop()
    console.print(f"after: {uptime()}")
    _print_queries(results)


def _print_queries(results: dict[str, dict]) -> None:
    t = Table(title="queries (same starts and pairs on both)")
    for col in ("query", "store", "p50 ms", "p95 ms", "max ms", "notes"):
        t.add_column(col)
    for name, res in results.items():
        for row in query_rows(name, res):
            t.add_row(*row)
    console.print(t)
    lb, nj = (res["pair_hops"] for res in results.values())
    differ = [(i, x, y) for i, (x, y) in enumerate(zip(lb, nj, strict=True)) if x != y]
    console.print(f"shortest paths: {len(lb) - len(differ)} of {len(lb)} pairs of the same "
                  f"length on both stores; differing (pair, Ladybug, Neo4j): {differ[:10]}")


def _empty(env: dict[str, str]) -> None:
    from graph.store.neo4j_store import Neo4jStore

    with Neo4jStore.from_env(env) as s:
        s.clear()


def _queries(ws_lb: Path, neo4j_env: dict[str, str], args) -> dict[str, dict]:
    from graph.store.ladybug_store import LadybugStore
    from graph.store.neo4j_store import Neo4jStore

    results = {}
    with LadybugStore(ws_lb / "graph", read_only=True) as lb:
        name = "Ladybug"
        if args.ladybug_walks == "index":
            t = time.perf_counter()
            lb.use_adjacency()
            name = f"Ladybug (index, built in {time.perf_counter() - t:.0f} s)"
        console.print(f"queries on {name} ...")
        if args.warmup:
            run_queries(lb, args.neighbourhoods, args.paths, args.seed + 100)
        results[name] = run_queries(lb, args.neighbourhoods, args.paths, args.seed)
    with Neo4jStore.from_env(neo4j_env) as nj:
        console.print("queries on Neo4j ...")
        if args.warmup:  # the first statement of each shape is planned: up to seconds
            run_queries(nj, args.neighbourhoods, args.paths, args.seed + 100)
        results["Neo4j"] = run_queries(nj, args.neighbourhoods, args.paths, args.seed)
    return results


def _print_loads(loads, jvm_after_load: int, jvm_peak: int, jvm_load_cpu: float) -> None:
    t = Table(title="cbec load, per phase: seconds (rows/s)")
    t.add_column("phase")
    for name in loads:
        t.add_column(name, justify="right")
    for phase in PHASES:
        cells = []
        for report, _rss, rows, _cpu in loads.values():
            secs = report["timings"].get(phase, 0.0)
            n = rows.get(phase, 0)
            cells.append(f"{secs:.1f} s ({n / secs:,.0f}/s)" if secs else "-")
        t.add_row(phase, *cells)
    t.add_row("CPU, Python", *(f"{cpu:.0f} s" for *_x, cpu in loads.values()))
    t.add_row("peak RSS, Python", *(f"{x[1] / 2**30:.2f} GiB" for x in loads.values()))
    if jvm_peak:
        t.add_row("CPU, Neo4j JVM", "", f"{jvm_load_cpu:.0f} s")
        t.add_row("peak RSS, Neo4j JVM", "", f"{jvm_after_load / 2**30:.2f} GiB after the "
                  f"load, {jvm_peak / 2**30:.2f} GiB after the queries")
    console.print(t)
    console.print("rows/s: staged rows, declarations (three-list, total), graph rows "
                  "(project), register persons (resolve), rows sent (push)")


if __name__ == "__main__":
    main()
