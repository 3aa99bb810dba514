"""How fast the investigator app answers, measured in a real browser.

Serves ``app.py`` over a workspace (the embedded store, or Neo4j when ``NEO4J_URI`` is
set), then walks it in headless Chromium ``--walks`` times, each walk in a fresh browser
with other entities (so no walk is answered from another's cache): search a seller, draw
its 2-hop neighbourhood, pick and expand a node, search a buyer, draw the shortest path,
open each page, run a Cypher query. Each interaction is timed from the click or key press
to its result on screen (the canvas drawn, the text shown) and the app's run finished;
the app's own script run time for the same step (what the server computed, read from its
log) is printed beside it, so a loaded machine's browser share shows apart.
The first page load after the server starts (store opened, adjacency index built) is
reported apart: it is the one wait the target excepts.

    .venv/bin/python bench/bench_app.py --workspace ws1m --walks 5

On Neo4j: set ``NEO4J_*``, or give ``--neo4j-data`` (the data folder a
``bench_neo4j_beside_ladybug.py --keep`` run left) to start a local server on it, with
``--workspace`` that run's Neo4j workspace (its staging picks the entities).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ui.browser_check import Walk, chromium_missing, pick_entities, serve  # noqa: E402

FIRST = "first load after start (store opened, index built)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", default="workspace")
    ap.add_argument("--walks", type=int, default=5)
    ap.add_argument("--target", type=float, default=1.0, help="seconds per interaction")
    ap.add_argument("--screenshots", type=Path, default=None,
                    help="write the first walk's screenshots here")
    ap.add_argument("--neo4j-data", type=Path, default=None,
                    help="start a local Neo4j on this data folder and walk the app on it")
    ap.add_argument("--heap", default="3g", help="the local Neo4j's JVM heap")
    ap.add_argument("--page-cache-mb", type=int, default=4096)
    a = ap.parse_args(argv)
    reason = chromium_missing()
    if a.neo4j_data is not None and not (a.neo4j_data / "data" / "databases").is_dir():
        reason = f"{a.neo4j_data} holds no Neo4j data (give a --keep folder's neo4j-data)"
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    if a.neo4j_data is None:
        return walk(a)
    from graph.store import neo4j_local_server as local

    server = local.start(a.neo4j_data, heap=a.heap, page_cache_mb=a.page_cache_mb)
    print(f"local Neo4j up in {server.started_s:.0f} s", flush=True)
    os.environ.update(server.env)  # the app's server inherits them
    try:
        return walk(a)
    finally:
        server.stop()


def walk(a: argparse.Namespace) -> int:
    """Serve the app (on Neo4j when ``NEO4J_URI`` is set), walk it, print the timings."""
    backend = "neo4j" if os.environ.get("NEO4J_URI") else "ladybug"
    entities = pick_entities(a.workspace, a.walks)
    print(f"backend {backend}, workspace {a.workspace}, {len(entities)} walks, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    runs: dict[str, list[float]] = {}
    t0 = time.perf_counter()
    log = Path("/tmp") / f"bench_app_{os.getpid()}.log"
    server: dict[str, list[float]] = {}
    with serve(a.workspace, log=log, start_timeout=300) as url:
        print(f"server up in {time.perf_counter() - t0:.1f} s", flush=True)
        for i, (_code, seller, person) in enumerate(entities):
            with Walk.open(shots=a.screenshots if i == 0 else None) as w:
                w.server_log = log
                w.run(url, seller, person)
            bad = w.console_errors + w.outside_requests
            print(f"walk {i + 1}: {seller!r} -> {person!r}: "
                  + ", ".join(f"{k} {v:.2f}" for k, v in w.timings.items())
                  + (f"  PROBLEMS: {bad}" if bad else ""), flush=True)
            for k, v in w.timings.items():
                key = FIRST if (k, i) == ("open the app", 0) else \
                    "open the app again (new browser, empty cache)" if k == "open the app" else k
                runs.setdefault(key, []).append(v)
                server.setdefault(key, []).append(w.server_s.get(k, float("nan")))
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    print(f"| interaction ({backend}) | median s | max s | <= {a.target:g} s | app's run, "
          f"median s |")
    print("|---|---|---|---|---|")
    for k, v in runs.items():
        ok = "(excepted)" if k == FIRST else ("yes" if max(v) <= a.target else
                                               "median" if statistics.median(v) <= a.target
                                               else "no")
        print(f"| {k} | {statistics.median(v):.2f} | {max(v):.2f} | {ok} | "
              f"{statistics.median(server[k]):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
