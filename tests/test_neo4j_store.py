"""Neo4j-only Cypher of ``Neo4jStore``, checked through a fake query runner (no server).

What is asserted: the exact statements and parameters the store sends, that values never
reach query text, that names outside the schema are refused before anything is sent, and
that connecting fails fast and clearly (against a closed local port).
"""

from __future__ import annotations

import datetime as dt
import time

import neo4j  # noqa: F401 - imported up front: the fail-fast timing covers the connection only
import pyarrow as pa
import pytest

from graph.schema import SchemaError, ident, load_schema, neo4j_constraints
from graph.store.base import NodeRef, PathResult
from graph.store.cypher_base import GraphQueryError
from graph.store.neo4j_runner import Neo4jQueryError
from graph.store.neo4j_store import Neo4jConfigError, Neo4jConnectionError, Neo4jStore
from graph.store.testing import FakeRunner

HOSTILE = [
    "O'Brien \"the\" `quoted`",
    "{braces: 1}",
    "$x ${evil} $$",
    "// comment",
    "MATCH (n) DETACH DELETE n",
    "'}) MATCH (n) DETACH DELETE n //",
]


def _echo_counts(fake: FakeRunner) -> FakeRunner:
    """Answer writes as a server would: ``written`` = rows in the batch."""
    fake.respond("UNWIND $rows", lambda q, p: [{"written": len(p["rows"])}])
    return fake


@pytest.fixture
def fake() -> FakeRunner:
    return _echo_counts(FakeRunner())


@pytest.fixture
def store(fake: FakeRunner) -> Neo4jStore:
    return Neo4jStore(fake)


# -- schema ------------------------------------------------------------------------------

def _plain(q: str) -> str:
    return q.replace("`", "")


def test_ensure_schema_sends_constraints_then_text_indexes(store, fake):
    store.ensure_schema()
    constraints = neo4j_constraints(load_schema())
    assert fake.queries[:len(constraints)] == constraints
    texts = fake.queries[len(constraints):]
    assert [_plain(q) for q in texts] == [
        "CREATE TEXT INDEX enterprise_name_norm_text IF NOT EXISTS FOR (n:Enterprise) "
        "ON (n.name_norm)",
        "CREATE TEXT INDEX person_name_norm_text IF NOT EXISTS FOR (n:Person) ON (n.name_norm)",
        "CREATE TEXT INDEX address_address_norm_text IF NOT EXISTS FOR (n:Address) "
        "ON (n.address_norm)"]
    assert ("CREATE CONSTRAINT phone_phone_unique IF NOT EXISTS FOR (n:Phone) "
            "REQUIRE n.phone IS UNIQUE") in map(_plain, constraints)
    assert all(c.params == {} and c.read is False for c in fake.calls)


def test_ensure_schema_follows_a_custom_schema(tmp_path, fake):
    path = tmp_path / "tiny.yaml"
    path.write_text("version: 1\nnodes:\n  Ship: {key: imo, index: [name], properties: "
                    "{imo: STRING, name: STRING}}\nedges:\n  NEAR: {pairs: [[Ship, Ship]]}\n")
    Neo4jStore(fake, load_schema(path)).ensure_schema()
    plain = [_plain(q) for q in fake.queries]
    assert len(plain) == 4
    assert "FOR (n:Ship) REQUIRE n.imo IS UNIQUE" in plain[0]
    assert any("FOR ()-[r:NEAR]-() ON (r._batch)" in q for q in plain)
    assert plain[-1].startswith("CREATE TEXT INDEX ship_name_text IF NOT EXISTS FOR (n:Ship)")


# -- node writes -------------------------------------------------------------------------

