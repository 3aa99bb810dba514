"""An in-memory adjacency index (CSR) of the embedded store, for traversals at app speed.

Why: on Ladybug every traversal step is a Cypher query. A 2-hop neighbourhood of a busy
seller took 20-odd queries and 150-300 ms on the 1M-declaration graph, and a shortest path
up to 1,500 of them (BENCHMARKS.md). The graph's *structure* exports in seconds, though:
every edge's two ends as the store's internal node offsets (19.4M edges in ~4.5 s), so a
long-lived process (the app, a benchmark) can hold it as compressed sparse rows and walk
it with numpy. The store is still asked for what people read: start nodes (a key look-up)
and the properties of the nodes kept (primary-key look-ups, ``CypherStore._fill_props``).

Consistency: the index is built from one open database. A read-only Ladybug connection
sees the database as of when it opened, so both agree until ``reopen``; a store that
writes drops its index (``CypherStore._forget_degrees``).

Memory, per edge: 4 bytes per end (``src``, ``dst``), 8 in the CSR (both directions), its
properties (strings dictionary-encoded); per node: its key, 8 bytes of CSR pointer and 8 of
time. The 1M-declaration graph (4.24M nodes, 19.4M edges): see BENCHMARKS.md.

The queries here are Ladybug's (``offset(id(n))``): Neo4j walks its own adjacency natively.

Examples
--------
>>> from graph.schema import load_schema
>>> nodes_query(load_schema(), "Person").split(" RETURN ")[1]
'n.`person_key` AS key, offset(id(n)) AS o, properties(n) AS props'
>>> to_micros(datetime(1970, 1, 1, 0, 0, 1))
1000000
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.schema import BATCH_PROPERTY, TIME_PROPERTIES, GraphSchema, ident
from graph.store.base import NodeRef

__all__ = ["Adjacency", "build_adjacency", "nodes_query", "NO_TIME"]

NO_TIME = np.iinfo(np.int64).min  # node time for undated labels and NULL times


def nodes_query(schema: GraphSchema, label: str) -> str:
    """Ladybug query for ``key``, internal offset ``o`` and ``props`` of the nodes of
    ``label`` keyed ``$keys`` (one primary-key look-up each)."""
    k = ident(schema.node(label).key)
    return (f"UNWIND $keys AS k MATCH (n:{ident(label)}) WHERE n.{k} = k "
            f"RETURN n.{k} AS key, offset(id(n)) AS o, properties(n) AS props")


def _micros(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Times as int64 microseconds since the epoch (naive), :data:`NO_TIME` for NULL."""
    if pa.types.is_date(col.type):
        col = pc.cast(col, pa.timestamp("us"))
    elif pa.types.is_timestamp(col.type):
        col = pc.cast(col, pa.timestamp("us", tz=col.type.tz))
    else:
        return np.full(len(col), NO_TIME, np.int64)
    vals = pc.cast(col, pa.int64())
    return pc.fill_null(vals, NO_TIME).to_numpy(zero_copy_only=False).astype(np.int64)


def to_micros(t: datetime | date | None) -> int | None:
    """A window bound as naive microseconds since the epoch (timezones dropped, as the
    Cypher walk does)."""
    if t is None:
        return None
    if not isinstance(t, datetime):
        t = datetime(t.year, t.month, t.day)
    t = t.replace(tzinfo=None)
    return int((t - datetime(1970, 1, 1)).total_seconds() * 1_000_000) + 0


@dataclass(frozen=True)
class EdgeTable:
    """One relationship table (type, from label, to label): its edges are the index's
    edge ids ``first .. first + len(props) - 1``; ``props`` holds their properties."""

    type: str
    frm: str
    to: str
    first: int
    props: pa.Table


