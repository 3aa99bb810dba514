"""The heterogeneous GNN on tiny hand-made staging graphs (graph/detection/gnn)."""

from __future__ import annotations

import sys

import duckdb
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch_geometric")
import torch  # noqa: E402

from graph.detection.gnn import GnnConfig, GnnUnavailable, fit_predict_gnn, load_gnn  # noqa: E402
from graph.detection.gnn.hetero_graph import DECL, cap_in_degree, read_graph  # noqa: E402

EDGE_TABLES = ["SOLD_BY", "ON_PLATFORM", "DECLARED_BY", "CARRIED_BY", "OWNED_BY", "BUYER",
               "FOR_ORDER", "SHIPPED_AS", "CONSIGNEE", "PAYS", "PAID_BY", "SHIP_TO", "CONTACT",
               "FROM_ACCOUNT", "PAYEE", "CLASSIFIED_AS", "DESTINED_TO", "DISPATCHED_FROM",
               "HAS_PHONE", "LOCATED_AT", "REPRESENTED_BY", "HOLDS"]
NODE_TABLES = ["Enterprise", "Person", "Address", "Phone", "PaymentAccount", "HsCode", "Country"]
FAST = GnnConfig(hidden=16, max_epochs=40, patience=10)


def write_staging(con, decls: pd.DataFrame, edges: list[tuple], inspections: pd.DataFrame
                  ) -> None:
    """The staging tables the GNN reads, with the projection's column names.

    ``decls``: invt_no, decl_time, total_value (+ optional columns); ``edges``: (type,
    from_label, from_key, to_label, to_key, source); ``inspections``: invt_no, outcome,
    inspection_time.
    """
    d = decls.copy()
    defaults = {"currency": "CNY", "gross_weight": 1.0, "net_weight": 0.8, "line_count": 1,
                "total_qty": 1.0, "tl_fail_count": 0, "channel": "express", "ie_flag": "E",
                "trade_mode": "9610", "tl_failed": None, "brand_types": "0", "brands": None,
                "freight": 0.0, "traf_mode": "air"}
    for c, v in defaults.items():
        if c not in d:
            d[c] = v
    con.register("_d", d)
    con.execute("CREATE OR REPLACE TABLE node_Declaration AS SELECT invt_no, decl_time, "
                "total_value, currency, gross_weight, net_weight, line_count, total_qty, "
                "tl_fail_count, channel, ie_flag, trade_mode, tl_failed, brand_types, brands, "
                "NULL::BOOLEAN AS inspected, NULL AS outcome FROM _d")
    con.execute("CREATE OR REPLACE TABLE stg_declarations AS SELECT invt_no, decl_time, "
                "freight, traf_mode FROM _d")
    con.unregister("_d")
    con.register("_i", inspections)
    con.execute("CREATE OR REPLACE TABLE stg_inspections AS SELECT * FROM _i")
    con.unregister("_i")
    e = pd.DataFrame(edges, columns=["type", "from_label", "from_key", "to_label", "to_key",
                                     "source"])
    for t in EDGE_TABLES:
        con.register("_e", e[e["type"] == t].drop(columns="type"))
        con.execute(f"CREATE OR REPLACE TABLE edge_{t} AS SELECT from_label::VARCHAR from_label,"
                    " from_key::VARCHAR from_key, to_label::VARCHAR to_label, "
                    "to_key::VARCHAR to_key, source::VARCHAR source FROM _e")
        con.unregister("_e")
    for t in NODE_TABLES:
        con.execute(f"CREATE OR REPLACE TABLE node_{t} (k VARCHAR)")


