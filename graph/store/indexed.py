"""The query API's traversals on an adjacency index, for stores that can build one.

``store.use_adjacency()`` builds the index once (:mod:`graph.store.adjacency`); from then
on ``neighbourhood`` and ``shortest_path`` walk it instead of sending one Cypher query per
node, with the same results up to the order in which a limit cuts them. Nodes' properties
still come from the store. Worth it in a long-lived process (the app, a benchmark); a
one-shot CLI command would spend more on the build than it saves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np

from graph.store.adjacency import Adjacency, nodes_query, to_micros
from graph.store.base import NodeRef, PathResult, Subgraph
from graph.store.index_walks import neighbourhood_ids, shortest_path_ids

__all__ = ["IndexedWalksMixin", "edge_order"]


def edge_order(edge: tuple[NodeRef, str, NodeRef, dict[str, Any]]) -> tuple:
    """Sort key of a subgraph's edges: ends and type, then properties (parallel edges)."""
    a, t, b, props = edge
    return a, t, b, sorted((k, repr(v)) for k, v in props.items())


class IndexedWalksMixin:
    """Mixed into :class:`~graph.store.cypher_base.CypherStore`."""

    def _build_adjacency(self, progress: Callable[[str], None] | None) -> Adjacency | None:
        return None  # a server store (Neo4j) walks its own adjacency

    def use_adjacency(self, progress: Callable[[str], None] | None = None
                      ) -> Adjacency | None:
        """Build the adjacency index (once; a write or ``reopen`` drops it) and walk it from
        now on. ``progress(step)`` hears about each table exported. Returns the index, or
        None for a store that has none (Neo4j: its server walks its own adjacency), so a
        caller can call it on any store."""
        adj = self.__dict__.get("_adjacency")
        if adj is None:
            adj = self._build_adjacency(progress)
            if adj is not None:
                self.__dict__["_adjacency"] = adj
        return adj

    @property
    def adjacency(self) -> Adjacency | None:
        """The adjacency index in use, or None."""
        return self.__dict__.get("_adjacency")

    def _drop_adjacency(self) -> None:
        self.__dict__.pop("_adjacency", None)
        self.__dict__.pop("_path_blocked_mask", None)

    def _look_up(self, adj: Adjacency, label: str, keys: list[str]
                 ) -> list[tuple[NodeRef, int, dict[str, Any]]]:
        """``(ref, node id, properties)`` of the nodes of ``label`` among ``keys`` that
        exist: one key look-up query."""
        rows = self._q((nodes_query(self.schema, label), {"keys": keys}))
        return [(NodeRef(label, str(r["key"])), adj.gid(label, int(r["o"])),
                 self._node_props(label, r["props"])) for r in rows]

    def _gid(self, adj: Adjacency, ref: NodeRef) -> int | None:
        found = self._look_up(adj, ref.label, [ref.key])
        return found[0][1] if found else None

    def _indexed_neighbourhood(self, adj: Adjacency, ref: NodeRef, hops: int, limit: int,
                               since: datetime | None, until: datetime | None,
                               edge_types: list[str] | None) -> Subgraph:
        sg = Subgraph()
        found = self._look_up(adj, ref.label, [ref.key])
        if not found:
            return sg
        _, g, start = found[0]
        types = adj.type_mask(edge_types)
        res = neighbourhood_ids(adj, g, hops, limit, hub_labels=adj.label_mask(self.hub_labels),
                                max_degree=self.max_degree, type_mask=types,
                                since=to_micros(since), until=to_micros(until))
        sg.nodes[ref] = start
        added: dict[NodeRef, dict[str, Any]] = {r: {} for r in adj.refs(res.nodes[1:])}
        self._fill_props(added)
        sg.nodes.update(added)
        if self._is_hub(ref, res.start_degree):
            sg.hubs.append(ref)
        sg.hubs += adj.refs(res.hubs)
        seen = set()
        for a, t, b, props in adj.edge_rows(res.edges):
            k = (a, t, b, tuple(sorted(props.items(), key=str)))
            if k not in seen:  # parallel edges with equal properties show once, as in Cypher
                seen.add(k)
                sg.edges.append((a, t, b, props))
        sg.truncated = res.truncated or bool(sg.hubs)
        return sg

    def _path_blocked(self, adj: Adjacency) -> np.ndarray:
        """Per node id: may not sit inside a path (hub label, or too many edges)."""
        rule = (self.path_max_degree, tuple(self.hub_labels))  # either may be changed
        cached = self.__dict__.get("_path_blocked_mask")
        if cached is None or cached[0] != rule:
            blocked = adj.degree > self.path_max_degree
            for i, lab in enumerate(adj.labels):
                if lab in self.hub_labels:
                    blocked[adj.base[i]:adj.base[i + 1]] = True
            cached = self.__dict__["_path_blocked_mask"] = (rule, blocked)
        return cached[1]

    def _indexed_path(self, adj: Adjacency, a: NodeRef, b: NodeRef,
                      max_hops: int) -> PathResult | None:
        ga, gb = self._gid(adj, a), self._gid(adj, b)
        if ga is None or gb is None:
            return None
        found = shortest_path_ids(adj, ga, gb, max_hops, blocked=self._path_blocked(adj))
        if found is None:
            return None
        nodes, eids = found
        refs = [a, *adj.refs(nodes[1:-1]), b] if len(nodes) > 1 else [a]
        types = [adj.tables[int(t)].type for t in adj.table_of(np.array(eids, np.int64))]
        return PathResult(refs, types)

    def _indexed_sharing(self, adj: Adjacency, ref: NodeRef, limit: int
                         ) -> list[tuple[NodeRef, str, NodeRef]]:
        """:meth:`CypherStore.sharing_identifier` on the index: ``ref``'s pivots, then each
        pivot's other non-pivot, non-derived neighbours (at most ``limit`` edges per pivot),
        from the arrays. In Cypher this was two queries per pivot, seconds for a busy
        seller at 1M declarations."""
        g = self._gid(adj, ref)
        if g is None:
            return []
        schema = self.schema
        pivots = adj.label_mask(schema.pivots())
        skip = pivots | adj.label_mask(lab for lab, n in schema.nodes.items() if n.derived)
        _, _, near, _ = adj.entries(np.array([g], np.int64))
        piv = np.unique(near[pivots[adj.label_of(near)]])[:10_000]
        if len(piv) == 0:
            return []
        i, e, other, _ = adj.entries(piv)
        keep = ~skip[adj.label_of(other)] & (other != g)
        i, e, other = i[keep], e[keep], other[keep]
        # entries come grouped by pivot: keep each group's first `limit`
        rank = np.arange(len(i)) - np.searchsorted(i, i, side="left")
        cut = rank < limit
        i, e, other = i[cut], e[cut], other[cut]
        types = [adj.tables[t].type for t in adj.table_of(e).tolist()]
        out = set(zip(adj.refs(other), types, adj.refs(piv[i]), strict=True))
        return sorted(out)

    def _indexed_subgraph(self, adj: Adjacency, refs: list[NodeRef]) -> Subgraph:
        """:meth:`CypherStore.subgraph` on the index: one look-up query per label for the
        nodes, the edges among them from the arrays."""
        sg = Subgraph()
        by_label: dict[str, list[str]] = {}
        for r in sorted(set(refs)):
            self.schema.node(r.label)
            by_label.setdefault(r.label, []).append(r.key)
        gids: dict[int, NodeRef] = {}
        for label, keys in by_label.items():
            for ref, g, props in self._look_up(adj, label, keys):
                sg.nodes[ref] = props
                gids[g] = ref
        sg.nodes = dict(sorted(sg.nodes.items()))
        if gids:
            members = np.fromiter(gids, np.int64, len(gids))
            _, e, other, _ = adj.entries(members)
            eids = np.unique(e[np.isin(other, members)])
            sg.edges = sorted(adj.edge_rows(eids), key=edge_order)
        return sg