def test_write_nodes_batches_12001_rows_into_5000_5000_2001(store, fake):
    keys = [f"+86138{i:08d}" for i in range(12_001)]
    n = store.write_nodes("Phone", pa.table({"phone": keys, "is_mobile": [True] * 12_001}))
    assert n == 12_001
    assert [len(c.params["rows"]) for c in fake.calls] == [5000, 5000, 2001]
    assert len(set(fake.queries)) == 1
    assert [r["phone"] for c in fake.calls for r in c.params["rows"]] == keys


def test_write_nodes_query_merges_on_the_key_and_sets_the_row(store, fake):
    store.write_nodes("Enterprise", pa.table({"code": ["E1"], "name": ["Acme"]}))
    assert fake.calls[0].query == ("UNWIND $rows AS row\n"
                                   "MERGE (n:`Enterprise` {`code`: row.`code`})\n"
                                   "SET n += row\n"
                                   "RETURN count(*) AS written")
    assert fake.calls[0].params == {"rows": [{"code": "E1", "name": "Acme"}]}
    assert fake.calls[0].read is False


def test_new_nodes_are_created_without_a_look_up(store, fake):
    store.write_nodes("Enterprise", pa.table({"code": ["E1"], "name": ["Acme"]}), new=True)
    assert [c.query for c in fake.calls] == ["UNWIND $rows AS row\n"
                                             "CREATE (n:`Enterprise`)\n"
                                             "SET n += row\n"
                                             "RETURN count(*) AS written"]
    assert fake.calls[0].params == {"rows": [{"code": "E1", "name": "Acme"}]}


def _constraint_error() -> Neo4jQueryError:
    return Neo4jQueryError("already exists", "CREATE", {}, code="Neo.ClientError.Schema."
                           "ConstraintValidationFailed")


def test_a_new_batch_the_constraint_rejects_is_merged_instead():
    """A rerun after a kill between the write and the ledger's mark: the keys exist."""
    fake = FakeRunner()
    fake.respond("CREATE (n", _constraint_error(), times=1)
    store = Neo4jStore(_echo_counts(fake), batch_size=2)
    assert store.write_nodes("Email", pa.table({"email": list("abc")}), new=True) == 3
    verbs = [c.query.split("\n")[1].split()[0] for c in fake.calls]
    assert verbs == ["CREATE", "MERGE", "CREATE"]
    assert fake.calls[0].params == fake.calls[1].params  # the rejected batch, merged


def test_another_error_of_a_new_batch_is_raised():
    fake = FakeRunner()
    fake.respond("CREATE (n", Neo4jQueryError("out of memory", "CREATE", {},
                                              code="Neo.TransientError.General.OutOfMemory"))
    with pytest.raises(Neo4jQueryError, match="out of memory"):
        Neo4jStore(fake).write_nodes("Email", pa.table({"email": ["a"]}), new=True)
    assert not any("MERGE" in q for q in fake.queries)


def test_write_nodes_returns_what_the_server_wrote(fake):
    fake = FakeRunner()
    fake.respond("UNWIND", [{"written": 1}])
    assert Neo4jStore(fake).write_nodes("Phone", pa.table({"phone": ["a", "b"]})) == 1


def test_a_key_given_twice_keeps_its_last_row(store, fake):
    rows = pa.table({"phone": ["+1", "+2", "+1"], "country": ["CN", "US", "HK"]})
    assert store.write_nodes("Phone", rows) == 2
    assert fake.calls[0].params["rows"] == [{"phone": "+2", "country": "US"},
                                            {"phone": "+1", "country": "HK"}]


def test_batch_size_is_configurable(fake):
    Neo4jStore(fake, batch_size=2).write_nodes("Email", pa.table({"email": list("abcde")}))
    assert [len(c.params["rows"]) for c in fake.calls] == [2, 2, 1]


