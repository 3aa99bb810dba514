"""``LadybugStore``: the embedded graph store (Ladybug, a Kùzu fork), the default.

Writes follow the measured pitfalls in the stack notes: rows reach the database by bulk
``COPY`` from a temporary Parquet file (``COPY`` from a DataFrame segfaults when keys
already exist; relationship ``MERGE`` is ~23 ms per row), never by row-wise ``MERGE``.

- ``write_nodes``: existing keys are found by ``UNWIND $keys`` primary-key look-ups
  (chunked for very large deltas); new keys are COPYed; existing ones updated by
  ``UNWIND $rows ... SET``, each value cast to its schema type (a column NULL in every row
  sets NULL).
- ``write_edges``: the edges an earlier attempt of the same ``batch`` wrote are deleted,
  then the rows are COPYed (``from``/``to`` options pick the pair of a multi-pair table).
  Rows whose endpoints do not exist are dropped, as on Neo4j.
- ``delete_nodes``: the given keys' nodes that have no edges left are deleted.

One process may write a database at a time; readers see the data as of when they opened
it and call :meth:`LadybugStore.reopen` to see later writes. Temporary files go to a
hidden folder beside the database, never to the working directory.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from graph.schema import BATCH_PROPERTY, ident, ladybug_ddl
from graph.store.cypher_base import CypherStore
from graph.store.queries import LADYBUG
from graph.store.rows import (
    ARROW_TYPES,
    cast_to_schema,
    check_rows,
    distinct_keys,
    last_per_key,
)

__all__ = ["LadybugStore", "GraphNotFoundError", "DEFAULT_BUFFER_POOL"]

DEFAULT_BUFFER_POOL = 2 * 1024**3
UPDATE_BATCH = 5000  # rows per UNWIND ... SET statement
KEY_CHUNK = 100_000  # keys per existence query
_MISSING_ENDPOINT = re.compile(r"primary key|unable to find", re.IGNORECASE)


class GraphNotFoundError(FileNotFoundError):
    """A read-only store was asked for a database that does not exist."""


def _full(rows: pa.Table, types: dict[str, str]) -> pa.Table:
    """Every column of ``types`` in declared order (COPY maps columns by position)."""
    n = rows.num_rows
    cols = [rows.column(c) if c in rows.column_names else pa.nulls(n, ARROW_TYPES[t])
            for c, t in types.items()]
    return pa.Table.from_arrays(cols, names=list(types))


class LadybugStore(CypherStore):
    """The embedded store in one database file (``<workspace>/graph`` by default).

    Parameters
    ----------
    path
        The database file; created (with its folder) unless ``read_only``.
    read_only
        Open for reading only: many readers may share a database with one writer.
    buffer_pool_bytes
        Ladybug's page cache (its default, ~80% of RAM, is too greedy on shared machines).
    """

    dialect = LADYBUG

    def __init__(self, path: str | Path, read_only: bool = False,
                 buffer_pool_bytes: int = DEFAULT_BUFFER_POOL, schema=None) -> None:
        super().__init__(schema)
        self.path = Path(path)
        self.read_only = read_only
        self.buffer_pool_bytes = int(buffer_pool_bytes)
        if read_only and not self.path.exists():
            raise GraphNotFoundError(f"no graph database at {self.path}: run `cbec load DIR` "
                                     f"first (or pass the right --workspace)")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = self._conn = None
        self._open()

    def _open(self) -> None:
        import ladybug

        self._db = ladybug.Database(str(self.path), buffer_pool_size=self.buffer_pool_bytes,
                                    read_only=self.read_only)
        self._conn = ladybug.Connection(self._db)

    def reopen(self) -> None:
        """Close and open again: a reader sees writes made since it opened."""
        self._forget_degrees()
        self.close()
        self._open()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._db.close()
        self._db = self._conn = None

    def __enter__(self) -> LadybugStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"LadybugStore({str(self.path)!r}, read_only={self.read_only})"

    # -- the hook ----------------------------------------------------------------------
    def _run(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self._conn is None:
            raise RuntimeError(f"{self!r} is closed")
        results = self._conn.execute(query, params)
        results = results if isinstance(results, list) else [results]
        try:
            res = results[-1]  # several statements: the last one's rows
            cols = res.get_column_names()
            return [dict(zip(cols, row, strict=True)) for row in res.get_all()]
        finally:
            for r in results:  # results hold buffer-pool pages until closed
                r.close()

    def query_arrow(self, query: str, params: dict[str, Any] | None = None) -> pa.Table:
        """One query's rows as an Arrow table (bulk reads: the adjacency index)."""
        if self._conn is None:
            raise RuntimeError(f"{self!r} is closed")
        res = self._conn.execute(query, params or {})
        try:
            return res.get_as_arrow(1_000_000)
        finally:
            res.close()

    def _build_adjacency(self, progress=None):
        from graph.store.adjacency import build_adjacency
        from graph.store.search import TEXT_FIELDS

        return build_adjacency(self.query_arrow, self.schema, progress, TEXT_FIELDS)

    # -- schema and writes -------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create every node and relationship table of the schema (``IF NOT EXISTS``)."""
        for statement in ladybug_ddl(self.schema):
            self.query(statement)

    def _tmpdir(self) -> tempfile.TemporaryDirectory:
        base = self.path.parent / f".{self.path.name}.tmp"
        base.mkdir(exist_ok=True)
        if "'" in str(base) or "\\" in str(base):  # the COPY path is a literal in the query
            raise ValueError(f"the graph folder {base} contains a quote or backslash; "
                             f"use a workspace path without them")
        return tempfile.TemporaryDirectory(dir=base, prefix="copy-")

    def _copy(self, table: str, rows: pa.Table, options: str = "") -> None:
        with self._tmpdir() as tmp:
            f = Path(tmp) / "rows.parquet"
            pq.write_table(rows, f)
            self.query(f"COPY {ident(table)} FROM '{f.as_posix()}'{options}")

    def _existing(self, label: str, keys: pa.Array) -> set[str]:
        out: set[str] = set()
        uniq = pc.unique(keys).to_pylist()
        for i in range(0, len(uniq), KEY_CHUNK):
            rows = self._q(self.q.existing_keys(label, uniq[i:i + KEY_CHUNK]))
            out.update(r["key"] for r in rows)
        return out

    def write_nodes(self, label: str, rows: pa.Table, *, new: bool = False) -> int:
        """Upsert nodes: new keys COPYed, existing keys get the given columns updated.
        ``new`` is not used: the existing keys are looked up in one query per chunk."""
        node = self.schema.node(label)
        what = f"write_nodes({label})"
        self._forget_degrees()
        check_rows(rows, [node.key], node.properties, what)
        if rows.num_rows == 0:
            return 0
        rows = last_per_key(cast_to_schema(rows, node.properties, what), node.key)
        empty = int(self._q(self.q.count_nodes(label))[0]["c"]) == 0
        existing = set() if empty else self._existing(label, rows.column(node.key))
        is_old = pc.is_in(rows.column(node.key), pa.array(list(existing), pa.string()))
        new, old = rows.filter(pc.invert(is_old)), rows.filter(is_old)
        if new.num_rows:
            self._copy(label, _full(new, node.properties))
        props = [c for c in old.column_names if c != node.key]
        if old.num_rows and props:
            # CAST to the schema type: Ladybug types a parameter column from its values, and
            # one NULL in every row comes out STRING, which a DOUBLE/TIMESTAMP SET rejects.
            sets = ", ".join(f"n.{ident(p)} = CAST(row.{ident(p)} AS {node.properties[p]})"
                             for p in props)
            q = (f"UNWIND $rows AS row MATCH (n:{ident(label)}) "
                 f"WHERE n.{ident(node.key)} = row.{ident(node.key)} SET {sets}")
            for i in range(0, old.num_rows, UPDATE_BATCH):
                self.query(q, {"rows": old.slice(i, UPDATE_BATCH).to_pylist()})
        return rows.num_rows

    def delete_nodes(self, label: str, keys: list[str]) -> int:
        """Delete the nodes of ``label`` with these keys that have no edges; returns how
        many. One primary-key look-up per key (see ``Q.existing_keys``), in chunks."""
        node = self.schema.node(label)
        keys = distinct_keys(keys, f"delete_nodes({label})")
        self._forget_degrees()
        q = (f"UNWIND $keys AS key MATCH (n:{ident(label)}) WHERE n.{ident(node.key)} = key "
             f"AND NOT EXISTS {{ MATCH (n)-[]-() }} DELETE n RETURN count(*) AS deleted")
        return sum(int(self.query(q, {"keys": keys[i:i + KEY_CHUNK]})[0]["deleted"])
                   for i in range(0, len(keys), KEY_CHUNK))

    def write_edges(self, edge_type: str, from_label: str, to_label: str, rows: pa.Table,
                    batch: str) -> int:
        """Replace the edges of ``batch`` with ``rows`` (``from_key``, ``to_key``, properties).

        Rows whose endpoints are missing are dropped; returns the edges written.
        """
        edge, what = self._edge_spec(edge_type, from_label, to_label, batch)
        self._forget_degrees()
        types = {"from_key": "STRING", "to_key": "STRING", **edge.properties}
        check_rows(rows, ["from_key", "to_key"], types, what)
        rows = cast_to_schema(rows, types, what)
        self.query(f"MATCH (:{ident(from_label)})-[e:{ident(edge_type)}]->(:{ident(to_label)})"
                   f" WHERE e.{ident(BATCH_PROPERTY)} = $batch DELETE e", {"batch": batch})
        if rows.num_rows == 0:
            return 0
        rows = rows.append_column(BATCH_PROPERTY, pa.array([batch] * rows.num_rows, pa.string()))
        full = _full(rows, {**types, BATCH_PROPERTY: "STRING"})
        options = f" (from='{from_label}', to='{to_label}')"
        try:
            self._copy(edge_type, full, options)
        except Exception as exc:  # noqa: BLE001 - retried below only for missing endpoints
            if not _MISSING_ENDPOINT.search(str(exc)):
                raise
            full = self._with_endpoints(full, from_label, to_label)
            if full.num_rows:
                self._copy(edge_type, full, options)
        return full.num_rows

    def _with_endpoints(self, rows: pa.Table, from_label: str, to_label: str) -> pa.Table:
        """The rows whose ``from_key`` and ``to_key`` nodes both exist."""
        for col, label in (("from_key", from_label), ("to_key", to_label)):
            have = pa.array(list(self._existing(label, rows.column(col))), pa.string())
            rows = rows.filter(pc.is_in(rows.column(col), have))
        return rows
