"""Inspections and seizures: the only labels customs really has (domain.md §5).

1-5 % of declarations are inspected (about 2.5 % here), chosen with a bias toward
rule-like suspicion (generic toy names, shippers younger than 90 days, values just under
the RMB 5,000 / 1,000 limits, many buyers on one address, low value per kg) plus a random
share. Outcomes are imperfect: some fraud passes as clean, a few benign items are seized
or amended. T6 seizures name POP MART / LABUBU.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from synthetic.catalog import CATALOG, GENERIC_TOY_NAMES
from synthetic.config import TYPOLOGIES
from synthetic.frame import Frame
from synthetic.messages import iso, join, lpad
from synthetic.registers import Registry

__all__ = ["inspect", "INSPECTION_RATE"]

INSPECTION_RATE = 0.025
_REASON = {"T1": "quota_abuse", "T2": "smuggling", "T3": "undervaluation", "T4": "quota_abuse",
           "T5": "misdescription", "T6": "ipr", "T7": "smuggling", "T8": "misdescription",
           "T9": "other", "T10": "other"}
_FINDING = {"ipr": "LABUBU figures, brand not declared", "undervaluation":
            "declared price far below the payment record", "misdescription":
            "goods differ from the declared description and HS code", "quota_abuse":
            "orders under third-party IDs for one consignee", "smuggling":
            "repeated small parcels for one organiser", "other": "payment not verifiable"}
# where one legal ground covers typologies an officer would describe differently
_FINDING_TYP = {"T2": "bulk goods split into retail lists for one consignee",
                "T10": "order placed for goods sold outside the platform; paid to a personal "
                       "account"}


def _suspicion(f: Frame, reg: Registry, gv_cny: np.ndarray, net: np.ndarray,
               paid: np.ndarray) -> np.ndarray:
    """Rule-like suspicion score per declaration (what targeting officers look at)."""
    d, li = f.d, f.li
    n = len(f)
    first = np.cumsum(d["n_lines"].astype(np.int64)) - d["n_lines"]
    generic = np.isin(CATALOG["gname"][li["item"][first]], list(GENERIC_TOY_NAMES))
    reg_day = np.array([np.datetime64(e["registered_date"]).astype(np.int64) for e in reg.ent])
    new = (d["t_decl"] // 86400 - reg_day[d["ebc"]]) < 90
    imp = d["ie"] == 0
    near = imp & (((gv_cny >= 4500) & (gv_cny < 5000)) | ((gv_cny >= 900) & (gv_cny < 1000)))
    fan = np.zeros(n)
    if imp.any():
        a = d["cons_addr"][imp]
        pair = np.unique(np.stack([a, d["buyer"][imp]]), axis=1)
        cnt = np.bincount(pair[0], minlength=a.max() + 1)
        fan[imp] = cnt[a]
    cheap = (d["ie"] == 1) & (gv_cny / np.maximum(net, 1e-3) < 30)
    round_paid = imp & (paid % 100 == 0)
    return (2.0 * generic + 1.5 * new + 1.5 * near + 1.0 * (fan > 8) + 0.8 * cheap
            + 1.0 * round_paid)


def inspect(f: Frame, reg: Registry, built, rng: np.random.Generator, seq0: int
            ) -> tuple[pa.Table, pa.Table]:
    """Inspections and seizures of one month's frame ``f`` (already turned into ``built``)."""
    n = len(f)
    d = f.d
    decl = built.tables["declarations"]
    gv = built.tables["orders"].column("goods_value").to_numpy()
    gv_cny = np.where(d["usd"], gv * 7.1, gv)
    net = decl.column("net_weight").to_numpy()
    paid = built.tables["orders"].column("actual_paid").to_numpy()
    w = np.exp(1.1 * _suspicion(f, reg, gv_cny, net, paid))
    p = np.minimum(0.9, INSPECTION_RATE * n * w / w.sum())
    chosen = np.flatnonzero(rng.random(n) < p)
    mal = d["typ"][chosen] > 0
    u = rng.random(len(chosen))
    # 0 clean, 1 amended, 2 seized: imperfect both ways
    outcome = np.where(mal, np.where(u < 0.70, 2, np.where(u < 0.82, 1, 0)),
                       np.where(u < 0.005, 2, np.where(u < 0.045, 1, 0)))
    ids = join("INS", lpad(seq0 + np.arange(len(chosen)), 9))
    t_ins = d["t_decl"][chosen] + rng.integers(2 * 3600, 30 * 3600, len(chosen))
    method = np.array(["document", "xray", "physical"], dtype=object)[
        np.where(mal, rng.choice(3, len(chosen), p=[0.1, 0.4, 0.5]),
                 rng.choice(3, len(chosen), p=[0.5, 0.35, 0.15]))]
    typ = np.array(TYPOLOGIES, dtype=object)[d["typ"][chosen]]
    reason = np.array([_REASON.get(t, "other") if t else "other" for t in typ], dtype=object)
    first = (np.cumsum(d["n_lines"].astype(np.int64)) - d["n_lines"])[chosen]
    true_qty = np.bincount(f.line_decl, weights=f.li["true_qty"], minlength=n)[chosen]
    finding = np.where(outcome == 0, None, [_FINDING_TYP.get(t, _FINDING[r])
                                            for t, r in zip(typ, reason, strict=True)])
    insp = pa.table({
        "inspection_id": ids, "invt_no": decl.column("invt_no").take(pa.array(chosen)),
        "inspection_time": iso(t_ins), "method": pa.array(method, pa.string()),
        "outcome": pa.array(np.array(["clean", "amended", "seized"], dtype=object)[outcome],
                            pa.string()),
        "finding": pa.array(finding, pa.string()),
        "found_qty": pa.array(np.where(outcome > 0, true_qty, np.nan),
                              mask=outcome == 0)})
    s = np.flatnonzero(outcome == 2)
    ipr = reason[s] == "ipr"
    true_item = f.li["true_item"][first[s]]
    seiz = pa.table({
        "seizure_id": join("SZ", lpad(seq0 + s, 9)),
        "inspection_id": ids.take(pa.array(s)),
        "invt_no": insp.column("invt_no").take(pa.array(s)),
        "seizure_date": pa.array(np.datetime_as_string(
            t_ins[s].astype("datetime64[s]").astype("datetime64[D]"))),
        "reason": pa.array(np.where(mal[s], reason[s], "other"), pa.string()),
        "goods_description": pa.array(np.where(ipr, "LABUBU vinyl plush figures",
                                               CATALOG["item_name"][true_item]), pa.string()),
        "qty": true_qty[s],
        "value": np.round(true_qty[s] * CATALOG["price"][true_item], 2),
        "brand": pa.array(np.where(ipr, "POP MART", None), pa.string()),
        "rights_holder": pa.array(np.where(ipr, "Pop Mart International Group", None),
                                  pa.string())})
    return insp, seiz
