"""The audit trail: every view, change, export and import is chained; each kind of
tampering (edit, removal, insertion, reorder, cut tail, rewritten chain) is found and the
first bad record named."""

from __future__ import annotations

import os

import pyarrow as pa
import pytest

from investigations import audit, cases
from investigations.audit import verify_chain
from tests.cases_world import make_world
from tests.conftest import make_store


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    os.environ["CBEC_PASSWORD_HASH"] = "cheapest"
    tmp = tmp_path_factory.mktemp("audit")
    store = make_store("ladybug", tmp)  # the graph in tmp/graph: tmp is the workspace
    w = make_world(store, tmp)
    for _ in range(3):
        cases.get_case(w.ws, w.investigator, w.case_id)  # views are audited too
    yield w
    store.close()


@pytest.fixture
def chain(world):
    """The records as they are; put back after each test."""
    store = world.ws.store
    snapshot = store.find_nodes("AuditRecord")
    assert verify_chain(world.ws).ok
    yield sorted(snapshot, key=lambda r: r["seq"])
    store.delete_nodes("AuditRecord", [r["record_id"] for r in store.find_nodes("AuditRecord")])
    _write(store, snapshot)
    assert verify_chain(world.ws).ok


def _write(store, rows):
    types = store.schema.node("AuditRecord").properties
    cols = {k: pa.array([r.get(k) for r in rows], pa.int64() if t == "INT64" else pa.string())
            for k, t in types.items()}
    store.write_nodes("AuditRecord", pa.table(cols))


def test_views_changes_and_logins_are_recorded(world, chain):
    actions = [r["action"] for r in chain]
    assert actions.count("case.view") >= 3
    for a in ("user.bootstrap", "user.create", "keys.generate", "case.create", "case.note",
              "case.ipr", "evidence.add"):
        assert a in actions
    assert chain[0]["prev_hash"] == audit.GENESIS
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(chain, chain[1:], strict=False))
    report = verify_chain(world.ws)
    assert report.ok and report.records == len(chain) and report.anchors >= 2


def test_edit_is_found(world, chain):
    victim = dict(chain[6])
    victim["actor"] = "mallory"
    _write(world.ws.store, [victim])
    r = verify_chain(world.ws)
    assert not r.ok and r.first_bad == 7 and "edited" in r.reason


def test_removal_is_found(world, chain):
    world.ws.store.delete_nodes("AuditRecord", [chain[4]["record_id"]])
    r = verify_chain(world.ws)
    assert not r.ok and r.first_bad == 5 and "missing" in r.reason


def test_insertion_is_found(world, chain):
    # shift records 4.. up by one and slip a forged record in at 4, chained to record 3
    store = world.ws.store
    moved = [{**rec, "seq": rec["seq"] + 1, "record_id": f"{rec['seq'] + 1:012d}"}
             for rec in chain[3:]]
    forged = {"seq": 4, "record_id": f"{4:012d}", "at": chain[3]["at"], "actor": "mallory",
              "action": "case.view", "case_id": world.case_id, "target": None, "detail": "{}",
              "prev_hash": chain[2]["hash"]}
    forged["hash"] = audit._hash(forged)
    _write(store, [*moved, forged])
    r = verify_chain(world.ws)
    assert not r.ok and r.first_bad == 5, r.reason
    assert "does not chain" in r.reason or "edited" in r.reason


def test_reorder_is_found(world, chain):
    a, b = chain[5], chain[6]
    swapped = [{**b, "seq": a["seq"], "record_id": a["record_id"]},
               {**a, "seq": b["seq"], "record_id": b["record_id"]}]
    _write(world.ws.store, swapped)
    r = verify_chain(world.ws)
    assert not r.ok and r.first_bad == 6


def test_cut_tail_is_found_by_the_anchors(world, chain):
    anchored = max(a["seq"] for a in audit._anchors(world.ws))
    world.ws.store.delete_nodes("AuditRecord", [r["record_id"] for r in chain
                                                if r["seq"] >= anchored])
    r = verify_chain(world.ws)
    assert not r.ok and r.first_bad == anchored and "anchor" in r.reason


