"""``Neo4jStore``: the production graph store, over the official ``neo4j`` driver.

Writes are batched ``UNWIND $rows`` statements, one transaction per batch of
:attr:`Neo4jStore.batch_size` rows. Node writes ``MERGE`` on the schema key; edge writes first
delete what an earlier attempt of the same batch wrote (edges carry ``_batch``), then
``CREATE``, so both are idempotent. Labels, edge types and property names come from the
schema and are checked before any Cypher is built; values travel only as ``$parameters``.

The query API is :class:`~graph.store.cypher_base.CypherStore`'s, in the Neo4j dialect; only
``shortest_path`` is overridden (the server's bidirectional ``shortestPath``, under the
same hub rules), and ``ensure_schema`` adds TEXT indexes so name/address ``CONTAINS`` search uses
an index.

Connect with :meth:`Neo4jStore.from_env`, which checks connectivity first: with no server,
the driver's ``execute_query`` would retry for about a minute before failing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from graph.schema import GraphSchema, neo4j_constraints
from graph.store.base import NodeRef, PathResult
from graph.store.cypher_base import CypherStore
from graph.store.neo4j_cypher import (
    cast_to_schema,
    create_edges_query,
    delete_batch_query,
    delete_nodes_query,
    iter_row_batches,
    last_per_key,
    merge_nodes_query,
    shortest_path_query,
    temporal_as_text,
    text_index_query,
    to_neo4j_value,
)
from graph.store.neo4j_runner import Neo4jQueryError, QueryRunner
from graph.store.queries import NEO4J
from graph.store.rows import check_rows, distinct_keys

__all__ = ["Neo4jStore", "Neo4jConfigError", "Neo4jConnectionError", "ENV_VARS"]

ENV_VARS = ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE")
_REQUIRED = ENV_VARS[:3]  # NEO4J_DATABASE may be left out: the server's default database
# A statement with none of these clauses is a read: routed to a reader in a cluster.
_WRITE_CLAUSE = re.compile(r"\b(CREATE|MERGE|SET|DELETE|REMOVE|DROP|LOAD\s+CSV)\b", re.I)


class Neo4jConfigError(RuntimeError):
    """A ``NEO4J_*`` variable is missing or malformed."""


class Neo4jConnectionError(RuntimeError):
    """The server could not be reached, refused the credentials, or lacks the database."""


class Neo4jStore(CypherStore):
    """Graph store over a query runner (``QueryRunner`` in production, ``FakeRunner`` in tests).

    Parameters
    ----------
    runner
        Anything with ``run(query, params, *, read)`` returning rows as dicts, and ``close()``.
    schema
        The graph schema; the packaged ``graph/schema.yaml`` by default.
    batch_size
        Rows per write transaction.
    """

    dialect = NEO4J

    def __init__(self, runner: Any, schema: GraphSchema | None = None, *,
                 batch_size: int = 5000) -> None:
        super().__init__(schema)
        self.runner = runner
        self.batch_size = batch_size

    @property
    def database(self) -> str | None:
        """The database the runner targets (``None``: the server's default)."""
        return getattr(self.runner, "database", None)

    # -- connection -----------------------------------------------------------------------
    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, connection_timeout: float = 5.0,
                 **kwargs: Any) -> Neo4jStore:
        """Connect using ``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD`` and optionally
        ``NEO4J_DATABASE`` (from ``env``, default ``os.environ``); fail fast if unreachable.

        Raises
        ------
        Neo4jConfigError
            A required variable is unset (no credential has a default).
        Neo4jConnectionError
            The server cannot be reached, rejects the credentials, or lacks the database.
        """
        env = os.environ if env is None else env
        missing = [v for v in _REQUIRED if not env.get(v)]
        if missing:
            raise Neo4jConfigError(
                f"{', '.join(missing)} not set: the Neo4j store needs NEO4J_URI (e.g. "
                f"bolt://localhost:7687), NEO4J_USER and NEO4J_PASSWORD, and optionally "
                f"NEO4J_DATABASE. Set them, or unset NEO4J_URI to use the embedded store.")
        uri, database = env["NEO4J_URI"], env.get("NEO4J_DATABASE") or None
        driver = _connect(uri, env["NEO4J_USER"], env["NEO4J_PASSWORD"], connection_timeout)
        runner = QueryRunner(driver, database)
        try:  # verify_connectivity does not check the database; a trivial read does
            runner.run("RETURN 1 AS ok", read=True)
        except Neo4jQueryError as exc:
            runner.close()
            raise Neo4jConnectionError(
                f"connected to {uri} but cannot use database {database or '(default)'}: "
                f"{exc}") from exc
        return cls(runner, **kwargs)

    def close(self) -> None:
        self.runner.close()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """The hook every statement goes through (via ``CypherStore.query``): aware datetimes
        in parameters become naive UTC, as timestamps are stored; reads go to readers."""
        return self.runner.run(query, to_neo4j_value(params or {}),
                               read=not _WRITE_CLAUSE.search(query))

    # -- schema ----------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create the schema's uniqueness constraints and indexes, then a TEXT index per
        ``index:`` property (Neo4j answers ``CONTAINS`` from TEXT indexes, not range ones).
        All ``IF NOT EXISTS``: safe to run on every start."""
        for statement in neo4j_constraints(self.schema):
            self.query(statement)
        for node in self.schema.nodes.values():
            for prop in node.index:
                self.query(text_index_query(node.label, prop))

    # -- query API overrides ---------------------------------------------------------------
    def shortest_path(self, a: NodeRef, b: NodeRef, max_hops: int = 6) -> PathResult | None:
        """A shortest path of at most ``max_hops`` (1-6) edges in either direction, or None.

        The server's ``shortestPath`` (a bidirectional BFS next to the data) under the base
        class's rules: no inner node of ``hub_labels`` or of more than ``path_max_degree``
        edges; a hub may be an end, but not both ends.
        """
        if not 1 <= max_hops <= 6:
            raise ValueError(f"max_hops must be between 1 and 6, not {max_hops}")
        if self.get_node(a) is None or self.get_node(b) is None:
            return None
        if a == b:
            return PathResult([a], [])
        if self._path_hub(a) and self._path_hub(b):
            return None  # as in the base class: neither end may be expanded
        na, nb = self.schema.node(a.label), self.schema.node(b.label)
        query = shortest_path_query(na.label, na.key, nb.label, nb.key, max_hops,
                                    self.hub_labels, self.q.key_of("n", list(self.schema.nodes)))
        rows = self.query(query, {"a": a.key, "b": b.key, "max_degree": self.path_max_degree})
        if not rows or rows[0]["nodes"] is None:
            return None
        nodes = [NodeRef(label, str(key)) for label, key in rows[0]["nodes"]]
        return PathResult(nodes, list(rows[0]["types"]))

    # -- writes ----------------------------------------------------------------------------
    def write_nodes(self, label: str, rows: pa.Table) -> int:
        """Upsert ``rows`` (the key column and any of ``label``'s properties) in batches of
        :attr:`batch_size`; a key given twice keeps its last row. Returns the number of rows
        the server wrote (one per distinct key)."""
        node = self.schema.node(label)
        what = f"write_nodes({label})"
        check_rows(rows, [node.key], node.properties, what)
        table = last_per_key(cast_to_schema(rows, node.properties, what), node.key)
        table, temporal = temporal_as_text(table, node.properties)
        query = merge_nodes_query(label, node.key, temporal)
        self._forget_degrees()
        return sum(_count(self.query(query, {"rows": batch}), "written")
                   for batch in iter_row_batches(table, self.batch_size))

    def write_edges(self, edge_type: str, from_label: str, to_label: str, rows: pa.Table,
                    batch: str) -> int:
        """Write ``(from_label)-[edge_type]->(to_label)`` edges from ``from_key``/``to_key``
        rows plus properties, after deleting edges an earlier attempt of ``batch`` wrote.

        Rows whose endpoints do not exist create nothing; returns the edges created.
        """
        edge, what = self._edge_spec(edge_type, from_label, to_label, batch)
        from_node, to_node = self.schema.node(from_label), self.schema.node(to_label)
        types = {"from_key": from_node.properties[from_node.key],
                 "to_key": to_node.properties[to_node.key], **edge.properties}
        check_rows(rows, ["from_key", "to_key"], types, what)
        table, temporal = temporal_as_text(cast_to_schema(rows, types, what), types)

        self._forget_degrees()  # cached node degrees go stale as edges change
        delete = delete_batch_query(edge_type, from_label, to_label)
        while _count(self.query(delete, {"batch": batch, "limit": self.batch_size}),
                     "deleted") >= self.batch_size:
            pass  # each round deletes at most batch_size edges in its own transaction
        create = create_edges_query(edge_type, from_label, from_node.key, to_label, to_node.key,
                                    temporal)
        written = 0
        for chunk in iter_row_batches(table, self.batch_size):
            payload = [{"from_key": r.pop("from_key"), "to_key": r.pop("to_key"), "props": r}
                       for r in chunk]
            written += _count(self.query(create, {"rows": payload, "batch": batch}), "written")
        return written


    def delete_nodes(self, label: str, keys: list[str]) -> int:
        """Delete the nodes of ``label`` with these keys that have no edges, in batches of
        :attr:`batch_size` keys; returns the nodes the server deleted."""
        node = self.schema.node(label)
        keys = distinct_keys(keys, f"delete_nodes({label})")
        self._forget_degrees()
        query = delete_nodes_query(label, node.key)
        return sum(_count(self.query(query, {"keys": keys[i:i + self.batch_size]}), "deleted")
                   for i in range(0, len(keys), self.batch_size))


def _connect(uri: str, user: str, password: str, timeout: float):
    """A driver whose connectivity has been verified, or :class:`Neo4jConnectionError`."""
    import neo4j
    import neo4j.exceptions as ne

    try:
        # notifications off: the server's hints (e.g. "label does not exist" on an empty
        # database) would be logged as warnings on every such query, and cost it work
        driver = neo4j.GraphDatabase.driver(
            uri, auth=(user, password), connection_timeout=timeout,
            notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF)
    except (ne.ConfigurationError, ValueError) as exc:
        raise Neo4jConfigError(f"NEO4J_URI={uri!r} is not a valid Neo4j URI ({exc}); use e.g. "
                               f"bolt://host:7687 or neo4j+s://host") from None
    try:
        driver.verify_connectivity()
    except ne.AuthError as exc:
        driver.close()
        raise Neo4jConnectionError(f"Neo4j at {uri} rejected the credentials ({exc.code}): "
                                   f"check NEO4J_USER and NEO4J_PASSWORD") from None
    except (ne.DriverError, ne.Neo4jError, OSError) as exc:
        driver.close()
        raise Neo4jConnectionError(
            f"cannot reach Neo4j at {uri}: {type(exc).__name__}: {exc}\n"
            f"  next: check the server is running and listening there, the host and port, "
            f"and the scheme (bolt:// for one server, neo4j:// for a cluster, '+s' for TLS)"
        ) from None
    return driver


def _count(result: list[dict[str, Any]], column: str) -> int:
    return int(result[0][column]) if result else 0
