"""TL-15 (weight per unit) and TL-22 (price vs reference) on hand-made staging rows.

The references (ref_products) are learned from a small history of lists: a plush toy with
enough independent sellers, a T-shirt with too little history, and a textile bag declared
only by a ring of sellers sharing one phone. Target lists (copies of ``good_import``) are
then checked against them.
"""

from __future__ import annotations

import duckdb
import pytest

from etl.checks.testing import create_staging, good_export, good_import, merge
from etl.three_list import check_by_id, run_checks

TOY = dict(gcode="9503008900", gname="plush toy")
SHIRT = dict(gcode="6109100021", gname="cotton t-shirt")
BAG = dict(gcode="4202220000", gname="textile bag")


def history(tag: str, goods: dict, n: int, sellers: list[str], price: float, kg: float,
            ie: str = "I") -> dict:
    """``n`` single-line lists of one unit of ``goods`` spread over ``sellers``."""
    decls, lines = [], []
    for i in range(n):
        invt = f"H{tag}{i:03d}"
        wiggle = 1 + 0.02 * (i % 5 - 2)  # honest prices and weights vary a little
        decls.append(dict(invt_no=invt, order_no=f"HO{tag}{i}", ebp_code="EBP1",
                          ebc_code=sellers[i % len(sellers)], ie_flag=ie, currency="CNY",
                          net_weight=round(kg * wiggle, 3), gross_weight=kg * 1.2,
                          decl_time="2025-05-01 10:00:00"))
        lines.append(dict(invt_no=invt, gnum=1, qty=1.0, unit="007", price=price * wiggle,
                          total_price=price * wiggle, currency="CNY", **goods))
    return {"declarations": decls, "declaration_lines": lines}


def sellers(prefix: str, k: int, shared_phone: bool = False) -> tuple[list[str], list[dict]]:
    codes = [f"{prefix}{j}" for j in range(k)]
    ents = [dict(enterprise_code=c, enterprise_name=f"Firm {c}", roles="ebc", country="CN",
                 telephone="13900000000" if shared_phone else f"1390000{j:04d}",
                 address=f"{j} Road, Yiwu", legal_rep_id_number=f"33078219880315{j:04d}")
            for j, c in enumerate(codes)]
    return codes, ents


def target(n: str, goods: dict, qty: float = 2.0, price: float = 89.0, net: float = 0.7,
           currency: str = "CNY", note: str | None = None) -> dict:
    """A consistent import list (``good_import``) declaring ``qty`` x ``goods`` at ``price``."""
    w = good_import(n)
    line = dict(qty=qty, price=price, total_price=(qty or 0) * price, currency=currency, **goods)
    w["declaration_lines"][0].update(line)
    w["declarations"][0].update(net_weight=net, gross_weight=None if net is None else net + 0.1,
                                currency=currency)
    w["waybills"][0].update(weight=None if net is None else net + 0.1)
    w["orders"][0].update(note=note)
    return w


def two_lines(n: str, net: float) -> dict:
    """A list of two plush toy lines of 2 units each."""
    w = target(n, TOY, net=net)
    second = dict(w["declaration_lines"][0], gnum=2)
    w["declaration_lines"].append(second)
    w["order_lines"].append(dict(w["order_lines"][0], gnum=2))
    return w


@pytest.fixture(scope="module")
def checked():
    toy_sellers, toy_ents = sellers("TOY", 8)
    ring, ring_ents = sellers("RING", 6, shared_phone=True)
    shirt_sellers, shirt_ents = sellers("TEE", 6)
    world = merge(
        history("T", TOY, 40, toy_sellers, price=90.0, kg=0.35),
        history("S", SHIRT, 20, shirt_sellers, price=30.0, kg=0.2),
        history("B", BAG, 40, ring, price=5.0, kg=0.25),
        {"enterprises": toy_ents + ring_ents + shirt_ents},
        target("OK", TOY),                                   # 89 CNY, 0.35 kg per unit
        target("CHEAP", TOY, price=30.0),                    # 0.33 x the median
        target("FLASH", TOY, price=45.0, note="flash sale -50%"),
        target("GIFT", TOY, price=30.0, note="gift wrap"),   # a note, but no promotion
        target("PROMO30", TOY, price=20.0, note="618 promotion -30%"),  # 0.22 x: too deep
        target("PROMO", TOY, price=30.0, note="member promotion"),      # no % stated
        two_lines("TWO", net=1.4),                           # 4 units x 0.35 kg
        two_lines("TWOHEAVY", net=7.0),
        target("USD", TOY, price=4.0, currency="USD"),       # 28.80 CNY
        target("USDOK", TOY, price=12.5, currency="USD"),    # 90.00 CNY
        target("HEAVY", TOY, qty=2.0, net=3.5),              # 1.75 kg per unit: 5x
        target("LIGHT", TOY, qty=10.0, net=0.7),             # 0.07 kg per unit
        target("NOQTY", TOY, qty=None),
        target("NONET", TOY, net=None),
        target("SHIRT", SHIRT, price=5.0, qty=1.0, net=2.0),  # too little history
        target("BAG", BAG, price=1.0, qty=1.0, net=2.0),      # only a ring's history
        good_export("X"),
    )
    con = duckdb.connect()
    create_staging(con, world)
    run_checks(con, "L1", checks=[check_by_id("TL-15"), check_by_id("TL-22")])
    rows = con.execute("SELECT invt_no, check_id, status, observed, expected, delta, "
                       "explanation FROM stg_check_results "
                       "WHERE check_id IN ('TL-15', 'TL-22')").fetchall()
    res = {(r[0], r[1]): dict(zip(["status", "observed", "expected", "delta", "explanation"],
                                  r[2:], strict=True)) for r in rows}
    refs = con.execute("SELECT * FROM ref_products").df()
    yield res, refs
    con.close()


