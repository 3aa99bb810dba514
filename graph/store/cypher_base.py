"""The GraphStore query API written once, over two hooks each Cypher store provides.

A store subclasses :class:`CypherStore`, sets ``dialect`` (:data:`~graph.store.queries.LADYBUG`
or :data:`~graph.store.queries.NEO4J`) and implements:

``_run(query, params) -> list[dict]``
    Run one parameterised query and return its rows as dicts of plain Python values
    (``datetime``/``date``, not driver types). Raise anything on failure: :meth:`query`
    wraps it in :class:`GraphQueryError` naming the query and the parameters' keys.

plus the writes (``ensure_schema``, ``write_nodes``, ``write_edges``) and ``close``. Reads
(``get_node``, ``search``, ``neighbourhood``, ``shortest_path``, ``sharing_identifier``,
``subgraph``, ``count_nodes``, ``count_edges``) live here only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from itertools import chain
from typing import Any

from graph.schema import (
    BATCH_PROPERTY,
    TIME_PROPERTIES,
    GraphSchema,
    SchemaError,
    load_schema,
)
from graph.store.base import NodeRef, PathResult, Subgraph
from graph.store.indexed import IndexedWalksMixin, edge_order
from graph.store.paths import bidirectional_bfs
from graph.store.queries import Dialect, Q
from graph.store.search import SearchMixin

__all__ = ["CypherStore", "GraphQueryError", "HUB_LABELS", "MAX_DEGREE", "PATH_MAX_DEGREE"]

HUB_LABELS = ("Country", "HsCode", "Ring")  # never expanded: every declaration links to the
# first two; a detected ring joins its members, which is no evidence that they are linked
MAX_DEGREE = 5000  # nodes with more edges are hubs: shown but not expanded
PATH_MAX_DEGREE = 1000  # nodes with more edges are left off paths ("bought from the same
# big shop" links everyone; it also keeps the search's frontiers small)
DEGREE_CACHE = 200_000  # cached node degrees before the cache starts afresh
FRONTIER_BATCH = 16  # from this many start neighbours on, walk them in one query
FRONTIER_CHUNK = 64  # start neighbours walked per query in a neighbourhood


@dataclass
class Prefetched:
    """A neighbourhood's walk read ahead in few statements (see
    :meth:`CypherStore._prefetch_walk`): the loop of :meth:`CypherStore.neighbourhood` takes
    a node's rows from here and asks the store only for nodes missing."""

    start: dict[str, Any] | None  # the start's properties; None: no such node
    rows: dict[NodeRef, list[dict[str, Any]] | None]  # walk rows, as _walk returns them
    # (None: the server did not find the node; the loop walks it itself)
    deeper: Callable[[list[NodeRef]], None]  # read the rows of frontier nodes not read yet
    # nodes whose rows were read up to a cap: the rest is walked only if the limit leaves room
    capped: set[NodeRef]
    fill_props: Callable[[dict[NodeRef, dict]], None]  # as CypherStore._fill_props


class GraphQueryError(RuntimeError):
    """A store query failed; the message names the query (truncated) and parameter keys."""


