"""A small generated and loaded world for the app tests, with scored rings where the
detection service can write them, and the entities the tests search and join by a path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from graph.store import NodeRef, open_store
from ui.browser_check import pick_entities

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


def _write_rings(ws: Path, seller: NodeRef) -> tuple[bool, str]:
    """Two rings through the detection service's own writer, built from the seller and
    the entities it shares identifiers with (so the ring card has a real network)."""
    try:
        from graph.detection.results import Ring, write_rings
    except ImportError as exc:
        return False, f"graph.detection.results not available yet ({exc})"
    store = open_store(ws)
    try:
        # the seller, some of its buyers, and who shares a phone, address or account with them
        sg = store.neighbourhood(seller, hops=2, limit=80, edge_types=["SOLD_BY", "BUYER"])
        buyers = sorted(r for r in sg.nodes if r.label == "Person")[:4]
        members = [{"ref": seller, "role": "seller", "risk": 0.91}]
        members += [{"ref": b, "role": "buyer", "risk": 0.6} for b in buyers]
        pivots: dict[NodeRef, list[NodeRef]] = {}
        for b in buyers:
            for o, _, p in store.sharing_identifier(b)[:3]:
                pivots.setdefault(p, [b]).append(o)
                if len(members) < 9 and all(m["ref"] != o for m in members):
                    members.append({"ref": o, "role": o.label.lower(), "risk": 0.4})
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
    code, name, person = pick_entities(ws)[0]
    seller = NodeRef("Enterprise", code)
    written, reason = _write_rings(ws, seller)
    return AppWorld(ws, seller, name, person, written, reason)