def get(checked, invt: str, check: str) -> dict | None:
    return checked[0].get((f"INV{invt}", check))


def test_reference_is_learned_with_robust_statistics(checked):
    refs = checked[1].set_index(["kind", "level", "gcode"])
    toy = refs.loc[("price", "product", TOY["gcode"])]
    # the 14 targets (seller EBC1, 16 lines) count too
    assert (toy.n_lines, toy.n_sellers, toy.n_groups) == (40 + 16, 9, 9)
    assert toy.usable and toy.applies
    assert toy["median"] == pytest.approx(89.0, abs=1.0)
    w = refs.loc[("weight", "product", TOY["gcode"])]
    assert w["median"] == pytest.approx(0.35, abs=0.01) and w.lo < 0.35 < w.hi


def test_plausible_price_and_weight_pass(checked):
    r = get(checked, "OK", "TL-22")
    assert r["status"] == "pass"
    assert r["explanation"].startswith("Unit prices are in line with the reference")
    r = get(checked, "OK", "TL-15")
    assert r["status"] == "pass" and "Weight per unit within the reference" in r["explanation"]


def test_price_far_below_reference_routes_to_risk(checked):
    r = get(checked, "CHEAP", "TL-22")
    assert r["status"] == "risk"
    assert r["observed"] == "30.00 CNY per unit"
    assert r["delta"] == pytest.approx(30.0 - 89.0, abs=1.0)
    assert "is 0.34 x the reference: 'plush toy' under HS 9503008900" in r["explanation"]
    assert "without a promotion note: the goods may be undervalued." in r["explanation"]


def test_a_promotion_note_explains_a_low_price(checked):
    r = get(checked, "FLASH", "TL-22")
    assert r["status"] == "pass"
    assert r["explanation"].endswith("but the order notes a promotion ('flash sale -50%').")
    # a note that is no promotion explains nothing
    assert get(checked, "GIFT", "TL-22")["status"] == "risk"
    # a promotion without a stated percentage explains any price
    assert get(checked, "PROMO", "TL-22")["status"] == "pass"


def test_a_stated_promotion_percentage_explains_only_that_much(checked):
    r = get(checked, "PROMO30", "TL-22")
    assert r["status"] == "risk"
    assert "further than the order's promotion '618 promotion -30%' explains" in r["explanation"]


def test_prices_in_other_currencies_are_compared_in_cny(checked):
    r = get(checked, "USD", "TL-22")
    assert (r["status"], r["observed"]) == ("risk", "28.80 CNY per unit")
    assert get(checked, "USDOK", "TL-22")["status"] == "pass"


def test_weight_per_unit_outside_the_range(checked):
    r = get(checked, "HEAVY", "TL-15")
    assert r["status"] == "risk"
    assert r["observed"] == "3.500 kg net for 2 units"
    assert r["explanation"].startswith(
        "Implausible weight per unit: 1.750 kg per unit declared (net 3.500 kg for 2 units); "
        "'plush toy' under HS 9503008900 weighs ")
    assert "the quantity may be under-declared about 5.0x" in r["explanation"]
    assert r["delta"] == pytest.approx(3.5 - 0.7, abs=0.05)
    r = get(checked, "LIGHT", "TL-15")
    assert r["status"] == "risk" and "lighter than declared goods" in r["explanation"]


def test_a_list_of_several_lines_is_weighed_against_all_of_them(checked):
    assert get(checked, "TWO", "TL-15")["status"] == "pass"
    r = get(checked, "TWOHEAVY", "TL-15")
    assert r["status"] == "risk"
    assert r["explanation"].startswith(
        "Implausible weight per unit: net weight 7.000 kg for 4 units on 2 lines; their "
        "references imply ")
    assert "under-declared about 5.0x" in r["explanation"]


def test_null_weights_and_quantities_are_not_judged(checked):
    assert get(checked, "NONET", "TL-15") is None  # no net weight: nothing to compare
    r = get(checked, "NOQTY", "TL-15")
    assert r["status"] == "pass" and "per unit" not in r["explanation"]
    assert get(checked, "NOQTY", "TL-22")["status"] == "pass"  # the price still compares


def test_not_enough_history_is_not_applicable(checked):
    assert get(checked, "SHIRT", "TL-22") is None
    r = get(checked, "SHIRT", "TL-15")
    assert r["status"] == "pass" and "per unit" not in r["explanation"]
    refs = checked[1]
    shirt = refs[(refs.gcode == SHIRT["gcode"]) & (refs.kind == "price")]
    assert not shirt.usable.any()


def test_a_ring_cannot_define_its_own_reference(checked):
    # 41 lines from 7 seller codes, but 6 of them share one phone: 2 independent groups
    refs = checked[1]
    bag = refs[(refs.gcode == BAG["gcode"]) & (refs.kind == "price")]
    assert (bag.n_sellers == 7).all() and (bag.n_groups == 2).all()
    assert not bag.applies.any()
    assert get(checked, "BAG", "TL-22") is None
    assert "per unit" not in get(checked, "BAG", "TL-15")["explanation"]


def test_references_are_per_direction_for_prices(checked):
    # the export list's HS code has no export history: no TL-22 row, TL-15 as before
    assert get(checked, "X", "TL-22") is None
    assert checked[0][("EXPX", "TL-15")]["status"] == "pass"