class CypherStore(SearchMixin, IndexedWalksMixin):
    """Base of the Cypher stores: the whole query API over ``_run`` and a dialect
    (``search`` comes from :class:`~graph.store.search.SearchMixin`; traversals on an
    adjacency index, where the store can build one, from
    :class:`~graph.store.indexed.IndexedWalksMixin`)."""

    dialect: Dialect
    hub_labels: tuple[str, ...] = HUB_LABELS
    max_degree: int = MAX_DEGREE
    path_max_degree: int = PATH_MAX_DEGREE

    def __init__(self, schema: GraphSchema | None = None) -> None:
        self.schema = schema or load_schema()

    @cached_property
    def q(self) -> Q:
        """Query builders for this store's schema and dialect (needs ``self.schema``)."""
        return Q(self.schema, self.dialect)

    # -- hooks --------------------------------------------------------------------------
    def _run(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def query(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run ``query`` with ``params``; failures raise :class:`GraphQueryError`."""
        params = params or {}
        try:
            return self._run(query, params)
        except GraphQueryError:
            raise
        except Exception as exc:
            short = query if len(query) <= 300 else query[:300] + "..."
            raise GraphQueryError(f"{self.dialect.name} query failed: {exc}\n  query: {short}"
                                  f"\n  parameters: {sorted(params)}") from exc

    def read_query(self, query: str, params: dict[str, Any] | None = None, *,
                   limit: int = 1000, timeout_s: float = 10.0):
        """An analyst's read-only statement with a row limit and a timeout, in a read-only
        connection or session: see :func:`graph.store.read_query.read_query`."""
        from graph.store.read_query import read_query

        return read_query(self, query, params, limit=limit, timeout_s=timeout_s)

    def query_df(self, query: str, params: dict[str, Any] | None = None):
        """:meth:`query` as a ``pandas.DataFrame``."""
        import pandas as pd

        return pd.DataFrame(self.query(query, params))

    def _q(self, built: tuple[str, dict]) -> list[dict[str, Any]]:
        query, params = built
        return self.query(query, params) if query else []

    # -- property clean-up ---------------------------------------------------------------
    def _node_props(self, label: str, props: dict | None) -> dict[str, Any]:
        """Declared properties that are set (Ladybug returns every table's columns)."""
        known = self.schema.node(label).properties
        return {k: v for k, v in (props or {}).items() if k in known and v is not None}

    @staticmethod
    def _edge_props(props: dict | None) -> dict[str, Any]:
        return {k: v for k, v in (props or {}).items()
                if v is not None and k != BATCH_PROPERTY and not k.startswith("_")}

    def _ref(self, label: str, key: str) -> NodeRef:
        self.schema.node(label)  # rejects unknown labels
        return NodeRef(label, str(key))

    # -- counts and look-ups -------------------------------------------------------------
    def count_nodes(self, label: str | None = None) -> int:
        labels = [label] if label else list(self.schema.nodes)
        return sum(int(self._q(self.q.count_nodes(lab))[0]["c"]) for lab in labels)

    def count_edges(self, edge_type: str | None = None) -> int:
        types = [edge_type] if edge_type else list(self.schema.edges)
        return sum(int(self._q(self.q.count_edges(t))[0]["c"]) for t in types)

    def get_node(self, ref: NodeRef) -> dict[str, Any] | None:
        rows = self._q(self.q.get_node(ref.label, ref.key))
        return self._node_props(ref.label, rows[0]["props"]) if rows else None

    def find_nodes(self, label: str, equals: dict[str, Any] | None = None
                   ) -> list[dict[str, Any]]:
        """The nodes of ``label`` whose properties equal ``equals`` (every node of the label
        when None), as property dicts in key order. A scan: meant for small labels (cases,
        alerts, audit records), not for declarations."""
        rows = self._q(self.q.find_nodes(label, equals or {}))
        return [self._node_props(label, r["props"]) for r in rows]

    # -- neighbourhood -------------------------------------------------------------------
    def _in_window(self, label: str, props: dict, since, until) -> bool:
        prop = TIME_PROPERTIES.get(label)
        t = props.get(prop) if prop else None
        if t is None or (since is None and until is None):
            return True
        if isinstance(t, date) and not isinstance(t, datetime):
            t = datetime(t.year, t.month, t.day)
        t = t.replace(tzinfo=None)
        return ((since is None or t >= since.replace(tzinfo=None))
                and (until is None or t <= until.replace(tzinfo=None)))

    def degree(self, ref: NodeRef, edge_types: list[str] | None = None) -> int:
        """Number of edges (of ``edge_types``, default all) of one node; 0 if absent.

        Cached (hubs are met again and again); stores clear the cache when they write.
        """
        ck = (ref, tuple(edge_types or ()))
        cache = self.__dict__.setdefault("_degrees", {})
        if ck not in cache:
            if len(cache) > DEGREE_CACHE:
                cache.clear()
            rows = self._q(self.q.degree(ref.label, ref.key, edge_types))
            cache[ck] = int(rows[0]["degree"]) if rows else 0
        return cache[ck]

    def _forget_degrees(self) -> None:
        """Call after writing: cached degrees, and the adjacency index, may be stale."""
        self.__dict__.pop("_degrees", None)
        self._drop_adjacency()

    def _is_hub(self, ref: NodeRef, degree: int | None = None) -> bool:
        return ref.label in self.hub_labels or (degree or 0) > self.max_degree

    def _far(self, label: str, edge_types: list[str] | None = None,
             exclude: Iterable[str] = ()) -> list[str]:
        return [b for b in self.schema.neighbour_labels(label, edge_types) if b not in exclude]

    def _expand(self, ref: NodeRef, edge_types: list[str] | None, with_props: bool,
                limit: int | None = None, exclude: Iterable[str] = (),
                directed: bool = True) -> list[dict[str, Any]]:
        """Rows of :meth:`Q.expand` for one node, with ``b`` added and, ``directed``,
        ``src``, ``dst`` and ``eprops``."""
        far = self._far(ref.label, edge_types, exclude)
        if not far:
            return []
        rows = self._q(self.q.expand(ref.label, ref.key, far, edge_types, with_props, limit,
                                     directed))
        d = self.dialect
        for row in rows:
            row["b"] = b = NodeRef(row["blabel"], str(row["bkey"]))
            if directed:
                row["src"], row["dst"] = (ref, b) if d.is_out(row) else (b, ref)
                row["eprops"] = {k: v for k, v in d.edge_props(row).items() if v is not None}
        return rows

    def _walk_rows(self, ref: NodeRef, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` of :meth:`Q.walk` from ``ref`` with ``b``, ``src``, ``dst``, ``eprops``."""
        d = self.dialect
        for row in rows:
            row["b"] = b = NodeRef(row["blabel"], str(row["bkey"]))
            row["src"], row["dst"] = (ref, b) if d.is_out(row) else (b, ref)
            row["eprops"] = {k: v for k, v in d.edge_props(row).items() if v is not None}
        return rows

    def _walk(self, ref: NodeRef, edge_types: list[str] | None, limit: int | None,
              times: bool) -> list[dict[str, Any]]:
        """Rows of :meth:`Q.walk` for one node, with ``b``, ``src``, ``dst``, ``eprops``."""
        far = self._far(ref.label, edge_types)
        if not far:
            return []
        return self._walk_rows(
            ref, self._q(self.q.walk(ref.label, ref.key, far, edge_types, limit, times)))

    def _walk_frontier(self, start: NodeRef, frontier: list[NodeRef],
                       edge_types: list[str] | None, times: bool
                       ) -> dict[NodeRef, list[dict[str, Any]]] | None:
        """Walk rows of every non-hub node of ``frontier`` (all neighbours of ``start``)
        in two queries from ``start`` instead of two per node; their degrees go into the
        degree cache. None where the store cannot (see ``Dialect.repeats_edges``) or the
        frontier is small."""
        if not self.dialect.repeats_edges or len(frontier) < FRONTIER_BATCH:
            return None
        mids = sorted({m.label for m in frontier})
        self._frontier_degrees(start, mids, edge_types, [m.key for m in frontier])
        ok = [m for m in frontier if not self._is_hub(m, self.degree(m, edge_types))]
        far = sorted({b for m in ok for b in self._far(m.label, edge_types)})
        out: dict[NodeRef, list[dict[str, Any]]] = {m: [] for m in ok}
        if not ok or not far:
            return out
        rows = self._q(self.q.frontier_walk(start.label, start.key, mids,
                                            [m.key for m in ok], far, edge_types, times))
        for row in rows:
            m = NodeRef(row["mlabel"], str(row["mkey"]))
            if m in out:
                out[m].append(row)
        for m, mrows in out.items():
            self._walk_rows(m, mrows)
        return out

    def _edge_spec(self, edge_type: str, from_label: str, to_label: str, batch: str):
        """The schema's edge type, after checking the pair and the batch id every
        ``write_edges`` receives; returns it with the ``what`` its errors are named by."""
        edge = self.schema.edge(edge_type)
        if (from_label, to_label) not in edge.pairs:
            raise SchemaError(f"{edge_type} does not join {from_label} -> {to_label}; "
                              f"declared pairs: {list(edge.pairs)}")
        if not isinstance(batch, str) or not batch:
            raise ValueError(f"write_edges({edge_type}): batch must be a non-empty string")
        return edge, f"write_edges({edge_type}, {from_label}->{to_label})"

    def _fill_props(self, nodes: dict[NodeRef, dict]) -> None:
        """Replace the values of ``nodes`` by the nodes' properties: one query per label."""
        by_label: dict[str, list[str]] = {}
        for r in nodes:
            by_label.setdefault(r.label, []).append(r.key)
        for label, keys in by_label.items():
            for row in self._q(self.q.nodes_by_key(label, keys)):
                nodes[NodeRef(label, str(row["key"]))] = self._node_props(label, row["props"])

    def neighbourhood(self, ref: NodeRef, hops: int = 2, limit: int = 500,
                      since: datetime | None = None, until: datetime | None = None,
                      edge_types: list[str] | None = None) -> Subgraph:
        """Nodes within ``hops`` (1-3) edges of ``ref``, at most ``limit`` of them.

        Breadth first, one node at a time (a server store reads the walk ahead in a few
        statements: :meth:`_prefetch_walk`). Hubs (labels in ``hub_labels``, or more than
        ``max_degree`` edges) are included but not expanded; they are listed in
        ``Subgraph.hubs``. Nodes dated outside ``since``/``until`` are left out and not
        expanded. ``truncated`` is set when the limit or a hub cut the result short.

        The walk reads keys, edges and (with a time window) the far ends' times only; the
        kept nodes' properties come afterwards in one look-up query per label (reading
        them on every edge walked was ~90 % of the time on a 1M-declaration graph).
        """
        if not 1 <= hops <= 3:
            raise ValueError(f"hops must be 1, 2 or 3, not {hops}")
        for t in edge_types or ():
            self.schema.edge(t)
        if self.adjacency is not None:
            return self._indexed_neighbourhood(self.adjacency, ref, hops, limit, since, until,
                                               edge_types)
        sg = Subgraph()
        windowed = since is not None or until is not None
        pre = self._prefetch_walk(ref, hops, limit, edge_types, since, until)
        start = self.get_node(ref) if pre is None else pre.start
        if start is None:
            return sg
        sg.nodes[ref] = start

        def rest(m: NodeRef):  # runs only once the rows before it are used up
            if len(sg.nodes) < limit:
                yield from self._walk(m, edge_types, None, windowed)

        start_hub = self._is_hub(ref, self.degree(ref, edge_types))
        if start_hub:
            sg.hubs.append(ref)  # expanded all the same (it is what was asked), up to limit
        added: dict[NodeRef, dict] = {}  # nodes kept, properties filled in at the end
        seen_edges: set = set()
        frontier = [ref]
        for depth in range(hops):
            if frontier and len(sg.nodes) >= limit:
                # Full already: walking the next level (for a busy seller, its thousands of
                # orders' edges) would only be thrown away.
                sg.truncated = True
                break
            nxt: list[NodeRef] = []
            batch: dict | None = None
            slice_end = 0
            for i, m in enumerate(frontier):
                if pre is not None and depth > 0 and m not in pre.rows:
                    # not read ahead: this node and the next ones, a slice at a time (the
                    # limit usually stops the walk within the first)
                    pre.deeper([x for x in frontier[i:i + FRONTIER_CHUNK] if x not in pre.rows])
                if len(sg.nodes) >= limit:
                    sg.truncated = True
                    break
                if depth == 1 and not start_hub and i == slice_end and pre is None:
                    # The start's neighbours a slice at a time, each slice in one query from
                    # the start: a busy seller's first slice usually fills the limit, and
                    # the rest of its level 2 is never fetched. A short remainder joins the
                    # last slice (below FRONTIER_BATCH it would be walked node by node).
                    slice_end = i + FRONTIER_CHUNK
                    if len(frontier) - slice_end < FRONTIER_BATCH:
                        slice_end = len(frontier)
                    batch = self._walk_frontier(ref, frontier[i:slice_end], edge_types,
                                                windowed)
                if depth > 0 and self._is_hub(m, self.degree(m, edge_types)):
                    sg.hubs.append(m)
                    continue
                # Other nodes have at most max_degree edges (checked); only a hub start
                # needs a LIMIT.
                fetch = 2 * limit + 50 if depth == 0 and start_hub else None
                if pre is not None and pre.rows.get(m) is not None:
                    rows = pre.rows[m][:fetch]
                    if m in pre.capped:  # read ahead up to a cap: the rest if there is room
                        rows = chain(rows, rest(m))
                elif batch is not None and m in batch:
                    rows = batch[m]
                else:
                    rows = self._walk(m, edge_types, fetch, windowed)
                sg.truncated |= fetch is not None and len(rows) >= fetch
                for row in rows:
                    b = row["b"]
                    if b not in sg.nodes:
                        prop = TIME_PROPERTIES.get(b.label)
                        t = row.get("btime")
                        if (windowed and prop and t is not None
                                and not self._in_window(b.label, {prop: t}, since, until)):
                            continue
                        if len(sg.nodes) >= limit:
                            sg.truncated = True
                            continue
                        sg.nodes[b] = added[b] = {}
                        if b.label not in self.hub_labels:
                            nxt.append(b)
                        elif depth + 1 < hops:
                            sg.hubs.append(b)
                    eprops = row["eprops"]
                    ek = (row["src"], row["type"], row["dst"],
                          tuple(sorted(eprops.items(), key=str)))
                    if ek not in seen_edges:
                        seen_edges.add(ek)
                        sg.edges.append((row["src"], row["type"], row["dst"], eprops))
            frontier = nxt
        (self._fill_props if pre is None else pre.fill_props)(added)
        sg.nodes.update(added)
        sg.truncated |= bool(sg.hubs)
        return sg

    def _prefetch_walk(self, ref: NodeRef, hops: int, limit: int,
                       edge_types: list[str] | None, since: datetime | None,
                       until: datetime | None) -> Prefetched | None:
        """A server store's read-ahead of the whole walk (Neo4j: one statement for the
        first two levels), or None: walk node by node (Ladybug)."""
        return None

    # -- paths, shared identifiers, subgraphs ---------------------------------------------
    def _path_hub(self, ref: NodeRef) -> bool:
        return ref.label in self.hub_labels or self.degree(ref) > self.path_max_degree

    def _frontier_degrees(self, via: NodeRef, mids: list[str],
                          edge_types: list[str] | None, mkeys: list[str] | None = None) -> None:
        """Put the degrees of ``via``'s neighbours of labels ``mids`` (only those keyed
        ``mkeys`` if given) into the cache."""
        cache = self.__dict__.setdefault("_degrees", {})
        if len(cache) > DEGREE_CACHE:
            cache.clear()
        for row in self._q(self.q.frontier_degrees(via.label, via.key, mids, edge_types,
                                                   mkeys)):
            cache[(NodeRef(row["mlabel"], str(row["mkey"])), tuple(edge_types or ()))] = int(
                row["degree"])

    def _neighbour_keys(self, refs: list[NodeRef], via: list[list[NodeRef]] | None = None
                        ) -> list[tuple[NodeRef, str, NodeRef]]:
        """(node, edge type, neighbour) for the given nodes that are not hubs. Hub
        neighbours are returned (one may be the end sought) but never expanded.

        ``via``: the levels from an end to the nodes (``[[end], ..., parents]``, see
        :func:`~graph.store.paths.bidirectional_bfs`). With it and enough nodes, the
        non-hubs' neighbours come from one query walking from the end (Ladybug only); at
        level 1 their degrees too."""
        if (via and self.dialect.repeats_edges and len(refs) >= FRONTIER_BATCH
                and not self._path_hub(via[0][0])):
            end = via[0][0]
            if len(via) == 1:
                # Hub labels are never expanded: counting their edges would cost the most.
                mids = sorted({r.label for r in refs} - set(self.hub_labels))
                if mids:
                    self._frontier_degrees(end, mids, None)
            ok = [r for r in refs if not self._path_hub(r)]
            far = sorted({b for r in ok for b in self._far(r.label)})
            by: dict[NodeRef, list[tuple[NodeRef, str, NodeRef]]] = {r: [] for r in ok}
            if ok and far:
                chain = [(sorted({r.label for r in lev}), [r.key for r in lev])
                         for lev in [*via[1:], ok]]
                for row in self._q(self.q.frontier_keys(end.label, end.key, chain, far)):
                    m = NodeRef(row["mlabel"], str(row["mkey"]))
                    if m in by:
                        by[m].append((m, row["type"], NodeRef(row["blabel"], str(row["bkey"]))))
            return [t for r in ok for t in by[r]]
        out = []
        for r in refs:
            if not self._path_hub(r):
                out += [(r, row["type"], row["b"])
                        for row in self._expand(r, None, False, directed=False)]
        return out

    def shortest_path(self, a: NodeRef, b: NodeRef, max_hops: int = 6) -> PathResult | None:
        """A shortest path of at most ``max_hops`` (1-6) edges in either direction, or None.

        A bidirectional breadth-first search in the application (faster here than the
        stores' built-in shortest path), skipping hub labels and nodes of more than
        ``path_max_degree`` edges so that paths mean something. None: no such path (or an
        end is not in the graph). Raises :class:`~graph.store.paths.PathSearchGaveUp` when
        the search stops at its bound on the work (:data:`~graph.store.paths.MAX_EXPANDED`
        expansions in Cypher; far more on the adjacency index) without an answer.
        """
        if not 1 <= max_hops <= 6:
            raise ValueError(f"max_hops must be between 1 and 6, not {max_hops}")
        if self.adjacency is not None:  # its end look-ups also tell whether they exist
            return self._indexed_path(self.adjacency, a, b, max_hops)
        if self.get_node(a) is None or self.get_node(b) is None:
            return None
        return bidirectional_bfs(a, b, max_hops, self._neighbour_keys, self._non_hubs)

    def _non_hubs(self, refs: list[NodeRef]) -> set[NodeRef]:
        return {r for r in refs if not self._path_hub(r)}

    def sharing_identifier(self, ref: NodeRef, limit: int = 500
                           ) -> list[tuple[NodeRef, str, NodeRef]]:
        """Other nodes linked to a pivot (phone, address, account, ID, e-mail) that ``ref``
        links to: ``(other, edge type other-pivot, pivot)``, at most ``limit`` per pivot,
        pivots themselves left out."""
        self.schema.node(ref.label)
        if self.adjacency is not None:
            return self._indexed_sharing(self.adjacency, ref, limit)
        pivots = set(self.schema.pivots())
        non_pivots = [lab for lab in self.schema.nodes if lab not in pivots]
        out: set[tuple[NodeRef, str, NodeRef]] = set()
        for row in self._expand(ref, None, False, 10_000, non_pivots, directed=False):
            p = row["b"]
            derived = {lab for lab, n in self.schema.nodes.items() if n.derived}  # rings
            for r in self._expand(p, None, False, limit, pivots | derived, directed=False):
                if r["b"] != ref:
                    out.add((r["b"], r["type"], p))
        return sorted(out)

    def subgraph(self, refs: list[NodeRef]) -> Subgraph:
        """The given nodes (those that exist) and every edge among them (one look-up per
        node: meant for the few hundred nodes a person looks at, not for bulk export; on
        the adjacency index, one query per label)."""
        if self.adjacency is not None:
            return self._indexed_subgraph(self.adjacency, refs)
        sg = Subgraph()
        for r in sorted(set(refs)):
            props = self.get_node(r)
            if props is not None:
                sg.nodes[r] = props
        present = {r.label for r in sg.nodes}
        for r in sg.nodes:
            to = sorted(present & set(self.schema.far_labels(r.label, True)))
            if not to:
                continue
            for row in self._q(self.q.edges_from(r.label, r.key, to)):
                b = NodeRef(row["blabel"], str(row["bkey"]))
                if b in sg.nodes:
                    sg.edges.append((r, row["type"], b, self._edge_props(row["eprops"])))
        sg.edges.sort(key=edge_order)
        return sg