class Adjacency:
    """Nodes numbered ``0..len-1`` (label by label, each in the store's offset order) and
    edges ``0..n_edges-1`` (table by table), with both directions of every edge in CSR."""

    def __init__(self, schema: GraphSchema, labels: list[str], base: np.ndarray,
                 keys: list[pa.Array], offsets: list[np.ndarray | None], times: np.ndarray,
                 src: np.ndarray, dst: np.ndarray, tables: list[EdgeTable],
                 texts: dict[tuple[str, str], pa.Array] | None = None) -> None:
        self.schema = schema
        # Searchable text columns, (label, property) -> values in the label's node order.
        self.texts = texts or {}
        self.labels = labels
        self._label_index = {lab: i for i, lab in enumerate(labels)}
        self.base = base  # node ids of label i are base[i] .. base[i + 1] - 1
        self.keys = keys
        self._offsets = offsets  # sorted internal offsets of a label, None where dense
        self.times = times
        self.src, self.dst = src, dst
        self.tables = tables
        self.first = np.array([t.first for t in tables] + [len(src)], np.int64)
        n = int(base[-1])
        ends = np.concatenate([src, dst])
        order = np.argsort(ends, kind="stable")
        self.csr = (order % len(src)).astype(np.int32) if len(src) else order.astype(np.int32)
        counts = np.bincount(ends, minlength=n) if len(ends) else np.zeros(n, np.int64)
        self.indptr = np.zeros(n + 1, np.int64)
        np.cumsum(counts, out=self.indptr[1:])
        self.degree = counts.astype(np.int32)  # edges of each node, every type

    # -- identities ----------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.base[-1])

    @property
    def n_edges(self) -> int:
        return len(self.src)

    def nbytes(self) -> int:
        """Bytes held by the index's arrays and tables."""
        arrays = (self.base, self.times, self.src, self.dst, self.csr, self.indptr,
                  self.degree, *[o for o in self._offsets if o is not None])
        return (sum(a.nbytes for a in arrays) + sum(k.nbytes for k in self.keys)
                + sum(t.props.nbytes for t in self.tables)
                + sum(v.nbytes for v in self.texts.values()))

    def gid(self, label: str, offset: int) -> int:
        """Node id of the node of ``label`` at the store's internal ``offset``."""
        i = self._label_index[label]
        offs = self._offsets[i]
        pos = offset if offs is None else int(np.searchsorted(offs, offset))
        return int(self.base[i]) + pos

    def label_of(self, gids: np.ndarray) -> np.ndarray:
        """Label index (into :attr:`labels`) of each node id."""
        return np.searchsorted(self.base, gids, side="right") - 1

    def ref(self, g: int) -> NodeRef:
        i = int(np.searchsorted(self.base, g, side="right") - 1)
        return NodeRef(self.labels[i], str(self.keys[i][g - int(self.base[i])].as_py()))

    def refs(self, gids: Iterable[int] | np.ndarray) -> list[NodeRef]:
        """:meth:`ref` of many node ids, a label at a time."""
        g = np.asarray(gids if isinstance(gids, np.ndarray) else list(gids), np.int64)
        out: list = [None] * len(g)
        lab = self.label_of(g)
        for i in np.unique(lab):
            idx = np.flatnonzero(lab == i)
            keys = self.keys[i].take(pa.array(g[idx] - self.base[i])).to_pylist()
            label = self.labels[i]
            for j, k in zip(idx.tolist(), keys, strict=True):
                out[j] = NodeRef(label, str(k))
        return out

    def label_mask(self, labels: Iterable[str]) -> np.ndarray:
        """Boolean per label index: True for ``labels``."""
        m = np.zeros(len(self.labels), bool)
        for lab in labels:
            if lab in self._label_index:
                m[self._label_index[lab]] = True
        return m

    def table_of(self, eids: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.first, eids, side="right") - 1

    def type_mask(self, edge_types: list[str] | None) -> np.ndarray | None:
        """Boolean per edge table: True for tables of ``edge_types`` (None: all)."""
        if not edge_types:
            return None
        return np.array([t.type in edge_types for t in self.tables], bool)

    # -- walking ---------------------------------------------------------------------------
    def entries(self, nodes: np.ndarray, type_mask: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every edge of ``nodes``: ``(i, eid, other)`` arrays, ``i`` the index into
        ``nodes`` of the node the edge was walked from, ``other`` its far end; edges of
        tables outside ``type_mask`` left out. In the order of ``nodes``."""
        nodes = np.asarray(nodes, np.int64)
        starts = self.indptr[nodes]
        counts = self.indptr[nodes + 1] - starts
        total = int(counts.sum())
        if total == 0:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty, empty
        i = np.repeat(np.arange(len(nodes)), counts)
        pos = np.arange(total) + np.repeat(starts - (np.cumsum(counts) - counts), counts)
        e = self.csr[pos].astype(np.int64)
        if type_mask is not None:
            keep = type_mask[self.table_of(e)]
            i, e = i[keep], e[keep]
        s = self.src[e]
        u = nodes[i]
        other = np.where(s == u, self.dst[e], s).astype(np.int64)
        return i, e, other, u

    def edge_rows(self, eids: np.ndarray) -> list[tuple[NodeRef, str, NodeRef, dict]]:
        """``(from, type, to, properties)`` of edges, in the order given; NULL properties
        and the store's ``_batch`` left out."""
        if len(eids) == 0:
            return []
        tab = self.table_of(eids)
        props: list[dict | None] = [None] * len(eids)
        for t in np.unique(tab):
            idx = np.flatnonzero(tab == t)
            table = self.tables[int(t)]
            rows = (table.props.take(pa.array(eids[idx] - table.first)).to_pylist()
                    if table.props.num_columns else [{}] * len(idx))
            for j, row in zip(idx, rows, strict=True):
                props[j] = {k: v for k, v in row.items() if v is not None}
        froms, tos = self.refs(self.src[eids]), self.refs(self.dst[eids])
        types = [self.tables[t].type for t in tab.tolist()]
        return list(zip(froms, types, tos, props, strict=True))


def build_adjacency(arrow: Callable[[str], pa.Table], schema: GraphSchema,
                    progress: Callable[[str], None] | None = None,
                    texts: Iterable[tuple[str, str]] = ()) -> Adjacency:
    """Export the structure of a Ladybug database through ``arrow(query) -> pa.Table`` and
    index it, with the text properties ``texts`` (``(label, property)`` pairs) for search.
    ``progress(step)`` is called before each label and edge table."""
    texts = [(lab, p) for lab, p in texts if p in schema.node(lab).properties]
    say = progress or (lambda _step: None)
    labels = list(schema.nodes)
    base = [0]
    keys: list[pa.Array] = []
    offsets: list[np.ndarray | None] = []
    times: list[np.ndarray] = []
    text_cols: dict[tuple[str, str], pa.Array] = {}
    for lab in labels:
        say(f"nodes {lab}")
        spec = schema.node(lab)
        tprop = TIME_PROPERTIES.get(lab)
        tprop = tprop if tprop in spec.properties else None
        cols = f"offset(id(n)) AS o, n.{ident(spec.key)} AS k"
        if tprop:
            cols += f", n.{ident(tprop)} AS t"
        searched = [p for tl, p in texts if tl == lab]
        cols += "".join(f", n.{ident(p)} AS {ident('x_' + p)}" for p in searched)
        t = arrow(f"MATCH (n:{ident(lab)}) RETURN {cols}")
        o = t.column("o").to_numpy().astype(np.int64)
        order = np.argsort(o, kind="stable")
        o = o[order]
        keys.append(pc.take(t.column("k"), pa.array(order)).combine_chunks())
        offsets.append(None if np.array_equal(o, np.arange(len(o))) else o)
        times.append(_micros(pc.take(t.column("t"), pa.array(order))) if tprop
                     else np.full(len(o), NO_TIME, np.int64))
        for p in searched:
            text_cols[(lab, p)] = pc.take(t.column("x_" + p), pa.array(order)).combine_chunks()
        base.append(base[-1] + len(o))
    base_arr = np.array(base, np.int64)
    node_times = np.concatenate(times) if times else np.zeros(0, np.int64)
    label_index = {lab: i for i, lab in enumerate(labels)}

    def to_gid(label: str, offs: np.ndarray) -> np.ndarray:
        i = label_index[label]
        pos = offs if offsets[i] is None else np.searchsorted(offsets[i], offs)
        return (pos + base_arr[i]).astype(np.int32)

    srcs, dsts, tables, first = [], [], [], 0
    for edge in schema.edges.values():
        props = [p for p in edge.properties if p != BATCH_PROPERTY]
        for frm, to in edge.pairs:
            say(f"edges {edge.name} {frm}->{to}")
            cols = ", ".join(["offset(id(a)) AS s", "offset(id(b)) AS d",
                              *[f"e.{ident(p)} AS {ident(p)}" for p in props]])
            t = arrow(f"MATCH (a:{ident(frm)})-[e:{ident(edge.name)}]->(b:{ident(to)}) "
                      f"RETURN {cols}")
            if t.num_rows == 0:
                continue
            srcs.append(to_gid(frm, t.column("s").to_numpy().astype(np.int64)))
            dsts.append(to_gid(to, t.column("d").to_numpy().astype(np.int64)))
            cols_out = {}
            for p in props:
                c = t.column(p) if p in t.column_names else pa.nulls(t.num_rows)
                if pa.types.is_string(c.type) or pa.types.is_large_string(c.type):
                    c = pc.dictionary_encode(c)  # "source" repeats on every edge
                cols_out[p] = c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c
            tables.append(EdgeTable(edge.name, frm, to, first, pa.table(cols_out)))
            first += t.num_rows
    src = np.concatenate(srcs) if srcs else np.zeros(0, np.int32)
    dst = np.concatenate(dsts) if dsts else np.zeros(0, np.int32)
    say("index")
    return Adjacency(schema, labels, base_arr, keys, offsets, node_times, src, dst, tables,
                     text_cols)
