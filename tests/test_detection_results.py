"""graph/detection/results.py: rings and risk round-trip through every store and Parquet."""

from __future__ import annotations

from datetime import datetime

import pyarrow.parquet as pq
import pytest

from graph.detection.results import (
    Ring,
    entity_risk,
    get_ring,
    list_rings,
    ring_id_for,
    write_rings,
    write_risk,
)
from graph.store import NodeRef
from tests.conftest import ACCOUNT, PHONE, write_tiny_ring


def _ring(members: list[tuple[str, str, str]], rank: int, score: float, typology="T6") -> Ring:
    refs = [NodeRef(lab, key) for lab, key, _ in members]
    return Ring(
        ring_id=ring_id_for(refs), rank=rank, score=score, typology=typology,
        members=[{"ref": NodeRef(lab, key), "role": role, "risk": 0.5 + rank / 10}
                 for lab, key, role in members],
        shared=[{"identifier": NodeRef("Phone", PHONE),
                 "members": [NodeRef("Enterprise", "S1"), NodeRef("Enterprise", "S2")]}],
        indicators=[{"name": "brand_omission", "value": 0.9, "threshold": 0.5,
                     "sentence": "90% of lines name no brand"}],
        destinations=["US", "DE"], channels=["express"], months=["2024-01", "2024-02"],
        declarations=12, value_rmb=3400.5, duty_at_stake_rmb=410.0, model_version="trees-v1",
        threshold=0.42, scored_at=datetime(2026, 12, 3, 8, 0, 0))


def test_ring_id_is_stable_and_order_free():
    a = [NodeRef("Phone", "p"), NodeRef("Enterprise", "S1")]
    assert ring_id_for(a) == ring_id_for(list(reversed(a)))
    assert ring_id_for(a) != ring_id_for(a[:1])


def test_rings_round_trip_and_replace(store, tmp_path):
    write_tiny_ring(store)
    r1 = _ring([("Enterprise", "S1", "seller"), ("Enterprise", "S2", "seller"),
                ("Phone", PHONE, "phone"), ("Declaration", "D1", "declaration")], 1, 0.9)
    r2 = _ring([("PaymentAccount", ACCOUNT, "account"), ("Person", "nm:lina", "buyer")],
               2, 0.5, typology="T2")
    write_rings(store, [r2, r1], workspace=tmp_path / "ws")
    got = list_rings(store)
    assert [r.ring_id for r in got] == [r1.ring_id, r2.ring_id]
    assert got[0] == r1 and got[1] == r2
    assert [r.ring_id for r in list_rings(store, top=1)] == [r1.ring_id]
    assert [r.ring_id for r in list_rings(store, typology="T2")] == [r2.ring_id]
    assert list_rings(store, min_score=0.6) == [r1]
    assert get_ring(store, r2.ring_id) == r2
    assert get_ring(store, "R-nope") is None
    # member edges exist in the graph: the ring's neighbourhood is its members
    sg = store.neighbourhood(NodeRef("Ring", r1.ring_id), hops=1)
    assert {n for n in sg.nodes if n.label != "Ring"} == set(r1.member_refs())
    # Parquet copies
    pr = pq.read_table(tmp_path / "ws" / "detection" / "rings.parquet").to_pylist()
    assert Ring.from_row(pr[0]) in (r1, r2) and len(pr) == 2
    members = pq.read_table(tmp_path / "ws" / "detection" / "ring_members.parquet")
    assert members.num_rows == 6
    # a new ring set replaces the old one, nodes and edges
    write_rings(store, [r2], workspace=tmp_path / "ws")
    assert list_rings(store) == [r2]
    assert store.count_edges("RING_MEMBER") == 2
    write_rings(store, [], workspace=tmp_path / "ws")
    assert list_rings(store) == [] and store.count_nodes("Ring") == 0


def test_entity_risk(store, tmp_path):
    write_tiny_ring(store)
    assert entity_risk(store, NodeRef("Enterprise", "S1")) is None
    write_risk(store, "Enterprise", ["S1", "S2"], [0.8, 0.1],
               [["shares a phone with S2", "90% brand omitted"], []], "trees-v1",
               workspace=tmp_path)
    got = entity_risk(store, NodeRef("Enterprise", "S1"))
    assert got == {"score": 0.8, "reasons": ["shares a phone with S2", "90% brand omitted"],
                   "model_version": "trees-v1"}
    # the ETL's properties are untouched by the risk write
    assert store.get_node(NodeRef("Enterprise", "S1"))["roles"] == "ebc"
    assert entity_risk(store, NodeRef("Order", "PLAT|O1")) is None
    write_risk(store, "Enterprise", ["S2"], [0.3], [["x"]], "trees-v2", workspace=tmp_path,
               parquet_mode="merge")
    t = pq.read_table(tmp_path / "detection" / "risk_Enterprise.parquet").to_pandas()
    assert dict(zip(t.code, t.risk_score, strict=True)) == {"S1": 0.8, "S2": 0.3}
    with pytest.raises(ValueError, match="carries no risk"):
        write_risk(store, "Order", ["PLAT|O1"], [0.1], [[]], "m")


def test_graph_from_before_detection_gains_its_tables(tmp_path):
    """A graph created without Ring and the risk columns gets them from ensure_schema."""
    import yaml

    from graph.schema import SCHEMA_PATH, _parse
    from graph.store.ladybug_store import LadybugStore

    doc = yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))
    doc.pop("derived_properties")
    doc["nodes"].pop("Ring")
    doc["edges"].pop("RING_MEMBER")
    old = LadybugStore(tmp_path / "graph", schema=_parse(doc, "old"),
                       buffer_pool_bytes=64 * 1024**2)
    old.ensure_schema()
    import pyarrow as pa

    old.write_nodes("Declaration", pa.table({"invt_no": ["D1"], "total_value": [5.0]}))
    old.close()
    new = LadybugStore(tmp_path / "graph", buffer_pool_bytes=64 * 1024**2)
    try:
        assert list_rings(new) == []
        write_risk(new, "Declaration", ["D1"], [0.7], [["r"]], "m1")
        assert entity_risk(new, NodeRef("Declaration", "D1"))["score"] == 0.7
        assert new.get_node(NodeRef("Declaration", "D1"))["total_value"] == 5.0
        write_rings(new, [_ring([("Declaration", "D1", "declaration")], 1, 0.5)])
        assert len(list_rings(new)) == 1
    finally:
        new.close()
