"""Neo4j-only Cypher for writes, and the conversion of Arrow rows into query parameters.

Each builder returns query text in which only schema identifiers appear (checked and
back-quoted by ``graph.schema.ident``); every value travels as a ``$parameter``. The store
checks that labels, edge types and property names exist in the schema before calling them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from graph.schema import TIME_PROPERTIES, ident
from graph.store.rows import cast_to_schema, last_per_key  # re-exported: shared with Ladybug

__all__ = [
    "merge_nodes_query", "create_nodes_query", "delete_batch_query", "delete_nodes_query",
    "create_edges_query", "shortest_path_query", "text_index_query",
    "cast_to_schema", "temporal_as_text", "last_per_key", "iter_row_batches", "to_neo4j_value",
]


# Temporal columns travel as ISO-8601 text and are parsed by the server: the driver turns each
# Python date/datetime into a Bolt structure through a Python hook, which measured ~100 us per
# value (one TIMESTAMP column cut a 5,000-row Declaration batch from 162k to 8k rows/s packed,
# even with the Rust extension); text packs at native speed.
TEMPORAL_FUNCTIONS = {"DATE": "date", "TIMESTAMP": "localdatetime"}


def _temporal_sets(var: str, source: str, temporal: Mapping[str, str]) -> str:
    """``, n.`p` = localdatetime(row.`p`)`` for each temporal column (after ``+=``)."""
    return "".join(f", {var}.{ident(p)} = {TEMPORAL_FUNCTIONS[t]}({source}.{ident(p)})"
                   for p, t in temporal.items())


def merge_nodes_query(label: str, key: str, temporal: Mapping[str, str] | None = None) -> str:
    """Upsert a batch ``$rows`` of property maps keyed by ``key``; returns ``written``.

    ``temporal`` maps the batch's DATE/TIMESTAMP columns (sent as text, see
    :func:`temporal_as_text`) to their type, so the server stores them as Date/LocalDateTime.
    """
    return (f"UNWIND $rows AS row\n"
            f"MERGE (n:{ident(label)} {{{ident(key)}: row.{ident(key)}}})\n"
            f"SET n += row{_temporal_sets('n', 'row', temporal or {})}\n"
            f"RETURN count(*) AS written")


def create_nodes_query(label: str, temporal: Mapping[str, str] | None = None) -> str:
    """Create one node per row of ``$rows`` (keys the caller knows to be new); returns
    ``written``. No look-up before each write, as ``MERGE`` does: the uniqueness
    constraint still rejects the whole batch if a key exists (the caller then merges it).
    ``temporal`` as for :func:`merge_nodes_query`."""
    return (f"UNWIND $rows AS row\n"
            f"CREATE (n:{ident(label)})\n"
            f"SET n += row{_temporal_sets('n', 'row', temporal or {})}\n"
            f"RETURN count(*) AS written")


def delete_batch_query(edge_type: str, from_label: str, to_label: str) -> str:
    """Delete up to ``$limit`` edges of one type and label pair written by batch ``$batch``;
    returns ``deleted``. Run until it deletes fewer than ``$limit``: one bounded transaction
    each, because ``CALL {} IN TRANSACTIONS`` cannot run inside ``execute_query``."""
    return (f"MATCH (:{ident(from_label)})-[r:{ident(edge_type)}]->(:{ident(to_label)})\n"
            f"WHERE r._batch = $batch\n"
            f"WITH r LIMIT $limit\n"
            f"DELETE r\n"
            f"RETURN count(*) AS deleted")


def delete_nodes_query(label: str, key: str) -> str:
    """Delete the nodes of ``label`` whose ``key`` is in ``$keys`` and that have no edges
    (a unique-index seek per key); returns ``deleted``."""
    return (f"UNWIND $keys AS key\n"
            f"MATCH (n:{ident(label)} {{{ident(key)}: key}})\n"
            f"WHERE NOT EXISTS {{ (n)--() }}\n"
            f"DELETE n\n"
            f"RETURN count(*) AS deleted")


def create_edges_query(edge_type: str, from_label: str, from_key: str, to_label: str,
                       to_key: str, temporal: Mapping[str, str] | None = None) -> str:
    """Create one edge per row of ``$rows`` (``from_key``, ``to_key``, ``props``) between
    existing nodes, tagged ``_batch = $batch``; returns ``written`` (rows with a missing
    endpoint create nothing). ``temporal`` as for :func:`merge_nodes_query`, over ``props``."""
    return (f"UNWIND $rows AS row\n"
            f"MATCH (a:{ident(from_label)} {{{ident(from_key)}: row.from_key}})\n"
            f"MATCH (b:{ident(to_label)} {{{ident(to_key)}: row.to_key}})\n"
            f"CREATE (a)-[r:{ident(edge_type)}]->(b)\n"
            f"SET r += row.props{_temporal_sets('r', 'row.props', temporal or {})}, "
            f"r._batch = $batch\n"
            f"RETURN count(r) AS written")


def nodes_by_keys_query(label: str, key: str) -> str:
    """The nodes of ``label`` whose key is in ``$keys``: element id, key and properties."""
    return (f"MATCH (n:{ident(label)}) WHERE n.{ident(key)} IN $keys\n"
            f"RETURN elementId(n) AS id, n.{ident(key)} AS key, properties(n) AS props")


# Every edge among a set of nodes given by element id, in one statement (subgraph).
EDGES_AMONG_QUERY = ("MATCH (a)-[r]->(b) WHERE elementId(a) IN $ids AND elementId(b) IN $ids\n"
                     "RETURN elementId(a) AS a, type(r) AS type, elementId(b) AS b, "
                     "properties(r) AS eprops")


def text_index_query(label: str, prop: str) -> str:
    """A TEXT index on ``label.prop``: what serves ``CONTAINS``/``STARTS WITH`` search."""
    name = ident(f"{label.lower()}_{prop}_text")
    return f"CREATE TEXT INDEX {name} IF NOT EXISTS FOR (n:{ident(label)}) ON (n.{ident(prop)})"


def shortest_path_query(from_label: str, from_key: str, to_label: str, to_key: str,
                        max_hops: int, hub_labels: tuple[str, ...] | list[str],
                        key_expr: str) -> str:
    """One shortest undirected path between ``$a`` and ``$b`` of at most ``max_hops`` edges
    whose inner nodes are neither of ``hub_labels`` nor of more than ``$max_degree`` edges;
    one end may be such a hub, not both (no rows then, as when an end is missing).

    The bound must be a literal in a variable-length pattern, so ``max_hops`` (an int in
    1-6) is the one number formatted into the text. ``key_expr`` is the node key
    expression over ``n`` (``Q.key_of``). Returns ``nodes`` as ``[label, key]`` pairs and
    ``types``.
    """
    hops = int(max_hops)
    if not 1 <= hops <= 6:
        raise ValueError(f"max_hops must be between 1 and 6, not {max_hops}")
    not_hub = "".join(f"NOT n:{ident(h)} AND " for h in hub_labels)
    # An end of a hub label is a hub whatever its degree: only the other's degree decides.
    ends = [f"COUNT {{ ({v})--() }} <= $max_degree"
            for v, lab in (("a", from_label), ("b", to_label)) if lab not in hub_labels]
    # `all(n IN nodes(p) ...)` is a universal predicate: Neo4j checks it during its
    # bidirectional search instead of filtering paths afterwards.
    return (f"MATCH (a:{ident(from_label)} {{{ident(from_key)}: $a}})\n"
            f"MATCH (b:{ident(to_label)} {{{ident(to_key)}: $b}})\n"
            f"WITH a, b WHERE {' OR '.join(ends) or 'false'}\n"
            f"MATCH p = shortestPath((a)-[*..{hops}]-(b))\n"
            f"WHERE all(n IN nodes(p) WHERE n = a OR n = b OR "
            f"({not_hub}COUNT {{ (n)--() }} <= $max_degree))\n"
            f"RETURN [n IN nodes(p) | [labels(n)[0], {key_expr}]] AS nodes, "
            f"[r IN relationships(p) | type(r)] AS types")


# -- values ---------------------------------------------------------------------------------

def temporal_as_text(table: pa.Table, types: Mapping[str, str]) -> tuple[pa.Table, dict]:
    """DATE columns as ``YYYY-MM-DD`` and TIMESTAMP columns (already naive UTC, see
    :func:`cast_to_schema`) as ``YYYY-MM-DDTHH:MM:SS.ffffff``; also returns which columns
    were converted, with their schema type, for the query builders."""
    temporal = {c: types[c] for c in table.column_names if types[c] in TEMPORAL_FUNCTIONS}
    for c, t in temporal.items():
        col = table.column(c)
        text = (col.cast(pa.string()) if t == "DATE"
                else pc.strftime(col, format="%Y-%m-%dT%H:%M:%S"))
        table = table.set_column(table.column_names.index(c), c, text)
    return table, temporal


def iter_row_batches(table: pa.Table, size: int) -> Iterator[list[dict[str, Any]]]:
    """``table`` as lists of at most ``size`` row dicts, converted batch by batch."""
    if size < 1:
        raise ValueError(f"batch size must be positive, got {size}")
    for start in range(0, table.num_rows, size):
        yield table.slice(start, size).to_pylist()


def to_neo4j_value(value: Any) -> Any:
    """A query parameter the driver stores as we read it back: aware datetimes become naive
    UTC (stored timestamps are naive UTC), recursively through lists and dicts.

    Examples
    --------
    >>> import datetime as dt
    >>> cst = dt.timezone(dt.timedelta(hours=8))
    >>> to_neo4j_value({"since": dt.datetime(2024, 1, 1, 8, tzinfo=cst)})
    {'since': datetime.datetime(2024, 1, 1, 0, 0)}
    """
    if isinstance(value, dt.datetime):
        if hasattr(value, "to_pydatetime"):  # pandas.Timestamp
            value = value.to_pydatetime()
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    if isinstance(value, dict):
        return {k: to_neo4j_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_neo4j_value(v) for v in value]
    return value


# -- neighbourhood walk in one statement ---------------------------------------------------

# The columns of each edge in a walk statement's ``rows`` (see neighbourhood_query).
WALK_COLUMNS = ("out", "type", "eprops", "blabel", "bkey", "btime", "bid")


def _types(edge_types: list[str] | None) -> str:
    return ":" + "|".join(ident(t) for t in edge_types) if edge_types else ""


def _time_of(q: Any, var: str) -> str:
    """The time property of node ``var`` (NULL for undated labels)."""
    whens = " ".join(f"WHEN '{lab}' THEN {var}.{ident(p)}" for lab, p in TIME_PROPERTIES.items()
                     if lab in q.schema.nodes)
    return f"CASE labels({var})[0] {whens} END"


def _expand_levels(q: Any, edge_types: list[str] | None, windowed: bool) -> str:
    """From rows ``m``, ``d``: each node's degree and its edges (the start's, ``d`` 0, up to
    ``$fetch``; others' up to ``$cap``, none if they have more than ``$max_degree``), one
    row per node."""
    t = _types(edge_types)
    names = list(q.schema.nodes)
    row = (f"[startNode(e) = m, type(e), properties(e), labels(b)[0], {q.key_of('b', names)}, "
           f"{_time_of(q, 'b') if windowed else 'null'}, elementId(b)]")
    return (f"WITH m, d, COUNT {{ (m)-[{t}]-() }} AS deg\n"
            f"CALL {{\n  WITH m, d\n  MATCH (m)-[e{t}]-(b) WHERE d = 0\n"
            f"  WITH m, e, b LIMIT $fetch\n  RETURN collect({row}) AS first\n}}\n"
            f"CALL {{\n  WITH m, d, deg\n"
            f"  MATCH (m)-[e{t}]-(b) WHERE d > 0 AND deg <= $max_degree\n"
            f"  WITH m, e, b LIMIT $cap\n  RETURN collect({row}) AS rest\n}}\n"
            f"RETURN d, elementId(m) AS mid, labels(m)[0] AS mlabel, {q.key_of('m', names)} "
            f"AS mkey, deg, CASE WHEN d = 0 THEN properties(m) END AS props, "
            f"first + rest AS rows")


def _within_budget(indent: str, t: str) -> str:
    """From rows ``m`` (in the walk's order): those while the edges of the ones before come
    to less than ``$budget`` (at least the first): as many as are read (a hub's, more than
    ``$max_degree``, none; others' up to ``$cap``)."""
    return (f"{indent}WITH collect([m, COUNT {{ (m)-[{t}]-() }}]) AS md\n"
            f"{indent}UNWIND range(0, size(md) - 1) AS i\n"
            f"{indent}WITH md[i][0] AS m, reduce(n = 0, j IN range(0, i - 1) | n + "
            f"CASE WHEN md[j][1] > $max_degree THEN 0 WHEN md[j][1] > $cap THEN $cap "
            f"ELSE md[j][1] END) AS before "
            f"WHERE before < $budget\n")


def neighbourhood_query(q: Any, label: str, hops: int, edge_types: list[str] | None,
                        hub_labels: tuple[str, ...] | list[str], windowed: bool) -> str:
    """The edges a breadth-first neighbourhood walks on its first two levels, in one
    statement. One row per node expanded: the start (``d`` 0) and, when ``hops`` > 1 and its
    neighbours do not fill ``$limit`` already, those the walk expands next (``d`` 1: not of
    ``hub_labels``; with ``windowed``, not dated outside ``$since``/``$until``).

    Columns: ``d``, ``mid`` (element id), ``mlabel``, ``mkey``, ``deg`` (edges of the walked
    types), ``props`` (the start's only) and ``rows``: per edge the :data:`WALK_COLUMNS`. ``q``
    is the store's :class:`~graph.store.queries.Q`. The caller applies the walk's rules
    (limit, hubs, window) to these rows, as to those of one node at a time.
    """
    lab, k = q._lk(label)
    t = _types(edge_types)
    level1 = ""
    if hops > 1:
        not_hub = " AND ".join(f"NOT m:{ident(h)}" for h in hub_labels) or "true"
        x = "x"
        if windowed:
            tx = _time_of(q, "x")
            x = (f"CASE WHEN ($since IS NULL OR coalesce({tx} >= $since, true)) AND "
                 f"($until IS NULL OR coalesce({tx} <= $until, true)) THEN x END")
        # The start's neighbours as the walk keeps them (the same first $fetch edges, in
        # the window); when they fill the limit, level 1 is never walked: nothing to read.
        # Else those the walk expands, in its order, while the edges of the ones before
        # come to less than $budget: the walk stops at the limit, and asks for more itself.
        level1 = (f"  UNION\n  WITH n0\n  MATCH (n0)-[{t}]-(x)\n  WITH x LIMIT $fetch\n"
                  f"  WITH collect(DISTINCT {x}) AS xs WHERE size(xs) < $limit - 1\n"
                  f"  UNWIND xs AS m\n  WITH m WHERE {not_hub}\n"
                  f"{_within_budget('  ', t)}  RETURN m, 1 AS d\n")
    return (f"MATCH (n0:{lab}) WHERE n0.{k} = $key\n"
            f"CALL {{\n  WITH n0\n  RETURN n0 AS m, 0 AS d\n{level1}}}\n"
            f"{_expand_levels(q, edge_types, windowed)}")


def frontier_by_id_query(q: Any, edge_types: list[str] | None, windowed: bool) -> str:
    """:func:`neighbourhood_query`'s rows (``d`` 1) for the nodes whose element ids are
    ``$ids``, in that order, under the same ``$budget``: the walk's next nodes."""
    return (f"UNWIND $ids AS id MATCH (m) WHERE elementId(m) = id\n"
            f"{_within_budget('', _types(edge_types))}"
            f"WITH m, 1 AS d\n{_expand_levels(q, edge_types, windowed)}")


# The properties of nodes given by element id (a neighbourhood's kept nodes, in one statement).
PROPS_BY_ID_QUERY = ("UNWIND $ids AS id MATCH (n) WHERE elementId(n) = id\n"
                     "RETURN id, properties(n) AS props")
