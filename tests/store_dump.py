"""Read a whole graph store back as sorted lists, to compare two stores in tests."""

from __future__ import annotations

from typing import Any

from graph.schema import load_schema


def _q(name: str) -> str:
    return f"`{name}`"


def dump_store(store: Any) -> dict[str, list[tuple]]:
    """``{"node:<Label>": sorted property tuples, "edge:<TYPE>:<From>><To>": sorted
    (from_key, to_key, properties...)}``; the internal ``_batch`` is left out."""
    s = load_schema()
    out: dict[str, list[tuple]] = {}
    for label, n in s.nodes.items():
        ret = ", ".join(f"n.{_q(p)} AS {_q(p)}" for p in n.properties)
        rows = store.query(f"MATCH (n:{_q(label)}) RETURN {ret}")
        out[f"node:{label}"] = sorted(tuple(map(repr, r.values())) for r in rows)
    for name, e in s.edges.items():
        for frm, to in e.pairs:
            props = "".join(f", e.{_q(p)} AS {_q(p)}" for p in e.properties)
            rows = store.query(
                f"MATCH (a:{_q(frm)})-[e:{_q(name)}]->(b:{_q(to)}) RETURN "
                f"a.{_q(s.node(frm).key)} AS f, b.{_q(s.node(to).key)} AS t{props}")
            out[f"edge:{name}:{frm}>{to}"] = sorted(tuple(map(repr, r.values())) for r in rows)
    return out
