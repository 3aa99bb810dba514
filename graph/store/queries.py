"""All Cypher text of the query API, as builders returning ``(query, params)``.

Only schema names (labels, edge types, property names, checked by :mod:`graph.schema`) are
formatted into the text; every value is a ``$parameter``. The few syntax differences
between Ladybug and Neo4j come from a :class:`Dialect`.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.schema import GraphSchema, ident

__all__ = ["Dialect", "LADYBUG", "NEO4J", "Q"]


@dataclass(frozen=True)
class Dialect:
    """How a store spells what differs between Ladybug (Kùzu) and Neo4j Cypher."""

    name: str
    label_fn: str  # f"{label_fn}(n)" is the node's label expression
    label_suffix: str  # appended to the label call: "" (Ladybug) or "[0]" (Neo4j)
    type_fn: str  # the relationship type function: label (Ladybug) or type (Neo4j)

    def label(self, var: str) -> str:
        """Cypher expression for the (single) label of node ``var``."""
        return f"{self.label_fn}({var}){self.label_suffix}"

    def rel_type(self, var: str) -> str:
        """Cypher expression for the type of relationship ``var``."""
        return f"{self.type_fn}({var})"


LADYBUG = Dialect("ladybug", "label", "", "label")
NEO4J = Dialect("neo4j", "labels", "[0]", "type")


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
        whens = " ".join(f"WHEN '{lab}' THEN {var}.{ident(self.schema.node(lab).key)}"
                         for lab in labels)
        return f"CASE {self.dialect.label(var)} {whens} END"

    def _lk(self, label: str) -> tuple[str, str]:
        """The label and its key property, checked and back-quoted."""
        n = self.schema.node(label)
        return ident(n.label), ident(n.key)

    # -- point look-ups -----------------------------------------------------------------
    def get_node(self, label: str, key: str) -> tuple[str, dict]:
        lab, k = self._lk(label)
        return (f"MATCH (n:{lab}) WHERE n.{k} = $key RETURN properties(n) AS props",
                {"key": key})

    def nodes_by_keys(self, label: str, keys: list[str]) -> tuple[str, dict]:
        lab, k = self._lk(label)
        return (f"MATCH (n:{lab}) WHERE n.{k} IN $keys RETURN n.{k} AS key, "
                f"properties(n) AS props", {"keys": keys})

    def existing_keys(self, label: str, keys: list[str]) -> tuple[str, dict]:
        lab, k = self._lk(label)
        return f"MATCH (n:{lab}) WHERE n.{k} IN $keys RETURN n.{k} AS key", {"keys": keys}

    def count_nodes(self, label: str) -> tuple[str, dict]:
        lab, _ = self._lk(label)
        return f"MATCH (n:{lab}) RETURN count(n) AS c", {}

    def count_edges(self, edge_type: str) -> tuple[str, dict]:
        t = ident(self.schema.edge(edge_type).name)
        return f"MATCH ()-[e:{t}]->() RETURN count(e) AS c", {}

    # -- search -------------------------------------------------------------------------
    def text_candidates(self, label: str, prop: str, pieces: list[str], limit: int,
                        prefix: bool = False) -> tuple[str, dict]:
        """Nodes whose ``prop`` contains any of ``pieces`` (or starts with the first one)."""
        lab, k = self._lk(label)
        if prop not in self.schema.node(label).properties:
            raise ValueError(f"{label} has no property {prop!r}")
        prop = ident(prop)
        op = "STARTS WITH" if prefix else "CONTAINS"
        cond = " OR ".join(f"n.{prop} {op} $p{i}" for i in range(len(pieces)))
        params = {f"p{i}": p for i, p in enumerate(pieces)}
        params["limit"] = limit
        # Nodes matching more pieces first, so broad pieces do not crowd out the best ones.
        rank = " + ".join(f"CASE WHEN n.{prop} {op} $p{i} THEN 1 ELSE 0 END"
                          for i in range(len(pieces)))
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
    def degrees(self, label: str, keys: list[str],
                edge_types: list[str] | None = None) -> tuple[str, dict]:
        lab, k = self._lk(label)
        return (f"MATCH (a:{lab})-[e{_types(edge_types)}]-() WHERE a.{k} IN $keys "
                f"RETURN a.{k} AS key, count(e) AS degree", {"keys": keys})

    def expand(self, label: str, keys: list[str], edge_types: list[str] | None,
               limit: int) -> tuple[str, dict]:
        """Edges of the given nodes with their far ends, outgoing then incoming.

        Columns: ``key`` (the given node), ``out`` (true when the edge leaves it), ``type``,
        ``eprops``, ``blabel``, ``bkey``, ``bprops``.
        """
        lab, k = self._lk(label)
        d, ty = self.dialect, _types(edge_types)
        parts = []
        for out, arrow in ((True, "-[e{ty}]->"), (False, "<-[e{ty}]-")):
            far = self.schema.far_labels(label, out, edge_types)
            if not far:
                continue
            parts.append(
                f"MATCH (a:{lab}){arrow.format(ty=ty)}(b) WHERE a.{k} IN $keys "
                f"RETURN a.{k} AS key, {'true' if out else 'false'} AS out, "
                f"{d.rel_type('e')} AS type, properties(e) AS eprops, "
                f"{d.label('b')} AS blabel, {self.key_of('b', far)} AS bkey, "
                f"properties(b) AS bprops LIMIT $limit")
        return " UNION ALL ".join(parts), ({"keys": keys, "limit": limit} if parts else {})

    def expand_keys(self, label: str, keys: list[str], max_degree: int) -> tuple[str, dict]:
        """Neighbour keys of those given nodes whose degree is at most ``max_degree``.

        Columns: ``key``, ``type``, ``blabel``, ``bkey``. Direction is ignored (paths are
        undirected); hubs are left out in the same round trip.
        """
        lab, k = self._lk(label)
        far = self.schema.neighbour_labels(label)
        d = self.dialect
        return (f"MATCH (a:{lab})-[e]-() WHERE a.{k} IN $keys WITH a, count(e) AS deg "
                f"WHERE deg <= $cap MATCH (a)-[r]-(b) RETURN a.{k} AS key, "
                f"{d.rel_type('r')} AS type, {d.label('b')} AS blabel, "
                f"{self.key_of('b', far)} AS bkey", {"keys": keys, "cap": max_degree})

    def shared_via(self, label: str, key: str, pivot: str, limit: int) -> tuple[str, dict]:
        """Other nodes joined to the pivots of ``pivot`` label that node ``key`` links to.

        Columns: ``pkey``, ``type`` (edge other-pivot), ``olabel``, ``okey``.
        """
        lab, k = self._lk(label)
        plab, pk = self._lk(pivot)
        far = self.schema.neighbour_labels(pivot)
        d = self.dialect
        return (f"MATCH (a:{lab})-[]-(p:{plab})-[r]-(o) WHERE a.{k} = $key "
                f"RETURN DISTINCT p.{pk} AS pkey, {d.rel_type('r')} AS type, "
                f"{d.label('o')} AS olabel, {self.key_of('o', far)} AS okey LIMIT $limit",
                {"key": key, "limit": limit})

    def edges_among(self, from_label: str, from_keys: list[str], to_label: str,
                    to_keys: list[str]) -> tuple[str, dict]:
        """Edges from nodes of ``from_label`` to nodes of ``to_label``, both key-restricted."""
        fl, fk = self._lk(from_label)
        tl, tk = self._lk(to_label)
        types = [e for e in self.schema.edges_between(from_label, to_label)
                 if (from_label, to_label) in self.schema.edge(e).pairs]
        if not types:
            return "", {}
        return (f"MATCH (a:{fl})-[e{_types(types)}]->(b:{tl}) WHERE a.{fk} IN $akeys "
                f"AND b.{tk} IN $bkeys RETURN a.{fk} AS akey, {self.dialect.rel_type('e')} "
                f"AS type, properties(e) AS eprops, b.{tk} AS bkey",
                {"akeys": from_keys, "bkeys": to_keys})