def test_parallel_batches_send_every_row_once_and_sum_the_counts(fake):
    """Two transactions in flight (what from_env uses): same batches, same total."""
    store = Neo4jStore(fake, batch_size=3, parallel=2)
    keys = [f"e{i:02d}" for i in range(20)]
    assert store.write_nodes("Email", pa.table({"email": keys})) == 20
    sent = [r["email"] for c in fake.calls for r in c.params["rows"]]
    assert sorted(sent) == keys and len(fake.calls) == 7
    rows = pa.table({"from_key": keys[:10], "to_key": keys[:10]})
    assert store.write_edges("HAS_EMAIL", "Person", "Email", rows, batch="b") == 10


def test_a_failing_parallel_batch_is_raised(fake):
    from graph.store.cypher_base import GraphQueryError

    fake.respond("MERGE", GraphQueryError("boom"), times=1)
    fake._rules.insert(0, fake._rules.pop())  # ahead of the echo rule: one batch fails
    store = Neo4jStore(fake, batch_size=2, parallel=2)
    with pytest.raises(GraphQueryError, match="boom"):
        store.write_nodes("Email", pa.table({"email": list("abcdefgh")}))


def test_empty_table_sends_nothing(store, fake):
    assert store.write_nodes("Email", pa.table({"email": pa.array([], pa.string())})) == 0
    assert fake.calls == []


# -- edge writes -------------------------------------------------------------------------

def _edges(n: int = 2) -> pa.Table:
    return pa.table({"from_key": [f"P{i}" for i in range(n)],
                     "to_key": [f"+1{i}" for i in range(n)], "source": ["orders"] * n})


def test_write_edges_deletes_the_batch_before_creating(store, fake):
    assert store.write_edges("HAS_PHONE", "Person", "Phone", _edges(), batch="load-7") == 2
    delete, create = fake.calls
    assert delete.query == ("MATCH (:`Person`)-[r:`HAS_PHONE`]->(:`Phone`)\n"
                            "WHERE r._batch = $batch\nWITH r LIMIT $limit\nDELETE r\n"
                            "RETURN count(*) AS deleted")
    assert delete.params == {"batch": "load-7", "limit": 5000}
    assert create.query == ("UNWIND $rows AS row\n"
                            "MATCH (a:`Person` {`person_key`: row.from_key})\n"
                            "MATCH (b:`Phone` {`phone`: row.to_key})\n"
                            "CREATE (a)-[r:`HAS_PHONE`]->(b)\n"
                            "SET r += row.props, r._batch = $batch\n"
                            "RETURN count(r) AS written")
    assert create.params == {"batch": "load-7", "rows": [
        {"from_key": "P0", "to_key": "+10", "props": {"source": "orders"}},
        {"from_key": "P1", "to_key": "+11", "props": {"source": "orders"}}]}


def test_write_edges_repeats_the_delete_until_the_batch_is_gone(fake):
    fake.respond("DELETE r", [{"deleted": 3}], times=2)  # a full round, then a partial one
    fake.respond("DELETE r", [{"deleted": 1}], times=1)
    store = Neo4jStore(fake, batch_size=3)
    store.write_edges("HAS_PHONE", "Person", "Phone", _edges(7), batch="b")
    kinds = ["delete" if "DELETE" in q else "create" for q in fake.queries]
    assert kinds == ["delete", "delete", "delete", "create", "create", "create"]
    assert [len(c.params["rows"]) for c in fake.matching("CREATE (a)")] == [3, 3, 1]


def test_write_edges_batches_like_nodes(store, fake):
    store.write_edges("HAS_PHONE", "Person", "Phone", _edges(12_001), batch="b")
    assert [len(c.params["rows"]) for c in fake.matching("CREATE")] == [5000, 5000, 2001]


def test_edge_types_with_several_pairs_scope_the_delete_to_the_pair(store, fake):
    store.write_edges("SOLD_BY", "Order", "Enterprise",
                      pa.table({"from_key": ["o1"], "to_key": ["E1"]}), batch="b")
    assert fake.queries[0].startswith("MATCH (:`Order`)-[r:`SOLD_BY`]->(:`Enterprise`)")


# -- values stay out of query text -------------------------------------------------------

