"""Sync of the graph tables to a real embedded store: idempotent, incremental, resumable."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from stg_factory import put_staging
from store_dump import dump_store
from test_project import world

from etl import sync
from etl.project import project
from etl.sync import push
from graph.schema import load_schema
from graph.store.ladybug_store import LadybugStore

ROOT = Path(__file__).resolve().parents[1]
POOL = 256 * 1024**2


def open_store(path: Path) -> LadybugStore:
    store = LadybugStore(path, buffer_pool_bytes=POOL)
    store.ensure_schema()
    return store


@pytest.fixture
def ws(tmp_path):
    con = duckdb.connect(str(tmp_path / "staging.duckdb"))
    put_staging(con, world())
    project(con, "L1")
    store = open_store(tmp_path / "graph")
    yield con, store
    store.close()
    con.close()


def graph_tables(con) -> dict[str, list[tuple]]:
    """Every node_/edge_ table's rows without lineage, sorted."""
    s = load_schema()
    names = [f"node_{n}" for n in s.projected_nodes] + [f"edge_{e}" for e in s.projected_edges]
    return {t: con.execute(f"SELECT * EXCLUDE (_load_id) FROM {t} ORDER BY ALL").fetchall()
            for t in names}


def table_counts(con) -> tuple[dict[str, int], dict[str, int]]:
    s = load_schema()
    nodes = {n: con.execute(f"SELECT count(*) FROM node_{n}").fetchall()[0][0]
             for n in s.projected_nodes}
    edges = {e: con.execute(f"SELECT count(*) FROM edge_{e}").fetchall()[0][0]
             for e in s.projected_edges}
    return nodes, edges


def store_counts(store) -> tuple[dict[str, int], dict[str, int]]:
    s = load_schema()
    return ({n: store.count_nodes(n) for n in s.projected_nodes},
            {e: store.count_edges(e) for e in s.projected_edges})


def test_push_sends_the_graph_once_then_nothing(ws):
    con, store = ws
    sent = push(con, store, "L1")
    nodes, edges = table_counts(con)
    assert store_counts(store) == (nodes, edges)
    assert sent["Phone"] == nodes["Phone"] and sent["CONTACT"] == edges["CONTACT"] == 2
    before = dump_store(store)
    assert push(con, store, "L1") == {}
    assert push(con, store, "L2") == {}
    assert dump_store(store) == before


def test_a_later_load_sends_only_its_new_and_changed_rows(ws):
    con, store = ws
    push(con, store, "L1")
    o2 = con.execute("SELECT * EXCLUDE (_load_id) FROM stg_orders WHERE order_no = 'O2'")
    names = [d[0] for d in o2.description]
    o2 = dict(zip(names, o2.fetchall()[0], strict=True))
    # L2: the order D2 was waiting for arrives, and O2 gets a note
    put_staging(con, {"orders": [dict(o2, order_no="O404", pay_transaction_id="T404"),
                                 dict(o2, note="618 promotion")]}, load_id="L2")
    project(con, "L2")
    sent = push(con, store, "L2")
    assert sent["Order"] == 2  # O404 new, O2 changed
    assert sent["FOR_ORDER"] == 1 and sent["SHIP_TO"] == 1 and sent["CONTACT"] == 1
    assert "Enterprise" not in sent and "Declaration" not in sent
    assert store_counts(store) == table_counts(con)
    assert store.get_node(_ref("Order", "EBP1|O2"))["note"] == "618 promotion"


def test_a_property_that_becomes_null_is_cleared_in_the_store(ws):
    con, store = ws
    push(con, store, "L1")
    before = store.get_node(_ref("Order", "EBP1|O2"))
    assert before["goods_value"] is not None and before["order_time"] is not None
    o2 = con.execute("SELECT * EXCLUDE (_load_id) FROM stg_orders WHERE order_no = 'O2'")
    names = [d[0] for d in o2.description]
    o2 = dict(zip(names, o2.fetchall()[0], strict=True))
    # L2: O2's DOUBLE and TIMESTAMP columns become NULL, the only changed row of its chunk
    put_staging(con, {"orders": [dict(o2, goods_value=None, order_time=None)]}, load_id="L2")
    project(con, "L2")
    assert push(con, store, "L2")["Order"] == 1
    after = store.get_node(_ref("Order", "EBP1|O2"))
    assert after.get("goods_value") is None and after.get("order_time") is None
    assert after["order_no"] == "O2"


