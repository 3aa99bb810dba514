"""Neighbourhoods and shortest paths on an :class:`~graph.store.adjacency.Adjacency`.

The same rules as the Cypher walks in :class:`~graph.store.cypher_base.CypherStore`, a whole
level at a time on numpy arrays instead of one query per node:

- neighbourhood: breadth first, nodes kept in the order they are first met until
  ``limit``; hub labels are kept but never expanded, nor are nodes of more than
  ``max_degree`` edges beyond the start (both listed as hubs); nodes dated outside the
  window are left out and not expanded. Every walked edge between kept nodes is returned.
- shortest path: bidirectional breadth first, smaller frontier first; nodes of hub labels
  or more than ``path_max_degree`` edges never sit inside a path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from graph.store.adjacency import NO_TIME, Adjacency
from graph.store.paths import PathSearchGaveUp

__all__ = ["WalkResult", "neighbourhood_ids", "shortest_path_ids", "PATH_MAX_EXPANDED",
           "PATH_MAX_ENTRIES"]

# Bounds on a path search's work; beyond them it gives up (None). Far above the Cypher
# walk's 1,500 expansions: a numpy level costs microseconds per node.
PATH_MAX_EXPANDED = 200_000  # nodes expanded, both sides together
PATH_MAX_ENTRIES = 4_000_000  # edges read, both sides together (~0.3 s of numpy)


@dataclass
class WalkResult:
    nodes: list[int] = field(default_factory=list)  # in the order met; the start first
    edges: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # edge ids
    hubs: list[int] = field(default_factory=list)
    truncated: bool = False
    start_degree: int = 0  # the start's edges (of the types walked), read once


def _first_seen(values: np.ndarray) -> np.ndarray:
    """Distinct values in the order of their first occurrence."""
    uniq, first = np.unique(values, return_index=True)
    return uniq[np.argsort(first, kind="stable")]


def neighbourhood_ids(adj: Adjacency, start: int, hops: int, limit: int, *,
                      hub_labels: np.ndarray, max_degree: int,
                      type_mask: np.ndarray | None = None,
                      since: int | None = None, until: int | None = None) -> WalkResult:
    """Node ids within ``hops`` edges of ``start`` (see the module docstring).

    ``hub_labels``: boolean per label index; ``since``/``until``: window bounds in
    microseconds (:func:`~graph.store.adjacency.to_micros`).
    """
    res = WalkResult(nodes=[start])
    start_degree = None
    kept = np.array([start], np.int64)
    windowed = since is not None or until is not None
    edges: list[np.ndarray] = []
    frontier = kept
    for depth in range(hops):
        if frontier.size and len(res.nodes) >= limit:
            res.truncated = True  # full: the next level would only be thrown away
            break
        if depth > 0 and type_mask is None:
            hub = adj.degree[frontier] > max_degree  # before reading a hub's edges
            res.hubs += frontier[hub].tolist()
            frontier = frontier[~hub]
        i, e, b, _ = adj.entries(frontier, type_mask)
        if depth == 0:
            start_degree = len(e)  # its edges are read here anyway
        if depth > 0 and type_mask is not None and i.size:
            deg = np.bincount(i, minlength=len(frontier))  # edges of the given types
            hub = deg > max_degree
            res.hubs += frontier[hub].tolist()
            keep = ~hub[i]
            e, b = e[keep], b[keep]
        if b.size == 0:
            frontier = np.zeros(0, np.int64)
            continue
        known = np.isin(b, kept)
        if windowed:
            t = adj.times[b]
            inside = np.ones(b.size, bool)
            if since is not None:
                inside &= t >= since
            if until is not None:
                inside &= t <= until
            ok = known | inside | (t == NO_TIME)  # undated nodes are never left out
            e, b, known = e[ok], b[ok], known[ok]
        new = _first_seen(b[~known])
        room = limit - len(res.nodes)
        if new.size > room:
            res.truncated = True
            new = new[:max(room, 0)]
        keep = known | np.isin(b, new)
        edges.append(e[keep])
        res.nodes += new.tolist()
        kept = np.concatenate([kept, new])
        is_hub_label = hub_labels[adj.label_of(new)]
        if depth + 1 < hops:
            res.hubs += new[is_hub_label].tolist()
        frontier = new[~is_hub_label]
    if start_degree is None:  # the limit stopped the walk before the start's edges
        start_degree = len(adj.entries(np.array([start]), type_mask)[1])
    res.start_degree = start_degree
    all_edges = np.concatenate(edges) if edges else np.zeros(0, np.int64)
    res.edges = _first_seen(all_edges) if all_edges.size else all_edges
    res.truncated |= bool(res.hubs)
    return res


def shortest_path_ids(adj: Adjacency, a: int, b: int, max_hops: int, *,
                      blocked: np.ndarray, max_expanded: int = PATH_MAX_EXPANDED,
                      max_entries: int = PATH_MAX_ENTRIES
                      ) -> tuple[list[int], list[int]] | None:
    """``(node ids, edge ids)`` of a shortest ``a``-``b`` path of at most ``max_hops``
    edges, or None if there is none; :class:`~graph.store.paths.PathSearchGaveUp` past the
    bounds on the work.

    ``blocked``: boolean per node id, True for nodes that may not sit inside a path (they
    may be an end; a blocked end is reached but never expanded).
    """
    if a == b:
        return [a], []
    n = len(adj)
    # Per-search arrays: zeros() maps untouched pages lazily, so 4M nodes cost little.
    seen = [np.zeros(n, np.int8), np.zeros(n, np.int8)]
    depth = [np.zeros(n, np.int8), np.zeros(n, np.int8)]
    parent_edge = [np.empty(n, np.int32), np.empty(n, np.int32)]
    parent_node = [np.empty(n, np.int32), np.empty(n, np.int32)]
    ends = (a, b)
    for side in (0, 1):
        seen[side][ends[side]] = 1
    frontiers = [np.array([a], np.int64), np.array([b], np.int64)]
    levels = [0, 0]
    expanded = entries = 0
    while levels[0] + levels[1] < max_hops and (frontiers[0].size or frontiers[1].size):
        side = 0 if frontiers[0].size and (frontiers[0].size <= frontiers[1].size
                                           or not frontiers[1].size) else 1
        other = 1 - side
        f = frontiers[side]
        f = f[~blocked[f]]
        expanded += f.size
        if expanded > max_expanded:
            raise PathSearchGaveUp(expanded, max_expanded)
        _, e, v, u = adj.entries(f)
        entries += e.size
        if entries > max_entries:
            raise PathSearchGaveUp(entries, max_entries, "edges read")
        fresh = seen[side][v] == 0
        e, v, u = e[fresh], v[fresh], u[fresh]
        uniq, first = np.unique(v, return_index=True)
        order = np.argsort(first, kind="stable")
        new, pick = uniq[order], first[order]
        seen[side][new] = 1
        depth[side][new] = levels[side] + 1
        parent_edge[side][new] = e[pick]
        parent_node[side][new] = u[pick]
        if new.size:  # a level that reached nothing new (a blocked end) adds no length
            levels[side] += 1
        frontiers[side] = new[~blocked[new]] if new.size else new
        meet = new[seen[other][new] == 1]
        if meet.size:
            meet = meet[~blocked[meet] | (meet == a) | (meet == b)]
        if meet.size:
            total = depth[0][meet].astype(np.int64) + depth[1][meet]
            best = np.lexsort((meet, total))[0]
            m = int(meet[best])
            if int(total[best]) <= max_hops:
                return _join(m, ends, parent_node, parent_edge)
    return None


def _join(m: int, ends: tuple[int, int], parent_node, parent_edge
          ) -> tuple[list[int], list[int]]:
    """The path through meeting node ``m``: each side's parents back to its end."""
    halves = []
    for side in (0, 1):
        nodes, eids, x = [m], [], m
        while x != ends[side]:
            eids.append(int(parent_edge[side][x]))
            x = int(parent_node[side][x])
            nodes.append(x)
        halves.append((nodes, eids))
    (ln, le), (rn, re) = halves
    return ln[::-1] + rn[1:], le[::-1] + re
