"""A small generated and loaded world for the app tests, with scored rings where the
detection service can write them, and the entities the tests search and join by a path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from graph.store import NodeRef, open_store

__all__ = ["AppWorld", "build_app_world"]

DECLARATIONS = 1500
SEED = 7


@dataclass
class AppWorld:
    workspace: Path
    seller: NodeRef  # a busy seller sharing identifiers with others
    seller_name: str
    person_name: str  # a buyer of that seller: a path of a few hops away
    rings_written: bool
    rings_reason: str


def _pick(ws: Path) -> tuple[NodeRef, str, str]:
    con = duckdb.connect(str(ws / "staging.duckdb"), read_only=True)
    try:
        code, name = con.execute(
            "SELECT e.code, e.name FROM node_Enterprise e JOIN edge_SOLD_BY s "
            "ON s.to_key = e.code JOIN edge_BUYER b ON b.from_key = s.from_key "
            "WHERE e.name IS NOT NULL GROUP BY ALL "
            "ORDER BY count(*) DESC, e.code LIMIT 1 OFFSET 2").fetchone()
        person = con.execute(
            "SELECT p.name FROM edge_SOLD_BY s JOIN edge_BUYER b ON b.from_key = s.from_key "
            "JOIN node_Person p ON p.person_key = b.to_key WHERE s.to_key = ? "
            "AND p.name IS NOT NULL ORDER BY p.name LIMIT 1", [code]).fetchone()[0]
    finally:
        con.close()
    return NodeRef("Enterprise", code), name, person


def _write_rings(ws: Path, seller: NodeRef) -> tuple[bool, str]:
    """Two rings through the detection service's own writer, built from the seller and
    the entities it shares identifiers with (so the ring card has a real network)."""
    try:
        from graph.detection.results import Ring, write_rings
    except ImportError as exc:
        return False, f"graph.detection.results not available yet ({exc})"
    store = open_store(ws)
    try:
        shared = store.sharing_identifier(seller)[:8]
        members = [{"ref": seller, "role": "seller", "risk": 0.91}]
        members += [{"ref": o, "role": o.label.lower(), "risk": 0.6} for o, _, _ in shared
                    if o != seller][:5]
        pivots: dict[NodeRef, list[NodeRef]] = {}
        for o, _, p in shared:
            pivots.setdefault(p, [seller]).append(o)
        now = datetime.now(UTC)
        rings = [Ring(ring_id=f"ring-{i}", rank=i + 1, score=s, typology=t,
                      members=members[: len(members) - i],
                      shared=[{"identifier": p, "members": m} for p, m in pivots.items()],
                      indicators=[{"name": "shared_phone_sellers", "value": 3.0,
                                   "threshold": 2.0,
                                   "sentence": "three sellers answer on one phone"}],
                      destinations=["US", "NL"], channels=["cbec"], months=["2025-06"],
                      declarations=40 - i, value_rmb=12000.0, duty_at_stake_rmb=1800.0,
                      model_version="test", threshold=0.5, scored_at=now)
                 for i, (s, t) in enumerate([(0.93, "T6"), (0.71, "T1")])]
        write_rings(store, rings)
    finally:
        store.close()
    return True, ""


def build_app_world(root: Path) -> AppWorld:
    from etl.load import load
    from synthetic.config import GenConfig
    from synthetic.world import generate

    generate(GenConfig(declarations=DECLARATIONS, seed=SEED), root / "world")
    ws = root / "ws"
    load(root / "world", ws, say=lambda m: None)
    seller, name, person = _pick(ws)
    written, reason = _write_rings(ws, seller)
    return AppWorld(ws, seller, name, person, written, reason)