@pytest.mark.parametrize("bad", HOSTILE)
def test_hostile_values_travel_only_as_parameters(store, fake, bad):
    store.write_nodes("Person", pa.table({"person_key": [bad], "name": [bad]}))
    store.write_edges("HAS_PHONE", "Person", "Phone",
                      pa.table({"from_key": [bad], "to_key": [bad], "source": [bad]}), batch=bad)
    for call in fake.calls:
        assert bad not in call.query
    assert fake.calls[0].params["rows"] == [{"person_key": bad, "name": bad}]
    assert fake.calls[1].params["batch"] == bad
    assert fake.calls[2].params["rows"][0] == {"from_key": bad, "to_key": bad,
                                                "props": {"source": bad}}


# -- names outside the schema ------------------------------------------------------------

@pytest.mark.parametrize("label", ["Vessel", "phone", "Phone` DETACH DELETE n //", ""])
def test_unknown_labels_are_refused_before_anything_is_sent(store, fake, label):
    with pytest.raises(SchemaError, match="unknown node label"):
        store.write_nodes(label, pa.table({"phone": ["x"]}))
    assert fake.calls == []


@pytest.mark.parametrize("args", [
    ("KNOWS", "Person", "Phone"),  # no such type
    ("HAS_PHONE", "Phone", "Person"),  # reversed pair
    ("HAS_PHONE", "Order", "Phone"),  # type exists, pair not declared
    ("HAS_PHONE", "Person", "Phone` MATCH (n) DETACH DELETE n //"),
])
def test_unknown_edge_types_and_pairs_are_refused(store, fake, args):
    with pytest.raises(SchemaError):
        store.write_edges(*args, _edges(), batch="b")
    assert fake.calls == []


def test_columns_outside_the_schema_are_refused(store, fake):
    with pytest.raises(SchemaError, match=r"not in the schema \['password'\]"):
        store.write_nodes("Phone", pa.table({"phone": ["x"], "password": ["y"]}))
    with pytest.raises(SchemaError, match=r"missing columns \['phone'\]"):
        store.write_nodes("Phone", pa.table({"country": ["CN"]}))
    with pytest.raises(SchemaError, match="_batch"):
        store.write_edges("HAS_PHONE", "Person", "Phone",
                          pa.table({"from_key": ["a"], "to_key": ["b"], "_batch": ["x"]}), "b")
    assert fake.calls == []


def test_null_keys_are_refused_naming_the_row(store, fake):
    with pytest.raises(ValueError, match=r"1 rows have no 'to_key' \(first: row 2\)"):
        store.write_edges("HAS_PHONE", "Person", "Phone",
                          pa.table({"from_key": ["a", "b", "c"], "to_key": ["x", "y", None]}),
                          batch="b")
    assert fake.calls == []


def test_identifiers_are_checked_even_outside_the_schema():
    with pytest.raises(SchemaError, match="not a valid identifier"):
        ident("Phone`) DETACH DELETE n //")
    assert ident("HAS_PHONE") == "`HAS_PHONE`"


# -- dates and times ---------------------------------------------------------------------

def test_temporal_columns_travel_as_iso_text_parsed_by_the_server(store, fake):
    cst = dt.timezone(dt.timedelta(hours=8))
    rows = pa.table({
        "order_key": ["o1", "o2"],
        "order_time": pa.array([dt.datetime(2024, 3, 1, 8, 30, 0, 123456, tzinfo=cst), None],
                               pa.timestamp("ns", tz="Asia/Shanghai")),
        "goods_value": ["12.5", "3"],  # text is cast to the schema's DOUBLE
    })
    store.write_nodes("Order", rows)
    call = fake.calls[0]
    assert _plain(call.query).splitlines()[2] == (
        "SET n += row, n.order_time = localdatetime(row.order_time)")
    assert call.params["rows"] == [
        {"order_key": "o1", "order_time": "2024-03-01T00:30:00.123456", "goods_value": 12.5},
        {"order_key": "o2", "order_time": None, "goods_value": 3.0}]  # UTC, no offset

    store.write_nodes("Enterprise", pa.table({"code": ["E"], "registered_date": ["2020-02-29"]}))
    assert "n.`registered_date` = date(row.`registered_date`)" in fake.calls[1].query
    assert fake.calls[1].params["rows"][0]["registered_date"] == "2020-02-29"


