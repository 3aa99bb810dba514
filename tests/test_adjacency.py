"""The adjacency index against the Cypher walks it replaces, on a graph written by the real
``cbec load`` from a generated world (the contract suite runs the tiny ring on it too:
``ladybug-index`` in conftest)."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from graph.schema import ident
from graph.store.base import NodeRef
from graph.store.ladybug_store import LadybugStore
from graph.store.neo4j_store import Neo4jStore
from graph.store.paths import PathSearchGaveUp
from graph.store.testing import FakeRunner

LABELS = ["Person", "Enterprise", "Declaration", "Address", "Phone", "Order", "Payment"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    from etl.load import load
    from synthetic.config import GenConfig
    from synthetic.world import generate

    root = tmp_path_factory.mktemp("adjworld")
    generate(GenConfig(declarations=2500, seed=5), root / "world")
    load(root / "world", root / "ws", say=lambda m: None)
    cypher = LadybugStore(root / "ws" / "graph", read_only=True)
    indexed = LadybugStore(root / "ws" / "graph", read_only=True)
    indexed.use_adjacency()
    keys = {}
    for lab in LABELS:
        k = ident(cypher.schema.node(lab).key)
        keys[lab] = sorted(r["k"] for r in cypher.query(f"MATCH (n:{ident(lab)}) "
                                                         f"RETURN n.{k} AS k"))
    yield cypher, indexed, keys
    cypher.close()
    indexed.close()


def _starts(keys, n, seed, labels=LABELS):
    rnd = random.Random(seed)
    return [NodeRef(lab, rnd.choice(keys[lab])) for lab in rnd.choices(labels, k=n)]


def test_index_holds_the_whole_store(loaded):
    cypher, indexed, _ = loaded
    adj = indexed.adjacency
    assert len(adj) == cypher.count_nodes() and adj.n_edges == cypher.count_edges()
    assert int(adj.degree.sum()) == 2 * adj.n_edges
    assert adj.nbytes() > 0


@pytest.mark.parametrize("kw, starts, least", [
    ({}, 40, 20), ({"hops": 1}, 40, 20), ({"hops": 3, "limit": 1000}, 12, 3),
    ({"edge_types": ["BUYER", "SOLD_BY", "HAS_PHONE", "SHIP_TO"]}, 40, 20)])
def test_neighbourhoods_equal_the_cypher_walks(loaded, kw, starts, least):
    cypher, indexed, keys = loaded
    compared = 0
    # 3 hops from a busy node reaches the limit: start those from the quieter labels
    labels = ["Person", "Phone", "Address"] if kw.get("hops") == 3 else LABELS
    for ref in _starts(keys, starts, seed=len(kw), labels=labels):
        c, i = cypher.neighbourhood(ref, **kw), indexed.neighbourhood(ref, **kw)
        assert i.truncated == c.truncated, ref
        if len(c.nodes) >= kw.get("limit", 500):  # the limit keeps some, in either's order
            assert len(i.nodes) == len(c.nodes) and ref in i.nodes
            continue
        assert i.nodes == c.nodes, ref  # properties too
        assert sorted(map(repr, i.edges)) == sorted(map(repr, c.edges)), ref
        assert sorted(i.hubs) == sorted(c.hubs), ref
        compared += 1
    assert compared >= least


def test_time_windows_equal_the_cypher_walks(loaded):
    from datetime import datetime

    cypher, indexed, keys = loaded
    for ref in _starts(keys, 30, seed=99):
        for kw in ({"since": datetime(2025, 6, 1)}, {"until": datetime(2025, 3, 1)}):
            c, i = cypher.neighbourhood(ref, **kw), indexed.neighbourhood(ref, **kw)
            if len(c.nodes) < 500:
                assert set(i.nodes) == set(c.nodes), (ref, kw)


def test_paths_are_as_short_as_the_cypher_search_and_real(loaded):
    cypher, indexed, keys = loaded
    rnd = random.Random(3)
    found = gave_up = 0
    for _ in range(16):
        a, b = (NodeRef(lab, rnd.choice(keys[lab]))
                for lab in rnd.choices(["Person", "Enterprise", "Address"], k=2))
        i = indexed.shortest_path(a, b)  # its bounds are far wider: it never gives up here
        try:
            c = cypher.shortest_path(a, b)
        except PathSearchGaveUp:
            gave_up += 1
        else:
            assert (c is None) == (i is None), (a, b)
            assert i is None or i.hops == c.hops, (a, b)
        if i is None:
            continue
        found += 1
        assert i.nodes[0] == a and i.nodes[-1] == b
        for x, t, y in zip(i.nodes, i.edge_types, i.nodes[1:], strict=False):
            linked = {frozenset((f, to)) for f, typ, to, _ in indexed.subgraph([x, y]).edges
                      if typ == t}
            assert frozenset((x, y)) in linked, (x, t, y)  # the edge exists, either way
        assert not any(n.label in indexed.hub_labels for n in i.nodes[1:-1])
    assert found >= 3 and gave_up < 4


def test_subgraphs_equal_the_cypher_ones(loaded):
    cypher, indexed, keys = loaded
    for ref in _starts(keys, 8, seed=21):
        refs = list(cypher.neighbourhood(ref, hops=2, limit=150).nodes)
        refs += [NodeRef("Person", "no such key"), refs[0]]  # absent and repeated refs
        c, i = cypher.subgraph(refs), indexed.subgraph(refs)
        assert list(i.nodes.items()) == list(c.nodes.items()), ref
        assert i.edges == c.edges, ref
    assert indexed.subgraph([]).nodes == {}


def test_search_on_the_index_finds_what_cypher_finds_and_typos(loaded):
    cypher, indexed, keys = loaded
    rnd = random.Random(8)
    for label, prop in (("Person", "name"), ("Enterprise", "name"), ("Address", "address")):
        for key in rnd.sample(keys[label], 5):
            ref = NodeRef(label, key)
            value = cypher.get_node(ref)[prop]
            c = cypher.search(value, labels=[label])
            i = indexed.search(value, labels=[label])
            assert c and i and i[0].score == c[0].score == 100.0, (ref, value)
            assert {h.ref for h in i if h.score == 100} == {h.ref for h in c if h.score == 100}
            typo = value[:3] + "Q" + value[4:] if len(value) > 6 else value
            assert ref in {h.ref for h in indexed.search(typo, labels=[label], limit=50)}, typo


def test_a_write_drops_the_index(tmp_path):
    store = LadybugStore(tmp_path / "g", buffer_pool_bytes=64 * 1024**2)
    store.ensure_schema()
    store.write_nodes("Person", pa.table({"person_key": ["a", "b"]}))
    store.write_nodes("Phone", pa.table({"phone": ["+861"]}))
    store.write_edges("HAS_PHONE", "Person", "Phone",
                      pa.table({"from_key": ["a"], "to_key": ["+861"]}), batch="x")
    store.use_adjacency()
    assert store.shortest_path(NodeRef("Person", "a"), NodeRef("Person", "b")) is None
    store.write_edges("HAS_PHONE", "Person", "Phone",
                      pa.table({"from_key": ["b"], "to_key": ["+861"]}), batch="y")
    assert store.adjacency is None  # the next traversal walks in Cypher, seeing the write
    assert store.shortest_path(NodeRef("Person", "a"), NodeRef("Person", "b")).hops == 2
    store.use_adjacency()
    assert store.shortest_path(NodeRef("Person", "a"), NodeRef("Person", "b")).hops == 2
    store.close()


def test_gaps_in_internal_offsets_after_deletes(tmp_path):
    store = LadybugStore(tmp_path / "g", buffer_pool_bytes=64 * 1024**2)
    store.ensure_schema()
    people = [f"p{i}" for i in range(6)]
    store.write_nodes("Person", pa.table({"person_key": people}))
    store.write_nodes("Phone", pa.table({"phone": ["+861"]}))
    store.write_edges("HAS_PHONE", "Person", "Phone",
                      pa.table({"from_key": people, "to_key": ["+861"] * 6}), batch="x")
    store.query("MATCH (n:Person) WHERE n.person_key IN ['p1', 'p3'] DETACH DELETE n")
    store.use_adjacency()
    sg = store.neighbourhood(NodeRef("Phone", "+861"))
    assert {r.key for r in sg.nodes if r.label == "Person"} == {"p0", "p2", "p4", "p5"}
    assert store.shortest_path(NodeRef("Person", "p4"), NodeRef("Person", "p5")).hops == 2
    store.close()


def test_neo4j_has_no_index_and_walks_in_cypher():
    runner = FakeRunner()
    store = Neo4jStore(runner)
    assert store.use_adjacency() is None and store.adjacency is None
    assert not runner.calls  # nothing asked of the server


def test_an_empty_store_indexes_and_answers_nothing(tmp_path):
    store = LadybugStore(tmp_path / "g", buffer_pool_bytes=64 * 1024**2)
    store.ensure_schema()
    adj = store.use_adjacency()
    assert len(adj) == 0 and adj.n_edges == 0
    x, y = NodeRef("Person", "x"), NodeRef("Person", "y")
    assert store.neighbourhood(x).nodes == {} and store.shortest_path(x, y) is None
    assert store.search("Li Na") == [] and store.subgraph([x]).nodes == {}
    store.close()


def test_sharing_identifier_equals_the_cypher_one(loaded):
    cypher, indexed, keys = loaded
    compared = 0
    for ref in _starts(keys, 30, seed=13, labels=["Person", "Enterprise", "Order", "Phone"]):
        c, i = cypher.sharing_identifier(ref, limit=100_000), \
            indexed.sharing_identifier(ref, limit=100_000)
        assert i == c, ref
        compared += bool(c)
    assert compared >= 5  # starts that do share something
    busy = max(_starts(keys, 30, seed=13, labels=["Person"]),
               key=lambda r: len(cypher.sharing_identifier(r, limit=100_000)))
    cut = indexed.sharing_identifier(busy, limit=1)
    assert len(cut) <= len({p for _, _, p in cut}) and set(cut) <= set(
        cypher.sharing_identifier(busy, limit=100_000))
    assert indexed.sharing_identifier(NodeRef("Person", "no such key")) == []
