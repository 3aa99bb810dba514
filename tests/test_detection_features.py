"""Detection features on tiny hand-made staging data with known answers, and no look-ahead."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from graph.detection.features import build_features
from graph.detection.indicators import INDICATORS, indicator_values, reasons_for, rules_score
from tests.detection_world import decl, make_staging

T0 = datetime(2025, 4, 1)


def _t(day: int, hour: int = 10) -> datetime:
    return T0 + timedelta(days=day, hours=hour)


def _world() -> list[dict]:
    ds = []
    # S1 exports toys: 2 to US, 2 to DE, brand omitted, generic name, express
    for i, c in enumerate(["US", "US", "DE", "DE"]):
        ds.append(decl(f"E{i}", _t(i), "S1", ie="E", channel="express", country=c,
                       gname="plastic toy", brand_type=0, brand=None, value=50, weight=2.0))
    # S2 imports: one value just under RMB 5,000, one far below the reference price
    ds.append(decl("N1", _t(1), "S2", buyer="id:A", address="AD1", phone="PH1", value=4900))
    for i in range(25):  # reference: 25 lamps at 100 CNY each from other sellers
        ds.append(decl(f"R{i}", _t(i % 20), f"R{i % 5}", buyer=f"id:R{i}", value=100))
    ds.append(decl("U1", _t(2), "S2", buyer="id:B", address="AD1", phone="PH2", value=20))
    # weight implies 4x the declared quantity (reference 1 kg per lamp)
    ds.append(decl("W1", _t(3), "S2", buyer="id:C", address="AD2", value=100, weight=4.0))
    return ds


@pytest.fixture(scope="module")
def fs():
    con = make_staging(_world(), enterprises={"S1": T0 - timedelta(days=30)})
    return build_features(con, datetime(2025, 5, 1), label_end=datetime(2025, 5, 1))


def test_destination_concentration_channel_and_brand(fs):
    x = fs.X.loc["E0"]
    assert x.seller_dest_entropy == pytest.approx(math.log(2))
    assert x.seller_top3_share == pytest.approx(1.0)
    assert x.seller_express_share == 1.0 and x.ch_express == 1.0 and x.is_export == 1.0
    assert x.brand_omit_share == 1.0 and x.seller_brand_omit == 1.0
    assert x.generic_share == 1.0  # "plastic toy" names nothing checkable
    assert fs.X.loc["N1", "generic_share"] == 0.0  # "table lamp" does
    assert x.seller_n_decl == 4
    assert x.seller_age_days == 60  # registered 30 days before April, 60 before the end


def test_value_thresholds_reference_price_and_weight(fs):
    assert fs.X.loc["N1", "near_thr"] == 1.0 and fs.X.loc["U1", "near_thr"] == 0.0
    assert fs.X.loc["U1", "min_price_ratio"] == pytest.approx(0.2)  # 20 vs 100
    assert fs.X.loc["W1", "implied_qty_ratio"] == pytest.approx(4.0)
    assert fs.X.loc["E0", "value_per_kg"] == pytest.approx(50 / 2.2)


def test_shared_identifier_counts_and_components(fs):
    # AD1 is used by two people (A and B) of one seller
    assert fs.X.loc["N1", "addr_n_persons"] == 2 and fs.X.loc["N1", "addr_n_sellers"] == 1
    # A and B are one component through AD1: persons, IDs, address, phones
    n = fs.nodes.set_index(["label", "key"])
    assert n.loc[("Person", "id:A"), "comp"] == n.loc[("Person", "id:B"), "comp"]
    assert n.loc[("Person", "id:A"), "comp"] != n.loc[("Person", "id:C"), "comp"]
    assert fs.X.loc["N1", "comp_persons"] == 2


def test_indicators_and_rules_score(fs):
    iv = indicator_values(fs.X)
    assert iv.loc["U1", "T3_price_below_reference"] == pytest.approx(5.0)
    assert iv.loc["E0", "T6_popmart_pattern"] >= 4  # omitted, concentrated, express, generic,
    assert iv.loc["N1", "T6_popmart_pattern"] == 0  # new: not an export
    s = rules_score(iv)
    assert s.loc["U1"] > s.loc["R1"] and s.loc["E0"] > s.loc["R1"]
    why = dict(zip(iv.index, reasons_for(iv), strict=True))
    assert any("below the reference" in w for w in why["U1"])
    assert why["R1"] == []
    assert all(i.threshold > 0 and i.sentence(1.0) for i in INDICATORS.values())


def test_personalised_pagerank_starts_from_labelled_bad_entities():
    ds = [decl("B1", _t(1), "S9", buyer="id:X", address="AX", outcome="seized"),
          decl("B2", _t(5), "S9", buyer="id:Y", address="AX"),
          decl("B3", _t(5), "S8", buyer="id:Z", address="AZ")]
    con = make_staging(ds)
    fs = build_features(con, datetime(2025, 5, 1), label_end=datetime(2025, 5, 1))
    assert fs.X.loc["B2", "ppr_max"] > 0 and fs.X.loc["B3", "ppr_max"] == 0
    assert fs.X.loc["B2", "comp_pos_rate"] == 1.0
    assert np.isnan(fs.X.loc["B3", "comp_pos_rate"])
    # labels after label_end are not seen
    early = build_features(con, datetime(2025, 5, 1), label_end=_t(0))
    assert early.X.loc["B2", "ppr_max"] == 0


def test_month_four_features_do_not_change_when_month_five_arrives():
    april = [decl(f"A{i}", datetime(2025, 4, 2 + i), "S1", buyer=f"id:P{i % 3}",
                  address=f"AD{i % 2}", value=100 + i) for i in range(12)]
    may = [decl(f"M{i}", datetime(2025, 5, 2 + i), "S1", buyer=f"id:P{i % 3}",
                address="AD0", value=4900, outcome="seized") for i in range(8)]
    end = datetime(2025, 5, 1)
    only_april = build_features(make_staging(april), end, since=datetime(2025, 4, 1),
                                label_end=datetime(2025, 4, 1))
    both = build_features(make_staging(april + may), end, since=datetime(2025, 4, 1),
                          label_end=datetime(2025, 4, 1))
    pd.testing.assert_frame_equal(only_april.X, both.X)
    # and the later month does change a feature computed as of its own end
    later = build_features(make_staging(april + may), datetime(2025, 6, 1),
                           since=datetime(2025, 4, 1), label_end=datetime(2025, 6, 1))
    assert later.X.loc["A0", "seller_n_decl"] == 20 != both.X.loc["A0", "seller_n_decl"]


def test_one_purchase_split_under_the_limit_adds_up_on_its_day():
    # three relatives' orders of one seller to one address on one day, each under RMB
    # 5,000, 9,000 together (T4); a locker's customers of three shops that day do not add up
    ds = [decl(f"P{i}", _t(3, 9 + i), "S4", buyer=f"id:K{i}", address="HOME", value=3000)
          for i in range(3)]
    ds += [decl(f"L{i}", _t(3, 9 + i), f"SH{i}", buyer=f"id:L{i}", address="LOCKER",
                value=3000) for i in range(3)]
    ds.append(decl("P9", _t(9), "S4", buyer="id:K0", address="HOME", value=3000))
    fs = build_features(make_staging(ds), datetime(2025, 5, 1))
    assert fs.X.loc["P0", "split_day_value"] == pytest.approx(9000)
    assert fs.X.loc["P0", "split_day_lists"] == 3
    assert np.isnan(fs.X.loc["L0", "split_day_value"])  # one list per shop
    assert np.isnan(fs.X.loc["P9", "split_day_value"])  # another day
    iv = indicator_values(fs.X)
    assert iv.loc["P1", "T4_same_day_split"] == pytest.approx(9000 / 5000)
    assert iv.loc["L1", "T4_same_day_split"] == 0 and iv.loc["P9", "T4_same_day_split"] == 0