def test_rows_without_temporal_columns_need_no_conversion(store, fake):
    store.write_nodes("Order", pa.table({"order_key": ["o1"], "goods_value": [1.0]}))
    assert "localdatetime" not in fake.calls[0].query


def test_temporal_edge_properties_are_parsed_too(tmp_path, fake):
    path = tmp_path / "dated.yaml"
    path.write_text("version: 1\nnodes:\n  A: {key: k, properties: {k: STRING}}\n"
                    "edges:\n  SEEN: {pairs: [[A, A]], properties: {at: TIMESTAMP, day: DATE}}\n")
    Neo4jStore(fake, load_schema(path)).write_edges(
        "SEEN", "A", "A", pa.table({"from_key": ["x"], "to_key": ["y"],
                                    "at": [dt.datetime(2024, 1, 2, 3, 4, 5)],
                                    "day": [dt.date(2024, 1, 2)]}), batch="b")
    create = fake.matching("CREATE")[0]
    assert _plain(create.query).splitlines()[4] == (
        "SET r += row.props, r.at = localdatetime(row.props.at), r.day = date(row.props.day), "
        "r._batch = $batch")
    assert create.params["rows"][0]["props"] == {"at": "2024-01-02T03:04:05.000000",
                                                 "day": "2024-01-02"}


def test_unconvertible_values_name_the_column(store, fake):
    with pytest.raises(ValueError, match=r"'registered_date' \(string\) does not convert to DATE"):
        store.write_nodes("Enterprise", pa.table({"code": ["E"], "registered_date": ["soon"]}))
    assert fake.calls == []


def test_aware_datetimes_in_query_parameters_become_naive_utc(store, fake):
    cst = dt.timezone(dt.timedelta(hours=8))
    store._run("RETURN $since AS s", {"since": dt.datetime(2024, 1, 1, 8, tzinfo=cst)})
    assert fake.calls[0].params == {"since": dt.datetime(2024, 1, 1, 0, 0)}


# -- configuration and connection --------------------------------------------------------

FULL_ENV = {"NEO4J_URI": "bolt://127.0.0.1:1", "NEO4J_USER": "neo4j",
            "NEO4J_PASSWORD": "not-a-secret", "NEO4J_DATABASE": "neo4j"}


@pytest.mark.parametrize("missing", ["NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD"])
def test_from_env_names_the_missing_variable(missing):
    env = {k: v for k, v in FULL_ENV.items() if k != missing}
    with pytest.raises(Neo4jConfigError, match=rf"^{missing} not set"):
        Neo4jStore.from_env(env)


def test_from_env_has_no_default_credentials():
    with pytest.raises(Neo4jConfigError) as info:
        Neo4jStore.from_env({"NEO4J_URI": "bolt://127.0.0.1:1", "NEO4J_PASSWORD": ""})
    assert str(info.value).startswith("NEO4J_USER, NEO4J_PASSWORD not set")


def test_from_env_fails_fast_on_a_closed_port():
    start = time.monotonic()
    with pytest.raises(Neo4jConnectionError) as info:
        Neo4jStore.from_env(FULL_ENV)
    assert time.monotonic() - start < 2.0
    msg = str(info.value)
    assert "cannot reach Neo4j at bolt://127.0.0.1:1" in msg
    assert "check the server is running" in msg
    assert "not-a-secret" not in msg


def test_from_env_rejects_a_malformed_uri():
    with pytest.raises(Neo4jConfigError, match="is not a valid Neo4j URI"):
        Neo4jStore.from_env({**FULL_ENV, "NEO4J_URI": "ftp://127.0.0.1:1"})