def toy_world(seed: int = 0, months: int = 5, sellers: int = 24, bad: int = 5, per: int = 6,
              inspect_share: float = 0.5):
    """A planted ring world: ``bad`` sellers whose parcels are slightly dearer (weak on
    one declaration, clear over a seller's history) and whose orders share a few phones.

    Returns (decls, edges, inspections, truth); truth is for the test's metric only.
    """
    rng = np.random.default_rng(seed)
    decls, edges, insp, truth = [], [], [], {}
    for m in range(1, months + 1):
        for s in range(sellers):
            is_bad = s < bad
            for i in range(per):
                k = f"D{m}{s:02d}{i}"
                day = 1 + (s * per + i) % 27
                value = float(np.exp(rng.normal(5.0 + (0.6 if is_bad else 0.0), 1.0)))
                decls.append({"invt_no": k, "decl_time": pd.Timestamp(2025, m, day, 10),
                              "total_value": value})
                order = f"O{k}"
                phone = f"+86P{s}{rng.integers(3)}" if is_bad else f"+86P{k}"
                edges += [("SOLD_BY", "Declaration", k, "Enterprise", f"S{s:02d}", "declarations"),
                          ("ON_PLATFORM", "Declaration", k, "Enterprise", "PLAT", "declarations"),
                          ("FOR_ORDER", "Declaration", k, "Order", order, "declarations"),
                          ("CONTACT", "Order", order, "Phone", phone, "orders")]
                truth[k] = int(is_bad)
                if rng.random() < inspect_share:
                    seized = rng.random() < (0.9 if is_bad else 0.03)
                    insp.append({"invt_no": k, "outcome": "seized" if seized else "clean",
                                 "inspection_time": pd.Timestamp(2025, m, day, 15)})
    return pd.DataFrame(decls), edges, pd.DataFrame(insp), truth


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    decls, edges, insp, truth = toy_world()
    con = duckdb.connect(str(tmp_path_factory.mktemp("toy") / "staging.duckdb"))
    write_staging(con, decls, edges, insp)
    yield con, truth
    con.close()


def test_graph_shapes_and_folding_through_orders(tmp_path):
    decls = pd.DataFrame({"invt_no": ["A", "B", "C"], "total_value": [10.0, 20.0, 30.0],
                          "decl_time": pd.to_datetime(["2025-04-02", "2025-04-03",
                                                       "2025-05-02"])})
    edges = [("SOLD_BY", "Declaration", "A", "Enterprise", "S1", "declarations"),
             ("SOLD_BY", "Declaration", "B", "Enterprise", "S1", "declarations"),
             ("SOLD_BY", "Declaration", "C", "Enterprise", "S2", "declarations"),
             ("FOR_ORDER", "Declaration", "A", "Order", "oA", "declarations"),
             ("FOR_ORDER", "Declaration", "B", "Order", "oB", "declarations"),
             ("FOR_ORDER", "Declaration", "C", "Order", "oC", "declarations"),
             ("CONTACT", "Order", "oA", "Phone", "+861", "orders"),
             ("CONTACT", "Order", "oB", "Phone", "+861", "orders"),
             ("CONTACT", "Order", "oC", "Phone", "+862", "orders"),  # first used in May
             ("PAYS", "Payment", "pA", "Order", "oA", "payments"),
             ("PAID_BY", "Payment", "pA", "Person", "P1", "payments"),
             ("HAS_PHONE", "Enterprise", "S1", "Phone", "+869", "enterprises"),
             ("HAS_PHONE", "Person", "P7", "Phone", "+861", "orders")]  # a message mention
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    write_staging(con, decls, edges, pd.DataFrame({"invt_no": ["A"], "outcome": ["seized"],
                                                   "inspection_time": [decls.decl_time[0]]}))
    g = read_graph(con, "2025-05-01")
    assert list(g.keys[DECL]) == ["A", "B"]
    assert list(g.keys["enterprise"]) == ["S1"]            # S2 sells only in May
    assert list(g.keys["phone"]) == ["+861", "+869"]       # +862 first used in May
    assert list(g.keys["person"]) == ["P1"]                # P7 from a message, not a register
    src, dst = g.edges[(DECL, "contact", "phone")]
    assert list(zip(src, dst, strict=True)) == [(0, 0), (1, 0)]  # A and B share +861
    assert list(zip(*g.edges[(DECL, "payer", "person")], strict=True)) == [(0, 0)]
    assert list(zip(*g.edges[("enterprise", "firm_phone", "phone")], strict=True)) == [(0, 1)]
    assert g.num_nodes("address") == 0
    g2 = read_graph(con, "2025-06-01")
    assert list(g2.keys[DECL]) == ["A", "B", "C"] and g2.num_nodes("phone") == 3
    assert not {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                          "WHERE table_name LIKE '_gnn_%'").fetchall()}


