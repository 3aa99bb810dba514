"""Typology indicators: one small, explainable rule per fraud typology of domain.md §5.

Each indicator is a function of the declaration features (``graph.detection.features``)
returning a value per declaration; it *hits* when the value reaches its threshold, and a hit
reads as a sentence an officer can check. Together they are the **rules-only** baseline
(``rules_score``) and the reasons written next to every risk score.

>>> import pandas as pd
>>> X = pd.DataFrame({"min_price_ratio": [0.3, 1.0]})
>>> INDICATORS["T3_price_below_reference"].values(X).round(2).tolist()
[3.33, 1.0]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Indicator", "INDICATORS", "indicator_values", "indicator_hits", "rules_score",
           "reasons_for"]


def _c(X: pd.DataFrame, col: str, default: float = 0.0) -> pd.Series:
    if col not in X:
        return pd.Series(default, index=X.index, dtype="float64")
    return pd.to_numeric(X[col], errors="coerce").astype("float64").fillna(default)


@dataclass(frozen=True)
class Indicator:
    """A named rule: its typology, threshold, and the sentence a hit reads as."""

    name: str
    typology: str
    threshold: float
    template: str  # formatted with {value}
    fn: Callable[[pd.DataFrame], pd.Series]
    weight: float = 1.0

    def values(self, X: pd.DataFrame) -> pd.Series:
        return self.fn(X).astype("float64").fillna(0.0)

    def sentence(self, value: float) -> str:
        return self.template.format(value=value)


def _t1(X):  # many IDs funnelled onto one (non-hub) address or phone of few sellers
    few_sellers = (_c(X, "addr_n_sellers", 99) <= 2) | (_c(X, "phone_n_sellers", 99) <= 2)
    fan = np.maximum(_c(X, "addr_n_persons"), _c(X, "phone_n_persons"))
    return fan.where(few_sellers & (_c(X, "pivot_hub") == 0), 0.0)


def _t2(X):  # many retail lists to one consignee address, not a hub
    return _c(X, "addr_n_decl").where((_c(X, "pivot_hub") == 0)
                                      & (_c(X, "addr_n_sellers", 99) <= 2), 0.0)


def _t3(X):  # declared unit price far below the as-of reference, or a payment or export
    # receipt (TL-22, EX-01) that shows another price than the declared one
    r = _c(X, "min_price_ratio", 1.0).clip(lower=0.01)
    return ((1.0 / r).where(_c(X, "min_price_ratio", 1.0) > 0, 0.0)
            + 2 * np.maximum(_c(X, "tl_tl22"), _c(X, "tl_ex01")))


def _t4(X):  # value just under a threshold, on an address/phone/account others use too
    shared = np.maximum.reduce([_c(X, "addr_n_persons"), _c(X, "phone_n_persons"),
                                _c(X, "acct_n_persons")])
    return (_c(X, "near_thr") * shared).where(_c(X, "pivot_hub") == 0, 0.0)


def _limit_above(X):
    """The smallest value limit above each list's own value (import: RMB 1,000 a postal
    parcel, RMB 5,000 an order; export: EUR 150, USD 800 in RMB); NaN above them all."""
    v, export = _c(X, "value_cny"), _c(X, "is_export") > 0
    postal = _c(X, "ch_postal") > 0
    lo = np.where(export, 150 * 7.8, np.where(postal, 1000.0, 5000.0))
    hi = np.where(export, 800 * 7.2, 5000.0)
    return pd.Series(np.where(v < lo, lo, np.where(v < hi, hi, np.nan)), index=X.index)


def _t4_day(X):  # one seller's lists to one identifier on one day add up above the limit
    # each of them is under
    ratio = _c(X, "split_day_value") / _limit_above(X)
    return ratio.where(_c(X, "split_day_lists") >= 2, 0.0).fillna(0.0)


def _t5(X):  # generic names with a weight or HS inconsistency
    inconsistent = ((_c(X, "implied_qty_ratio", 1.0) > 2) | (_c(X, "tl_tl15") > 0)
                    | (_c(X, "tl_tl10") > 0)).astype(float)
    return _c(X, "generic_share") * (1 + inconsistent) + _c(X, "seller_generic")


def _t6(X):  # POP MART pattern: brand omitted + concentrated destinations + express/CBEC +
    # generic names + linked or new shippers; the value is how many of the five hold
    export = _c(X, "is_export") > 0
    parts = [(_c(X, "brand_omit_share") >= 0.9) & (_c(X, "seller_brand_omit") >= 0.8),
             _c(X, "seller_top3_share") >= 0.8,
             (_c(X, "ch_express") + _c(X, "ch_cbec")) > 0,
             (_c(X, "generic_share") > 0) | (_c(X, "seller_generic") >= 0.5),
             (_c(X, "seller_linked") >= 1) | (_c(X, "seller_age_days", 9999) < 90)]
    return sum(p.astype(float) for p in parts).where(export, 0.0)


def _t7(X):  # ant moving: small parcels just under RMB 1,000 to shared phones/addresses
    small = (_c(X, "value_cny") >= 600) & (_c(X, "value_cny") < 1000)
    shared = np.maximum(_c(X, "addr_n_persons"), _c(X, "phone_n_persons"))
    return shared.where(small & (_c(X, "pivot_hub") == 0), 0.0)


def _t8(X):  # a new enterprise reusing the phones/addresses/people of others
    new = _c(X, "seller_age_days", 9999) < 120
    return _c(X, "seller_linked").where(new, 0.0)


def _t9(X):  # payments with no verifiable raw record, bursts of identical payment times,
    # or (the logistics side, domain.md T9) an export list whose goods never departed
    return _c(X, "tl_tl19") + _c(X, "tl_tl18") + _c(X, "tl_tl00") + _c(X, "tl_ex04")


def _t10(X):  # order pushing: payee mismatch, payee account shared by many buyers, new buyer
    return (_c(X, "tl_tl19") * (1 + (_c(X, "payee_n_persons") >= 5))
            * (1 + (_c(X, "buyer_n_decl", 99) <= 1)))


INDICATORS: dict[str, Indicator] = {i.name: i for i in [
    Indicator("T1_id_funnel", "T1", 5, "{value:.0f} different people's orders go to one "
              "address or phone used by at most two sellers", _t1),
    Indicator("T2_bulk_to_one_consignee", "T2", 15, "{value:.0f} retail lists to one "
              "consignee address (not a shared locker or campus)", _t2),
    Indicator("T3_price_below_reference", "T3", 2.0, "unit price {value:.1f}x below the "
              "reference price of the product (a payment or export receipt above the "
              "declared value adds 2)", _t3),
    Indicator("T4_split_under_threshold", "T4", 2, "value just under a limit, on an "
              "address/phone/account shared by {value:.0f} people", _t4),
    Indicator("T4_same_day_split", "T4", 1.0, "one seller's lists to one address, phone "
              "or account on one day add up to {value:.1f}x the limit each is under",
              _t4_day),
    Indicator("T5_generic_misdescription", "T5", 1.0, "generic goods names with weight or "
              "HS inconsistencies (score {value:.1f})", _t5),
    Indicator("T6_popmart_pattern", "T6", 4, "POP MART pattern: {value:.0f} of 5 (brand "
              "omitted, destinations concentrated, express/CBEC, generic names, linked or "
              "new shipper)", _t6, weight=1.5),
    Indicator("T7_ant_moving", "T7", 3, "parcels just under RMB 1,000 to a phone/address "
              "shared by {value:.0f} people", _t7),
    Indicator("T8_enterprise_cycling", "T8", 1, "a seller under 120 days old linked to "
              "{value:.0f} other enterprises by phone, address, people or accounts", _t8),
    Indicator("T9_unverifiable_payment", "T9", 1, "{value:.0f} payment/logistics checks "
              "failed (no raw payment record, identical payment times, no departure record)", _t9),
    Indicator("T10_order_pushing", "T10", 2, "payee mismatch on an account shared by many "
              "buyers or a new buyer (score {value:.0f})", _t10),
]}


def indicator_values(X: pd.DataFrame) -> pd.DataFrame:
    """One column per indicator: its value per declaration."""
    return pd.DataFrame({n: i.values(X) for n, i in INDICATORS.items()}, index=X.index)


def indicator_hits(values: pd.DataFrame) -> pd.DataFrame:
    """Booleans: value >= threshold."""
    return pd.DataFrame({n: values[n] >= INDICATORS[n].threshold for n in values.columns},
                        index=values.index)


def rules_score(values: pd.DataFrame) -> pd.Series:
    """The rules-only baseline: each indicator's value over its threshold, capped at 2,
    weighted; the strongest counts fully and the others a little (0..1)."""
    strength = pd.DataFrame({n: (values[n] / INDICATORS[n].threshold).clip(0, 2) / 2
                             * INDICATORS[n].weight for n in values.columns})
    s = strength.max(axis=1) + 0.1 * strength.sum(axis=1)
    return (s / s.max()).fillna(0.0) if len(s) and s.max() > 0 else s * 0.0


def reasons_for(values: pd.DataFrame, top: int = 3) -> list[list[str]]:
    """Per declaration, the sentences of its hits, strongest first (at most ``top``)."""
    ratio = pd.DataFrame({n: values[n] / INDICATORS[n].threshold for n in values.columns})
    out: list[list[str]] = []
    names = list(values.columns)
    arr, vals = ratio.to_numpy(), values.to_numpy()
    for r, v in zip(arr, vals, strict=True):
        order = np.argsort(-r)
        out.append([INDICATORS[names[j]].sentence(v[j]) for j in order[:top] if r[j] >= 1])
    return out
