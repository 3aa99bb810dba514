"""Downloads of a drawn subgraph: nodes and edges as CSV, the whole graph as GraphML."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

from graph.store.base import Subgraph

__all__ = ["subgraph_csv_zip", "subgraph_graphml"]


def subgraph_csv_zip(sg: Subgraph) -> bytes:
    """A zip holding ``nodes.csv`` and ``edges.csv`` (the tables shown under the drawing)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("nodes.csv", sg.nodes_df().to_csv(index=False))
        z.writestr("edges.csv", sg.edges_df().to_csv(index=False))
    return buf.getvalue()


def _plain(v):
    """GraphML holds strings, numbers and booleans only."""
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return str(v)


def subgraph_graphml(sg: Subgraph) -> bytes:
    """The subgraph as GraphML (Gephi, yEd, Cytoscape, i2 import): node ids
    ``Label:key``, node attribute ``label``, edge attribute ``type``, plus properties."""
    import networkx as nx

    g = nx.MultiDiGraph()
    for ref, props in sg.nodes.items():
        attrs = {k: _plain(v) for k, v in props.items() if v is not None}
        g.add_node(f"{ref.label}:{ref.key}", **attrs, label=ref.label, key=ref.key)
    for a, typ, b, props in sg.edges:
        attrs = {k: _plain(v) for k, v in props.items() if v is not None}
        g.add_edge(f"{a.label}:{a.key}", f"{b.label}:{b.key}", **attrs, type=typ)
    buf = io.BytesIO()
    nx.write_graphml(g, buf)
    return buf.getvalue()
