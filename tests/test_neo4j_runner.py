"""``QueryRunner``: how it calls ``execute_query``, converts records, and reports failures.

The driver is replaced by a stub exposing the one method the runner uses; the exceptions and
records are the driver's own classes.
"""

from __future__ import annotations

import datetime as dt

import neo4j
import neo4j.exceptions as ne
import neo4j.time
import pytest

from graph.store.neo4j_runner import Neo4jQueryError, QueryRunner, query_excerpt, to_python


class StubDriver:
    """Records ``execute_query`` calls; returns ``records`` or raises ``error``."""

    def __init__(self, records=(), keys=(), error=None):
        self.records, self.keys, self.error = list(records), list(keys), error
        self.calls, self.closed = [], False

    def execute_query(self, query, parameters_=None, routing_=None, database_=None):
        self.calls.append({"query": query, "params": parameters_, "routing": routing_,
                           "database": database_})
        if self.error:
            raise self.error
        return self.records, None, self.keys

    def close(self):
        self.closed = True


def test_run_passes_parameters_database_and_routing():
    drv = StubDriver()
    runner = QueryRunner(drv, "customs")
    runner.run("MATCH (n) WHERE n.k = $k RETURN n", {"k": 1})
    runner.run("RETURN 1", read=True)
    assert drv.calls[0] == {"query": "MATCH (n) WHERE n.k = $k RETURN n", "params": {"k": 1},
                            "routing": neo4j.RoutingControl.WRITE, "database": "customs"}
    assert drv.calls[1]["routing"] == neo4j.RoutingControl.READ
    assert drv.calls[1]["params"] == {}


def test_records_become_dicts_of_native_values():
    rec = neo4j.Record({"t": neo4j.time.DateTime(2024, 5, 1, 9, 15, 0, 123456000),
                        "d": neo4j.time.Date(2024, 5, 1),
                        "props": {"since": neo4j.time.Date(2020, 1, 2), "n": 3}})
    runner = QueryRunner(StubDriver([rec], ["t", "d", "props"]))
    assert runner.run("RETURN ...") == [{
        "t": dt.datetime(2024, 5, 1, 9, 15, 0, 123456), "d": dt.date(2024, 5, 1),
        "props": {"since": dt.date(2020, 1, 2), "n": 3}}]
    df = runner.run_df("RETURN ...")
    assert list(df.columns) == ["t", "d", "props"]
    assert df.loc[0, "d"] == dt.date(2024, 5, 1)


def test_empty_result_keeps_its_columns():
    df = QueryRunner(StubDriver([], ["key", "props"])).run_df("MATCH (n) RETURN ...")
    assert list(df.columns) == ["key", "props"] and len(df) == 0


def test_durations_convert_unless_they_count_months():
    assert to_python(neo4j.time.Duration(days=2, seconds=5)) == dt.timedelta(days=2, seconds=5)
    months = neo4j.time.Duration(months=1)
    assert to_python(months) is months


def test_errors_name_query_and_parameter_keys_never_values():
    secret = "110101199003077777"
    err = ne.Neo4jError._hydrate_neo4j(code="Neo.ClientError.Statement.SyntaxError",
                                       message="Invalid input 'MATCHH'")
    runner = QueryRunner(StubDriver(error=err))
    with pytest.raises(Neo4jQueryError) as info:
        runner.run("MATCHH (p:Person) WHERE p.id = $id_number\n  RETURN p",
                   {"id_number": secret, "limit": 5})
    msg = str(info.value)
    assert "Neo.ClientError.Statement.SyntaxError: Invalid input 'MATCHH'" in msg
    assert "query: MATCHH (p:Person) WHERE p.id = $id_number RETURN p" in msg
    assert "parameter keys: ['id_number', 'limit']" in msg
    assert "bug in the generated Cypher" in msg
    assert secret not in msg
    assert info.value.code == "Neo.ClientError.Statement.SyntaxError"


@pytest.mark.parametrize("error, hint", [
    (ne.ServiceUnavailable("Couldn't connect"), "check that the server in NEO4J_URI"),
    (ne.Neo4jError._hydrate_neo4j(code="Neo.ClientError.Database.DatabaseNotFound",
                                  message="Database does not exist."), "check NEO4J_DATABASE"),
    (ne.Neo4jError._hydrate_neo4j(code="Neo.ClientError.Security.Unauthorized",
                                  message="bad credentials"), "check NEO4J_USER"),
])
def test_errors_say_what_to_check(error, hint):
    with pytest.raises(Neo4jQueryError, match=hint):
        QueryRunner(StubDriver(error=error)).run("RETURN 1")


def test_long_queries_are_truncated_in_errors():
    long = "MATCH (n) WHERE " + " OR ".join(f"n.p{i} = $v{i}" for i in range(100)) + " RETURN n"
    assert len(query_excerpt(long)) == 200 and query_excerpt(long).endswith("...")
    assert query_excerpt("RETURN\n   1") == "RETURN 1"


def test_close_closes_the_driver():
    drv = StubDriver()
    QueryRunner(drv).close()
    assert drv.closed
