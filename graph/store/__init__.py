"""Graph stores behind one interface: the embedded default (Ladybug) and Neo4j.

All Cypher lives in this package; values always travel as ``$parameters``.
"""

from graph.store.base import EntityHit, GraphStore, NodeRef, PathResult, Subgraph
from graph.store.paths import PathSearchGaveUp

__all__ = ["GraphStore", "EntityHit", "NodeRef", "PathResult", "PathSearchGaveUp", "Subgraph",
           "open_store"]


def open_store(workspace, *, read_only: bool = False) -> GraphStore:
    """The store this installation uses: Neo4j when ``NEO4J_URI`` is set, else the embedded one
    in ``<workspace>/graph``."""
    import os

    if os.environ.get("NEO4J_URI"):
        from graph.store.neo4j_store import Neo4jStore

        return Neo4jStore.from_env()
    from pathlib import Path

    from graph.store.ladybug_store import LadybugStore

    return LadybugStore(Path(workspace) / "graph", read_only=read_only)
