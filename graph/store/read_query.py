"""Analysts' own Cypher, read-only: the app's Query page and notebooks.

:func:`read_query` runs one statement with ``$parameters``, a row limit and a timeout,
in a read-only connection or session:

- embedded store: the app opens the database ``read_only`` (Ladybug refuses any write on
  it); the statement runs under ``Connection.set_query_timeout`` and only ``limit + 1``
  rows are fetched;
- Neo4j: a ``READ`` session (the server refuses writes in it) and a transaction timeout;
  records are pulled one by one up to the limit.

A statement with a write clause is refused before it is sent, with a clear message (the
read-only connection is the guarantee; this is the friendly early answer).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ReadResult", "ReadOnlyQueryError", "read_query", "node_refs"]

_WRITE = re.compile(r"\b(CREATE|MERGE|SET|DELETE|DETACH|REMOVE|DROP|ALTER|COPY|LOAD|INSTALL|"
                    r"ATTACH|IMPORT|EXPORT|FOREACH|USE|CHECKPOINT|BEGIN|COMMIT|ROLLBACK)\b",
                    re.I)
_STRINGS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`")


class ReadOnlyQueryError(ValueError):
    """The statement would write, or the limit or timeout is out of range."""


@dataclass
class ReadResult:
    """Rows of a read-only query: ``columns``, ``rows`` (dicts), whether the row limit cut
    them short, and the seconds it took."""

    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False
    seconds: float = 0.0

    def to_df(self):
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)


def check_read_only(query: str) -> None:
    """Raise :class:`ReadOnlyQueryError` if ``query`` (outside its string literals and
    back-quoted names) has a write or administration clause.

    >>> check_read_only("MATCH (n:Person) WHERE n.name = 'SET' RETURN n LIMIT 5")
    >>> check_read_only("MATCH (n) DETACH DELETE n")
    Traceback (most recent call last):
    ...
    graph.store.read_query.ReadOnlyQueryError: read-only queries only: DETACH is not allowed here
    """
    hit = _WRITE.search(_STRINGS.sub("''", query))
    if hit:
        raise ReadOnlyQueryError(f"read-only queries only: {hit.group(1).upper()} is not "
                                 f"allowed here")


def _ladybug(store, query: str, params: dict, limit: int, timeout_s: float) -> ReadResult:
    if not store.read_only:
        raise ReadOnlyQueryError("open the embedded store with read_only=True to run "
                                 "analysts' queries on it")
    conn = store._conn
    if conn is None:
        raise RuntimeError(f"{store!r} is closed")
    conn.set_query_timeout(int(timeout_s * 1000))
    try:
        res = conn.execute(query, params)
        res = res[-1] if isinstance(res, list) else res
        try:
            cols = res.get_column_names()
            rows = [dict(zip(cols, r, strict=True)) for r in res.get_n(limit + 1)]
        finally:
            res.close()
    finally:
        conn.set_query_timeout(0)
    return ReadResult(cols, rows[:limit], len(rows) > limit)


def _neo4j_value(v: Any) -> Any:
    import neo4j.graph

    from graph.store.neo4j_runner import to_python

    if isinstance(v, neo4j.graph.Node):
        return {"_label": next(iter(v.labels), ""), **to_python(dict(v.items()))}
    if isinstance(v, neo4j.graph.Relationship):
        return {"_label": v.type, **to_python(dict(v.items()))}
    if isinstance(v, neo4j.graph.Path):
        return [_neo4j_value(n) for n in v.nodes]
    return to_python(v)


def _neo4j(store, query: str, params: dict, limit: int, timeout_s: float) -> ReadResult:
    import neo4j

    from graph.store.neo4j_cypher import to_neo4j_value

    runner = store.runner
    with runner.driver.session(database=runner.database,
                               default_access_mode=neo4j.READ_ACCESS) as session:
        result = session.run(neo4j.Query(query, timeout=timeout_s), to_neo4j_value(params))
        cols = list(result.keys())
        rows = []
        for record in result:
            if len(rows) == limit:
                return ReadResult(cols, rows, True)
            rows.append({k: _neo4j_value(record[k]) for k in cols})
    return ReadResult(cols, rows, False)


def read_query(store, query: str, params: dict | None = None, *, limit: int = 1000,
               timeout_s: float = 10.0) -> ReadResult:
    """Run one read-only Cypher statement; at most ``limit`` rows, at most ``timeout_s``
    seconds. Raises :class:`ReadOnlyQueryError` for a writing statement, and the store's
    :class:`~graph.store.cypher_base.GraphQueryError` when the statement fails (syntax,
    timeout), naming the query."""
    from graph.store.cypher_base import GraphQueryError

    if not 1 <= limit <= 100_000:
        raise ReadOnlyQueryError(f"row limit must be between 1 and 100,000, not {limit}")
    if not 0 < timeout_s <= 600:
        raise ReadOnlyQueryError(f"timeout must be between 0 and 600 s, not {timeout_s}")
    check_read_only(query)
    run = _neo4j if store.dialect.name.lower().startswith("neo4j") else _ladybug
    t0 = time.perf_counter()
    try:
        out = run(store, query, dict(params or {}), int(limit), float(timeout_s))
    except ReadOnlyQueryError:
        raise
    except Exception as exc:
        short = query if len(query) <= 300 else query[:300] + "..."
        raise GraphQueryError(f"{store.dialect.name} query failed: {exc}\n  query: {short}"
                              f"\n  parameters: {sorted(params or {})}") from exc
    out.seconds = time.perf_counter() - t0
    return out


def node_refs(result: ReadResult, schema) -> list:
    """The nodes among a result's values (node objects returned by the query, in lists and
    paths too) as ``NodeRef`` s, for drawing: a dict with a ``_label`` (``_LABEL`` on
    Ladybug) of the schema and that label's key property."""
    from graph.store.base import NodeRef

    out: dict = {}

    def visit(v):
        if isinstance(v, dict):
            label = v.get("_label", v.get("_LABEL"))  # Neo4j rows (ours), Ladybug
            if label in schema.nodes:
                key = v.get(schema.node(label).key)
                if key is not None:
                    out[NodeRef(label, str(key))] = None
                    return
            for x in v.values():
                visit(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                visit(x)

    for row in result.rows:
        for v in row.values():
            visit(v)
    return list(out)
