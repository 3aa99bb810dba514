"""``store.read_query``: analysts' Cypher, read-only, with a row limit and a timeout."""

from __future__ import annotations

import pytest

from graph.store.base import NodeRef
from graph.store.read_query import ReadOnlyQueryError, node_refs
from tests.conftest import CHAIN, SMALL_POOL, write_tiny_ring


@pytest.fixture(scope="module")
def ro_store(tmp_path_factory):
    """The tiny ring in an embedded store, reopened read-only as the app opens it."""
    from graph.store.ladybug_store import LadybugStore

    path = tmp_path_factory.mktemp("ro") / "graph"
    with LadybugStore(path, buffer_pool_bytes=SMALL_POOL) as w:
        w.ensure_schema()
        write_tiny_ring(w)
    s = LadybugStore(path, read_only=True, buffer_pool_bytes=SMALL_POOL)
    yield s
    s.close()


def test_rows_parameters_and_limit(ro_store):
    res = ro_store.read_query("MATCH (p:Person) WHERE p.name STARTS WITH $prefix "
                              "RETURN p.name AS name ORDER BY name", {"prefix": "Chain"},
                              limit=3)
    assert res.columns == ["name"]
    assert [r["name"] for r in res.rows] == [f"Chain Link {i}" for i in range(3)]
    assert res.truncated and len(CHAIN) > 3
    full = ro_store.read_query("MATCH (p:Person) RETURN p", limit=100)
    assert not full.truncated
    refs = node_refs(full, ro_store.schema)
    assert NodeRef("Person", "nm:lina") in refs and len(refs) == len(full.rows)


@pytest.mark.parametrize("query", [
    "MATCH (n) DETACH DELETE n",
    "CREATE (:Person {person_key: 'x'})",
    "MATCH (p:Person) SET p.name = 'x'",
    "COPY Person FROM 'x.parquet'",
])
def test_writes_are_refused_before_they_are_sent(ro_store, query):
    with pytest.raises(ReadOnlyQueryError, match="read-only"):
        ro_store.read_query(query)
    assert ro_store.count_nodes("Person") == 4 + len(CHAIN)


def test_the_connection_itself_is_read_only(ro_store):
    """A write the early check misses (keyword hidden from it) still fails in the store."""
    from graph.store.cypher_base import GraphQueryError
    from graph.store.read_query import _ladybug

    with pytest.raises(Exception) as info:  # noqa: B017 - Ladybug's own error type
        _ladybug(ro_store, "CREATE (:Person {person_key: 'x'})", {}, 10, 5)
    assert not isinstance(info.value, GraphQueryError) or "read" in str(info.value).lower()
    assert ro_store.count_nodes("Person") == 4 + len(CHAIN)


def test_timeout_stops_a_runaway_query(ro_store):
    import time

    from graph.store.cypher_base import GraphQueryError

    t0 = time.perf_counter()
    with pytest.raises(GraphQueryError, match="Interrupted"):  # ~1 s of work unbounded
        ro_store.read_query("UNWIND range(1, 4000) AS i UNWIND range(1, 4000) AS j "
                            "WITH i, j WHERE (i * j) % 7 = 3 RETURN count(*) AS n",
                            timeout_s=0.05)
    assert time.perf_counter() - t0 < 1.0
    assert ro_store.read_query("RETURN 1 AS one").rows == [{"one": 1}]  # timeout reset


def test_limits_are_checked(ro_store):
    with pytest.raises(ReadOnlyQueryError, match="row limit"):
        ro_store.read_query("RETURN 1", limit=0)