def _ref(label, key):
    from graph.store.base import NodeRef

    return NodeRef(label, key)


class FailAfterWrite:
    """A real store whose ``n``-th edge write raises after the write went through: the
    window between the store call and the ledger mark."""

    def __init__(self, store, n):
        self.store, self.n, self.schema = store, n, store.schema

    def write_nodes(self, label, rows, **kw):
        return self.store.write_nodes(label, rows, **kw)

    def write_edges(self, *args):
        out = self.store.write_edges(*args)
        self.n -= 1
        if self.n == 0:
            raise RuntimeError("killed after the store write")
        return out


def test_failure_between_store_write_and_mark_resends_without_doubling(ws, tmp_path):
    con, store = ws
    with pytest.raises(RuntimeError, match="killed"):
        push(con, FailAfterWrite(store, 5), "L1", batch_rows=2)
    pending = con.execute("SELECT count(*) FROM graph_sync WHERE done_at IS NULL").fetchall()[0]
    assert pending[0] > 0
    push(con, store, "L2", batch_rows=2)
    ref = open_store(tmp_path / "ref")
    push(duckdb_copy(con, tmp_path), ref, "L1")
    assert dump_store(store) == dump_store(ref)
    assert store_counts(store) == table_counts(con)
    ref.close()


def duckdb_copy(con, tmp_path):
    """A fresh staging file with the same stg_* content, projected, with no ledger."""
    other = duckdb.connect(str(tmp_path / "ref.duckdb"))
    put_staging(other, world())
    project(other, "L1")
    return other


def test_batch_ids_follow_type_load_and_chunk(ws):
    con, store = ws
    push(con, store, "L1", batch_rows=1)
    batches = con.execute("SELECT batch, rows FROM graph_sync WHERE name = 'CONTACT' "
                          "ORDER BY batch").fetchall()
    assert batches == [("CONTACT:Order>Phone:L1:000000", 1), ("CONTACT:Order>Phone:L1:000001", 1)]
    assert con.execute("SELECT count(*) FROM graph_sync WHERE done_at IS NULL").fetchall() == [(0,)]


