"""Unit tests of the generator's building blocks: identifiers, frames, defects."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pytest

from synthetic.catalog import CATALOG, gtin13
from synthetic.config import GenConfig
from synthetic.dirty import plant_defects
from synthetic.frame import Frame, concat, sort_by_time, subset
from synthetic.identities import (
    address_text,
    addresses,
    enterprise_name_variant,
    format_phone,
    hash_id,
    id_check_digit,
    mask_id,
    name_variant,
    resident_ids,
    s10_ids,
    valid_resident_id,
)
from synthetic.messages import iso


def test_resident_id_check_digit_matches_the_standard_example():
    assert id_check_digit("11010519491231002") == "X"
    assert valid_resident_id("11010519491231002X")
    assert not valid_resident_id("110105194912310021")


def test_generated_ids_are_valid_and_masks_keep_region_and_tail():
    ids = resident_ids(np.random.default_rng(0), 500)
    assert all(valid_resident_id(s) for s in ids)
    m = mask_id(str(ids[0]))
    assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", m) and m[:6] == ids[0][:6]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", hash_id(str(ids[0])))


def test_s10_and_gtin_check_digits():
    assert s10_ids(np.array([12345678]), "EE", "CN")[0] == "EE123456785CN"
    assert gtin13(np.array([400638133393]))[0] == "4006381333931"


@pytest.mark.parametrize("style,expected", [(0, "13800138000"), (1, "138-0013-8000"),
                                            (2, "+86 138 0013 8000"), (3, "(+86)13800138000")])
def test_phone_styles(style, expected):
    assert format_phone(13800138000, style) == expected


def test_dirty_variants_differ_but_stay_recognisable():
    assert enterprise_name_variant("Yiwu Star Co., Ltd.") == "Yiwu Star Company Limited"
    assert name_variant("Li Na", 1) == "Lina" and name_variant("Li Na", 2) == "Na Li"
    a = addresses(np.random.default_rng(1), 1)[0]
    short, long_, cn = (address_text(a, s) for s in range(3))
    assert "Rd" in short and "Bldg" in short and "Road" in long_ and "Building" in long_
    assert "室" in cn and len({short, long_, cn}) == 3


def test_gmodel_is_brand_type_then_export_pref_then_brand():
    for g in CATALOG["gmodel"]:
        parts = g.split("|")
        assert parts[0] in "01234" and parts[1] == "0" and len(parts) >= 4


def test_sort_by_time_moves_lines_with_their_declarations():
    f = Frame.empty(3, np.array([2, 1, 3]))
    f.d["t_decl"][:] = [30, 10, 20]
    f.li["item"][:] = [0, 0, 1, 2, 2, 2]
    s = sort_by_time(f)
    assert s.d["t_decl"].tolist() == [10, 20, 30]
    assert s.li["item"].tolist() == [1, 2, 2, 2, 0, 0]
    sub = subset(s, s.d["t_decl"] >= 20)
    assert len(sub) == 2 and len(sub.li["item"]) == 5
    assert len(concat([s, sub])) == 5


def test_iso_writes_local_iso_8601():
    t = np.array([int(np.datetime64("2025-06-11T09:30:12", "s").astype(np.int64))])
    assert iso(t).to_pylist() == ["2025-06-11T09:30:12"]


def test_defects_are_logged_and_keep_keys():
    n = 2000
    t = pa.table({"order_no": [f"O{i}" for i in range(n)], "ebp_code": ["E"] * n,
                  "order_time": ["2025-06-11T09:30:12"] * n, "goods_value": [10.0] * n,
                  "buyer_id_number": ["11010519491231002X"] * n, "ebc_code": ["C"] * n})
    out, log = plant_defects({"orders": t}, 0.05, np.random.default_rng(0))
    assert 40 < len(log) < 170
    changed = {(r["record_key"], r["field"]) for r in log}
    o = out["orders"]
    for i in range(n):
        key = f"E|O{i}"
        assert o["order_no"][i].as_py() == f"O{i}"
        bad = [f for k, f in changed if k == key]
        if not bad:
            assert o["goods_value"][i].as_py() == 10.0
    assert {r["defect"] for r in log} == {"bad_date", "negative_value", "broken_id",
                                          "missing_required"}


def test_config_rejects_unworkable_parameters():
    with pytest.raises(ValueError, match="at least 6"):
        GenConfig(months=5)
    with pytest.raises(ValueError, match="first day"):
        GenConfig(start=__import__("datetime").date(2025, 4, 2))
    with pytest.raises(ValueError, match="dup-phone-share"):
        GenConfig(dup_phone_share=1.5)


def test_schemes_at_100k_have_plausible_counts_and_signatures():
    """Plant every typology into a 100k-declaration cast (no messages written: ~1 s)."""
    from collections import Counter

    from synthetic.cast import build_cast
    from synthetic.config import LINK_HOSTS
    from synthetic.typologies import SHARES, plant_all
    from synthetic.typologies.base import Ctx
    from synthetic.world import _epoch

    cfg = GenConfig(declarations=100_000, seed=7)
    s_cast, s_plant, *_ = np.random.SeedSequence(cfg.seed).spawn(2 + cfg.months)
    months = cfg.month_starts()
    cast = build_cast(cfg, np.random.default_rng(s_cast), months[0])
    ctx = Ctx(cfg, cast, np.random.default_rng(s_plant), _epoch(months[0]), _epoch(months[-1]))
    schemes = plant_all(ctx)
    rows = Counter()
    for s in schemes:
        rows[s.typology] += len(s.frame)
    assert set(rows) == set(SHARES)
    assert 0.005 <= sum(rows.values()) / cfg.declarations <= 0.03   # domain.md's base rates
    for typ in ("T2", "T10"):
        assert abs(rows[typ] - SHARES[typ] * cfg.declarations) <= 10, typ
    reg = ctx.reg
    order = [s.typology for s in schemes]
    assert order == sorted(order, key=lambda t: int(t[1:]))          # listed T1 .. T10
    for s in schemes:
        d = s.frame.d
        if s.typology == "T2":
            sites = np.unique(d["cons_addr"])
            assert len(sites) <= 3 and len(d["cons_addr"]) >= 6
            assert {reg.addr_rows[a]["address_kind"] for a in sites} <= {"shop", "warehouse"}
            assert (d["cons_name"] >= 0).all() and len(np.unique(d["buyer"])) >= 2
        if s.typology == "T10":
            to_other = d["payee"] >= 0
            assert to_other.mean() >= 0.8 and len(np.unique(d["payee"][to_other])) == 1
            assert ((d["link"] > 0) & (d["link"] < len(LINK_HOSTS))).mean() >= 0.8
            assert (d["reg_seq"] >= 5_000_000).all()
