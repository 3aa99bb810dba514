"""The GraphStore contract, run on every store (Ladybug always, Neo4j when NEO4J_URI is set)."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pytest
from conftest import ACCOUNT, ADDRESS, CHAIN, P1_ID, PHONE, ref, ring_edges, write_tiny_ring

from graph.schema import SchemaError
from graph.store.base import GraphStore, Subgraph
from graph.store.cypher_base import GraphQueryError

P1 = ref("Person", "id:" + P1_ID)
S1, S2 = ref("Enterprise", "S1"), ref("Enterprise", "S2")

# -- writes --------------------------------------------------------------------------------


def test_is_a_graph_store(store):
    assert isinstance(store, GraphStore)


def test_write_nodes_is_idempotent(store):
    rows = pa.table({"phone": ["+8613800138000", "+8613900139000"], "country": ["CN", "CN"]})
    assert store.write_nodes("Phone", rows) == 2
    assert store.write_nodes("Phone", rows) == 2
    assert store.count_nodes("Phone") == 2
    store.ensure_schema()  # a second time changes nothing
    assert store.count_nodes() == 2


def test_write_nodes_upserts_given_properties_only(store):
    store.write_nodes("Person", pa.table({"person_key": ["p1"], "name": ["Zhang Wei"],
                                          "name_norm": ["zhang wei"]}))
    store.write_nodes("Person", pa.table({"person_key": ["p1", "p2"],
                                          "name": ["Zhang Wei Jr", "Li Na"]}))
    assert store.count_nodes("Person") == 2
    assert store.get_node(ref("Person", "p1")) == {"person_key": "p1", "name": "Zhang Wei Jr",
                                                    "name_norm": "zhang wei"}
    assert store.get_node(ref("Person", "nope")) is None


def test_update_with_columns_null_in_every_row_sets_them_null(store):
    keys = ["o1", "o2"]
    store.write_nodes("Order", pa.table({
        "order_key": keys, "currency": ["CNY", "USD"], "goods_value": [10.5, 20.0],
        "order_time": [datetime(2024, 1, 2, 3, 4, 5), datetime(2024, 2, 3)]}))
    # A DOUBLE and a TIMESTAMP column NULL in every row of the update (and of a new key).
    store.write_nodes("Order", pa.table({
        "order_key": [*keys, "o3"], "currency": ["EUR", "GBP", "JPY"],
        "goods_value": pa.nulls(3, pa.float64()), "order_time": pa.nulls(3, pa.timestamp("us"))}))
    for key, currency in zip([*keys, "o3"], ["EUR", "GBP", "JPY"], strict=True):
        node = store.get_node(ref("Order", key))
        assert node["currency"] == currency
        assert node.get("goods_value") is None and node.get("order_time") is None
    assert store.count_nodes("Order") == 3


def test_update_keeps_values_and_types_of_given_columns(store):
    store.write_nodes("Order", pa.table({"order_key": ["o1", "o2"]}))
    when = datetime(2024, 5, 6, 7, 8, 9, 123456)
    store.write_nodes("Order", pa.table({
        "order_key": ["o1", "o2"], "goods_value": [None, 0.1],
        "order_time": pa.array([when, None], pa.timestamp("us"))}))
    assert store.get_node(ref("Order", "o1"))["order_time"] == when
    assert store.get_node(ref("Order", "o2"))["goods_value"] == 0.1
    assert store.get_node(ref("Order", "o1")).get("goods_value") is None


def test_write_nodes_keeps_last_row_of_a_repeated_key(store):
    store.write_nodes("Country", pa.table({"iso2": ["CN", "CN"], "name": ["old", "China"]}))
    assert store.get_node(ref("Country", "CN"))["name"] == "China"


def test_write_nodes_rejects_bad_input(store):
    with pytest.raises(SchemaError, match="unknown node label"):
        store.write_nodes("Nope", pa.table({"x": ["1"]}))
    with pytest.raises(SchemaError, match="not in the schema"):
        store.write_nodes("Phone", pa.table({"phone": ["+1"], "colour": ["red"]}))
    with pytest.raises(ValueError, match="rows have no 'phone'"):
        store.write_nodes("Phone", pa.table({"phone": ["+1", None]}))


def _two_people_one_phone(store):
    store.write_nodes("Person", pa.table({"person_key": ["a", "b", "c"]}))
    store.write_nodes("Phone", pa.table({"phone": ["+861"]}))


def test_write_edges_same_batch_twice_gives_same_count(store):
    _two_people_one_phone(store)
    rows = pa.table({"from_key": ["a", "b"], "to_key": ["+861", "+861"], "source": ["x", "y"]})
    assert store.write_edges("HAS_PHONE", "Person", "Phone", rows, batch="b1") == 2
    assert store.write_edges("HAS_PHONE", "Person", "Phone", rows, batch="b1") == 2
    assert store.count_edges("HAS_PHONE") == 2
    store.write_edges("HAS_PHONE", "Person", "Phone", rows.slice(0, 1), batch="b2")
    assert store.count_edges("HAS_PHONE") == 3  # another batch adds


def test_half_written_batch_rewritten_is_complete(store):
    _two_people_one_phone(store)
    full = pa.table({"from_key": ["a", "b", "c"], "to_key": ["+861"] * 3})
    store.write_edges("HAS_PHONE", "Person", "Phone", full.slice(0, 1), batch="b1")  # "killed"
    assert store.write_edges("HAS_PHONE", "Person", "Phone", full, batch="b1") == 3
    assert store.count_edges("HAS_PHONE") == 3
    assert store.count_edges() == 3


def test_write_edges_drops_rows_with_missing_endpoints(store):
    _two_people_one_phone(store)
    rows = pa.table({"from_key": ["a", "ghost"], "to_key": ["+861", "+861"]})
    assert store.write_edges("HAS_PHONE", "Person", "Phone", rows, batch="b1") == 1
    assert store.count_edges("HAS_PHONE") == 1


def test_write_edges_rejects_bad_input(store):
    rows = pa.table({"from_key": ["a"], "to_key": ["+861"]})
    with pytest.raises(SchemaError, match="does not join"):
        store.write_edges("HAS_PHONE", "Order", "Phone", rows, batch="b1")
    with pytest.raises(SchemaError, match="unknown edge type"):
        store.write_edges("LIKES", "Person", "Phone", rows, batch="b1")
    with pytest.raises(ValueError, match="batch"):
        store.write_edges("HAS_PHONE", "Person", "Phone", rows, batch="")


def test_errors_name_the_query_and_parameter_keys(store):
    # a syntax error, which both reject (Neo4j, having no fixed schema, answers an unknown
    # label with no rows and a warning where Ladybug's binder fails)
    with pytest.raises(GraphQueryError) as err:
        store.query("MATCH (n:NoSuchLabel) WHERE n.x = $value RETURNS n", {"value": 1})
    assert "NoSuchLabel" in str(err.value) and "['value']" in str(err.value)


# -- search --------------------------------------------------------------------------------


def _top(hits):
    return hits[0].ref if hits else None


def test_search_exact_and_fuzzy_names(ring_store):
    assert _top(ring_store.search("Zhang Wei")) == P1
    assert ring_store.search("Zhang Wei")[0].score == 100
    assert _top(ring_store.search("Zhang Wie")) == P1  # one-letter typo
    assert _top(ring_store.search("Shenzen Star Light Trading")) == S1
    assert _top(ring_store.search("bright moon", labels=["Enterprise"])) == S2
    assert ring_store.search("Zhang Wie", fuzzy=False) == []


def test_search_address_and_labels_filter(ring_store):
    assert _top(ring_store.search("南山区科技园")) == ref("Address", ADDRESS)
    assert all(h.ref.label == "Person" for h in ring_store.search("Li", labels=["Person"]))
    with pytest.raises(SchemaError):
        ring_store.search("x", labels=["Nope"])


@pytest.mark.parametrize("text", ["+86 138 0013 8000", "13800138000", "(138) 0013-8000",
                                  "0086 138-0013-8000"])
def test_search_phone_in_any_format(ring_store, text):
    hits = ring_store.search(text)
    assert _top(hits) == ref("Phone", PHONE)
    assert {S1, S2} <= {h.ref for h in hits}  # the sellers holding it


def test_search_id_number(ring_store):
    hits = ring_store.search(P1_ID.lower())
    assert ref("IdNumber", P1_ID) in [h.ref for h in hits] and P1 in [h.ref for h in hits]


@pytest.mark.parametrize("text", [
    "') MATCH (n) DETACH DELETE n //", "\" OR 1=1 --", "{x}", "$p", "${p}", "\\", "a\\'b",
    "`Person`", "}) RETURN n UNION MATCH (m) DETACH DELETE m //", "张伟' OR '1'='1",
    "MATCH (n) SET n.name = 'x'", "\x00\n\t", "🙂 émigré", "%_*?", "",
])
def test_search_injection_strings_do_nothing(ring_store, text):
    before = (ring_store.count_nodes(), ring_store.count_edges())
    hits = ring_store.search(text)
    assert isinstance(hits, list)
    assert (ring_store.count_nodes(), ring_store.count_edges()) == before
    assert ring_store.get_node(P1)["name"] == "Zhang Wei"


# -- neighbourhood -------------------------------------------------------------------------


def test_neighbourhood_one_and_two_hops(ring_store):
    one = ring_store.neighbourhood(S1, hops=1)
    assert set(one.nodes) == {S1, ref("Phone", PHONE), ref("Address", ADDRESS),
                              ref("Order", "PLAT|O1")}
    assert (S1, "HAS_PHONE", ref("Phone", PHONE), {}) in one.edges
    assert not one.truncated
    two = ring_store.neighbourhood(S1, hops=2)
    assert S2 in two.nodes and P1 in two.nodes  # through the shared phone; the buyer
    assert ring_store.neighbourhood(ref("Person", "nope")).nodes == {}


def test_neighbourhood_limit_truncates(ring_store):
    sg = ring_store.neighbourhood(S2, hops=2, limit=3)
    assert len(sg.nodes) == 3 and sg.truncated


def test_neighbourhood_time_filter(ring_store):
    sg = ring_store.neighbourhood(P1, hops=1, since=datetime(2024, 3, 1))
    assert ref("Order", "PLAT|O3") in sg.nodes and ref("Order", "PLAT|O1") not in sg.nodes
    sg = ring_store.neighbourhood(P1, hops=1, until=datetime(2024, 3, 1))
    assert ref("Order", "PLAT|O1") in sg.nodes and ref("Order", "PLAT|O3") not in sg.nodes
    assert ref("IdNumber", P1_ID) in sg.nodes  # undated nodes are kept


def test_neighbourhood_edge_types(ring_store):
    sg = ring_store.neighbourhood(S1, hops=2, edge_types=["HAS_PHONE"])
    assert set(sg.nodes) == {S1, S2, ref("Phone", PHONE)}
    with pytest.raises(SchemaError):
        ring_store.neighbourhood(S1, edge_types=["LIKES"])
    with pytest.raises(ValueError, match="hops"):
        ring_store.neighbourhood(S1, hops=4)


def test_neighbourhood_does_not_expand_hubs(ring_store):
    d1 = ref("Declaration", "D1")
    sg = ring_store.neighbourhood(d1, hops=2)
    cn = ref("Country", "CN")
    assert cn in sg.nodes and cn in sg.hubs and sg.truncated
    assert ref("Declaration", "D2") not in sg.nodes  # not reached through the country
    old = ring_store.max_degree
    ring_store.max_degree = 2  # the platform (3 orders) becomes a hub
    try:
        sg = ring_store.neighbourhood(ref("Order", "PLAT|O1"), hops=2)
        assert ref("Enterprise", "PLAT") in sg.hubs
        assert ref("Order", "PLAT|O2") not in sg.nodes
    finally:
        ring_store.max_degree = old


# -- paths, shared identifiers, subgraphs -----------------------------------------------------


def test_shortest_path_found(ring_store):
    p = ring_store.shortest_path(S1, S2)
    assert p.hops == 2 and p.nodes[0] == S1 and p.nodes[-1] == S2
    assert p.nodes[1] in (ref("Phone", PHONE), ref("Address", ADDRESS))
    assert ring_store.shortest_path(S1, S1).hops == 0
    chain = ring_store.shortest_path(ref("Person", CHAIN[0]), ref("Person", CHAIN[6]))
    assert chain.hops == 6 and chain.edge_types == ["SAME_AS"] * 6


def test_shortest_path_absent_or_too_long(ring_store):
    assert ring_store.shortest_path(P1, ref("Person", "nm:loner")) is None
    assert ring_store.shortest_path(P1, ref("Person", "nope")) is None
    assert ring_store.shortest_path(ref("Person", CHAIN[0]), ref("Person", CHAIN[7])) is None
    assert ring_store.shortest_path(S1, S2, max_hops=1) is None
    with pytest.raises(ValueError, match="max_hops"):
        ring_store.shortest_path(S1, S2, max_hops=7)


def test_shortest_path_says_when_it_gave_up(ring_store, monkeypatch):
    import graph.store.index_walks as iw
    import graph.store.paths as paths

    a, b = ref("Person", CHAIN[0]), ref("Person", CHAIN[6])
    if ring_store.dialect.name == "neo4j":  # the server's shortestPath has no work bound
        assert ring_store.shortest_path(a, b).hops == 6
        return
    monkeypatch.setattr(paths.bidirectional_bfs, "__defaults__", (2,))
    monkeypatch.setattr(iw.shortest_path_ids, "__kwdefaults__",
                        {"max_expanded": 2, "max_entries": iw.PATH_MAX_ENTRIES})
    with pytest.raises(paths.PathSearchGaveUp, match="gave up after 3 nodes expanded"):
        ring_store.shortest_path(a, b)
    assert ring_store.shortest_path(S1, S1).hops == 0  # no search, no bound


def test_shortest_path_avoids_hubs(ring_store):
    # D1 and D2 share only the country CN (a hub) within 2 hops: the path must go round.
    p = ring_store.shortest_path(ref("Declaration", "D1"), ref("Declaration", "D2"))
    assert p is not None and ref("Country", "CN") not in p.nodes and p.hops > 2


def test_shortest_path_to_a_hub_end(ring_store):
    d1, cn = ref("Declaration", "D1"), ref("Country", "CN")
    assert ring_store.shortest_path(d1, cn).nodes == [d1, cn]  # a hub label as the end


def test_shortest_path_skips_high_degree_nodes(store):
    people = [f"p{i}" for i in range(5)]
    store.write_nodes("Person", pa.table({"person_key": people}))
    store.write_nodes("Address", pa.table({"address_key": ["busy"]}))
    store.write_nodes("Phone", pa.table({"phone": ["+861"]}))
    store.write_edges("LOCATED_AT", "Person", "Address",
                      pa.table({"from_key": people, "to_key": ["busy"] * 5}), batch="a")
    store.write_edges("HAS_PHONE", "Person", "Phone",
                      pa.table({"from_key": ["p0", "p1"], "to_key": ["+861"] * 2}), batch="p")
    store.path_max_degree = 3  # the address (5 people) is a hub for paths
    busy = ref("Address", "busy")
    assert store.shortest_path(ref("Person", "p0"), busy).hops == 1  # a hub as the end
    p = store.shortest_path(ref("Person", "p0"), ref("Person", "p1"))
    assert p.hops == 2 and busy not in p.nodes
    assert store.shortest_path(ref("Person", "p2"), ref("Person", "p3")) is None
    store.path_max_degree = 5
    assert busy in store.shortest_path(ref("Person", "p2"), ref("Person", "p3")).nodes


def test_sharing_identifier(ring_store):
    shared = ring_store.sharing_identifier(S1)
    assert (S2, "HAS_PHONE", ref("Phone", PHONE)) in shared
    assert (S2, "LOCATED_AT", ref("Address", ADDRESS)) in shared
    assert all(other != S1 for other, _, _ in shared)
    acct = ring_store.sharing_identifier(ref("Payment", "PAYCO|T1"))
    assert (ref("Payment", "PAYCO|T2"), "FROM_ACCOUNT", ref("PaymentAccount", ACCOUNT)) in acct
    assert (P1, "HOLDS", ref("PaymentAccount", ACCOUNT)) in acct


def test_subgraph(ring_store):
    phone = ref("Phone", PHONE)
    sg = ring_store.subgraph([S1, S2, phone, ref("Person", "nope")])
    assert isinstance(sg, Subgraph) and set(sg.nodes) == {S1, S2, phone}
    assert sorted((a.key, t, b.key) for a, t, b, _ in sg.edges) == [
        ("S1", "HAS_PHONE", PHONE), ("S2", "HAS_PHONE", PHONE)]
    assert len(sg.edges_df()) == 2 and set(sg.nodes_df()["key"]) == {"S1", "S2", PHONE}
    assert sg.to_networkx().number_of_edges() == 2


def test_counts_match_what_was_written(store):
    write_tiny_ring(store)
    n_edges = sum(rows.num_rows for *_, rows in ring_edges())
    assert store.count_edges() == n_edges
    write_tiny_ring(store)  # the whole load again: same graph
    assert store.count_edges() == n_edges
    assert store.count_nodes("Person") == 12


def _star(store) -> None:
    """Enterprise E sells 20 orders; order i's buyer is person i % 7, and p2 buys 30 more
    orders from X and represents E; order O0 is also on E as platform (two edges)."""
    orders = [f"E|O{i}" for i in range(20)]
    more = [f"X|O{i}" for i in range(30)]
    store.write_nodes("Enterprise", pa.table({"code": ["E", "X"]}))
    store.write_nodes("Person", pa.table({"person_key": [f"p{i}" for i in range(7)]}))
    store.write_nodes("Order", pa.table({
        "order_key": orders + more,
        "order_time": [datetime(2024, 1 + i % 12, 1) for i in range(50)]}))
    e = lambda f, t: pa.table({"from_key": f, "to_key": t})  # noqa: E731
    store.write_edges("SOLD_BY", "Order", "Enterprise", e(orders + more, ["E"] * 20 + ["X"] * 30),
                      batch="s")
    store.write_edges("ON_PLATFORM", "Order", "Enterprise", e(orders[:1], ["E"]), batch="p")
    store.write_edges("REPRESENTED_BY", "Enterprise", "Person", e(["E"], ["p2"]), batch="r")
    store.write_edges("BUYER", "Order", "Person",
                      e(orders + more, [f"p{i % 7}" for i in range(20)] + ["p2"] * 30), batch="b")


def _count_queries(store, monkeypatch) -> list[int]:
    """Count the store's queries into the last element of the returned list (append a 0 to
    start a new count)."""
    counts: list[int] = []
    run = store._run

    def counting(query, params):
        counts[-1] += 1
        return run(query, params)

    monkeypatch.setattr(store, "_run", counting)
    return counts


def test_neighbourhood_frontier_in_one_query_gives_the_same_result(store, monkeypatch):
    import graph.store.cypher_base as cb

    _star(store)
    counts = _count_queries(store, monkeypatch)
    start = ref("Enterprise", "E")
    cases = [{}, {"since": datetime(2024, 3, 1)}, {"edge_types": ["SOLD_BY", "BUYER"]},
             {"limit": 25}, {"hops": 3}]
    for max_degree in (5000, 25):  # 25: the busy buyer p2 (33 orders) is a hub, E not
        store.max_degree = max_degree
        for kw in cases:
            got = []
            for batch in (16, 10**9):
                monkeypatch.setattr(cb, "FRONTIER_BATCH", batch)
                store._forget_degrees()
                counts.append(0)
                sg = store.neighbourhood(start, **kw)
                got.append((sg.nodes, sorted(map(repr, sg.edges)), sorted(sg.hubs),
                            sg.truncated))
            assert got[0] == got[1], (max_degree, kw)
            assert len(got[0][0]) > 16
            if not kw:
                assert (ref("Person", "p2") in got[0][2]) == (max_degree == 25)
            if store.dialect.repeats_edges and store.adjacency is None:  # Cypher walks
                assert counts[-2] < counts[-1], (max_degree, kw)  # orders not walked one by one
    store.max_degree = cb.MAX_DEGREE


def test_shortest_path_walking_frontiers_from_the_end_gives_the_same_paths(store, monkeypatch):
    import graph.store.cypher_base as cb

    _star(store)
    store.write_nodes("Person", pa.table({"person_key": ["far"]}))
    store.write_edges("CONSIGNEE", "Order", "Person", pa.table(
        {"from_key": ["X|O29"], "to_key": ["far"]}), batch="c")
    counts = _count_queries(store, monkeypatch)
    e, x, far = ref("Enterprise", "E"), ref("Enterprise", "X"), ref("Person", "far")
    for path_max_degree in (1000, 30):  # 30: p2 (31 orders) is left off paths
        store.path_max_degree = path_max_degree
        for a, b in ((e, x), (x, e), (e, far), (ref("Person", "p3"), x)):
            got = []
            for batch in (16, 10**9):
                monkeypatch.setattr(cb, "FRONTIER_BATCH", batch)
                store._forget_degrees()
                counts.append(0)
                got.append(store.shortest_path(a, b))
            assert got[0] == got[1], (path_max_degree, a, b)
            assert (got[0] is None) == (path_max_degree == 30)  # p2 is the only way
            if (store.dialect.repeats_edges and store.adjacency is None  # Cypher walks
                    and (a, b) == (e, x)):  # E's 21 neighbours walked
                assert counts[-2] < counts[-1], (path_max_degree, a, b, counts[-2:])
    store.path_max_degree = cb.PATH_MAX_DEGREE
