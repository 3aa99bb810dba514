"""``Neo4jStore``: the production graph store, over the official ``neo4j`` driver.

Writes are batched ``UNWIND $rows`` statements, one transaction per batch of
:attr:`Neo4jStore.batch_size` rows. Node writes ``MERGE`` on the schema key (``CREATE`` for
keys the sync has never sent, falling back to ``MERGE`` per batch); edge writes first
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
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any

import pyarrow as pa

from graph.schema import GraphSchema, neo4j_constraints
from graph.store.base import NodeRef, PathResult, Subgraph
from graph.store.cypher_base import DEGREE_CACHE, CypherStore, Prefetched
from graph.store.indexed import edge_order
from graph.store.neo4j_cypher import (
    EDGES_AMONG_QUERY,
    PROPS_BY_ID_QUERY,
    WALK_COLUMNS,
    cast_to_schema,
    create_edges_query,
    create_nodes_query,
    delete_batch_query,
    delete_nodes_query,
    frontier_by_id_query,
    iter_row_batches,
    last_per_key,
    merge_nodes_query,
    neighbourhood_query,
    nodes_by_keys_query,
    shortest_path_query,
    temporal_as_text,
    text_index_query,
    to_neo4j_value,
)
from graph.store.neo4j_runner import Neo4jQueryError, QueryRunner
from graph.store.paths import PathSearchGaveUp
from graph.store.queries import NEO4J
from graph.store.rows import check_rows, distinct_keys

__all__ = ["Neo4jStore", "Neo4jConfigError", "Neo4jConnectionError", "ENV_VARS"]

ENV_VARS = ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE")
_REQUIRED = ENV_VARS[:3]  # NEO4J_DATABASE may be left out: the server's default database
# A statement with none of these clauses is a read: routed to a reader in a cluster.
_CLEAR_QUERY = "MATCH (n) WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS deleted"
# Rows per write transaction from from_env: 20,000 cost the server about half the CPU per
# row of 5,000 (fewer commits and plan look-ups), measured on the local 5.26 server.
LOAD_BATCH = 20_000
# The server's shortestPath has no bound on its work: a search between two ends that no
# short path joins may explore for seconds. Past this it is stopped: PathSearchGaveUp.
PATH_TIMEOUT_S = 2.0
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
    parallel
        Write transactions in flight at once (:meth:`from_env` uses 2: the server commits
        one batch while the next is packed and sent).
    """

    dialect = NEO4J
    path_timeout_s: float = PATH_TIMEOUT_S

    def __init__(self, runner: Any, schema: GraphSchema | None = None, *,
                 batch_size: int = 5000, parallel: int = 1) -> None:
        super().__init__(schema)
        self.runner = runner
        self.batch_size = batch_size
        self.parallel = max(1, parallel)

    def _send(self, query: str | Callable[[dict[str, Any]], list[dict[str, Any]]],
              payloads: Iterator[dict[str, Any]], column: str) -> int:
        """Run ``query`` (a statement, or a function of the parameters that runs one) once
        per parameter set, up to :attr:`parallel` transactions in flight (the server works
        on one batch while the next is packed and sent); returns the sum of ``column``. A
        deadlock between two batches is a transient error, which the driver retries; any
        other error stops the rest and is raised."""
        run = query if callable(query) else (lambda p: self.query(query, p))
        if self.parallel == 1:
            return sum(_count(run(p), column) for p in payloads)
        total, pending = 0, set()
        with ThreadPoolExecutor(self.parallel, thread_name_prefix="neo4j-write") as pool:
            try:
                for params in payloads:
                    if len(pending) >= self.parallel:
                        done, pending = wait(pending, return_when=FIRST_COMPLETED)
                        total += sum(_count(f.result(), column) for f in done)
                    pending.add(pool.submit(run, params))
                total += sum(_count(f.result(), column) for f in pending)
            finally:
                for f in pending:
                    f.cancel()
        return total

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
        return cls(runner, **{"parallel": 2, "batch_size": LOAD_BATCH, **kwargs})

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
    def _prefetch_walk(self, ref: NodeRef, hops: int, limit: int,
                       edge_types: list[str] | None, since: datetime | None,
                       until: datetime | None) -> Prefetched:
        """The neighbourhood's first two levels in one statement (a Bolt round trip per node
        walked made it seconds at 100k declarations); a third level in one more; the kept
        nodes' properties in one, by element id."""
        windowed = since is not None or until is not None
        query = neighbourhood_query(self.q, ref.label, hops, edge_types, self.hub_labels,
                                    windowed)
        # A hub start is cut at what the walk keeps of it; any other has at most
        # max_degree edges, all of them read.
        fetch = 2 * limit + 50
        if ref.label not in self.hub_labels:
            fetch = max(fetch, self.max_degree + 1)
        # Each further node's edges up to a cap: a busy seller's first edges fill the limit
        # (the loop walks the rest itself when they do not).
        cap = 2 * limit + 50
        params: dict[str, Any] = {"key": ref.key, "limit": limit, "fetch": fetch,
                                  "max_degree": self.max_degree, "budget": 4 * limit,
                                  "cap": cap}
        if windowed:
            params.update(since=since, until=until)
        ids: dict[NodeRef, str] = {}
        out: dict[NodeRef, list[dict[str, Any]] | None] = {}
        capped: set[NodeRef] = set()
        found: dict[str, Any] = {"start": None}
        types = tuple(edge_types or ())
        cache = self.__dict__.setdefault("_degrees", {})

        def take(rows: list[dict[str, Any]]) -> None:
            for r in rows:
                m = NodeRef(r["mlabel"], str(r["mkey"]))
                if r["d"] == 0:
                    found["start"] = self._node_props(ref.label, r["props"])
                if m in out:
                    continue  # met on two levels: the walk expands it once
                ids[m] = r["mid"]
                cache[(m, types)] = deg = int(r["deg"])
                if r["d"] > 0 and cap < deg <= self.max_degree:
                    capped.add(m)
                walked = [dict(zip(WALK_COLUMNS, x, strict=True)) for x in r["rows"]]
                for w in walked:
                    ids[NodeRef(w["blabel"], str(w["bkey"]))] = w.pop("bid")
                out[m] = self._walk_rows(m, walked)

        def deeper(frontier: list[NodeRef]) -> None:
            known = [ids[m] for m in frontier if m in ids]
            if known:
                take(self.query(frontier_by_id_query(self.q, edge_types, windowed),
                                {"ids": known, "fetch": 0, "max_degree": self.max_degree,
                                 "budget": params["budget"], "cap": cap}))
            if frontier[0] not in out:  # not found: walked by the loop itself
                out[frontier[0]] = None

        def fill_props(nodes: dict[NodeRef, dict]) -> None:
            by_id = {ids[r]: r for r in nodes if r in ids}
            if by_id:
                for row in self.query(PROPS_BY_ID_QUERY, {"ids": list(by_id)}):
                    r = by_id[row["id"]]
                    nodes[r] = self._node_props(r.label, row["props"])
            rest = {r: v for r, v in nodes.items() if r not in ids}
            if rest:
                self._fill_props(rest)
                nodes.update(rest)

        if len(cache) > DEGREE_CACHE:
            cache.clear()
        take(self.query(query, params))
        return Prefetched(found["start"], out, deeper, capped=capped, fill_props=fill_props)

    def shortest_path(self, a: NodeRef, b: NodeRef, max_hops: int = 6) -> PathResult | None:
        """A shortest path of at most ``max_hops`` (1-6) edges in either direction, or None.

        The server's ``shortestPath`` (a bidirectional BFS next to the data) under the base
        class's rules: no inner node of ``hub_labels`` or of more than ``path_max_degree``
        edges; a hub may be an end, but not both ends.
        """
        if not 1 <= max_hops <= 6:
            raise ValueError(f"max_hops must be between 1 and 6, not {max_hops}")
        if a == b:
            return PathResult([a], []) if self.get_node(a) is not None else None
        # One statement: the ends' look-ups and hub checks are part of it (five round
        # trips before, each a few ms on a busy machine).
        na, nb = self.schema.node(a.label), self.schema.node(b.label)
        query = shortest_path_query(na.label, na.key, nb.label, nb.key, max_hops,
                                    self.hub_labels, self.q.key_of("n", list(self.schema.nodes)))
        params = {"a": a.key, "b": b.key, "max_degree": self.path_max_degree}
        try:  # no work bound in shortestPath: a time bound instead (Ladybug's: PATH_MAX_*)
            rows = self.runner.run(query, params, read=True, timeout=self.path_timeout_s)
        except Neo4jQueryError as exc:
            if "TransactionTimedOut" in (exc.code or ""):
                ms = int(self.path_timeout_s * 1000)
                raise PathSearchGaveUp(ms, ms, "ms of the server's search") from None
            raise
        if not rows or rows[0]["nodes"] is None:
            return None
        nodes = [NodeRef(label, str(key)) for label, key in rows[0]["nodes"]]
        return PathResult(nodes, list(rows[0]["types"]))

    def subgraph(self, refs: list[NodeRef]) -> Subgraph:
        """The given nodes (those that exist) and every edge among them: one statement per
        label and one for the edges, where the base class looks up each node (hundreds of
        round trips for the few hundred nodes the app shows)."""
        by_label: dict[str, list[str]] = {}
        for r in sorted(set(refs)):
            self.schema.node(r.label)  # rejects unknown labels
            by_label.setdefault(r.label, []).append(r.key)
        sg, ids = Subgraph(), {}
        for label, keys in by_label.items():
            query = nodes_by_keys_query(label, self.schema.node(label).key)
            for row in self.query(query, {"keys": keys}):
                ref = NodeRef(label, str(row["key"]))
                ids[row["id"]] = ref
                sg.nodes[ref] = self._node_props(label, row["props"])
        if ids:
            for row in self.query(EDGES_AMONG_QUERY, {"ids": list(ids)}):
                sg.edges.append((ids[row["a"]], row["type"], ids[row["b"]],
                                 self._edge_props(row["eprops"])))
        sg.nodes = dict(sorted(sg.nodes.items()))
        sg.edges.sort(key=edge_order)
        return sg

    # -- writes ----------------------------------------------------------------------------
    def write_nodes(self, label: str, rows: pa.Table, *, new: bool = False) -> int:
        """Upsert ``rows`` (the key column and any of ``label``'s properties) in batches of
        :attr:`batch_size`; a key given twice keeps its last row. Returns the number of rows
        the server wrote (one per distinct key).

        ``new``: the caller believes no key exists yet (the sync's first sight of them).
        Each batch is then ``CREATE``d, which spares the server the ``MERGE``'s look-up;
        a batch the uniqueness constraint rejects (a key did exist: a rerun after a kill
        between the write and the ledger's mark) is rolled back and merged instead."""
        node = self.schema.node(label)
        what = f"write_nodes({label})"
        check_rows(rows, [node.key], node.properties, what)
        table = last_per_key(cast_to_schema(rows, node.properties, what), node.key)
        table, temporal = temporal_as_text(table, node.properties)
        merge = merge_nodes_query(label, node.key, temporal)
        create = create_nodes_query(label, temporal)

        def create_or_merge(params: dict[str, Any]) -> list[dict[str, Any]]:
            try:
                return self.query(create, params)
            except Neo4jQueryError as exc:
                if "ConstraintValidationFailed" not in (exc.code or ""):
                    raise
                return self.query(merge, params)

        self._forget_degrees()
        return self._send(create_or_merge if new else merge,
                          ({"rows": batch} for batch in iter_row_batches(table, self.batch_size)),
                          "written")

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
        payloads = ({"rows": [{"from_key": r.pop("from_key"), "to_key": r.pop("to_key"),
                               "props": r} for r in chunk], "batch": batch}
                    for chunk in iter_row_batches(table, self.batch_size))
        return self._send(create, payloads, "written")

    def clear(self) -> int:
        """Delete every node and edge of the database, ``batch_size`` nodes per transaction
        (one transaction for millions would exhaust the server's memory). Returns the nodes
        deleted. For benchmarks and tests on a throwaway database."""
        deleted = 0
        while n := _count(self.query(_CLEAR_QUERY, {"limit": self.batch_size}), "deleted"):
            deleted += n
        return deleted

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