def test_close_closes_the_runner(store, fake):
    with store:
        pass
    assert fake.closed


# -- query API: routing, errors, overrides -----------------------------------------------

def test_reads_are_routed_to_readers_and_writes_to_the_leader(store, fake):
    fake.respond("count(e) AS c", [{"c": 0}])
    store.get_node(NodeRef("Phone", "+1"))
    store.count_edges("HAS_PHONE")
    store.write_nodes("Phone", pa.table({"phone": ["+1"]}))
    assert [c.read for c in fake.calls] == [True, True, False]


def test_query_api_comes_from_the_base_class_in_the_neo4j_dialect(store, fake):
    fake.respond("properties(n) AS props", [{"props": {"phone": "+1", "country": "CN",
                                                       "is_mobile": None, "stray": 1}}])
    assert store.get_node(NodeRef("Phone", "+1")) == {"phone": "+1", "country": "CN"}
    assert fake.calls[0].params == {"key": "+1"}
    fake.respond("count(n) AS c", [{"c": 4}])
    assert store.count_nodes("Phone") == 4


def test_server_errors_pass_through_the_base_class_unwrapped(fake):
    err = Neo4jQueryError("Neo.ClientError.X: boom", "MATCH (n) RETURN n", {"key": "secret"})
    fake.respond("MATCH", err)
    with pytest.raises(Neo4jQueryError) as info:
        Neo4jStore(fake).get_node(NodeRef("Phone", "secret"))
    assert info.value is err and isinstance(err, GraphQueryError)
    assert "secret" not in str(err)


def _existing(fake: FakeRunner) -> None:
    fake.respond("properties(n) AS props", [{"props": {"x": 1}}])


def test_neighbourhood_is_one_walk_statement_and_one_property_look_up(store, fake):
    # The server answers for the start P1 (d 0) and its neighbour +1 (d 1): the walk's rules
    # (limit, hubs, window) apply in the shared loop, which sends nothing else but the
    # kept nodes' properties by element id.
    p1, phone, p2 = NodeRef("Person", "P1"), NodeRef("Phone", "+1"), NodeRef("Person", "P2")
    fake.respond("RETURN n0 AS m, 0 AS d", [
        {"d": 0, "mid": "e1", "mlabel": "Person", "mkey": "P1", "deg": 1,
         "props": {"person_key": "P1"},
         "rows": [[True, "HAS_PHONE", {}, "Phone", "+1", None, "e2"]]},
        {"d": 1, "mid": "e2", "mlabel": "Phone", "mkey": "+1", "deg": 2, "props": None,
         "rows": [[False, "HAS_PHONE", {}, "Person", "P1", None, "e1"],
                  [False, "HAS_PHONE", {"_batch": "b"}, "Person", "P2", None, "e3"]]}])
    fake.respond("elementId(n) = id", lambda q, p: [
        {"id": i, "props": {"e2": {"phone": "+1"}, "e3": {"person_key": "P2"}}[i]}
        for i in p["ids"]])
    sg = store.neighbourhood(p1, hops=2, limit=10)
    assert sg.nodes == {p1: {"person_key": "P1"}, phone: {"phone": "+1"},
                        p2: {"person_key": "P2"}}
    assert sorted(sg.edges) == [(p1, "HAS_PHONE", phone, {}), (p2, "HAS_PHONE", phone, {})]
    assert not sg.truncated and sg.hubs == []
    walk, props = fake.calls
    assert walk.read and props.read
    assert walk.params == {"key": "P1", "limit": 10, "fetch": store.max_degree + 1,
                           "max_degree": store.max_degree, "budget": 40, "cap": 70}
    assert "P1" not in walk.query and "WHERE size(xs) < $limit - 1" in walk.query
    assert sorted(props.params["ids"]) == ["e2", "e3"]


