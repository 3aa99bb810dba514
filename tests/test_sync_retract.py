"""Retraction: edges and nodes the projection no longer has leave the graph store.

A small generated world is loaded by the real pipeline; then a corrected extract arrives
(one waybill's consignee address changed, one register person renamed so resolution
withdraws its SAME_AS links) and is loaded into the same workspace.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from store_dump import dump_store

from etl.load import load
from graph.schema import load_schema
from graph.store.ladybug_store import LadybugStore

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
POOL = 256 * 1024**2
NEW_ADDRESS = "Rm 999, Bldg 99, 1 Retraction Rd, Futian District, Shenzhen"
NEW_ADDRESS_2 = "Rm 998, Bldg 98, 2 Retraction Rd, Futian District, Shenzhen"
NEW_NAME = "Qwerty Zzyzx"


def _quiet(_msg: str) -> None:
    pass


def _generate(out: Path) -> Path:
    from synthetic.config import GenConfig
    from synthetic.world import generate

    generate(GenConfig(declarations=500, seed=7), out)
    return out


def _linked_register_person(ws: Path) -> tuple[str, str]:
    """(person_ref, person key) of a register person with a Person SAME_AS link and no
    other mention (orders, payments, ...): its node shows the register's name, so renaming
    the register row renames the node and resolution re-scores its links."""
    from etl.keys import create_key_macros
    from etl.project_sql import PERSON_MENTIONS

    con = duckdb.connect(str(ws / "staging.duckdb"), read_only=True)
    create_key_macros(con)
    row = con.execute(f"""
        WITH m AS ({PERSON_MENTIONS}),
        solo AS (SELECT person_key FROM m GROUP BY person_key
                 HAVING count(*) = 1 AND bool_and(source = 'persons')),
        reg AS (SELECT person_ref, person_key(id_number_norm, id_number_valid, name_norm,
                                             telephone_e164) AS k FROM stg_persons)
        SELECT r.person_ref, r.k FROM reg r SEMI JOIN solo ON solo.person_key = r.k
        WHERE r.k IN (SELECT from_key FROM edge_SAME_AS WHERE from_label = 'Person' UNION
                      SELECT to_key FROM edge_SAME_AS WHERE to_label = 'Person')
          -- not linked by the hashed ID or the e-mail: those links rightly survive a new
          -- name; the others lose their evidence with it
          AND r.k NOT IN (SELECT from_key FROM edge_SAME_AS
                          WHERE regexp_matches(method, 'idhash|email')
                          UNION SELECT to_key FROM edge_SAME_AS
                          WHERE regexp_matches(method, 'idhash|email'))
        ORDER BY r.person_ref LIMIT 1""").fetchone()
    con.close()
    assert row, "the generated world has no linked register person mentioned only there"
    return row


def _set_waybill_address(world: Path, address: str) -> str:
    """Give the first waybill with a consignee address in ``world`` (edited in place) the
    ``address``; returns its key (``logistics_code|logistics_no``)."""
    for f in sorted(glob.glob(str(world / "waybills" / "*.parquet"))):
        df = pd.read_parquet(f)
        hit = df.index[df["consignee_address"].notna()]
        if len(hit):
            i = hit[0]
            df.loc[i, "consignee_address"] = address
            df.to_parquet(f, index=False)
            return f"{df.loc[i, 'logistics_code']}|{df.loc[i, 'logistics_no']}"
    raise AssertionError("no waybill with a consignee address")


def _rename_person(world: Path, person_ref: str) -> None:
    persons = pd.read_parquet(world / "persons.parquet")
    persons.loc[persons["person_ref"] == person_ref, "name"] = NEW_NAME
    persons.to_parquet(world / "persons.parquet", index=False)


def _store(ws: Path) -> LadybugStore:
    return LadybugStore(ws / "graph", read_only=True, buffer_pool_bytes=POOL)


def _ship_to(store, waybill: str) -> list[str]:
    rows = store.query("MATCH (w:Waybill)-[:SHIP_TO]->(a:Address) WHERE w.waybill_key = $k "
                       "RETURN a.address AS address", {"k": waybill})
    return sorted(r["address"] for r in rows)


def _same_as(store, key: str) -> int:
    return store.query("MATCH (a:Person)-[e:SAME_AS]-(:Person) WHERE a.person_key = $k "
                       "RETURN count(e) AS c", {"k": key})[0]["c"]


def _projection_counts(ws: Path) -> tuple[dict[str, int], dict[str, int]]:
    s = load_schema()
    con = duckdb.connect(str(ws / "staging.duckdb"), read_only=True)
    nodes = {n: con.execute(f"SELECT count(*) FROM node_{n}").fetchall()[0][0]
             for n in s.projected_nodes}
    edges = {e: con.execute(f"SELECT count(*) FROM edge_{e}").fetchall()[0][0]
             for e in s.projected_edges}
    con.close()
    return nodes, edges


def _store_counts(store) -> tuple[dict[str, int], dict[str, int]]:
    s = load_schema()
    return ({n: store.count_nodes(n) for n in s.projected_nodes},
            {e: store.count_edges(e) for e in s.projected_edges})


@pytest.fixture(scope="module")
def corrected(tmp_path_factory):
    """Loads into one workspace: the world; ``fixed1`` (a waybill moved to NEW_ADDRESS, an
    address nothing else names); ``fixed2`` (the waybill moved on to NEW_ADDRESS_2, so the
    NEW_ADDRESS node goes too, and a linked register person renamed); ``fixed2`` again."""
    root = tmp_path_factory.mktemp("retract")
    world, ws = _generate(root / "world"), root / "ws"
    load(world, ws, say=_quiet)
    ref, key = _linked_register_person(ws)
    fixed1, fixed2 = root / "fixed1", root / "fixed2"
    shutil.copytree(world, fixed1)
    waybill = _set_waybill_address(fixed1, NEW_ADDRESS)
    shutil.copytree(fixed1, fixed2)
    assert _set_waybill_address(fixed2, NEW_ADDRESS_2) == waybill
    _rename_person(fixed2, ref)
    seen = {}
    for step, extract in (("world", world), ("fixed1", fixed1), ("fixed2", fixed2),
                          ("again", fixed2)):
        if step != "world":
            seen[f"sync_{step}"] = load(extract, ws, say=_quiet).downstream["sync"]
        store = _store(ws)
        seen[step] = {"ship_to": _ship_to(store, waybill), "same_as": _same_as(store, key),
                      "new_address": _address_nodes(store, NEW_ADDRESS)}
        store.close()
    return dict(root=root, ws=ws, world=world, fixed1=fixed1, fixed2=fixed2, seen=seen)


def _address_nodes(store, address: str) -> int:
    return store.query("MATCH (a:Address) WHERE a.address = $a RETURN count(a) AS c",
                       {"a": address})[0]["c"]


def test_a_moved_waybill_ships_to_its_new_address_only(corrected):
    seen = corrected["seen"]
    assert len(seen["world"]["ship_to"]) == 1 and seen["world"]["ship_to"] != [NEW_ADDRESS]
    assert seen["fixed1"]["ship_to"] == [NEW_ADDRESS]
    assert seen["fixed2"]["ship_to"] == [NEW_ADDRESS_2]
    assert seen["sync_fixed1"].retracted["SHIP_TO"] == 1
    assert seen["sync_fixed2"].retracted["SHIP_TO"] == 1


def test_an_address_nothing_names_any_more_leaves_the_store(corrected):
    seen = corrected["seen"]
    assert [seen[s]["new_address"] for s in ("world", "fixed1", "fixed2")] == [0, 1, 0]
    assert seen["sync_fixed2"].retracted["Address"] == 1


def test_a_withdrawn_same_as_link_is_gone_from_the_store(corrected):
    seen = corrected["seen"]
    assert seen["fixed1"]["same_as"] >= 1
    assert seen["fixed2"]["same_as"] == 0
    assert seen["sync_fixed2"].retracted["SAME_AS"] >= seen["fixed1"]["same_as"]


def test_store_counts_equal_the_projection(corrected):
    store = _store(corrected["ws"])
    assert _store_counts(store) == _projection_counts(corrected["ws"])
    store.close()


def test_an_identical_reload_retracts_and_sends_nothing(corrected):
    again = corrected["seen"]["sync_again"]
    assert again == {} and again.retracted == {}


def test_the_ledger_forgets_retracted_edges_and_counts_what_the_store_holds(corrected):
    con = duckdb.connect(str(corrected["ws"] / "staging.duckdb"), read_only=True)
    ledger = dict(con.execute("SELECT edge_type, count(*) FROM graph_sync_edges "
                              "GROUP BY ALL").fetchall())
    rows = dict(con.execute("SELECT name, sum(rows) FROM graph_sync WHERE kind = 'edge' "
                            "GROUP BY ALL").fetchall())
    pending = con.execute("SELECT count(*) FROM graph_sync WHERE done_at IS NULL").fetchone()
    con.close()
    _, edges = _projection_counts(corrected["ws"])
    assert pending == (0,)
    assert {t: n for t, n in ledger.items() if n} == {t: n for t, n in edges.items() if n}
    assert {t: n for t, n in rows.items() if n} == {t: n for t, n in edges.items() if n}


# -- killed at each retraction step and run again ----------------------------------------
def cbec(*args: str, crash_at: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CBEC_CRASH_AT"}
    env["CBEC_SYNC_BATCH_ROWS"] = "100"  # several batches per type: retraction hits a few
    if crash_at:
        env["CBEC_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, str(ROOT / "cbec_cli.py"), *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


CRASH_POINTS = ["retract:SHIP_TO:reopened", "retract:SHIP_TO:unmarked", "retract:SHIP_TO",
                "retract:SAME_AS:reopened", "retract:SAME_AS:unmarked",
                "retract:Address:deleted", "retract:Address"]


@pytest.fixture(scope="module")
def crash_base(corrected, tmp_path_factory):
    """The world and ``fixed1`` loaded by the CLI (small batches), then ``fixed2`` loaded
    on a copy without interruption: the state every killed-and-rerun load must reach."""
    root = tmp_path_factory.mktemp("crash")
    base = root / "base"
    for extract in ("world", "fixed1"):
        done = cbec("load", str(corrected[extract]), "-w", str(base))
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    clean = root / "clean"
    shutil.copytree(base, clean)
    done = cbec("load", str(corrected["fixed2"]), "-w", str(clean))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    store = _store(clean)
    expected = dump_store(store)
    store.close()
    return dict(root=root, base=base, fixed=corrected["fixed2"], expected=expected,
                printed=done.stdout)


def test_cbec_load_prints_what_it_retracted(crash_base):
    out = crash_base["printed"]
    assert "retracted" in out.split("Graph edges")[1]  # the column
    note = " ".join(out.split()).split("retracted from the graph store")[1]  # rich wraps
    note = note.split(" done in ")[0]
    assert "1 Address" in note and "1 SHIP_TO" in note and "SAME_AS" in note
    assert "surviving edges" in note


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_killed_during_retraction_then_rerun_equals_uninterrupted(crash_base, point):
    b = crash_base
    ws = b["root"] / point.replace(":", "_")
    shutil.copytree(b["base"], ws)
    first = cbec("load", str(b["fixed"]), "-w", str(ws), crash_at=point)
    assert first.returncode == -9, f"{point} not reached: " + first.stdout[-3000:]
    again = cbec("load", str(b["fixed"]), "-w", str(ws))
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    store = _store(ws)
    got, counts = dump_store(store), _store_counts(store)
    store.close()
    assert got == b["expected"]
    assert counts == _projection_counts(ws)
    shutil.rmtree(ws)
