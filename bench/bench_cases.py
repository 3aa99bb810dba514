"""Timings of the case services on the tiny ring (embedded store): export, verify, import,
and the audit trail's append and verify as it grows; then the cost of one append on logs
of each ``--log-sizes`` (prefilled in one write, so a 10k log takes seconds to build).

    .venv/bin/python bench/bench_cases.py [--records 1000] [--log-sizes 1000,10000]

Prints the figures and the load average (the machine is shared)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1000, help="audit records to append")
    ap.add_argument("--log-sizes", default="1000,10000",
                    help="audit log sizes to time appends on (comma-separated; empty: skip)")
    ap.add_argument("--appends", type=int, default=20, help="timed appends per log size")
    ap.add_argument("--only-growth", action="store_true",
                    help="skip the export/import timings, time only the appends by log size")
    args = ap.parse_args()
    os.environ.setdefault("CBEC_PASSWORD_HASH", "cheapest")
    from investigations import audit, bundle, exports
    from investigations.context import CaseWorkspace
    from investigations.users import bootstrap_admin, create_user
    from tests.cases_world import approved_export, make_world
    from tests.conftest import make_store

    tmp = Path(tempfile.mkdtemp(prefix="bench-cases-"))
    sizes = [int(x) for x in args.log_sizes.split(",") if x.strip()]
    if args.only_growth:
        append_by_log_size(tmp, sizes, args.appends)
        print(f"load average: {os.getloadavg()}")
        return
    store = make_store("ladybug", tmp / "a")
    t = time.perf_counter()
    w = make_world(store, tmp / "a")
    print(f"world (tiny ring, 5 users, case, IPR record, 2 evidence): "
          f"{time.perf_counter() - t:.2f} s")
    eid = approved_export(w)
    t = time.perf_counter()
    res = exports.export_case(w.ws, w.liaison, eid)
    print(f"export_case: {time.perf_counter() - t:.2f} s, {len(res.files)} files, "
          f"zip {res.archive.stat().st_size / 1024:.0f} KiB")
    pub = w.ws.keys_dir / "own" / "default.pub"
    t = time.perf_counter()
    bundle.verify_bundle(res.archive, pub)
    print(f"verify_bundle (zip): {time.perf_counter() - t:.2f} s")
    store2 = make_store("ladybug", tmp / "b")
    ws2 = CaseWorkspace(store2, tmp / "b")
    admin = bootstrap_admin(ws2, "root", "a long enough password")
    officer = create_user(ws2, admin, "nl", "a long enough password", ["partner_liaison"])
    t = time.perf_counter()
    s = bundle.import_bundle(ws2, officer, res.archive, pub)
    print(f"import_bundle: {time.perf_counter() - t:.2f} s, {s['entities']} entities")
    n0 = len(store.find_nodes("AuditRecord"))
    t = time.perf_counter()
    for i in range(args.records):
        audit.record_event(w.ws, w.investigator, "bench", detail={"i": i})
        if i in (99, args.records - 1):
            el = time.perf_counter() - t
            print(f"audit append: {i + 1} records in {el:.2f} s "
                  f"({el / (i + 1) * 1000:.1f} ms each, log of {n0 + i + 1})")
    t = time.perf_counter()
    r = audit.verify_chain(w.ws)
    print(f"audit verify: {r.records} records, {r.anchors} anchors, ok={r.ok}: "
          f"{time.perf_counter() - t:.2f} s")
    store.close()
    store2.close()
    append_by_log_size(tmp, sizes, args.appends)
    print(f"load average: {os.getloadavg()}")


def _prefill(store, n: int) -> None:
    """A valid chain of ``n`` records written in one go (as ``record_event`` would chain them)."""
    import pyarrow as pa

    from investigations import audit

    rows, prev = [], audit.GENESIS
    for seq in range(1, n + 1):
        rec = {"record_id": f"{seq:012d}", "seq": seq, "at": "2026-12-01T00:00:00+00:00",
               "actor": "bench", "action": "bench.fill", "case_id": None, "target": None,
               "detail": "{}", "prev_hash": prev}
        rec["hash"] = prev = audit._hash(rec)
        rows.append(rec)
    types = store.schema.node("AuditRecord").properties
    store.write_nodes("AuditRecord", pa.table({
        k: pa.array([r[k] for r in rows], pa.int64() if t == "INT64" else pa.string())
        for k, t in types.items()}))


def append_by_log_size(tmp: Path, sizes: list[int], appends: int) -> None:
    """Time ``appends`` appends on a log of each size (after one untimed append)."""
    from investigations import audit
    from investigations.context import CaseWorkspace
    from tests.conftest import make_store

    for n in sizes:
        store = make_store("ladybug", tmp / f"log{n}")
        ws = CaseWorkspace(store, tmp / f"log{n}", anchor_every=10**9)
        _prefill(store, n)
        audit.record_event(ws, "bench", "bench.warm")
        t = time.perf_counter()
        for i in range(appends):
            audit.record_event(ws, "bench", "bench", detail={"i": i})
        el = time.perf_counter() - t
        r = audit.verify_chain(ws)
        print(f"audit append on a log of {n}: {el / appends * 1000:.1f} ms each "
              f"({appends} appends); chain ok={r.ok} ({r.records} records)")
        store.close()


if __name__ == "__main__":
    main()