def test_shortest_path_uses_the_server_shortest_path_with_hub_rules(store, fake):
    _existing(fake)
    fake.respond("shortestPath", [{"nodes": [["Person", "P1"], ["Phone", "+1"],
                                             ["Person", "P2"]],
                                   "types": ["HAS_PHONE", "HAS_PHONE"]}])
    path = store.shortest_path(NodeRef("Person", "P1"), NodeRef("Person", "P2"), max_hops=4)
    assert path == PathResult([NodeRef("Person", "P1"), NodeRef("Phone", "+1"),
                               NodeRef("Person", "P2")], ["HAS_PHONE", "HAS_PHONE"])
    (call,) = fake.matching("shortestPath")
    assert call.params == {"a": "P1", "b": "P2", "max_degree": store.path_max_degree}
    assert call.read is True and call.timeout == store.path_timeout_s
    q = _plain(call.query)
    assert q.startswith("MATCH (a:Person {person_key: $a})\nMATCH (b:Person {person_key: $b})\n"
                        "WITH a, b WHERE COUNT { (a)--() } <= $max_degree "
                        "OR COUNT { (b)--() } <= $max_degree\n"
                        "MATCH p = shortestPath((a)-[*..4]-(b))\n"
                        "WHERE all(n IN nodes(p) WHERE n = a OR n = b OR (NOT n:Country AND "
                        "NOT n:HsCode AND NOT n:Ring AND COUNT { (n)--() } <= $max_degree))\n")
    assert "WHEN 'Phone' THEN n.phone" in q and "[r IN relationships(p) | type(r)] AS types" in q


def test_shortest_path_may_end_at_one_hub_not_two(store, fake):
    # One statement: the server checks the ends' degrees; an end of a hub label is a hub
    # whatever its degree, so only the other end's degree is checked, and two never meet.
    cn, us, p1 = NodeRef("Country", "CN"), NodeRef("Country", "US"), NodeRef("Person", "P1")
    assert store.shortest_path(cn, us) is None
    assert store.shortest_path(p1, cn) is None  # the fake server found no path
    both, one = (_plain(c.query) for c in fake.matching("shortestPath"))
    assert "WITH a, b WHERE false\n" in both
    assert "WITH a, b WHERE COUNT { (a)--() } <= $max_degree\n" in one
    assert len(fake.calls) == 2  # no look-ups or degree queries besides


def test_a_path_search_the_server_stops_at_its_time_bound_gave_up(store, fake):
    from graph.store.neo4j_runner import Neo4jQueryError
    from graph.store.paths import PathSearchGaveUp

    a, b = NodeRef("Person", "P1"), NodeRef("Person", "P2")
    code = "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration"
    fake.respond("shortestPath", Neo4jQueryError("timed out", "q", {}, code=code), times=1)
    with pytest.raises(PathSearchGaveUp, match="2,000 ms of the server's search"):
        store.shortest_path(a, b)
    fake.respond("shortestPath", Neo4jQueryError("syntax", "q", {}, code="Neo.X"), times=1)
    with pytest.raises(Neo4jQueryError):  # any other failure is not a bound reached
        store.shortest_path(a, b)


def test_shortest_path_edge_cases(store, fake):
    a, b = NodeRef("Person", "P1"), NodeRef("Person", "P2")
    assert store.shortest_path(a, b) is None  # nodes missing: the statement finds no ends
    assert store.shortest_path(a, a) is None  # a missing node has no path to itself
    _existing(fake)
    assert store.shortest_path(a, a) == PathResult([a], [])
    assert store.shortest_path(a, b) is None  # the server found none
    with pytest.raises(ValueError, match="max_hops"):
        store.shortest_path(a, b, max_hops=7)


