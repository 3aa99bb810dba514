"""The graph schema (``graph/schema.yaml``) as dataclasses, and the DDL generated from it.

The YAML is the one declaration of node and edge types. From it come the embedded store's
``CREATE NODE TABLE`` / ``CREATE REL TABLE`` statements (:func:`ladybug_ddl`) and the Neo4j
uniqueness constraints and indexes (:func:`neo4j_constraints`).

Label, edge-type and property names are the only text ever formatted into Cypher, so each
is checked against :data:`IDENTIFIER` when the schema loads; every value travels as a
``$parameter``.

Every edge type also carries an implicit ``_batch STRING`` property (:data:`BATCH_PROPERTY`):
the id of the delta that wrote the edge. Relationship tables accept duplicate edges, so a
store makes ``write_edges`` idempotent by deleting the edges of a batch before writing it
again.

Examples
--------
>>> s = load_schema()
>>> s.node("Phone").key
'phone'
>>> s.edge("HAS_PHONE").pairs
(('Person', 'Phone'), ('Enterprise', 'Phone'))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

__all__ = [
    "BATCH_PROPERTY",
    "IDENTIFIER",
    "TYPES",
    "EdgeType",
    "GraphSchema",
    "NodeType",
    "SchemaError",
    "ladybug_ddl",
    "load_schema",
    "ident",
    "neo4j_constraints",
]

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
TYPES = frozenset({"STRING", "INT64", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP"})
BATCH_PROPERTY = "_batch"
# The timestamp that time filters apply to, per dated label.
TIME_PROPERTIES = {
    "Order": "order_time",
    "Payment": "pay_time",
    "Waybill": "ship_time",
    "Declaration": "decl_time",
}


class SchemaError(ValueError):
    """The schema file is malformed, or a name is not in the schema."""


def check_identifier(name: str, what: str) -> str:
    """Return ``name`` if it is a safe Cypher identifier, else raise :class:`SchemaError`."""
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise SchemaError(f"{what} {name!r} is not a valid identifier "
                          f"(letters, digits and '_', not starting with a digit)")
    return name


def ident(name: str) -> str:
    """``name`` checked and back-quoted for Cypher (``Order``, ``CONTAINS`` are keywords).

    >>> ident("Order")
    '`Order`'
    """
    return f"`{check_identifier(name, 'identifier')}`"


@dataclass(frozen=True)
class NodeType:
    """A node label: its key property, property types, extra indexes, pivot flag."""

    label: str
    key: str
    properties: dict[str, str]
    index: tuple[str, ...] = ()
    pivot: bool = False
    # Written by detection (``cbec score``), never by the ETL: a whole label (``derived:
    # true``, e.g. Ring) or the risk properties the ``derived:`` section adds to a label.
    derived: bool = False
    derived_properties: tuple[str, ...] = ()

    @property
    def etl_properties(self) -> dict[str, str]:
        """The properties the ETL projects and sends (all but the derived ones)."""
        return {p: t for p, t in self.properties.items() if p not in self.derived_properties}


@dataclass(frozen=True)
class EdgeType:
    """An edge type: the (from, to) label pairs it joins and its declared properties.

    ``properties`` excludes the implicit ``_batch``; :meth:`all_properties` includes it.
    """

    name: str
    pairs: tuple[tuple[str, str], ...]
    properties: dict[str, str] = field(default_factory=dict)
    derived: bool = False  # written by detection, never by the ETL (e.g. RING_MEMBER)

    def all_properties(self) -> dict[str, str]:
        """Declared properties plus the implicit ``_batch STRING``."""
        return {**self.properties, BATCH_PROPERTY: "STRING"}


@dataclass(frozen=True)
class GraphSchema:
    """All node and edge types, with look-ups that reject unknown names."""

    version: int
    nodes: dict[str, NodeType]
    edges: dict[str, EdgeType]

    def node(self, label: str) -> NodeType:
        """The node type ``label``; :class:`SchemaError` naming the known labels if unknown."""
        try:
            return self.nodes[label]
        except (KeyError, TypeError):
            raise SchemaError(f"unknown node label {label!r}; known: "
                              f"{', '.join(sorted(self.nodes))}") from None

    def edge(self, name: str) -> EdgeType:
        """The edge type ``name``; :class:`SchemaError` naming the known types if unknown."""
        try:
            return self.edges[name]
        except (KeyError, TypeError):
            raise SchemaError(f"unknown edge type {name!r}; known: "
                              f"{', '.join(sorted(self.edges))}") from None

    @property
    def projected_nodes(self) -> dict[str, NodeType]:
        """The labels the ETL projects and sends (all but detection's derived ones)."""
        return {k: n for k, n in self.nodes.items() if not n.derived}

    @property
    def projected_edges(self) -> dict[str, EdgeType]:
        """The edge types the ETL projects (resolution's included), not detection's."""
        return {k: e for k, e in self.edges.items() if not e.derived}

    def pivots(self) -> list[str]:
        """Labels of the shared-identifier nodes (phone, address, account, ID, e-mail)."""
        return [n.label for n in self.nodes.values() if n.pivot]

    def edges_between(self, a: str, b: str) -> list[str]:
        """Edge types joining labels ``a`` and ``b`` in either direction."""
        return [e.name for e in self.edges.values()
                if (a, b) in e.pairs or (b, a) in e.pairs]

    def far_labels(self, label: str, outgoing: bool,
                   edge_types: list[str] | None = None) -> list[str]:
        """Labels at the other end of ``label``'s outgoing (or incoming) edges, sorted."""
        out: set[str] = set()
        for e in self.edges.values():
            if edge_types is not None and e.name not in edge_types:
                continue
            for f, t in e.pairs:
                if outgoing and f == label:
                    out.add(t)
                if not outgoing and t == label:
                    out.add(f)
        return sorted(out)

    def neighbour_labels(self, label: str, edge_types: list[str] | None = None) -> list[str]:
        """Labels one edge away from ``label`` (through ``edge_types`` if given), sorted."""
        out: set[str] = set()
        for e in self.edges.values():
            if edge_types is not None and e.name not in edge_types:
                continue
            for f, t in e.pairs:
                if f == label:
                    out.add(t)
                if t == label:
                    out.add(f)
        return sorted(out)


def _merge_sections(doc: dict, source: str) -> dict:
    """``nodes``/``edges`` plus any ``<part>_nodes``/``<part>_edges`` sections (a package's
    own labels, e.g. ``investigation_nodes``), so packages add types without editing the
    core lists; a name declared twice is an error. Such types are never projected by the
    ETL (``derived: true`` unless the section says otherwise): their package writes them."""
    merged = dict(doc)
    for kind in ("nodes", "edges"):
        together = dict(doc.get(kind) or {})
        for section in sorted(k for k in doc if isinstance(k, str) and k.endswith(f"_{kind}")):
            for name, spec in (doc[section] or {}).items():
                if name in together:
                    raise SchemaError(f"{source}: {section}.{name} is declared twice")
                together[name] = {"derived": True, **(spec or {})}
        merged[kind] = together
    return merged


def _parse(doc: dict, source: str) -> GraphSchema:
    if not isinstance(doc, dict) or "nodes" not in doc or "edges" not in doc:
        raise SchemaError(f"{source}: expected top-level 'nodes' and 'edges' mappings")
    doc = _merge_sections(doc, source)
    nodes: dict[str, NodeType] = {}
    for label, spec in doc["nodes"].items():
        check_identifier(label, f"{source}: node label")
        props = dict(spec.get("properties") or {})
        for p, t in props.items():
            check_identifier(p, f"{source}: nodes.{label} property")
            if t not in TYPES:
                raise SchemaError(f"{source}: nodes.{label}.{p} has type {t!r}; "
                                  f"use one of {sorted(TYPES)}")
        key = spec.get("key")
        if key not in props:
            raise SchemaError(f"{source}: nodes.{label}: key {key!r} is not among its properties")
        index = tuple(spec.get("index") or ())
        for p in index:
            if p not in props:
                raise SchemaError(f"{source}: nodes.{label}: index {p!r} is not a property")
        nodes[label] = NodeType(label, key, props, index, bool(spec.get("pivot", False)),
                                derived=bool(spec.get("derived", False)))
    nodes = _with_derived_properties(doc.get("derived_properties"), nodes, source)
    edges: dict[str, EdgeType] = {}
    for name, spec in doc["edges"].items():
        check_identifier(name, f"{source}: edge type")
        pairs = tuple((str(f), str(t)) for f, t in spec.get("pairs") or ())
        if not pairs:
            raise SchemaError(f"{source}: edges.{name} has no (from, to) pairs")
        for f, t in pairs:
            for lab in (f, t):
                if lab not in nodes:
                    raise SchemaError(f"{source}: edges.{name} joins unknown label {lab!r}")
        props = dict(spec.get("properties") or {})
        for p, t in props.items():
            check_identifier(p, f"{source}: edges.{name} property")
            if t not in TYPES:
                raise SchemaError(f"{source}: edges.{name}.{p} has type {t!r}")
        if BATCH_PROPERTY in props:
            raise SchemaError(f"{source}: edges.{name}: {BATCH_PROPERTY!r} is implicit; remove it")
        edges[name] = EdgeType(name, pairs, props, derived=bool(spec.get("derived", False)))
    return GraphSchema(int(doc.get("version", 1)), nodes, edges)


def _with_derived_properties(spec: dict | None, nodes: dict[str, NodeType],
                             source: str) -> dict[str, NodeType]:
    """Add the ``derived_properties`` section (``labels`` and ``properties``) to those labels."""
    if not spec:
        return nodes
    props = dict(spec.get("properties") or {})
    for p, t in props.items():
        check_identifier(p, f"{source}: derived_properties property")
        if t not in TYPES:
            raise SchemaError(f"{source}: derived_properties.{p} has type {t!r}")
    out = dict(nodes)
    for label in spec.get("labels") or ():
        if label not in nodes:
            raise SchemaError(f"{source}: derived_properties names unknown label {label!r}")
        n = nodes[label]
        clash = set(props) & set(n.properties)
        if clash:
            raise SchemaError(f"{source}: derived_properties {sorted(clash)} already on {label}")
        out[label] = NodeType(n.label, n.key, {**n.properties, **props}, n.index, n.pivot,
                              n.derived, tuple(props))
    return out


@lru_cache(maxsize=4)
def load_schema(path: str | Path = SCHEMA_PATH) -> GraphSchema:
    """Read and validate a schema file (default: the packaged ``graph/schema.yaml``)."""
    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        return _parse(yaml.safe_load(fh), path.name)


def _columns(props: dict[str, str]) -> str:
    return ", ".join(f"{ident(p)} {t}" for p, t in props.items())


def ladybug_ddl(schema: GraphSchema) -> list[str]:
    """``CREATE NODE TABLE`` then ``CREATE REL TABLE`` statements, all ``IF NOT EXISTS``.

    A relationship table lists every ``FROM a TO b`` pair of its edge type, so one table
    (and one Cypher type) serves all pairs.
    """
    out = [f"CREATE NODE TABLE IF NOT EXISTS {ident(n.label)}({_columns(n.properties)}, "
           f"PRIMARY KEY({ident(n.key)}))" for n in schema.nodes.values()]
    # A graph created before detection's properties existed gains them in place.
    out += [f"ALTER TABLE {ident(n.label)} ADD IF NOT EXISTS {ident(p)} {n.properties[p]}"
            for n in schema.nodes.values() for p in n.derived_properties]
    for e in schema.edges.values():
        pairs = ", ".join(f"FROM {ident(f)} TO {ident(t)}" for f, t in e.pairs)
        out.append(f"CREATE REL TABLE IF NOT EXISTS {ident(e.name)}({pairs}, "
                   f"{_columns(e.all_properties())})")
    return out


def neo4j_constraints(schema: GraphSchema) -> list[str]:
    """Neo4j 5 uniqueness constraints (one per node key), then the ``index:`` range indexes
    and a relationship index on ``_batch`` per edge type (for batch rewrites)."""
    out = [f"CREATE CONSTRAINT {n.label.lower()}_{n.key}_unique IF NOT EXISTS "
           f"FOR (n:{ident(n.label)}) REQUIRE n.{ident(n.key)} IS UNIQUE"
           for n in schema.nodes.values()]
    for n in schema.nodes.values():
        out += [f"CREATE INDEX {n.label.lower()}_{p} IF NOT EXISTS "
                f"FOR (n:{ident(n.label)}) ON (n.{ident(p)})" for p in n.index]
    out += [f"CREATE INDEX {e.name.lower()}{BATCH_PROPERTY} IF NOT EXISTS "
            f"FOR ()-[r:{ident(e.name)}]-() ON (r.{ident(BATCH_PROPERTY)})"
            for e in schema.edges.values()]
    return out
