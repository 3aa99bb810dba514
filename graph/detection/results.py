"""What detection hands to the app and to cases: ranked rings with evidence, and entity risk.

Both live in the graph store (a ``Ring`` node per ring with its evidence as JSON properties,
``RING_MEMBER`` edges to its members, ``risk_score`` / ``risk_reasons`` / ``risk_model`` on
every scored node), so the app and case exports work the same on Ladybug and Neo4j. They are
also written as Parquet under ``<workspace>/detection/`` (``rings.parquet``,
``ring_members.parquet``, ``risk_<Label>.parquet``) for fast bulk reading.

Example
-------
>>> r = Ring(ring_id=ring_id_for([NodeRef("Phone", "+86"), NodeRef("Enterprise", "A")]),
...          rank=1, score=0.9, typology="T6", members=[], shared=[], indicators=[],
...          destinations=[], channels=[], months=[], declarations=0, value_rmb=0.0,
...          duty_at_stake_rmb=0.0, model_version="m", threshold=0.5,
...          scored_at=datetime(2026, 1, 1))
>>> Ring.from_row(r.to_row()) == r
True
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from graph.store import NodeRef
from graph.store.derived import all_nodes, delete_label

__all__ = ["Ring", "ring_id_for", "write_rings", "list_rings", "get_ring", "entity_risk",
           "write_risk", "detection_dir", "RISK_LABELS"]

RING_LABEL = "Ring"
MEMBER_EDGE = "RING_MEMBER"
RING_BATCH = "rings"  # one batch per member label: a new ring set replaces it whole
RISK_LABELS = ("Declaration", "Enterprise", "Person", "Address", "Phone", "PaymentAccount",
               "IdNumber", "Email")


def ring_id_for(members: list[NodeRef]) -> str:
    """A stable id from the sorted member keys: scoring again finds the same id."""
    text = "\n".join(sorted(f"{m.label}:{m.key}" for m in set(members)))
    return "R-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _ref_out(ref: NodeRef) -> list[str]:
    return [ref.label, ref.key]


def _ref_in(v: Any) -> NodeRef:
    if isinstance(v, NodeRef):
        return v
    if isinstance(v, dict):
        return NodeRef(v["label"], v["key"])
    return NodeRef(str(v[0]), str(v[1]))


def _timestamp(v: Any) -> datetime:
    if isinstance(v, datetime):
        return v.replace(tzinfo=None)
    if hasattr(v, "to_native"):  # neo4j driver types
        return v.to_native().replace(tzinfo=None)
    return datetime.fromisoformat(str(v)).replace(tzinfo=None)


def _split(v: Any) -> list[str]:
    return [x for x in str(v or "").split("|") if x]


@dataclass
class Ring:
    """A candidate fraud ring, its score and the evidence behind it."""

    ring_id: str
    rank: int
    score: float
    typology: str
    members: list[dict]  # {"ref": NodeRef, "role": str, "risk": float}
    shared: list[dict]  # {"identifier": NodeRef, "members": [NodeRef, ...]}
    indicators: list[dict]  # {"name", "value", "threshold", "sentence"}
    destinations: list[str]
    channels: list[str]
    months: list[str]
    declarations: int
    value_rmb: float
    duty_at_stake_rmb: float
    model_version: str
    threshold: float
    scored_at: datetime
    extra: dict = field(default_factory=dict, compare=False)  # not stored; scoring scratch

    def member_refs(self, roles: set[str] | None = None) -> list[NodeRef]:
        """The members' refs (of the given roles only, when given)."""
        return [m["ref"] for m in self.members if roles is None or m["role"] in roles]

    def to_row(self) -> dict[str, Any]:
        """The ``Ring`` node's properties (lists pipe-joined, evidence as JSON)."""
        return {
            "ring_id": self.ring_id, "rank": int(self.rank), "score": float(self.score),
            "typology": self.typology,
            "members_json": json.dumps([{"ref": _ref_out(m["ref"]), "role": m["role"],
                                         "risk": float(m.get("risk") or 0.0)}
                                        for m in self.members], ensure_ascii=False),
            "shared_json": json.dumps([{"identifier": _ref_out(s["identifier"]),
                                        "members": [_ref_out(x) for x in s["members"]]}
                                       for s in self.shared], ensure_ascii=False),
            "indicators_json": json.dumps([{"name": i["name"], "value": float(i["value"]),
                                            "threshold": float(i["threshold"]),
                                            "sentence": i["sentence"]}
                                           for i in self.indicators], ensure_ascii=False),
            "destinations": "|".join(self.destinations), "channels": "|".join(self.channels),
            "months": "|".join(self.months), "declarations": int(self.declarations),
            "value_rmb": float(self.value_rmb),
            "duty_at_stake_rmb": float(self.duty_at_stake_rmb),
            "model_version": self.model_version, "threshold": float(self.threshold),
            "scored_at": _timestamp(self.scored_at),
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Ring:
        """The inverse of :meth:`to_row` (from a store node or a Parquet row)."""
        members = [{"ref": _ref_in(m["ref"]), "role": m["role"], "risk": float(m["risk"])}
                   for m in json.loads(row.get("members_json") or "[]")]
        shared = [{"identifier": _ref_in(s["identifier"]),
                   "members": [_ref_in(x) for x in s["members"]]}
                  for s in json.loads(row.get("shared_json") or "[]")]
        return cls(
            ring_id=row["ring_id"], rank=int(row.get("rank") or 0),
            score=float(row.get("score") or 0.0), typology=row.get("typology") or "unknown",
            members=members, shared=shared,
            indicators=json.loads(row.get("indicators_json") or "[]"),
            destinations=_split(row.get("destinations")), channels=_split(row.get("channels")),
            months=_split(row.get("months")), declarations=int(row.get("declarations") or 0),
            value_rmb=float(row.get("value_rmb") or 0.0),
            duty_at_stake_rmb=float(row.get("duty_at_stake_rmb") or 0.0),
            model_version=row.get("model_version") or "", threshold=float(row.get("threshold")
                                                                           or 0.0),
            scored_at=_timestamp(row.get("scored_at") or datetime(1970, 1, 1)))


def detection_dir(store: Any = None, workspace: str | Path | None = None) -> Path | None:
    """``<workspace>/detection`` (from ``workspace``, else the embedded store's folder);
    None for a Neo4j store with no workspace given."""
    if workspace is not None:
        return Path(workspace) / "detection"
    path = getattr(store, "path", None)
    return Path(path).parent / "detection" if path is not None else None


def _write_parquet(table: pa.Table, path: Path) -> None:
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)  # readers never see half a file