# -- the whole load killed by SIGKILL and run again --------------------------------------
def cbec(*args: str, crash_at: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CBEC_CRASH_AT"}
    env["CBEC_SYNC_BATCH_ROWS"] = "200"  # several batches per edge type, so a kill is mid-type
    if crash_at:
        env["CBEC_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, str(ROOT / "cbec_cli.py"), *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_cbec_load_killed_mid_sync_and_rerun_equals_uninterrupted(tmp_path):
    """The whole ``cbec load`` of a generated world, killed by SIGKILL between two batches
    of an edge type, then run again, ends where an uninterrupted load into another
    workspace ends: same counts per label/type, same nodes and edges."""
    world = tmp_path / "world"
    gen = cbec("generate", "--declarations", "500", "--out", str(world))
    assert gen.returncode == 0, gen.stderr[-2000:]
    first = cbec("load", str(world), "-w", str(tmp_path / "crashed"), crash_at="push:SOLD_BY")
    assert first.returncode == -9, first.stdout[-2000:] + first.stderr[-2000:]
    again = cbec("load", str(world), "-w", str(tmp_path / "crashed"))
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    clean = cbec("load", str(world), "-w", str(tmp_path / "clean"))
    assert clean.returncode == 0, clean.stdout[-2000:] + clean.stderr[-2000:]
    seen, tables = {}, {}
    for name in ("crashed", "clean"):
        store = LadybugStore(tmp_path / name / "graph", read_only=True, buffer_pool_bytes=POOL)
        seen[name] = (store_counts(store), dump_store(store))
        store.close()
        con = duckdb.connect(str(tmp_path / name / "staging.duckdb"), read_only=True)
        tables[name] = graph_tables(con)
        con.close()
    # staging's graph tables first: if they differ, the divergence is upstream of the sync
    assert tables["crashed"] == tables["clean"]
    assert seen["crashed"][0] == seen["clean"][0]
    assert seen["crashed"][1] == seen["clean"][1]
    assert seen["clean"][0][1]["SOLD_BY"] > 200  # the kill did land between batches


def test_a_store_wiped_behind_the_ledger_gets_everything_again(ws, tmp_path):
    con, store = ws
    push(con, store, "L1")
    store.close()
    for f in tmp_path.glob("graph*"):  # the graph database deleted, staging kept
        shutil.rmtree(f) if f.is_dir() else f.unlink()
    fresh = open_store(tmp_path / "graph")
    sent = push(con, fresh, "L2")
    assert sent["Person"] > 0 and sent["CONTACT"] == 2
    assert store_counts(fresh) == table_counts(con)
    assert push(con, fresh, "L3") == {}
    fresh.close()


def test_an_identical_reload_skips_every_projected_table(ws, monkeypatch):
    con, store = ws
    push(con, store, "L1")
    project(con, "L2")  # same staging: no table changes, no version renewed
    calls = []
    monkeypatch.setattr(sync, "_push_nodes", lambda *a, **k: calls.append(a[4]))
    monkeypatch.setattr(sync, "_push_edge_pair", lambda *a, **k: calls.append(a[4]))
    assert push(con, store, "L2") == {}
    assert set(calls) == {"SAME_AS"}  # written by resolution, not versioned: always read


def test_a_push_killed_then_an_identical_reload_still_sends_the_rest(ws, tmp_path):
    con, store = ws
    with pytest.raises(RuntimeError, match="killed"):
        push(con, FailAfterWrite(store, 3), "L1", batch_rows=2)
    project(con, "L2")  # identical: versions kept, so only the ledger says what is left
    push(con, store, "L2", batch_rows=2)
    ref = open_store(tmp_path / "ref")
    push(duckdb_copy(con, tmp_path), ref, "L1")
    assert dump_store(store) == dump_store(ref)
    ref.close()


def test_a_store_wiped_after_a_skip_gets_everything_again(ws, tmp_path):
    con, store = ws
    push(con, store, "L1")
    store.close()
    for f in tmp_path.glob("graph*"):
        shutil.rmtree(f) if f.is_dir() else f.unlink()
    project(con, "L2")
    fresh = open_store(tmp_path / "graph")
    push(con, fresh, "L2")
    assert store_counts(fresh) == table_counts(con)
    fresh.close()


def test_a_correction_retracts_what_the_projection_lost(ws, tmp_path):
    """Both orders move from address ak1 to ak2: their SHIP_TO edges to ak1 and the ak1
    node leave the store, which then equals a store filled from scratch."""
    con, store = ws
    push(con, store, "L1", batch_rows=2)
    rows = con.execute("SELECT * EXCLUDE (_load_id) FROM stg_orders ORDER BY order_no")
    names = [d[0] for d in rows.description]
    orders = [dict(zip(names, r, strict=True)) for r in rows.fetchall()]
    moved = {"orders": [dict(o, consignee_address_key="ak2") for o in orders]}
    put_staging(con, moved, load_id="L2")
    project(con, "L2")
    sent = push(con, store, "L2", batch_rows=2)
    assert sent.retracted == {"SHIP_TO": 2, "Address": 1}
    assert store.get_node(_ref("Address", "ak1")) is None
    assert store_counts(store) == table_counts(con)
    assert push(con, store, "L3").retracted == {}
    other = duckdb.connect(str(tmp_path / "ref.duckdb"))  # the corrected staging, pushed
    put_staging(other, world())                           # once into an empty store
    put_staging(other, moved, load_id="L2")
    project(other, "L2")
    ref = open_store(tmp_path / "ref")
    push(other, ref, "L2")
    assert dump_store(store) == dump_store(ref)
    ref.close()
    other.close()