def test_cap_in_degree_bounds_hubs_and_is_seeded():
    dst = np.r_[np.zeros(1000, dtype=np.int64), np.ones(5, dtype=np.int64)]
    src = np.arange(len(dst), dtype=np.int64)
    s, d = cap_in_degree(src, dst, 50, seed=1)
    assert np.bincount(d).tolist() == [50, 5]
    assert set(s[d == 1]) == {1000, 1001, 1002, 1003, 1004}
    s2, _ = cap_in_degree(src, dst, 50, seed=1)
    s3, _ = cap_in_degree(src, dst, 50, seed=2)
    assert np.array_equal(s, s2) and not np.array_equal(s, s3)


def test_planted_ring_beats_random(toy):
    con, truth = toy
    r = fit_predict_gnn(con, train_end="2025-05-01", predict_start="2025-05-01",
                        predict_end="2025-06-01", seed=3, progress=False, config=FAST)
    from sklearn.metrics import average_precision_score
    y = np.array([truth[k] for k in r.scores["decl_key"]])
    ap = average_precision_score(y, r.scores["gnn_score"])
    assert len(r.scores) == 24 * 6 and r.scores["gnn_score"].between(0, 1).all()
    assert ap > 2.5 * y.mean(), f"AP {ap:.3f} vs base rate {y.mean():.3f}"
    assert r.card["labels"]["train"]["positive"] > 0 and r.card["early_stopping"]


def test_same_seed_same_scores_other_seed_differs(toy):
    con, _ = toy
    kw = dict(train_end="2025-05-01", predict_start="2025-05-01", predict_end="2025-06-01",
              progress=False, config=FAST, epochs=15)
    a = fit_predict_gnn(con, seed=11, **kw).scores
    b = fit_predict_gnn(con, seed=11, **kw).scores
    c = fit_predict_gnn(con, seed=12, **kw).scores
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["gnn_score"], c["gnn_score"])


def test_point_in_time_later_month_changes_nothing(tmp_path):
    decls, edges, insp, _ = toy_world(seed=5)
    may = decls["decl_time"] >= "2025-05-01"
    early_keys = set(decls.loc[~may, "invt_no"])
    cons = []
    for name, keep in (("four", ~may), ("five", may | ~may)):
        con = duckdb.connect(str(tmp_path / f"{name}.duckdb"))
        keys = set(decls.loc[keep, "invt_no"])
        e = [x for x in edges if x[0] in ("SOLD_BY", "ON_PLATFORM", "FOR_ORDER")
             and x[2] in keys or x[0] == "CONTACT" and x[2][1:] in keys]
        write_staging(con, decls[keep], e, insp[insp["invt_no"].isin(keys)])
        cons.append(con)
    kw = dict(train_end="2025-05-01", predict_start="2025-04-01", predict_end="2025-05-01",
              seed=4, progress=False, config=FAST)
    four, five = (fit_predict_gnn(c, **kw) for c in cons)
    assert set(four.scores["decl_key"]) <= early_keys
    pd.testing.assert_frame_equal(four.scores, five.scores)
    assert four.card["labels"] == five.card["labels"]
    for k, v in four.state.items():
        assert np.array_equal(v.numpy(), five.state[k].numpy()), k
    # Scoring May on the bigger workspace uses the graph up to June, labels of May never.
    later = fit_predict_gnn(cons[1], **{**kw, "predict_start": "2025-05-01",
                                       "predict_end": "2025-06-01"})
    assert later.card["labels"] == four.card["labels"]
    assert set(later.scores["decl_key"]).isdisjoint(early_keys)


def test_scoring_a_subset_equals_scoring_all(toy):
    from graph.detection.gnn.model import HeteroSage, adjacency_dict, build_hetero_data, targets
    from graph.detection.gnn.node_features import fit_spec, transform
    con, _ = toy
    g = read_graph(con, "2025-06-01")
    data = build_hetero_data(g, transform(con, g, fit_spec(con, g, None), None), 200, 0)
    m = HeteroSage({t: data[t].x.shape[1] for t in data.node_types}, list(data.edge_types),
                   hidden=8).eval()
    rows = np.array([5, 0, 77, 3])
    with torch.no_grad():
        full = m(data.x_dict, adjacency_dict(data))
        part = m(data.x_dict, adjacency_dict(data), targets(data, rows))
    torch.testing.assert_close(part, full[torch.from_numpy(rows)])