def test_rewritten_chain_is_found_by_the_anchors(world, chain):
    # rewrite record 2 and recompute every hash after it: the chain alone looks fine
    rows, prev = [], chain[0]["hash"]
    for rec in chain[1:]:
        rec = {**rec, "prev_hash": prev}
        if rec["seq"] == 2:
            rec["actor"] = "mallory"
        rec["hash"] = audit._hash(rec)
        prev = rec["hash"]
        rows.append(rec)
    _write(world.ws.store, rows)
    r = verify_chain(world.ws)
    assert not r.ok and "anchor" in r.reason


def test_cli_names_the_first_bad_record(world, chain):
    from typer.testing import CliRunner

    from cbec_cli import app

    victim = dict(chain[2])
    victim["action"] = "case.nothing"
    _write(world.ws.store, [victim])
    world.ws.store.close()  # the CLI opens the workspace itself
    try:
        out = CliRunner().invoke(app, ["audit", "verify", "-w", str(world.ws.root)])
    finally:
        world.ws.store._open()
    assert out.exit_code == 1
    assert "BROKEN at record 3" in out.output and "edited" in out.output


@pytest.fixture
def no_anchor(world, monkeypatch):
    """Appends that the test takes back again must not leave an anchor behind."""
    monkeypatch.setattr(world.ws, "anchor_every", 10**9)


def test_append_reads_the_head_not_the_log(world, chain, no_anchor, monkeypatch):
    # O(1) append: with a head in place the log is never scanned
    def no_scan(ws):
        raise AssertionError("record_event scanned the whole log")

    monkeypatch.setattr(audit, "_records", no_scan)
    rec = audit.record_event(world.ws, world.investigator, "case.view", case_id=world.case_id)
    assert rec["seq"] == chain[-1]["seq"] + 1 and rec["prev_hash"] == chain[-1]["hash"]
    monkeypatch.setattr(audit, "_records", _scan)
    assert verify_chain(world.ws).ok
    world.ws.store.delete_nodes("AuditRecord", [rec["record_id"]])
    _set_head(world.ws.store, chain[-1])


_scan = audit._records


def _set_head(store, rec):
    store.write_nodes("AuditHead", pa.table({"head_id": ["head"], "seq": pa.array(
        [rec["seq"]], pa.int64()), "hash": [rec["hash"]]}))


def test_a_log_without_head_is_scanned_once_then_chained(world, chain, no_anchor):
    # workspaces written before the head existed: the first append finds the end by a scan
    world.ws.store.delete_nodes("AuditHead", ["head"])
    assert verify_chain(world.ws).ok
    rec = audit.record_event(world.ws, world.investigator, "case.view", case_id=world.case_id)
    assert rec["seq"] == chain[-1]["seq"] + 1 and rec["prev_hash"] == chain[-1]["hash"]
    assert verify_chain(world.ws).ok
    world.ws.store.delete_nodes("AuditRecord", [rec["record_id"]])
    _set_head(world.ws.store, chain[-1])


def test_a_stale_head_does_not_overwrite_a_record(world, chain, no_anchor):
    # another writer appended behind this one's head: the next append goes after it
    _set_head(world.ws.store, chain[-2])
    rec = audit.record_event(world.ws, world.investigator, "case.view", case_id=world.case_id)
    assert rec["seq"] == chain[-1]["seq"] + 1 and rec["prev_hash"] == chain[-1]["hash"]
    assert verify_chain(world.ws).ok
    world.ws.store.delete_nodes("AuditRecord", [rec["record_id"]])
    _set_head(world.ws.store, chain[-1])


def test_records_added_past_the_head_are_found(world, chain):
    extra = {"seq": chain[-1]["seq"] + 1, "record_id": f"{chain[-1]['seq'] + 1:012d}",
             "at": chain[-1]["at"], "actor": "mallory", "action": "case.view",
             "case_id": world.case_id, "target": None, "detail": "{}",
             "prev_hash": chain[-1]["hash"]}
    extra["hash"] = audit._hash(extra)
    _write(world.ws.store, [extra])
    r = verify_chain(world.ws)
    assert not r.ok and r.first_bad == extra["seq"] and "head" in r.reason


def test_a_cut_tail_after_the_last_anchor_is_found_by_the_head(world, chain):
    anchored = max(a["seq"] for a in audit._anchors(world.ws))
    assert chain[-1]["seq"] > anchored  # the views after the last anchor
    world.ws.store.delete_nodes("AuditRecord", [chain[-1]["record_id"]])
    r = verify_chain(world.ws)
    assert not r.ok and r.first_bad == chain[-1]["seq"] and "cut tail" in r.reason
