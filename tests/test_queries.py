"""graph/store/queries.py: dialect differences, and no value ever formatted into Cypher."""

from __future__ import annotations

import pytest

from graph.schema import SchemaError, load_schema
from graph.store.queries import LADYBUG, NEO4J, Q

EVIL = "x') MATCH (n) DETACH DELETE n //{$p}`"


@pytest.fixture(params=[LADYBUG, NEO4J], ids=lambda d: d.name)
def q(request):
    return Q(load_schema(), request.param)


def _all_builders(q: Q):
    far = ["Person", "Enterprise"]
    return [
        q.get_node("Person", EVIL), q.degree("Person", EVIL, ["HAS_PHONE"]),
        q.existing_keys("Person", [EVIL]), q.exact("Enterprise", "uscc", EVIL),
        q.text_candidates("Person", "name_norm", [EVIL, "zhang"], 10),
        q.attached("Phone", EVIL, "HAS_PHONE", "Person", 5),
        q.expand("Phone", EVIL, far, None, True, 10), q.edges_from("Order", EVIL, far),
        q.walk("Order", EVIL, ["Person", "Declaration"], None, 10, True),
        q.nodes_by_key("Person", [EVIL]),
        q.frontier_degrees("Enterprise", EVIL, ["Order"], ["SOLD_BY"]),
        q.frontier_walk("Enterprise", EVIL, ["Order"], [EVIL], far, None, True),
        q.frontier_keys("Enterprise", EVIL, [(["Order"], [EVIL]), (["Person"], [EVIL])], far),
    ]


def test_walk_reads_the_far_ends_time_only_when_asked(q):
    query, _ = q.walk("Person", "k", ["Order", "Phone"], None, None, True)
    assert "`order_time`" in query and "AS btime" in query and "properties(b)" not in query
    assert "btime" not in q.walk("Person", "k", ["Order", "Phone"], None)[0]
    assert "btime" not in q.walk("Person", "k", ["Phone"], None, None, True)[0]  # undated


def test_values_travel_only_as_parameters(q):
    for query, params in _all_builders(q):
        assert EVIL not in query
        assert EVIL in str(params.values())


def test_schema_names_are_checked_and_quoted(q):
    query, _ = q.get_node("Order", "k")
    assert "(n:`Order`)" in query and "n.`order_key` = $key" in query
    with pytest.raises(SchemaError):
        q.get_node("Order`) DETACH DELETE n //", "k")
    with pytest.raises(SchemaError):
        q.degree("Person", "k", ["HAS_PHONE]-() DETACH DELETE a //"])
    with pytest.raises(ValueError, match="no property"):
        q.exact("Person", "name`) DELETE n //", "x")


def test_dialects_differ_only_where_they_must():
    s = load_schema()
    lb, neo = Q(s, LADYBUG), Q(s, NEO4J)
    lq, _ = lb.expand("Phone", "k", ["Person", "Enterprise"], None, True)
    nq, _ = neo.expand("Phone", "k", ["Person", "Enterprise"], None, True)
    assert "(b:`Person`:`Enterprise`)" in lq and "(b:`Person`|`Enterprise`)" in nq
    assert "label(e) AS type" in lq and "type(e) AS type" in nq
    assert "CASE label(b) WHEN 'Person'" in lq and "CASE labels(b)[0] WHEN 'Person'" in nq
    assert "startNode(e) = a AS out" in nq and "id(a) AS node_id, e AS rel" in lq
    assert "LIMIT" not in lq and "LIMIT $limit" in lb.expand("Phone", "k", ["Person"], None,
                                                              False, limit=5)[0]


def test_direction_is_read_back_per_dialect():
    src = {"offset": 3, "table": 1}
    assert LADYBUG.is_out({"node_id": src, "rel": {"_SRC": src, "_DST": {}, "role": "x"}})
    assert not LADYBUG.is_out({"node_id": src, "rel": {"_SRC": {"offset": 4, "table": 1}}})
    assert LADYBUG.edge_props({"rel": {"_SRC": src, "_batch": "b", "role": "x"}}) == {
        "role": "x"}
    assert NEO4J.is_out({"out": True, "eprops": {}})
    assert NEO4J.edge_props({"out": False, "eprops": {"_batch": "b", "source": "s"}}) == {
        "source": "s"}