def test_save_load_round_trip_scores_the_same(toy, tmp_path):
    con, _ = toy
    r = fit_predict_gnn(con, train_end="2025-05-01", predict_start="2025-05-01",
                        predict_end="2025-06-01", seed=2, progress=False, config=FAST, epochs=10)
    back = load_gnn(r.save(tmp_path / "gnn"))
    pd.testing.assert_frame_equal(back.scores, r.scores)
    again = back.predict(con, "2025-05-01", "2025-06-01")
    np.testing.assert_allclose(again["gnn_score"], r.scores["gnn_score"], rtol=1e-5)
    assert back.card["seed"] == 2 and back.card["features"]["declaration_source"] == "staging"


def test_feature_table_replaces_staging_numbers(toy):
    con, _ = toy
    keys = con.execute("SELECT invt_no FROM node_Declaration").df()["invt_no"]
    feats = pd.DataFrame({"f1": np.arange(len(keys), dtype=float), "name": "x"},
                         index=pd.Index(keys, name="decl_key"))
    r = fit_predict_gnn(con, train_end="2025-05-01", predict_start="2025-05-01",
                        predict_end="2025-06-01", features=feats, progress=False, config=FAST,
                        epochs=5)
    assert r.card["features"]["names"][DECL] == ["f1"]
    with pytest.raises(ValueError, match="feature table"):
        r.predict(con, "2025-05-01", "2025-06-01")


def test_no_seized_label_is_a_clear_error(tmp_path):
    decls, edges, insp, _ = toy_world(seed=1, months=2)
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    write_staging(con, decls, edges, insp.assign(outcome="clean"))
    with pytest.raises(ValueError, match="no positive label"):
        fit_predict_gnn(con, train_end="2025-06-01", predict_start="2025-05-01",
                        predict_end="2025-06-01", progress=False)


def test_missing_torch_geometric_says_what_to_install(monkeypatch):
    from graph.detection.gnn.deps import require_pyg
    monkeypatch.setitem(sys.modules, "torch_geometric", None)
    with pytest.raises(GnnUnavailable, match=r"pip install -e '\.\[ml\]'"):
        require_pyg()


def test_restricted_forward_equals_full_forward(toy):
    """The compact two-layer forward (input layer only on the nodes the first layer reads)
    gives the scores of the full forward and of the field-only path it replaced."""
    from graph.detection.gnn.model import HeteroSage, adjacency_dict, build_hetero_data, targets
    from graph.detection.gnn.node_features import fit_spec, transform
    con, _ = toy
    g = read_graph(con, "2025-06-01")
    data = build_hetero_data(g, transform(con, g, fit_spec(con, g, None), None), 200, 0)
    dims = {t: data[t].x.shape[1] for t in data.node_types}
    rows = np.array([9, 2, 40])
    tgt = targets(data, rows)
    inputs = tgt[3]["inputs"]
    assert sum(len(v) for v in inputs.values()) < sum(g.num_nodes(t) for t in data.node_types)
    for layers in (2, 3):
        torch.manual_seed(layers)
        m = HeteroSage(dims, list(data.edge_types), hidden=8, layers=layers).eval()
        with torch.no_grad():
            full = m(data.x_dict, adjacency_dict(data))[torch.from_numpy(rows)]
            part = m(data.x_dict, adjacency_dict(data), tgt)
            field_only = m(data.x_dict, adjacency_dict(data), tgt[:3])
        torch.testing.assert_close(part, full)
        torch.testing.assert_close(field_only, full)
    # Training mode too: the same dropout draws in the same order, so training follows
    # the field-only path's trajectory (the early-stopped epoch does not move).
    m = HeteroSage(dims, list(data.edge_types), hidden=8, layers=2).train()
    torch.manual_seed(0)
    part = m(data.x_dict, adjacency_dict(data), tgt)
    torch.manual_seed(0)
    torch.testing.assert_close(part, m(data.x_dict, adjacency_dict(data), tgt[:3]))