def write_rings(store: Any, rings: list[Ring], *, workspace: str | Path | None = None) -> None:
    """Replace the store's ring set with ``rings`` (nodes and member edges) and write the
    Parquet copies. Ranks are taken as given."""
    store.ensure_schema()  # a graph loaded before detection existed gains Ring/RING_MEMBER
    delete_label(store, RING_LABEL)
    rows = [r.to_row() for r in rings]
    if rows:
        store.write_nodes(RING_LABEL, pa.Table.from_pylist(rows))
    members = [{"ring_id": r.ring_id, "label": m["ref"].label, "key": m["ref"].key,
                "role": m["role"], "risk": float(m.get("risk") or 0.0)}
               for r in rings for m in r.members]
    targets = {lab for _, lab in store.schema.edge(MEMBER_EDGE).pairs}
    for label in sorted(targets):
        mine = [m for m in members if m["label"] == label]
        table = pa.Table.from_pylist(
            [{"from_key": m["ring_id"], "to_key": m["key"], "role": m["role"], "risk": m["risk"]}
             for m in mine],
            schema=pa.schema([("from_key", pa.string()), ("to_key", pa.string()),
                              ("role", pa.string()), ("risk", pa.float64())]))
        store.write_edges(MEMBER_EDGE, RING_LABEL, label, table, batch=f"{RING_BATCH}:{label}")
    out = detection_dir(store, workspace)
    if out is not None:
        ring_schema = pa.schema([
            ("ring_id", pa.string()), ("rank", pa.int64()), ("score", pa.float64()),
            ("typology", pa.string()), ("members_json", pa.string()),
            ("shared_json", pa.string()), ("indicators_json", pa.string()),
            ("destinations", pa.string()), ("channels", pa.string()), ("months", pa.string()),
            ("declarations", pa.int64()), ("value_rmb", pa.float64()),
            ("duty_at_stake_rmb", pa.float64()), ("model_version", pa.string()),
            ("threshold", pa.float64()), ("scored_at", pa.timestamp("us"))])
        _write_parquet(pa.Table.from_pylist(rows, schema=ring_schema), out / "rings.parquet")
        _write_parquet(pa.Table.from_pylist(members, schema=pa.schema([
            ("ring_id", pa.string()), ("label", pa.string()), ("key", pa.string()),
            ("role", pa.string()), ("risk", pa.float64())])), out / "ring_members.parquet")


