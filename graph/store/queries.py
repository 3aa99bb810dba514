"""All Cypher text of the query API, as builders returning ``(query, params)``.

Only schema names (labels, edge types, property names, checked by :mod:`graph.schema` and
back-quoted) are formatted into the text; every value is a ``$parameter``. The few syntax
differences between Ladybug and Neo4j come from a :class:`Dialect`.

Why traversals are one node at a time: Ladybug finds a node through its primary-key index
only for ``n.key = $value`` (0.1 ms at 1M rows) and ``UNWIND $list AS k ... n.key = k``;
``n.key IN $list`` scans the table and compares every row with the whole list (seconds for
a few hundred keys), and multi-hop patterns from one node were planned as hash joins over
whole tables (seconds, and now and then a crash). So the query API runs small ``=``
queries and walks in Python; the exceptions are 2- and 3-hop patterns from one key whose
levels are filtered by short key lists (``frontier_*``, planned as extensions, Ladybug only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.schema import TIME_PROPERTIES, GraphSchema, ident

__all__ = ["Dialect", "LADYBUG", "NEO4J", "Q"]


@dataclass(frozen=True)
class Dialect:
    """How a store spells what differs between Ladybug (Kùzu) and Neo4j Cypher."""

    name: str
    label_fn: str  # f"{label_fn}(n)" is the node's label expression
    label_suffix: str  # appended to the label call: "" (Ladybug) or "[0]" (Neo4j)
    type_fn: str  # the relationship type function: label (Ladybug) or type (Neo4j)
    label_or: str  # between labels in a node pattern meaning "any of": ":" or "|"
    # Whether one pattern may match the same relationship twice (Ladybug: walk semantics;
    # Neo4j: never). Two-hop frontier queries count degrees as distinct relationships.
    repeats_edges: bool = False

    def label(self, var: str) -> str:
        """Cypher expression for the (single) label of node ``var``."""
        return f"{self.label_fn}({var}){self.label_suffix}"

    def rel_type(self, var: str) -> str:
        """Cypher expression for the type of relationship ``var``."""
        return f"{self.type_fn}({var})"

    def any_label(self, labels: list[str]) -> str:
        """``:A:B`` (Ladybug) or ``:A|B`` (Neo4j): a node of any of ``labels``."""
        return ":" + self.label_or.join(ident(lab) for lab in labels)

    def direction(self, node: str, rel: str) -> str:
        """Columns telling whether ``rel`` leaves ``node`` and its properties; read back by
        :meth:`is_out` and :meth:`edge_props`."""
        if self.name == "neo4j":
            return f"startNode({rel}) = {node} AS out, properties({rel}) AS eprops"
        # Ladybug has no startNode(); the whole relationship carries _SRC and its
        # properties, and costs less than properties() over every relationship table.
        return f"id({node}) AS node_id, {rel} AS rel"

    def is_out(self, row: dict[str, Any]) -> bool:
        if "out" in row:
            return bool(row["out"])
        return row["rel"]["_SRC"] == row["node_id"]

    def edge_props(self, row: dict[str, Any]) -> dict[str, Any]:
        props = row["eprops"] if "eprops" in row else row["rel"]
        return {k: v for k, v in (props or {}).items() if not k.startswith("_")}


LADYBUG = Dialect("ladybug", "label", "", "label", ":", repeats_edges=True)
NEO4J = Dialect("neo4j", "labels", "[0]", "type", "|")


def _types(edge_types: list[str] | None) -> str:
    if not edge_types:
        return ""
    return ":" + "|".join(ident(t) for t in edge_types)


@dataclass(frozen=True)
class Q:
    """Query builders bound to one schema and dialect."""

    schema: GraphSchema
    dialect: Dialect

    # -- helpers ------------------------------------------------------------------------
    def key_of(self, var: str, labels: list[str]) -> str:
        """``CASE label WHEN 'L' THEN var.key ... END``: the key of a node of any of ``labels``.

        A ``CASE`` rather than ``coalesce`` because one label's key name may be another
        label's ordinary property.
        """
        if len(labels) == 1:
            return f"{var}.{ident(self.schema.node(labels[0]).key)}"
        whens = " ".join(f"WHEN '{self.schema.node(lab).label}' THEN "
                         f"{var}.{ident(self.schema.node(lab).key)}" for lab in labels)
        return f"CASE {self.dialect.label(var)} {whens} END"

    def _lk(self, label: str) -> tuple[str, str]:
        """The label and its key property, checked and back-quoted."""
        n = self.schema.node(label)
        return ident(n.label), ident(n.key)

    # -- point look-ups -----------------------------------------------------------------
    def get_node(self, label: str, key: str) -> tuple[str, dict]:
        lab, k = self._lk(label)
        return (f"MATCH (n:{lab}) WHERE n.{k} = $key RETURN n.{k} AS key, "
                f"properties(n) AS props", {"key": key})

    def find_nodes(self, label: str, equals: dict[str, Any]) -> tuple[str, dict]:
        """Nodes of ``label`` whose properties equal ``equals`` (all nodes if empty), by key."""
        lab, k = self._lk(label)
        props = self.schema.node(label).properties
        conds = []
        params: dict[str, Any] = {}
        for i, (p, v) in enumerate(sorted(equals.items())):
            if p not in props:
                raise ValueError(f"find_nodes({label}): {p!r} is not a property of {label}")
            conds.append(f"n.{ident(p)} = $v{i}")
            params[f"v{i}"] = v
        where = f" WHERE {' AND '.join(conds)}" if conds else ""
        return (f"MATCH (n:{lab}){where} RETURN n.{k} AS key, properties(n) AS props "
                f"ORDER BY key", params)

    def degree(self, label: str, key: str,
               edge_types: list[str] | None = None) -> tuple[str, dict]:
        lab, k = self._lk(label)
        return (f"MATCH (a:{lab})-[e{_types(edge_types)}]-() WHERE a.{k} = $key "
                f"RETURN count(e) AS degree", {"key": key})

    def existing_keys(self, label: str, keys: list[str]) -> tuple[str, dict]:
        """Which of ``keys`` exist: one row per given key that does (pass distinct keys).

        One key look-up per key on both stores. On Ladybug ``n.key IN $keys`` scanned the
        label and compared each row with the whole list (20k keys against 200k nodes: 21 s
        CPU); this form took 0.07 s. On Neo4j it is a unique-index seek per key.
        """
        lab, k = self._lk(label)
        return (f"UNWIND $keys AS k MATCH (n:{lab}) WHERE n.{k} = k RETURN n.{k} AS key",
                {"keys": keys})

    def count_nodes(self, label: str) -> tuple[str, dict]:
        lab, _ = self._lk(label)
        return f"MATCH (n:{lab}) RETURN count(n) AS c", {}

    def count_edges(self, edge_type: str) -> tuple[str, dict]:
        t = ident(self.schema.edge(edge_type).name)
        return f"MATCH ()-[e:{t}]->() RETURN count(e) AS c", {}

    # -- search -------------------------------------------------------------------------
    def text_candidates(self, label: str, prop: str, pieces: list[str], limit: int,
                        prefix: bool = False) -> tuple[str, dict]:
        """Nodes whose ``prop`` contains any of ``pieces``, those matching most first."""
        lab, k = self._lk(label)
        if prop not in self.schema.node(label).properties:
            raise ValueError(f"{label} has no property {prop!r}")
        prop = ident(prop)
        op = "STARTS WITH" if prefix else "CONTAINS"
        cond = " OR ".join(f"n.{prop} {op} $p{i}" for i in range(len(pieces)))
        params: dict[str, Any] = {f"p{i}": p for i, p in enumerate(pieces)}
        params["limit"] = limit
        # Nodes matching more (and longer) pieces first, so that broad pieces do not crowd
        # the best candidates out of the limit.
        rank = " + ".join(f"CASE WHEN n.{prop} {op} $p{i} THEN {len(p)} ELSE 0 END"
                          for i, p in enumerate(pieces))
        return (f"MATCH (n:{lab}) WHERE {cond} WITH n, {rank} AS hits "
                f"RETURN n.{k} AS key, properties(n) AS props ORDER BY hits DESC "
                f"LIMIT $limit", params)

    def exact(self, label: str, prop: str, value: str) -> tuple[str, dict]:
        lab, k = self._lk(label)
        if prop not in self.schema.node(label).properties:
            raise ValueError(f"{label} has no property {prop!r}")
        prop = ident(prop)
        return (f"MATCH (n:{lab}) WHERE n.{prop} = $v RETURN n.{k} AS key, "
                f"properties(n) AS props", {"v": value})

    def attached(self, pivot: str, key: str, edge_type: str, label: str,
                 limit: int) -> tuple[str, dict]:
        """Nodes of ``label`` joined to pivot node ``key`` by ``edge_type``."""
        plab, pk = self._lk(pivot)
        lab, k = self._lk(label)
        t = ident(self.schema.edge(edge_type).name)
        return (f"MATCH (p:{plab})-[:{t}]-(n:{lab}) WHERE p.{pk} = $key "
                f"RETURN DISTINCT n.{k} AS key, properties(n) AS props LIMIT $limit",
                {"key": key, "limit": limit})

    # -- traversal ----------------------------------------------------------------------
    def expand(self, label: str, key: str, far: list[str], edge_types: list[str] | None,
               with_props: bool, limit: int | None = None,
               directed: bool = True) -> tuple[str, dict]:
        """Edges of one node with their far ends (of labels ``far``).

        Columns: ``type``, ``blabel``, ``bkey``, plus the direction columns when
        ``directed`` and ``bprops`` when ``with_props``. Give ``limit`` only for nodes of
        unknown or high degree: ``LIMIT`` doubles the cost of this query on Ladybug.
        """
        lab, k = self._lk(label)
        d = self.dialect
        props = ", properties(b) AS bprops" if with_props else ""
        cut = " LIMIT $limit" if limit is not None else ""
        params: dict[str, Any] = {"key": key}
        if limit is not None:
            params["limit"] = limit
        direction = f"{d.direction('a', 'e')}, " if directed else ""
        return (f"MATCH (a:{lab})-[e{_types(edge_types)}]-(b{d.any_label(far)}) "
                f"WHERE a.{k} = $key RETURN {direction}"
                f"{d.rel_type('e')} AS type, {d.label('b')} AS blabel, "
                f"{self.key_of('b', far)} AS bkey{props}{cut}", params)

    def _walk_cols(self, node: str, rel: str, far: list[str], times: bool) -> str:
        """The columns of :meth:`walk` for relationship ``rel`` of ``node`` to ``b``."""
        d = self.dialect
        btime = ""
        dated = [(lab, p) for lab, p in TIME_PROPERTIES.items() if lab in far]
        if times and dated:
            whens = " ".join(f"WHEN '{lab}' THEN b.{ident(p)}" for lab, p in dated)
            btime = f", CASE {d.label('b')} {whens} ELSE NULL END AS btime"
        return (f"{d.direction(node, rel)}, {d.rel_type(rel)} AS type, "
                f"{d.label('b')} AS blabel, {self.key_of('b', far)} AS bkey{btime}")

    def walk(self, label: str, key: str, far: list[str], edge_types: list[str] | None,
             limit: int | None = None, times: bool = False) -> tuple[str, dict]:
        """Edges of one node with their far ends' keys but not their properties.

        Columns: the direction columns, ``type``, ``blabel``, ``bkey`` and, with ``times``,
        ``btime`` (the far end's time property, NULL for undated labels). ``properties(b)``
        over several labels cost ~8 ms CPU of the ~9 ms of :meth:`expand` on a 1M-declaration
        graph (every table's columns for every row); the neighbourhood fetches properties
        afterwards, with :meth:`nodes_by_key`, for the nodes it keeps.
        """
        lab, k = self._lk(label)
        params: dict[str, Any] = {"key": key}
        cut = ""
        if limit is not None:
            cut, params["limit"] = " LIMIT $limit", limit
        return (f"MATCH (a:{lab})-[e{_types(edge_types)}]-(b{self.dialect.any_label(far)}) "
                f"WHERE a.{k} = $key RETURN {self._walk_cols('a', 'e', far, times)}{cut}",
                params)

    def _two_hops(self, label: str, mids: list[str], edge_types: list[str] | None,
                  far: str = "") -> str:
        lab, k = self._lk(label)
        t = _types(edge_types)
        return (f"MATCH (a:{lab})-[e{t}]-(m{self.dialect.any_label(mids)})-[f{t}]-({far}) "
                f"WHERE a.{k} = $key")

    def frontier_degrees(self, label: str, key: str, mids: list[str],
                         edge_types: list[str] | None,
                         mkeys: list[str] | None = None) -> tuple[str, dict]:
        """Degrees (edges of ``edge_types``) of the neighbours of labels ``mids`` of one
        node: ``mlabel``, ``mkey``, ``degree``. Ladybug only (``repeats_edges``): ``f`` may
        be the edge ``e`` itself, so every edge of ``m`` counts once. Ladybug plans this as
        extensions from the key look-up (233 neighbours: 7 ms warm against 233 queries),
        while ``UNWIND $keys`` before an expansion became a join over whole tables."""
        d = self.dialect
        mkey = self.key_of("m", mids)
        only = f" AND {mkey} IN $mkeys" if mkeys is not None else ""  # a slice of them
        params: dict[str, Any] = {"key": key}
        if mkeys is not None:
            params["mkeys"] = mkeys
        return (f"{self._two_hops(label, mids, edge_types)}{only} RETURN {d.label('m')} AS "
                f"mlabel, {mkey} AS mkey, count(DISTINCT id(f)) AS degree", params)

    def frontier_walk(self, label: str, key: str, mids: list[str], mkeys: list[str],
                      far: list[str], edge_types: list[str] | None,
                      times: bool = False) -> tuple[str, dict]:
        """:meth:`walk` of the neighbours ``mkeys`` (of labels ``mids``) of one node, in one
        query: its columns plus ``mlabel`` and ``mkey``. A row repeats once per edge
        between the node and ``m`` (and ``f`` may be that edge on Ladybug)."""
        d = self.dialect
        mkey = self.key_of("m", mids)
        return (f"{self._two_hops(label, mids, edge_types, 'b' + d.any_label(far))} "
                f"AND {mkey} IN $mkeys RETURN {d.label('m')} AS mlabel, {mkey} AS mkey, "
                f"{self._walk_cols('m', 'f', far, times)}", {"key": key, "mkeys": mkeys})

    def frontier_keys(self, label: str, key: str, chain: list[tuple[list[str], list[str]]],
                      far: list[str]) -> tuple[str, dict]:
        """Neighbours (keys only, any edge, either direction) of a frontier reached from
        one node through ``chain``: ``(labels, keys)`` of each level after the node, the
        last one the frontier. Columns ``mlabel``, ``mkey`` (the frontier node), ``type``,
        ``blabel``, ``bkey``; a row repeats once per walk from the node to ``m``.
        Ladybug extends level by level from the key look-up and filters each level by its
        keys (``IN`` over a few rows, not over a table)."""
        lab, k = self._lk(label)
        d = self.dialect
        pattern, conds, params = f"(a:{lab})", [f"a.{k} = $key"], {"key": key}
        for i, (labels, keys) in enumerate(chain):
            pattern += f"-[e{i}]-(m{i}{d.any_label(labels)})"
            conds.append(f"{self.key_of(f'm{i}', labels)} IN $k{i}")
            params[f"k{i}"] = keys
        m, mids = f"m{len(chain) - 1}", chain[-1][0]
        return (f"MATCH {pattern}-[f]-(b{d.any_label(far)}) WHERE {' AND '.join(conds)} "
                f"RETURN {d.label(m)} AS mlabel, {self.key_of(m, mids)} AS mkey, "
                f"{d.rel_type('f')} AS type, {d.label('b')} AS blabel, "
                f"{self.key_of('b', far)} AS bkey", params)

    def nodes_by_key(self, label: str, keys: list[str]) -> tuple[str, dict]:
        """``key`` and ``props`` of the nodes of ``label`` among ``keys``: one primary-key
        look-up per key (500 keys ~30 ms on Ladybug at 1M rows; ``IN $keys`` scans)."""
        lab, k = self._lk(label)
        return (f"UNWIND $keys AS k MATCH (n:{lab}) WHERE n.{k} = k "
                f"RETURN n.{k} AS key, properties(n) AS props", {"keys": keys})

    def shared_via(self, label: str, key: str, pivot: str, limit: int) -> tuple[str, dict]:
        """Other nodes joined to the pivots of ``pivot`` label that node ``key`` links to.

        Columns: ``pkey``, ``type`` (edge other-pivot), ``olabel``, ``okey``.
        """
        lab, k = self._lk(label)
        plab, pk = self._lk(pivot)
        far = self.schema.neighbour_labels(pivot)
        d = self.dialect
        return (f"MATCH (a:{lab})-[]-(p:{plab})-[r]-(o{d.any_label(far)}) WHERE a.{k} = $key "
                f"RETURN DISTINCT p.{pk} AS pkey, {d.rel_type('r')} AS type, "
                f"{d.label('o')} AS olabel, {self.key_of('o', far)} AS okey LIMIT $limit",
                {"key": key, "limit": limit})

    def edges_from(self, from_label: str, key: str, to_labels: list[str]) -> tuple[str, dict]:
        """Outgoing edges of one node to nodes of ``to_labels``: ``type``, ``eprops``,
        ``blabel``, ``bkey``."""
        lab, k = self._lk(from_label)
        d = self.dialect
        return (f"MATCH (a:{lab})-[e]->(b{d.any_label(to_labels)}) WHERE a.{k} = $key "
                f"RETURN {d.rel_type('e')} AS type, properties(e) AS eprops, "
                f"{d.label('b')} AS blabel, {self.key_of('b', to_labels)} AS bkey",
                {"key": key})
