"""Timings of the case services on the tiny ring (embedded store): export, verify, import,
and the audit trail's append and verify as it grows.

    .venv/bin/python bench/bench_cases.py [--records 1000]

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
    args = ap.parse_args()
    os.environ.setdefault("CBEC_PASSWORD_HASH", "cheapest")
    from investigations import audit, bundle, exports
    from investigations.context import CaseWorkspace
    from investigations.users import bootstrap_admin, create_user
    from tests.cases_world import approved_export, make_world
    from tests.conftest import make_store

    tmp = Path(tempfile.mkdtemp(prefix="bench-cases-"))
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
    print(f"load average: {os.getloadavg()}")
    store.close()
    store2.close()


if __name__ == "__main__":
    main()
