"""Ring extraction: a hand-made ring stays itself although one member also uses a parcel
locker that the customers of many sellers use."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from graph.detection.features import build_features
from graph.detection.rings import _hit_strength, _is_ring, _merge_by_seller, build_rings
from graph.store import NodeRef
from tests.detection_world import decl, make_staging

T0 = datetime(2025, 4, 1)
RING = [f"id:R{i}" for i in range(6)]


def _world() -> list[dict]:
    ds = []
    # the ring: six bought IDs, one drop address and phone, one shell seller
    for i, p in enumerate(RING):
        for j in range(3):
            ds.append(decl(f"K{i}{j}", T0 + timedelta(days=i + j), "SHELL", buyer=p,
                           address="DROP", phone="DROPPHONE", value=4800))
    # the parcel locker: 40 people buying from 10 sellers, one ring member among them
    for i in range(40):
        ds.append(decl(f"L{i}", T0 + timedelta(days=i % 25), f"SHOP{i % 10}",
                       buyer=f"id:C{i}", address="LOCKER", phone=f"PH{i}", value=120))
    ds.append(decl("KL", T0 + timedelta(days=9), "SHOP1", buyer=RING[0], address="LOCKER",
                   phone="PHX", value=80))
    # a family: two people at home, one of the shops' customers
    ds += [decl("F1", T0 + timedelta(days=3), "SHOP2", buyer="id:F1", address="HOME",
                value=90),
           decl("F2", T0 + timedelta(days=4), "SHOP3", buyer="id:F2", address="HOME",
                value=70)]
    return ds


def test_ring_joined_to_a_locker_hub_is_found_without_the_locker_crowd():
    con = make_staging(_world())
    fs = build_features(con, datetime(2025, 5, 1), label_end=datetime(2025, 5, 1))
    hubs = set(fs.nodes.loc[fs.nodes.hub, "key"])
    assert "LOCKER" in hubs and "DROP" not in hubs  # many sellers' strangers vs one seller's
    # a model would score the ring's lists high; here the lists just under RMB 5,000
    score = pd.Series((fs.X.value_cny > 4000).astype(float) * 0.9 + 0.05, index=fs.X.index)
    rings = build_rings(con, fs, score, model_version="test", threshold=0.5, top=10)
    top = rings[0]
    members = {m["ref"] for m in top.members}
    expected = ({NodeRef("Person", p) for p in RING} | {NodeRef("Address", "DROP"),
                NodeRef("Phone", "DROPPHONE"), NodeRef("Enterprise", "SHELL")})
    assert expected <= members
    assert not any(m.key.startswith(("id:C", "SHOP")) or m.key == "LOCKER" for m in members)
    # the shared identifiers are the evidence, with the members they join
    shared = {s["identifier"]: set(s["members"]) for s in top.shared}
    assert {NodeRef("Person", p) for p in RING} <= shared[NodeRef("Address", "DROP")]
    # the ring members' lists: 18 to the drop point and R0's own purchase at the locker
    assert top.declarations == 19 and top.value_rmb == 18 * 4800 + 80
    assert top.typology == "T1"
    assert top.indicators and all({"name", "value", "threshold", "sentence"} <= set(i)
                                  for i in top.indicators)
    assert top.rank == 1 and top.score > max(r.score for r in rings[1:])
    # the family is a candidate of its own, ranked low; no ring holds a locker customer
    assert all(not ({m["ref"].key for m in r.members} & {"LOCKER"}) for r in rings)
    # stable ids: scoring again gives the same ring id
    again = build_rings(con, fs, score, model_version="test", threshold=0.5, top=10)
    assert again[0].ring_id == top.ring_id


def test_a_low_risk_neighbour_of_the_ring_is_left_out():
    """Someone who once used the ring's drop phone for an ordinary purchase is in the same
    component, but their lists score low: fringe, not a member."""
    ds = _world() + [decl("REL1", T0 + timedelta(days=5), "SHOP4", buyer="id:REL",
                          address="RELHOME", phone="DROPPHONE", value=60)]
    con = make_staging(ds)
    fs = build_features(con, datetime(2025, 5, 1), label_end=datetime(2025, 5, 1))
    score = pd.Series((fs.X.value_cny > 4000).astype(float) * 0.9 + 0.05, index=fs.X.index)
    top = build_rings(con, fs, score, model_version="test", threshold=0.5, top=10)[0]
    members = {m["ref"] for m in top.members}
    assert {NodeRef("Person", p) for p in RING} <= members
    assert NodeRef("Person", "id:REL") not in members
    assert NodeRef("Address", "RELHOME") not in members


def test_pieces_sharing_a_seller_merge_and_a_lone_person_is_no_ring():
    attached = pd.DataFrame({"group": [3, 7, 9, 4], "seller": ["S", "S", "T", "T"]})
    merged = _merge_by_seller(attached)
    assert merged[7] == 3 and merged[9] == 4 and merged.get(3, 3) == 3
    me = [NodeRef("Person", "id:1"), NodeRef("IdNumber", "1"), NodeRef("Phone", "p")]
    assert not _is_ring(me)
    assert _is_ring(me + [NodeRef("Person", "id:2")])
    assert _is_ring([NodeRef("Enterprise", "SHELL")])


def test_two_shell_clusters_registered_at_one_office_tower_are_two_rings():
    """An office tower where eight firms of different owners register is a business
    centre: it must not glue the two owners' shell clusters into one ring."""
    a, b, others = ["A1", "A2", "A3"], ["B1", "B2", "B3"], ["C1", "C2"]
    ds, static = [], []
    for i, f in enumerate(a + b + others):
        ds += [decl(f"{f}-{j}", T0 + timedelta(days=i + j), f, buyer=f"id:{f}{j}",
                    value=4900 if f[0] in "AB" else 90) for j in range(3)]
        static.append(("LOCATED_AT", "Enterprise", f, "Address", "TOWER"))
    for f in a:
        static += [("REPRESENTED_BY", "Enterprise", f, "Person", "id:OWNER_A"),
                   ("HAS_PHONE", "Enterprise", f, "Phone", "PHONE_A")]
    for f in b:
        static += [("REPRESENTED_BY", "Enterprise", f, "Person", "id:OWNER_B"),
                   ("HAS_PHONE", "Enterprise", f, "Phone", "PHONE_B")]
    con = make_staging(ds, static=static)
    fs = build_features(con, datetime(2025, 5, 1), label_end=datetime(2025, 5, 1))
    score = pd.Series((fs.X.value_cny > 4000).astype(float) * 0.9 + 0.05, index=fs.X.index)
    rings = build_rings(con, fs, score, model_version="test", threshold=0.5, top=10)
    firms = [{m["ref"].key for m in r.members if m["ref"].label == "Enterprise"}
             for r in rings]
    assert set(a) in firms and set(b) in firms  # each cluster whole, apart, not alone
    assert not any(m["ref"].key == "TOWER" for r in rings for m in r.members)


def test_a_rare_indicator_hit_tells_more_than_a_common_one():
    # 1,000 lists: "common" hits one in eight, "rare" one in a thousand
    common = [i % 8 == 0 for i in range(1000)]
    rare = [i == 1 for i in range(1000)]
    s = _hit_strength(pd.DataFrame({"common": common, "rare": rare}))
    assert s.iloc[1] == 1.0  # rare (and not common): counts fully
    assert 0.2 < s.iloc[0] < 0.4  # common only: -log10(1/8) / 3
    assert s.iloc[2] == 0.0
