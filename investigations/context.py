"""The investigation workspace: the graph store where cases live, plus the folders that hold
what does not belong in a graph (evidence files by SHA-256, audit anchors, keys, exports)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

__all__ = ["CaseWorkspace", "now_iso", "new_id", "put_node", "get_props", "NotFound"]


class NotFound(LookupError):
    """A case, evidence item, alert, export or user that does not exist."""


def now_iso() -> str:
    """The current UTC time, ISO-8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def new_id(prefix: str) -> str:
    """A short random id such as ``CASE-20261203-3f9a1c``."""
    return f"{prefix}-{datetime.now(UTC):%Y%m%d}-{os.urandom(3).hex()}"


@dataclass
class CaseWorkspace:
    """The store plus the workspace folder. ``anchor_dir`` (default ``<root>/audit``, or
    ``CBEC_AUDIT_ANCHOR_DIR``) receives the audit anchors and should sit on other storage
    than the store (a write-once share, a different host's mount) in a deployment."""

    store: Any
    root: Path
    anchor_dir: Path | None = None
    anchor_every: int = 20

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        env_dir = os.environ.get("CBEC_AUDIT_ANCHOR_DIR")
        self.anchor_dir = Path(self.anchor_dir or env_dir or self.root / "audit")

    @classmethod
    def open(cls, root: str | Path, **kw) -> CaseWorkspace:
        """The workspace at ``root`` on the installation's store (Neo4j if NEO4J_URI is set)."""
        from graph.store import open_store

        store = open_store(root)
        store.ensure_schema()
        return cls(store, Path(root), **kw)

    @classmethod
    def open_shared(cls, root: str | Path, **kw) -> CaseWorkspace:
        """The workspace for a long-running reader that writes now and then (the app): on
        the embedded store it holds the database read-only and writable only during a
        write (:class:`~investigations.short_write.ShortWriteStore`), so `cbec load` can
        run beside it; on Neo4j the server takes care of that."""
        if os.environ.get("NEO4J_URI"):
            return cls.open(root, **kw)
        from investigations.short_write import ShortWriteStore

        return cls(ShortWriteStore(Path(root) / "graph"), Path(root), **kw)

    def writing(self):
        """A block of writes kept together (one short write lock on the embedded store)."""
        from contextlib import nullcontext

        w = getattr(self.store, "writing", None)
        return w() if w else nullcontext()

    def refresh(self) -> None:
        """Show what other processes wrote since (a shared workspace's reader reopens)."""
        r = getattr(self.store, "refresh", None)
        if r:
            r()

    @property
    def evidence_dir(self) -> Path:
        return self.root / "evidence"

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    def close(self) -> None:
        self.store.close()


def put_node(store, label: str, row: dict[str, Any]) -> None:
    """Upsert one node; dict/list values are stored as JSON text."""
    props = store.schema.node(label).properties
    clean = {}
    for k, v in row.items():
        if k not in props:
            raise ValueError(f"{label} has no property {k!r}")
        if isinstance(v, dict | list | tuple):
            v = json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)
        clean[k] = v
    types = {"STRING": pa.string(), "INT64": pa.int64(), "DOUBLE": pa.float64(),
             "BOOLEAN": pa.bool_()}
    table = pa.table({k: pa.array([v], types.get(props[k], pa.string()))
                      for k, v in clean.items()})
    store.write_nodes(label, table)


def get_props(store, label: str, key: str) -> dict[str, Any]:
    """One node's properties, or :class:`NotFound` naming what is missing."""
    from graph.store import NodeRef

    props = store.get_node(NodeRef(label, key))
    if props is None:
        raise NotFound(f"no {label} {key!r} in this workspace")
    return props
