"""Benchmark of the embedded load: ``cbec generate`` N declarations, then ``cbec load`` them.

The load runs in a child process (the real ``etl.load.load``, as ``cbec load`` runs it) with
each phase wrapped in a timer; the parent reads the child's peak RSS from ``wait4``. The
target (issue, "done when"): 1M declarations with their orders, payments and waybills in
at most 5 minutes and 6 GiB on a 2-core machine.

Usage::

    .venv/bin/python bench/bench_load.py                      # 1,000,000 declarations
    .venv/bin/python bench/bench_load.py -n 100000 --keep /tmp/bench100k
    .venv/bin/python bench/bench_load.py --world DIR          # reuse generated extracts
    .venv/bin/python bench/bench_load.py --world DIR --reload # then load the same files again

Numbers on a shared machine are pessimistic: the script prints ``uptime`` before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs in the child: the real load, with its phases timed by wrapping the functions that
# load() looks up at call time.
CHILD = r"""
import json, sys, time
from pathlib import Path
import etl.load, etl.project, etl.resolution, etl.sync, etl.three_list

timings = {}

def timed(module, name, phase):
    fn = getattr(module, name)
    def wrapper(*a, **k):
        t0 = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            timings[phase] = timings.get(phase, 0.0) + time.perf_counter() - t0
    setattr(module, name, wrapper)

timed(etl.load, "stage", "read/validate/stage")
timed(etl.three_list, "run_checks", "three-list")
timed(etl.project, "project", "project")
timed(etl.resolution, "resolve", "resolve")
timed(etl.sync, "push", "push")
t0 = time.perf_counter()
result = etl.load.load(Path(sys.argv[1]), Path(sys.argv[2]), say=lambda s: None)
timings["total"] = time.perf_counter() - t0
sent = result.downstream.get("sync") or {}
print("BENCH " + json.dumps({"timings": timings, "load_id": result.load_id,
                             "sent": {k: int(v) for k, v in dict(sent).items()}}))
"""


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "(uptime unavailable)"


def generate(n: int, out: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("cbec")), "generate", "--declarations",
                    str(n), "--out", str(out), "--force"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def run_load(world: Path, workspace: Path) -> tuple[dict, int, int]:
    """Run the load child; return its report, exit status and peak RSS in bytes."""
    out = workspace.parent / f"{workspace.name}.out"
    with open(out, "w") as fh:
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(world), str(workspace)],
                                 cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    text = out.read_text(errors="replace")
    report = next((json.loads(line[6:]) for line in text.splitlines()
                   if line.startswith("BENCH ")), None)
    if child.returncode != 0 or report is None:
        sys.exit(f"the load failed (exit {child.returncode}); its output:\n{text[-4000:]}")
    return report, child.returncode, usage.ru_maxrss * 1024  # Linux reports KiB


def staging_rows(workspace: Path) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(str(workspace / "staging.duckdb"), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND "
            "regexp_matches(table_name, '^(stg|node|edge)_') ORDER BY 1").fetchall()]
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in names}
    finally:
        con.close()


def store_counts(workspace: Path) -> tuple[int, int]:
    from graph.store import open_store

    store = open_store(workspace, read_only=True)
    try:
        return store.count_nodes(), store.count_edges()
    finally:
        store.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", "--declarations", type=int, default=1_000_000)
    ap.add_argument("--world", type=Path, help="existing extracts (skips generation)")
    ap.add_argument("--keep", type=Path, help="folder to keep world and workspace in")
    ap.add_argument("--reload", action="store_true",
                    help="then load the same files again into the same workspace")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    base = args.keep or Path(tempfile.mkdtemp(prefix="cbec-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"before: {uptime()}")
    world = args.world
    if world is None:
        world = base / "world"
        secs = generate(args.declarations, world)
        print(f"generate {args.declarations:,} declarations: {secs:.1f} s (not in the budget)")
    workspace = base / "workspace"
    shutil.rmtree(workspace, ignore_errors=True)
    report, _, rss = run_load(world, workspace)
    print(f"after:  {uptime()}")
    print("\nphase timings (s)")
    for phase, secs in report["timings"].items():
        print(f"  {phase:<22} {secs:8.1f}")
    print(f"peak RSS of the load: {rss / 2**30:.2f} GiB")
    if args.reload:
        again, _, rss2 = run_load(world, workspace)
        print(f"\nreload of the same files ({uptime()})")
        for phase, secs in again["timings"].items():
            print(f"  {phase:<22} {secs:8.1f}")
        print(f"  rows sent to the store: {sum(again['sent'].values()):,}; "
              f"peak RSS {rss2 / 2**30:.2f} GiB")
    nodes, edges = store_counts(workspace)
    print(f"graph store: {nodes:,} nodes, {edges:,} edges")
    print("\nrows per staging / graph table")
    for t, n in staging_rows(workspace).items():
        print(f"  {t:<28} {n:>12,}")
    if args.keep is None:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