def list_rings(store: Any, *, top: int | None = None, typology: str | None = None,
               min_score: float | None = None) -> list[Ring]:
    """Rings in rank order, optionally the first ``top``, of one ``typology``, or scoring at
    least ``min_score``. An empty list when nothing was scored yet."""
    try:
        rows = all_nodes(store, RING_LABEL)
    except Exception as exc:  # noqa: BLE001 - a graph from before detection has no Ring table
        if "Ring" in str(exc) and ("not exist" in str(exc) or "does not exist" in str(exc)):
            return []
        raise
    rings = sorted((Ring.from_row(r) for r in rows), key=lambda r: (r.rank, -r.score))
    if typology is not None:
        rings = [r for r in rings if r.typology == typology]
    if min_score is not None:
        rings = [r for r in rings if r.score >= min_score]
    return rings[:top] if top is not None else rings


def get_ring(store: Any, ring_id: str) -> Ring | None:
    """One ring by id, or None."""
    try:
        row = store.get_node(NodeRef(RING_LABEL, ring_id))
    except Exception as exc:  # noqa: BLE001 - no Ring table yet
        if "Ring" in str(exc):
            return None
        raise
    return Ring.from_row(row) if row else None


def entity_risk(store: Any, ref: NodeRef) -> dict | None:
    """``{"score", "reasons", "model_version"}`` of a scored node; None if it was not scored
    (or is not of a scored label)."""
    if ref.label not in RISK_LABELS:
        return None
    props = store.get_node(ref)
    if not props or props.get("risk_score") is None:
        return None
    raw = props.get("risk_reasons") or "[]"
    try:
        reasons = [str(x) for x in json.loads(raw)]
    except ValueError:
        reasons = [raw]
    return {"score": float(props["risk_score"]), "reasons": reasons,
            "model_version": props.get("risk_model") or ""}


def write_risk(store: Any, label: str, keys: list[str], scores: list[float],
               reasons: list[list[str]], model_version: str, *,
               workspace: str | Path | None = None, parquet_mode: str = "replace") -> int:
    """Set ``risk_score``/``risk_reasons``/``risk_model`` on existing nodes of ``label`` and
    write ``risk_<label>.parquet`` (``parquet_mode``: ``replace`` the file, or ``merge``
    these keys into it, for incremental scoring). Returns the nodes written."""
    if label not in RISK_LABELS:
        raise ValueError(f"{label} carries no risk properties; scored labels: {RISK_LABELS}")
    if not (len(keys) == len(scores) == len(reasons)):
        raise ValueError("write_risk: keys, scores and reasons differ in length")
    key = store.schema.node(label).key
    table = pa.table({key: pa.array(keys, pa.string()),
                      "risk_score": pa.array([float(s) for s in scores], pa.float64()),
                      "risk_reasons": pa.array([json.dumps(r, ensure_ascii=False)
                                                for r in reasons], pa.string()),
                      "risk_model": pa.array([model_version] * len(keys), pa.string())})
    store.ensure_schema()
    n = store.write_nodes(label, table) if len(keys) else 0
    out = detection_dir(store, workspace)
    if out is not None:
        path = out / f"risk_{label}.parquet"
        if parquet_mode == "merge" and path.exists():
            import pyarrow.compute as pc
            import pyarrow.parquet as pq

            old = pq.read_table(path)
            old = old.filter(pc.invert(pc.is_in(old.column(key), table.column(key))))
            table = pa.concat_tables([old, table.cast(old.schema)])
        _write_parquet(table, path)
    return n
