"""Three-list checks on a small generated world, staged by the real loader.

Benign declarations must pass almost every check (per-check false non-pass rates are
bounded below), and planted fraud must trip the checks that see it. The tests read the
generator's ground truth; the checks never do.
"""

from __future__ import annotations

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

# Highest acceptable share of benign declarations not passing each check. Defaults to 1.5 %
# (planted dirty rows make a few messages go missing); two checks need more:
BENIGN_MAX = {
    # raw records: ~8 % missing, ~25 % differ by fees or FX, ~1.5 % cover a whole cart,
    # ~7 % link to the seller's own mini-shop, ~10 % are paid to the platform or the
    # operator: about 43 % of honest lists go to risk on the 30k world (seed 7), none of
    # them for the goods name (noisy shop titles match fuzzily, bench/eval_tl19_goods.py)
    "TL-19": 0.6,
    "TL-12": 0.05,  # the generator lets some benign heavy buyers pass RMB 26,000 a year
    "TL-06": 0.03,  # daigou shoppers pay for their customers' orders (~1.5 % of imports)
    "TL-15": 0.08,  # sets and cartons declared as one unit weigh more (~5 % of export lines)
    "EX-04": 0.02,  # ~1 % of honest export lists are held back, returned or cancelled
}
DEFAULT_MAX = 0.015


@pytest.fixture(scope="module")
def world_results(tmp_path_factory):
    from etl.load import open_staging, stage
    from etl.three_list import run_checks
    from synthetic.config import GenConfig
    from synthetic.world import generate

    root = tmp_path_factory.mktemp("tlworld")
    world, ws = root / "world", root / "ws"
    generate(GenConfig(declarations=5000, seed=7), world)
    con = open_staging(ws)
    try:
        load = stage(world, ws, con=con)
        summary = run_checks(con, load.load_id)
        res = con.execute("SELECT invt_no, check_id, status, check_id = 'TL-19' AND "
                          "contains(explanation, 'the item link points to') AS outside_link "
                          "FROM stg_check_results").df()
    finally:
        con.close()
    truth = pd.read_parquet(world / "ground_truth" / "declarations.parquet")
    res = res.merge(truth[["invt_no", "typology"]], on="invt_no", how="left")
    res["group"] = res["typology"].fillna("benign")
    res["flagged"] = res["status"] != "pass"
    rates = res.pivot_table(index="check_id", columns="group", values="flagged", aggfunc="mean")
    print("\nshare of declarations not passing, per check and ground-truth group:\n"
          + rates.round(3).to_string())
    return res, rates, summary


def test_benign_declarations_pass_almost_every_check(world_results):
    _, rates, summary = world_results
    assert set(summary.check_id) <= set(rates.index) | {"EX-04"}
    for check_id, rate in rates["benign"].dropna().items():
        limit = BENIGN_MAX.get(check_id, DEFAULT_MAX)
        assert rate <= limit, f"{check_id}: {rate:.1%} of benign lists flagged (max {limit:.1%})"


def _rate(rates: pd.DataFrame, check_id: str, typology: str) -> float:
    return float(rates.loc[check_id, typology])


def test_identity_brushing_t1_trips_the_payment_burst_rule(world_results):
    # T1 pays for many bought IDs from one place within seconds
    assert _rate(world_results[1], "TL-18", "T1") >= 0.9


def _any_rate(res: pd.DataFrame, checks: set[str], group: str) -> float:
    """Share of the group's lists that some check of ``checks`` does not pass."""
    x = res[res.check_id.isin(checks) & (res.group == group)]
    return float(x.groupby("invt_no").flagged.any().mean())


def test_undervaluation_t3_is_contradicted_by_raw_payments_or_receipts(world_results):
    # the raw payment record (import) or the receipt (export) shows the true price for most
    # T3 lists
    res = world_results[0]
    t3 = _any_rate(res, {"TL-19", "EX-01"}, "T3")
    # 60-80 % by design; this 5k world holds a handful of T3 lists
    assert t3 >= 0.35
    assert t3 > 1.3 * _any_rate(res, {"TL-19", "EX-01"}, "benign")


def test_complicit_provider_t9_leaves_no_raw_payment_or_departure(world_results):
    # ~85 % of T9 import slips have no raw record, ~70 % of T9 export lists no departure
    # (small worlds: few T9 lists)
    assert _any_rate(world_results[0], {"TL-19", "EX-04"}, "T9") >= 0.5


def test_order_pushing_t10_is_named_by_its_outside_item_links(world_results):
    # ~90 % of T10 lists have a raw payment record, ~90 % of those link to an outside shop;
    # honest orders mostly link to the platform's own site
    tl19 = world_results[0].query("check_id == 'TL-19'")
    share = tl19.groupby("group").outside_link.mean()
    # honest sellers with their own mini-shop link outside too, far less often
    assert share["T10"] >= 0.5
    assert share.drop("T10").max() <= 0.15 and share["T10"] > 4 * share["benign"]


def test_splitting_t4_stays_under_the_per_order_limit(world_results):
    # T4 is a pattern across lists (same day, address, account): each list passes TL-11 by
    # design, which is why the graph, not the three-list checks, has to find it
    res = world_results[0]
    t4 = res[(res.typology == "T4") & (res.check_id == "TL-11")]
    assert len(t4) > 0 and (t4.status == "pass").all()


def test_undervaluation_t3_is_priced_far_below_the_reference(world_results):
    # T3 declares 0.3-0.8 x the real price; honest sellers stay near the product's median
    rates = world_results[1]
    assert _rate(rates, "TL-22", "T3") >= 0.4
    assert _rate(rates, "TL-22", "benign") <= 0.01


def test_popmart_style_t6_weighs_more_than_its_declared_quantity(world_results):
    # ~30 % of T6 lists under-declare the quantity 2-10x: the net weight shows more units
    rates = world_results[1]
    assert _rate(rates, "TL-15", "T6") >= 0.08
    assert _rate(rates, "TL-15", "T6") > 3 * _rate(rates, "TL-15", "benign")
