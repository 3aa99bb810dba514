"""``LadybugStore``: the embedded graph store (Ladybug, a Kùzu fork), the default.

Writes follow the measured pitfalls in the stack notes: rows reach the database by bulk
``COPY`` from a temporary Parquet file (``COPY`` from a DataFrame segfaults when keys
already exist; relationship ``MERGE`` is ~23 ms per row), never by row-wise ``MERGE``.

- ``write_nodes``: existing keys are found with one parameterised query (chunked for very
  large deltas); new keys are COPYed; existing ones updated by ``UNWIND $rows ... SET``.
- ``write_edges``: the edges an earlier attempt of the same ``batch`` wrote are deleted,
  then the rows are COPYed (``from``/``to`` options pick the pair of a multi-pair table).
  Rows whose endpoints do not exist are dropped, as on Neo4j.

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

from graph.schema import BATCH_PROPERTY, SchemaError, ident, ladybug_ddl
from graph.store.cypher_base import CypherStore
from graph.store.queries import LADYBUG

__all__ = ["LadybugStore", "GraphNotFoundError", "DEFAULT_BUFFER_POOL"]

DEFAULT_BUFFER_POOL = 2 * 1024**3
UPDATE_BATCH = 5000  # rows per UNWIND ... SET statement
KEY_CHUNK = 100_000  # keys per existence query
ARROW_TYPES = {"STRING": pa.string(), "INT64": pa.int64(), "DOUBLE": pa.float64(),
               "BOOLEAN": pa.bool_(), "DATE": pa.date32(), "TIMESTAMP": pa.timestamp("us")}
_MISSING_ENDPOINT = re.compile(r"primary key|unable to find", re.IGNORECASE)


class GraphNotFoundError(FileNotFoundError):
    """A read-only store was asked for a database that does not exist."""


def cast_columns(rows: pa.Table, types: dict[str, str], what: str) -> pa.Table:
    """``rows`` with each column cast to its schema type; aware timestamps become naive UTC.

    Raises ``ValueError`` naming ``what`` and the column if a value does not convert.
    """
    cols = []
    for name, col in zip(rows.column_names, rows.columns, strict=True):
        target = ARROW_TYPES[types[name]]
        if col.type != target:
            try:
                col = col.cast(target, safe=not pa.types.is_timestamp(col.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ValueError(f"{what}: column {name!r} ({col.type}) does not convert to "
                                 f"{types[name]}: {exc}. Fix its values before writing.") from None
        cols.append(col)
    return pa.Table.from_arrays(cols, names=rows.column_names)


def _check(rows: pa.Table, required: list[str], allowed: dict[str, str], what: str) -> None:
    if not isinstance(rows, pa.Table):
        raise TypeError(f"{what}: rows must be a pyarrow.Table, got {type(rows).__name__}")
    missing = [c for c in required if c not in rows.column_names]
    unknown = [c for c in rows.column_names if c not in allowed]
    if missing or unknown:
        raise SchemaError(f"{what}: missing columns {missing}, columns not in the schema "
                          f"{unknown}; allowed: {sorted(allowed)}")
    for c in required:
        col = rows.column(c)
        if col.null_count:
            first = col.is_null().index(True).as_py()
            raise ValueError(f"{what}: {col.null_count} rows have no {c!r} (first: row "
                             f"{first}); drop or fix them before writing")


def _full(rows: pa.Table, types: dict[str, str]) -> pa.Table:
    """Every column of ``types`` in declared order (COPY maps columns by position)."""
    n = rows.num_rows
    cols = [rows.column(c) if c in rows.column_names else pa.nulls(n, ARROW_TYPES[t])
            for c, t in types.items()]
    return pa.Table.from_arrays(cols, names=list(types))


def _last_per_key(rows: pa.Table, key: str) -> pa.Table:
    """One row per key, the last one given (a delta's later row wins)."""
    if pc.count_distinct(rows.column(key)).as_py() == rows.num_rows:
        return rows
    idx = pa.array(range(rows.num_rows))
    last = (pa.table({"k": rows.column(key), "i": idx}).group_by("k")
            .aggregate([("i", "max")]).column("i_max"))
    return rows.take(last.take(pc.sort_indices(last)))


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

    def write_nodes(self, label: str, rows: pa.Table) -> int:
        """Upsert nodes: new keys COPYed, existing keys get the given columns updated."""
        node = self.schema.node(label)
        what = f"write_nodes({label})"
        self._forget_degrees()
        _check(rows, [node.key], node.properties, what)
        if rows.num_rows == 0:
            return 0
        rows = _last_per_key(cast_columns(rows, node.properties, what), node.key)
        empty = int(self._q(self.q.count_nodes(label))[0]["c"]) == 0
        existing = set() if empty else self._existing(label, rows.column(node.key))
        is_old = pc.is_in(rows.column(node.key), pa.array(list(existing), pa.string()))
        new, old = rows.filter(pc.invert(is_old)), rows.filter(is_old)
        if new.num_rows:
            self._copy(label, _full(new, node.properties))
        props = [c for c in old.column_names if c != node.key]
        if old.num_rows and props:
            sets = ", ".join(f"n.{ident(p)} = row.{ident(p)}" for p in props)
            q = (f"UNWIND $rows AS row MATCH (n:{ident(label)}) "
                 f"WHERE n.{ident(node.key)} = row.{ident(node.key)} SET {sets}")
            for i in range(0, old.num_rows, UPDATE_BATCH):
                self.query(q, {"rows": old.slice(i, UPDATE_BATCH).to_pylist()})
        return rows.num_rows

    def write_edges(self, edge_type: str, from_label: str, to_label: str, rows: pa.Table,
                    batch: str) -> int:
        """Replace the edges of ``batch`` with ``rows`` (``from_key``, ``to_key``, properties).

        Rows whose endpoints are missing are dropped; returns the edges written.
        """
        edge = self.schema.edge(edge_type)
        if (from_label, to_label) not in edge.pairs:
            raise SchemaError(f"{edge_type} does not join {from_label} -> {to_label}; "
                              f"declared pairs: {list(edge.pairs)}")
        if not isinstance(batch, str) or not batch:
            raise ValueError(f"write_edges({edge_type}): batch must be a non-empty string")
        what = f"write_edges({edge_type}, {from_label}->{to_label})"
        self._forget_degrees()
        types = {"from_key": "STRING", "to_key": "STRING", **edge.properties}
        _check(rows, ["from_key", "to_key"], types, what)
        rows = cast_columns(rows, types, what)
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
