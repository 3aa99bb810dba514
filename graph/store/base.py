"""The ``GraphStore`` contract shared by every store, and the typed results of its queries.

Writers (the ETL) hand over *deltas*: node rows keyed by the schema's key, edge rows with
``from_key``/``to_key``, and the keys of nodes to retract. Every write method is
idempotent, so a load killed half-way and run again ends in the same state as one
uninterrupted load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa

__all__ = ["NodeRef", "EntityHit", "Subgraph", "PathResult", "GraphStore"]


@dataclass(frozen=True, order=True)
class NodeRef:
    """A node by label and key value, e.g. ``NodeRef("Phone", "+8613800138000")``."""

    label: str
    key: str


@dataclass(frozen=True)
class EntityHit:
    """A search result: the node, how well it matched (0-100) and on which property."""

    ref: NodeRef
    score: float
    matched_on: str
    display: str
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class Subgraph:
    """Nodes with their properties and typed edges between them."""

    nodes: dict[NodeRef, dict[str, Any]] = field(default_factory=dict)
    edges: list[tuple[NodeRef, str, NodeRef, dict[str, Any]]] = field(default_factory=list)
    truncated: bool = False  # a limit cut the result short
    hubs: list[NodeRef] = field(default_factory=list)  # nodes shown but not expanded (degree cap)

    def nodes_df(self):
        """Nodes as a ``pandas.DataFrame``: ``label``, ``key`` and one column per property."""
        import pandas as pd

        return pd.DataFrame([{"label": r.label, "key": r.key, **p} for r, p in self.nodes.items()],
                            columns=None if self.nodes else ["label", "key"])

    def edges_df(self):
        """Edges as a ``pandas.DataFrame``: ``from_label, from_key, type, to_label, to_key``
        and the edge properties."""
        import pandas as pd

        cols = ["from_label", "from_key", "type", "to_label", "to_key"]
        rows = [{"from_label": a.label, "from_key": a.key, "type": t, "to_label": b.label,
                 "to_key": b.key, **p} for a, t, b, p in self.edges]
        return pd.DataFrame(rows, columns=None if rows else cols)

    def to_networkx(self):
        """A ``networkx.MultiDiGraph`` with ``label`` and properties on nodes, ``type`` on edges."""
        import networkx as nx

        g = nx.MultiDiGraph()
        for ref, props in self.nodes.items():
            g.add_node(ref, label=ref.label, **props)
        for a, typ, b, props in self.edges:
            g.add_edge(a, b, key=typ, type=typ, **props)
        return g


@dataclass
class PathResult:
    """A shortest path: the nodes in order and the edge types between consecutive nodes."""

    nodes: list[NodeRef]
    edge_types: list[str]

    @property
    def hops(self) -> int:
        return len(self.edge_types)


@runtime_checkable
class GraphStore(Protocol):
    """What every store offers. Implementations: ``LadybugStore`` (embedded), ``Neo4jStore``."""

    # -- lifecycle and schema ------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create node/edge tables (embedded) or constraints and indexes (Neo4j); idempotent."""

    def close(self) -> None: ...

    # -- writes (deltas from staging) ----------------------------------------------------
    def write_nodes(self, label: str, rows: pa.Table, *, new: bool = False) -> int:
        """Upsert nodes: new keys are created, existing keys get the given properties updated.

        ``rows`` has the schema key column and any subset of the label's properties.
        ``new`` is a hint that no key exists yet (the store may create without looking
        each up first); the result must be the same when it is wrong.
        Returns the number of rows written. Idempotent.
        """

    def write_edges(self, edge_type: str, from_label: str, to_label: str, rows: pa.Table,
                    batch: str) -> int:
        """Add edges ``(from_label {key: from_key})-[edge_type]->(to_label {key: to_key})``.

        ``rows`` has ``from_key``, ``to_key`` and any of the edge type's properties. ``batch``
        identifies this delta: writing the same batch again first removes what an earlier,
        possibly interrupted, attempt wrote, so the call is idempotent. Returns edges written.
        """

    def delete_nodes(self, label: str, keys: list[str]) -> int:
        """Delete the nodes of ``label`` with these keys that have no edges left.

        Keys not in the store are ignored; a node that still has an edge is kept (delete
        its edges first). Returns the nodes deleted. Idempotent.
        """

    def count_nodes(self, label: str | None = None) -> int: ...

    def count_edges(self, edge_type: str | None = None) -> int: ...

    # -- query API (used by the app and the CLI) -----------------------------------------
    def get_node(self, ref: NodeRef) -> dict[str, Any] | None: ...

    def find_nodes(self, label: str, equals: dict[str, Any] | None = None
                   ) -> list[dict[str, Any]]:
        """Nodes of ``label`` whose properties equal ``equals`` (all when None), in key
        order; a scan for small labels such as cases and audit records."""

    def search(self, text: str, labels: list[str] | None = None, limit: int = 20,
               fuzzy: bool = True) -> list[EntityHit]:
        """Find entities by name, phone, ID number or address; fuzzy by default."""

    def neighbourhood(self, ref: NodeRef, hops: int = 2, limit: int = 500,
                      since: datetime | None = None, until: datetime | None = None,
                      edge_types: list[str] | None = None) -> Subgraph:
        """The k-hop neighbourhood (k <= 3), at most ``limit`` nodes; time filters apply to
        dated nodes (orders, payments, waybills, declarations)."""

    def shortest_path(self, a: NodeRef, b: NodeRef, max_hops: int = 6) -> PathResult | None:
        """A shortest path of at most ``max_hops`` edges (either direction), or None if
        there is none; ``graph.store.paths.PathSearchGaveUp`` if a bounded search stopped
        before it could tell."""

    def sharing_identifier(self, ref: NodeRef) -> list[tuple[NodeRef, str, NodeRef]]:
        """Other entities sharing a pivot (phone, address, account, ID number, e-mail) with
        ``ref``: triples (other entity, edge type, shared pivot)."""

    def subgraph(self, refs: list[NodeRef]) -> Subgraph:
        """The given nodes and every edge among them."""
