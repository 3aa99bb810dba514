"""The Neo4j path end to end on a real server (``neo4j_env``: the local Neo4j 5.26 or
``NEO4J_URI``'s): ``cbec load`` of a generated world, the same world in Ladybug and in Neo4j
giving the same graph and the same answers, the query CLI, retraction of a corrected
extract, and a load killed mid-sync then run again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import NEO4J_WIPES, _wipe
from store_dump import dump_store
from test_sync_retract import (
    NEW_ADDRESS,
    NEW_ADDRESS_2,
    _address_nodes,
    _generate,
    _linked_register_person,
    _projection_counts,
    _rename_person,
    _same_as,
    _set_waybill_address,
    _ship_to,
    _store_counts,
)
from typer.testing import CliRunner

from graph.schema import load_schema
from graph.store.base import NodeRef
from graph.store.ladybug_store import LadybugStore
from graph.store.neo4j_store import ENV_VARS, Neo4jStore
from graph.store.paths import PathSearchGaveUp

# One test worker runs the whole module (`make test` uses --dist loadgroup): its fixtures
# generate and load the world once, instead of once per worker.
pytestmark = [pytest.mark.slow, pytest.mark.neo4j, pytest.mark.xdist_group("neo4j_server")]
ROOT = Path(__file__).resolve().parents[1]
POOL = 256 * 1024**2


def cbec(*args: str, neo4j: dict[str, str] | None, crash_at: str | None = None):
    """``cbec ARGS`` in a subprocess, on Neo4j (``neo4j``: its settings) or on Ladybug."""
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS and k != "CBEC_CRASH_AT"}
    env.update(neo4j or {})
    env["CBEC_SYNC_BATCH_ROWS"] = "200"  # several batches per edge type: a kill lands mid-type
    if crash_at:
        env["CBEC_CRASH_AT"] = crash_at
    done = subprocess.run([sys.executable, str(ROOT / "cbec_cli.py"), *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    return done


def _ok(done) -> str:
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def _emptied(env: dict[str, str]) -> None:
    with Neo4jStore.from_env(env) as s:
        _wipe(s)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return _generate(tmp_path_factory.mktemp("neo4j-world") / "world")


@pytest.fixture(scope="module")
def ladybug(world, tmp_path_factory):
    """The world loaded into the embedded store by ``cbec load``; opened read-only."""
    ws = tmp_path_factory.mktemp("lb") / "ws"
    _ok(cbec("load", str(world), "-w", str(ws), neo4j=None))
    store = LadybugStore(ws / "graph", read_only=True, buffer_pool_bytes=POOL)
    yield store
    store.close()


@pytest.fixture(scope="module")
def neo_loaded(world, neo4j_env, tmp_path_factory):
    """The world loaded into an emptied Neo4j by ``cbec load``: (workspace, what it printed)."""
    ws = tmp_path_factory.mktemp("neo") / "ws"
    _emptied(neo4j_env)
    out = _ok(cbec("load", str(world), "-w", str(ws), neo4j=neo4j_env))
    return {"ws": ws, "out": out, "wipes": NEO4J_WIPES["count"]}


@pytest.fixture
def neo(neo_loaded, neo4j_env, world):
    """A connection to the Neo4j holding the world (loaded again if a test emptied it)."""
    if neo_loaded["wipes"] != NEO4J_WIPES["count"]:
        _emptied(neo4j_env)
        shutil.rmtree(neo_loaded["ws"])
        _ok(cbec("load", str(world), "-w", str(neo_loaded["ws"]), neo4j=neo4j_env))
        neo_loaded["wipes"] = NEO4J_WIPES["count"]
    store = Neo4jStore.from_env(neo4j_env)
    yield store
    store.close()


# -- cbec load into Neo4j --------------------------------------------------------------------
def test_load_into_neo4j_holds_the_projection(neo, neo_loaded):
    nodes, edges = _store_counts(neo)
    assert (nodes, edges) == _projection_counts(neo_loaded["ws"])
    assert nodes["CheckResult"] > 0 and nodes["Declaration"] > 0
    assert edges["SAME_AS"] > 0
    assert "Graph edges" in neo_loaded["out"]


def test_the_schema_is_on_the_server(neo):
    """Every node key is unique (a constraint) and every ``index:`` property has a TEXT
    index: what the generated ``ensure_schema`` asked for is what the server has."""
    s = load_schema()
    constraints = {(r["labels"][0], r["properties"][0]) for r in neo.query(
        "SHOW CONSTRAINTS YIELD type, labelsOrTypes AS labels, properties "
        "WHERE type = 'UNIQUENESS' RETURN labels, properties")}
    assert constraints >= {(label, n.key) for label, n in s.nodes.items()}
    text = {(r["labels"][0], r["properties"][0]) for r in neo.query(
        "SHOW INDEXES YIELD type, labelsOrTypes AS labels, properties, state "
        "WHERE type = 'TEXT' AND state = 'ONLINE' RETURN labels, properties")}
    assert text >= {(label, p) for label, n in s.nodes.items() for p in n.index}


# -- the same world in both stores ---------------------------------------------------------
def test_both_stores_hold_the_same_graph(neo, ladybug):
    """Every node with its properties and every edge with its properties, per label/type."""
    lb, nj = dump_store(ladybug), dump_store(neo)
    assert lb.keys() == nj.keys()
    differ = [k for k in lb if lb[k] != nj[k]]
    assert not differ, {k: (lb[k][:2], nj[k][:2]) for k in differ[:3]}
    assert sum(map(len, nj.values())) > 1000


def _sample(store, label: str, n: int) -> list[NodeRef]:
    key = load_schema().node(label).key
    rows = store.query(f"MATCH (x:`{label}`) RETURN x.`{key}` AS k ORDER BY k LIMIT $n",
                       {"n": n})
    return [NodeRef(label, r["k"]) for r in rows]


SAMPLED = {"Person": 6, "Enterprise": 6, "Phone": 4, "Address": 4, "Declaration": 4,
           "PaymentAccount": 3}


def _starts(store) -> list[NodeRef]:
    return [r for label, n in SAMPLED.items() for r in _sample(store, label, n)]


def _shape(sg) -> tuple:
    return (sorted(sg.nodes), sorted((a, t, b) for a, t, b, _p in sg.edges), sg.truncated,
            sorted(sg.hubs))


def _same_neighbourhood(neo, ladybug, start, **kw) -> None:
    """Equal neighbourhoods; where the node limit cut one short, which nodes a limit keeps is
    each store's own (a documented dialect difference): then both are cut, keep as many
    nodes, and keep only nodes of the uncut neighbourhood."""
    n, lb = neo.neighbourhood(start, **kw), ladybug.neighbourhood(start, **kw)
    if not (n.truncated or lb.truncated):
        assert _shape(n) == _shape(lb), (start, kw)
        return
    full = set(ladybug.neighbourhood(start, **kw, limit=10**7).nodes)
    assert n.truncated and lb.truncated and len(n.nodes) == len(lb.nodes), (start, kw)
    assert set(n.nodes) <= full and set(lb.nodes) <= full, (start, kw)


def test_neighbourhoods_are_the_same(neo, ladybug):
    starts = _starts(ladybug)
    assert starts == _starts(neo) and len(starts) == sum(SAMPLED.values())
    for start in starts:
        for hops in (1, 2):
            _same_neighbourhood(neo, ladybug, start, hops=hops)


def test_time_filtered_neighbourhoods_and_subgraphs_are_the_same(neo, ladybug):
    from datetime import datetime

    months = [datetime(2024, m, 1) for m in (3, 6, 9)]
    for start in _starts(ladybug)[:12]:
        for since, until in ((months[0], None), (None, months[1]), (months[0], months[2])):
            _same_neighbourhood(neo, ladybug, start, hops=2, since=since, until=until)
    refs = _starts(ladybug)
    assert _shape(neo.subgraph(refs)) == _shape(ladybug.subgraph(refs))


def test_shortest_path_lengths_are_the_same(neo, ladybug):
    people = _sample(ladybug, "Person", 12) + _sample(ladybug, "Enterprise", 6)
    pairs = [(a, b) for i, a in enumerate(people) for b in people[i + 1:i + 4]]
    found = 0
    for a, b in pairs:
        try:
            lp = ladybug.shortest_path(a, b)
        except PathSearchGaveUp:  # the embedded search's work bound: nothing to compare
            continue
        np_ = neo.shortest_path(a, b)
        assert (lp is None) == (np_ is None), (a, b)
        if lp is not None:
            found += 1
            assert lp.hops == np_.hops, (a, b)
            _assert_real_path(neo, np_)
    assert found >= 3  # the comparison covered real paths, not only "no path"


def _assert_real_path(store, path) -> None:
    """Each step of a path the server returned is an edge of the graph."""
    for (a, b), typ in zip(zip(path.nodes, path.nodes[1:], strict=False), path.edge_types,
                           strict=True):
        ends = {(x, y) for x, t, y, _p in store.neighbourhood(a, hops=1).edges if t == typ}
        assert (a, b) in ends or (b, a) in ends, (a, typ, b)


def test_sharing_and_search_are_the_same(neo, ladybug):
    for start in _starts(ladybug):
        assert _shared(neo, start) == _shared(ladybug, start), start
    for start in _sample(ladybug, "Person", 5) + _sample(ladybug, "Enterprise", 5):
        name = (ladybug.get_node(start) or {}).get("name")
        if name:
            # the exact hits agree; the fuzzy tail below them comes from each store's own
            # candidate scan (Ladybug's, Neo4j's text index) and may differ: dialect difference
            lb = {h.ref for h in ladybug.search(name, limit=50) if h.score >= 100}
            nj = {h.ref for h in neo.search(name, limit=50) if h.score >= 100}
            assert nj == lb and nj, name


def _shared(store, start):
    return sorted(store.sharing_identifier(start))


# -- the query CLI on Neo4j ----------------------------------------------------------------
def test_query_cli_on_neo4j(neo, neo4j_env, tmp_path):
    person = _sample(neo, "Enterprise", 1)[0]
    name = neo.get_node(person)["name"]
    env = {**neo4j_env, "COLUMNS": "200"}
    ws = str(tmp_path)  # no local graph there: the commands must go to Neo4j

    def run(*args):
        r = CliRunner().invoke(_app(), [*args, "-w", ws], env=env)
        assert r.exit_code in (0, 2), r.output
        return r

    assert person.key in run("search", name).output
    out = run("neighbours", person.label, person.key, "--hops", "1").output
    assert "nodes" in out
    assert run("shared", person.label, person.key).exit_code == 0
    other = _sample(neo, "Enterprise", 2)[1]
    r = run("path", f"{person.label}:{person.key}", f"{other.label}:{other.key}")
    assert ("hops" in r.output) if r.exit_code == 0 else ("no path" in r.output)
    r = run("path", "Person:nobody", f"{person.label}:{person.key}")
    assert r.exit_code == 2 and "not in the graph" in r.output


def _app():
    from cbec_cli import app

    return app


# -- retraction and a killed load, on Neo4j ------------------------------------------------
@pytest.fixture(scope="module")
def corrected_on_neo4j(neo_loaded, world, neo4j_env, tmp_path_factory):
    """``fixed1`` (a waybill moved to NEW_ADDRESS) then ``fixed2`` (moved on to NEW_ADDRESS_2,
    a linked register person renamed) loaded after the world into the same workspace."""
    root = tmp_path_factory.mktemp("neo-retract")
    ws = neo_loaded["ws"]
    if neo_loaded["wipes"] != NEO4J_WIPES["count"]:  # emptied since: load the world again
        _emptied(neo4j_env)
        shutil.rmtree(ws)
        _ok(cbec("load", str(world), "-w", str(ws), neo4j=neo4j_env))
    person_ref, key = _linked_register_person(ws)
    fixed1, fixed2 = root / "fixed1", root / "fixed2"
    shutil.copytree(world, fixed1)
    waybill = _set_waybill_address(fixed1, NEW_ADDRESS)
    shutil.copytree(fixed1, fixed2)
    _set_waybill_address(fixed2, NEW_ADDRESS_2)
    _rename_person(fixed2, person_ref)
    seen = {}
    for step, extract in (("world", None), ("fixed1", fixed1), ("fixed2", fixed2)):
        if extract is not None:
            seen[f"out_{step}"] = _ok(cbec("load", str(extract), "-w", str(ws),
                                           neo4j=neo4j_env))
        with Neo4jStore.from_env(neo4j_env) as s:
            seen[step] = {"ship_to": _ship_to(s, waybill), "same_as": _same_as(s, key),
                          "new_address": _address_nodes(s, NEW_ADDRESS),
                          "counts": _store_counts(s)}
        seen[f"projection_{step}"] = _projection_counts(ws)
    neo_loaded["wipes"] = -1  # the world in Neo4j is the corrected one now
    return seen


def test_retraction_on_neo4j(corrected_on_neo4j):
    seen = corrected_on_neo4j
    assert seen["fixed1"]["ship_to"] == [NEW_ADDRESS]
    assert seen["fixed1"]["new_address"] == 1
    assert seen["fixed2"]["ship_to"] == [NEW_ADDRESS_2]
    assert seen["fixed2"]["new_address"] == 0  # nothing names it any more: the node went
    assert seen["world"]["same_as"] > 0 and seen["fixed2"]["same_as"] == 0
    for step in ("world", "fixed1", "fixed2"):
        assert seen[step]["counts"] == seen[f"projection_{step}"], step
    assert "retracted from the graph store" in " ".join(seen["out_fixed2"].split())


def test_load_killed_mid_sync_then_rerun_equals_the_embedded_load(world, ladybug, neo4j_env,
                                                                   tmp_path):
    """SIGKILL between two batches of an edge type while syncing to Neo4j; the rerun ends
    with exactly the graph the uninterrupted load built in Ladybug."""
    _emptied(neo4j_env)
    ws = tmp_path / "ws"
    first = cbec("load", str(world), "-w", str(ws), neo4j=neo4j_env, crash_at="push:SOLD_BY")
    assert first.returncode == -9, first.stdout[-2000:] + first.stderr[-2000:]
    with Neo4jStore.from_env(neo4j_env) as s:
        half = _store_counts(s)[1]["SOLD_BY"]
    _ok(cbec("load", str(world), "-w", str(ws), neo4j=neo4j_env))
    with Neo4jStore.from_env(neo4j_env) as s:
        got = dump_store(s)
    expected = dump_store(ladybug)
    assert 0 < half < len(expected["edge:SOLD_BY:Order>Enterprise"])  # killed mid-type
    assert got == expected


def test_load_killed_after_a_node_write_then_rerun_equals_the_embedded_load(
        world, ladybug, neo4j_env, tmp_path):
    """SIGKILL after the first Person batch reached the server but before the ledger
    recorded it: the rerun sends those keys as new again (CREATE), the uniqueness
    constraint rejects that batch, and it is merged instead; no node is doubled."""
    _emptied(neo4j_env)
    ws = tmp_path / "ws"
    first = cbec("load", str(world), "-w", str(ws), neo4j=neo4j_env,
                 crash_at="push:Person:unmarked")
    assert first.returncode == -9, first.stdout[-2000:] + first.stderr[-2000:]
    with Neo4jStore.from_env(neo4j_env) as s:
        assert s.count_nodes("Person") > 0  # the batch the ledger does not know of
    _ok(cbec("load", str(world), "-w", str(ws), neo4j=neo4j_env))
    with Neo4jStore.from_env(neo4j_env) as s:
        got = dump_store(s)
    assert got == dump_store(ladybug)
