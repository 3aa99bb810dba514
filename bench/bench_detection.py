"""Benchmark of detection: ``cbec score`` of a whole loaded world, then of one more day.

1. Full scoring (features as of now, the model, risk into the store, rings) in a child
   process, timed per phase, peak RSS from ``wait4``. Target (issue 10): features and
   scoring of 1M declarations in at most 10 minutes and 8 GiB on the 2-core machine.
   The full run scores the world as if it ended at the start of its last day
   (``score_workspace(cutoff=...)``).
2. One more day: the next ``cbec score`` scores that last day only (about 1/180 of a
   six-month world) the way it scores a day loaded after the last run: base tables from
   the cache of the full run plus the day (``graph.detection.base_cache``). Target: at
   most 30 s.

Usage::

    .venv/bin/python bench/bench_detection.py --workspace WS   # a workspace `cbec load` made
    .venv/bin/python bench/bench_detection.py -n 100000         # generate + load first

The workspace's models/ and detection/ folders are replaced. The script prints ``uptime``
before and after: on a shared machine the figures are pessimistic.
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
CHILD = r"""
import json, sys, time
from datetime import datetime
from pathlib import Path
from graph.detection.scoring import score_workspace
t0 = time.perf_counter()
cut = datetime.fromisoformat(sys.argv[3]) if sys.argv[3] != "-" else None
r = score_workspace(Path(sys.argv[1]), full=sys.argv[2] == "full", cutoff=cut)
print("BENCH " + json.dumps({"wall_s": time.perf_counter() - t0, "scored": r.scored,
                             "entities": r.entities, "rings": r.rings,
                             "incremental": r.incremental, "timings": r.timings}))
"""


def _child(ws: Path, mode: str, cutoff: str = "-") -> dict:
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-c", CHILD, str(ws), mode, cutoff], cwd=ROOT,
                         stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    if status != 0:
        raise SystemExit(f"scoring failed (status {status}):\n{out}")
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"scoring printed no result (status {status}):\n{out[-3000:]}")
    res = json.loads(line[6:])
    res["peak_rss_gib"] = usage.ru_maxrss / 1024**2
    res["cpu_s"] = usage.ru_utime + usage.ru_stime  # what the machine's load does not inflate
    res["outer_s"] = time.perf_counter() - t0
    return res


def _last_day(ws: Path) -> str:
    import duckdb

    con = duckdb.connect(str(ws / "staging.duckdb"), read_only=True)
    t = con.execute("SELECT date_trunc('day', max(decl_time)) FROM stg_declarations").fetchone()
    n = con.execute("SELECT count(*), count(*) FILTER (WHERE decl_time >= ?) FROM "
                    "stg_declarations", [t[0]]).fetchone()
    con.close()
    print(f"declarations: {n[0]:,}; on the last day: {n[1]:,}")
    return t[0].isoformat()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workspace", type=Path, help="a loaded workspace (else generate)")
    ap.add_argument("-n", type=int, default=100_000, help="declarations to generate")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    print("uptime before:", subprocess.run(["uptime"], capture_output=True, text=True).stdout)
    tmp = None
    ws = a.workspace
    if ws is None:
        tmp = Path(tempfile.mkdtemp(prefix="bench-detect-"))
        cbec = str(Path(sys.executable).with_name("cbec"))
        subprocess.run([cbec, "generate", "-n", str(a.n), "--seed", str(a.seed), "--out",
                        str(tmp / "world")], check=True)
        subprocess.run([cbec, "load", str(tmp / "world"), "--workspace", str(tmp / "ws")],
                       check=True, stdout=subprocess.DEVNULL)
        ws = tmp / "ws"
    for d in ("models", "detection"):
        shutil.rmtree(ws / d, ignore_errors=True)
    try:
        full = _child(ws, "full", _last_day(ws))
        print("full scoring (all but the last day):", json.dumps(full, indent=1))
        day = _child(ws, "incremental")
        print("one more day:", json.dumps(day, indent=1))
        print(f"RESULT full {full['outer_s']:.1f} s wall, {full['cpu_s']:.1f} s CPU, peak "
              f"{full['peak_rss_gib']:.2f} GiB; one more day ({day['scored']:,} lists) "
              f"{day['outer_s']:.1f} s wall, {day['cpu_s']:.1f} s CPU, peak "
              f"{day['peak_rss_gib']:.2f} GiB")
    finally:
        print("uptime after:", subprocess.run(["uptime"], capture_output=True,
                                              text=True).stdout)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
