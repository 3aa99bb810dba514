"""Reads and clean-ups for what detection writes into a store (rings, risk), both backends.

Detection (``graph.detection.results``) writes through the ordinary ``write_nodes`` /
``write_edges`` of the ``GraphStore`` interface; what the interface has no call for (every
node of a small label, dropping a whole label before a new ring set replaces it) lives here,
so Cypher stays inside ``graph/store``. Labels and property names are checked by the schema;
values travel as ``$parameters``.
"""

from __future__ import annotations

from typing import Any

from graph.schema import ident

__all__ = ["all_nodes", "delete_label", "nodes_with_property"]


def _store_query(store: Any, query: str, params: dict | None = None) -> list[dict]:
    if not hasattr(store, "query"):
        raise TypeError(f"{type(store).__name__} has no query(): detection results need a "
                        f"Cypher store (Ladybug or Neo4j)")
    return store.query(query, params or {})


def all_nodes(store: Any, label: str) -> list[dict[str, Any]]:
    """Every node of ``label`` as a dict of its declared, set properties (small labels
    only: the whole label comes back in one query)."""
    node = store.schema.node(label)
    rows = _store_query(store, f"MATCH (n:{ident(label)}) RETURN properties(n) AS props")
    known = node.properties
    return [{k: v for k, v in (r["props"] or {}).items() if k in known and v is not None}
            for r in rows]


def nodes_with_property(store: Any, label: str, prop: str) -> list[dict[str, Any]]:
    """``key`` and ``value`` of the nodes of ``label`` whose ``prop`` is set."""
    node = store.schema.node(label)
    if prop not in node.properties:
        raise KeyError(f"{label} has no property {prop!r}")
    return _store_query(store, f"MATCH (n:{ident(label)}) WHERE n.{ident(prop)} IS NOT NULL "
                               f"RETURN n.{ident(node.key)} AS key, n.{ident(prop)} AS value")


def delete_label(store: Any, label: str) -> int:
    """Delete every node of a derived ``label`` with its edges; returns how many nodes.

    Refuses labels the ETL owns: their nodes come back only by reloading.
    """
    node = store.schema.node(label)
    if not node.derived:
        raise ValueError(f"{label} is written by the ETL; only derived labels can be dropped")
    n = int(_store_query(store, f"MATCH (n:{ident(label)}) RETURN count(n) AS c")[0]["c"])
    if n:
        _store_query(store, f"MATCH (n:{ident(label)}) DETACH DELETE n")
        forget = getattr(store, "_forget_degrees", None)
        if forget:
            forget()
    return n
