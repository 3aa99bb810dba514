"""Time ``cbec generate`` at scale: wall time, peak RSS, rows per table, output size.

Usage::

    .venv/bin/python bench/bench_generate.py                 # 1,000,000 declarations
    .venv/bin/python bench/bench_generate.py -n 100000 --keep /tmp/world100k

The target (issue #2): 1M declarations in ≤ 60 s and ≤ 4 GiB peak RSS on 2 cores. The
generator runs in a child process, so ``RUSAGE_CHILDREN`` measures it alone. The load
average is printed: numbers taken while other work shares the cores are pessimistic.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--declarations", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--format", default="parquet", choices=["parquet", "csv", "jsonl"])
    ap.add_argument("--keep", type=Path, help="write here and keep it (default: a temp dir)")
    ap.add_argument("--budget-s", type=float, default=60.0)
    ap.add_argument("--budget-gib", type=float, default=4.0)
    args = ap.parse_args(argv)
    tmp = None
    if args.keep:
        out = args.keep
    else:
        tmp = tempfile.mkdtemp(prefix="cbec-bench-")
        out = Path(tmp) / "world"
    # ``python -m cbec_cli`` from the current directory, not the venv's ``cbec`` script:
    # the script imports the installed checkout, so from a worktree it timed main's code
    cmd = [sys.executable, "-m", "cbec_cli", "generate", "--declarations",
           str(args.declarations), "--seed", str(args.seed), "--format", args.format, "--out",
           str(out), "--force"]
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    load1 = os.getloadavg()
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
        return proc.returncode
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_gib = usage.ru_maxrss / 1024**2  # KiB on Linux
    cpu = usage.ru_utime + usage.ru_stime
    man = json.loads((out / "manifest.json").read_text())
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()
               and "ground_truth" not in p.parts)
    print(f"cbec generate --declarations {args.declarations:,} --format {args.format}")
    print(f"  wall time      {wall:8.1f} s   (budget {args.budget_s:.0f} s)")
    print(f"  CPU time       {cpu:8.1f} s   (user+sys; {cpu / wall:.0%} of one core on "
          "average: well under 100 % means the cores were shared)")
    print(f"  peak RSS       {peak_gib:8.2f} GiB (budget {args.budget_gib:.0f} GiB)")
    print(f"  output size    {size / 1024**2:8.1f} MiB (without ground_truth/)")
    print(f"  load average   {load0[0]:.2f} before, {load1[0]:.2f} after "
          f"({os.cpu_count()} cores)")
    print("  rows per table:")
    for t, n in man["rows"].items():
        print(f"    {t:<20}{n:>12,}")
    g = pq.read_table(out / "ground_truth" / "declarations.parquet",
                      columns=["typology", "lookalike"]).to_pydict()
    typ = Counter(t for t in g["typology"] if t)
    look = Counter(v for v in g["lookalike"] if v)
    with (out / "ground_truth" / "schemes.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    schemes = Counter(r["typology"] for r in rows)
    starts = Counter((r["typology"], r["start"][:7]) for r in rows)
    print("  malicious declarations per typology (schemes):")
    for t in sorted(typ):
        print(f"    {t:<6}{typ[t]:>10,}  ({schemes.get(t, 0)} schemes)")
    mal = sum(typ.values())
    print(f"    total {mal:>10,}  ({mal / args.declarations:.2%})")
    months = sorted({m for _, m in starts})
    print("  schemes starting per month (" + ", ".join(months) + "):")
    for t in sorted(typ, key=lambda x: int(x[1:])):
        print(f"    {t:<6}" + " ".join(f"{starts.get((t, m), 0):>3}" for m in months))
    print("  look-alike declarations:")
    for k in sorted(look):
        print(f"    {k:<24}{look[k]:>8,}")
    ok = wall <= args.budget_s and peak_gib <= args.budget_gib
    print("  verdict:", "within budget" if ok else "OVER BUDGET")
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