@pytest.mark.parametrize("bad", HOSTILE)
def test_shortest_path_keys_travel_only_as_parameters(store, fake, bad):
    _existing(fake)
    store.shortest_path(NodeRef("Person", bad), NodeRef("Phone", bad))
    assert all(bad not in c.query for c in fake.calls)
    assert fake.matching("shortestPath")[0].params["a"] == bad


@pytest.mark.parametrize("query, read", [
    ("MATCH (n) RETURN n", True),
    ("CALL db.labels() YIELD label RETURN label", True),
    ("MATCH (n) DETACH DELETE n", False),
    ("UNWIND [1, 2] AS k MERGE (n:X {k: k})", False),
    ("MATCH (n) set n.x = 1", False),
    ("CREATE CONSTRAINT c IF NOT EXISTS FOR (n:X) REQUIRE n.k IS UNIQUE", False),
    ("MATCH (n) REMOVE n.x", False),
    ("MATCH (n) WHERE n.settled RETURN n.offset AS created_at", True),  # words, not clauses
])
def test_routing_follows_the_clauses(store, fake, query, read):
    store.query(query)
    assert fake.calls[-1].read is read


def test_from_env_reports_a_missing_database_and_closes_the_driver(monkeypatch):
    import neo4j.exceptions as ne

    from graph.store import neo4j_store

    class Driver:
        closed = False

        def execute_query(self, *a, **k):
            raise ne.Neo4jError._hydrate_neo4j(code="Neo.ClientError.Database.DatabaseNotFound",
                                               message="Database does not exist.")

        def close(self):
            Driver.closed = True

    monkeypatch.setattr(neo4j_store, "_connect", lambda *a: Driver())
    with pytest.raises(Neo4jConnectionError, match=r"(?s)use database nosuch.*NEO4J_DATABASE"):
        Neo4jStore.from_env({**FULL_ENV, "NEO4J_DATABASE": "nosuch"})
    assert Driver.closed


def test_writes_forget_cached_degrees(store, fake):
    fake.respond("AS degree", [{"degree": 7}])
    phone = NodeRef("Phone", "+1")
    assert store.degree(phone) == 7
    store.degree(phone)
    assert len(fake.matching("AS degree")) == 1  # cached
    store.write_edges("HAS_PHONE", "Person", "Phone", _edges(1), batch="b")
    store.degree(phone)
    store.write_nodes("Phone", pa.table({"phone": ["+1"]}))
    store.degree(phone)
    assert len(fake.matching("AS degree")) == 3


# -- delete_nodes (the sync's node retraction) -------------------------------------------

def test_delete_nodes_deletes_edgeless_nodes_by_key_in_batches(fake):
    fake.respond("DELETE n", lambda q, p: [{"deleted": len(p["keys"])}])
    store = Neo4jStore(fake, batch_size=2)
    assert store.delete_nodes("Phone", ["+3", "+1", "+2", "+1"]) == 3
    assert fake.queries[0] == ("UNWIND $keys AS key\n"
                               "MATCH (n:`Phone` {`phone`: key})\n"
                               "WHERE NOT EXISTS { (n)--() }\n"
                               "DELETE n\n"
                               "RETURN count(*) AS deleted")
    assert [c.params for c in fake.calls] == [{"keys": ["+1", "+2"]}, {"keys": ["+3"]}]
    assert not any(c.read for c in fake.calls)


def test_delete_nodes_sends_nothing_for_no_keys_and_refuses_bad_input(store, fake):
    assert store.delete_nodes("Phone", []) == 0
    with pytest.raises(SchemaError):
        store.delete_nodes("Phone` DETACH DELETE n //", ["x"])
    with pytest.raises(ValueError, match="keys must be strings"):
        store.delete_nodes("Phone", [1])
    assert fake.calls == []


@pytest.mark.parametrize("bad", HOSTILE)
def test_delete_nodes_keys_travel_only_as_parameters(store, fake, bad):
    store.delete_nodes("Person", [bad])
    assert bad not in fake.calls[0].query and fake.calls[0].params == {"keys": [bad]}
