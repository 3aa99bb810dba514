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

from synthetic.catalog import CATALOG, GENERIC_TOY_NAMES, item_index
from synthetic.config import TYPOLOGIES
from synthetic.frame import Frame
from synthetic.messages import iso, join, lpad
from synthetic.registers import Registry

__all__ = ["inspect", "INSPECTION_RATE"]

INSPECTION_RATE = 0.025
_REASON = {"T1": "quota_abuse", "T2": "smuggling", "T3": "undervaluation", "T4": "quota_abuse",
           "T5": "misdescription", "T6": "ipr", "T7": "smuggling", "T8": "misdescription",
           "T9": "other", "T10": "other"}
# one vocabulary per legal ground, used alike for honest and fraudulent findings
_FINDINGS = {
    "ipr": ["branded goods, brand not declared", "goods bear a recorded trademark",
            "right holder confirms infringement"],
    "undervaluation": ["declared price below the transaction value",
                       "declared price far below the payment record",
                       "value amended after document check"],
    "misdescription": ["goods differ from the declared description and HS code",
                       "HS code amended", "quantity differs from the declaration"],
    "quota_abuse": ["orders under third-party IDs", "annual limit exceeded for the buyer",
                    "order split below the per-order limit"],
    "smuggling": ["goods for resale declared as personal use",
                  "repeated parcels for one consignee", "commercial quantity"],
    "other": ["payment not verifiable", "prohibited or restricted goods",
              "documents incomplete"],
}
_BENIGN_REASONS = ["misdescription", "undervaluation", "other", "quota_abuse", "ipr",
                   "smuggling"]
_BENIGN_P = [0.35, 0.2, 0.2, 0.1, 0.08, 0.07]
_LABUBU_FAKE = item_index("labubu_fake")


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
    # three-list and raw-record hits an officer sees (TL-06, TL-08, TL-15, TL-19)
    qty = np.bincount(f.line_decl, weights=li["qty"], minlength=n)
    kg_decl = CATALOG["unit_kg"][li["item"][first]]
    heavy = net / np.maximum(qty, 1) > 2.5 * kg_decl
    other_payer = imp & (d["payer"] != d["buyer"])
    other_cons = imp & (d["cons_name"] >= 0)
    no_raw = imp & (d["raw"] == 0)
    raw_off = imp & ((d["link"] > 0) | (d["payee"] >= 0))
    # register look-ups: a seller whose legal representative or phone several firms share
    from collections import Counter
    reps = Counter(e["legal_rep_id_number"] for e in reg.ent)
    tels = Counter(e["telephone"] for e in reg.ent)
    linked_ent = np.array([max(reps[e["legal_rep_id_number"]], tels[e["telephone"]]) >= 3
                           for e in reg.ent])
    linked = linked_ent[d["ebc"]]
    return (1.5 * generic + 1.5 * new + 1.5 * near + 1.5 * (fan > 5) + 0.8 * cheap
            + 1.5 * linked
            + 1.0 * round_paid + 1.2 * heavy + 0.8 * other_payer + 0.6 * other_cons
            + 0.6 * no_raw + 1.0 * raw_off)


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
    score = _suspicion(f, reg, gv_cny, net, paid)
    w = np.exp(1.1 * score)
    p = np.minimum(0.9, INSPECTION_RATE * n * w / w.sum())
    chosen = np.flatnonzero(rng.random(n) < p)
    mal = d["typ"][chosen] > 0
    u = rng.random(len(chosen))
    # 0 clean, 1 amended, 2 seized: imperfect both ways (honest misdeclarations and
    # prohibited items get amended or seized too)
    outcome = np.where(mal, np.where(u < 0.70, 2, np.where(u < 0.82, 1, 0)),
                       np.where(u < 0.02, 2, np.where(u < 0.08, 1, 0)))
    ids = join("INS", lpad(seq0 + np.arange(len(chosen)), 9))
    t_ins = d["t_decl"][chosen] + rng.integers(2 * 3600, 30 * 3600, len(chosen))
    # the method follows the suspicion score the officer sees, never the truth
    z = (score[chosen] - score.mean()) / max(score.std(), 1e-9)
    p_phys = 1 / (1 + np.exp(-(z - 0.8)))
    p_xray = (1 - p_phys) * 0.45
    um = rng.random(len(chosen))
    method = np.array(["document", "xray", "physical"], dtype=object)[
        np.where(um < p_phys, 2, np.where(um < p_phys + p_xray, 1, 0))]
    typ = np.array(TYPOLOGIES, dtype=object)[d["typ"][chosen]]
    # legal grounds: the typology's for fraud; honest findings under the same grounds
    # (misdescription, undervaluation, quota, IPR on unlicensed prints, prohibited items)
    benign_reason = np.array(_BENIGN_REASONS, dtype=object)[
        rng.choice(len(_BENIGN_REASONS), len(chosen), p=_BENIGN_P)]
    reason = np.where(mal, [_REASON.get(t, "other") for t in typ], benign_reason)
    first = (np.cumsum(d["n_lines"].astype(np.int64)) - d["n_lines"])[chosen]
    true_qty = np.bincount(f.line_decl, weights=f.li["true_qty"], minlength=n)[chosen]
    fi = rng.integers(0, 3, len(chosen))
    finding = np.where(outcome == 0, None, [_FINDINGS[r][k % len(_FINDINGS[r])]
                                            for r, k in zip(reason, fi, strict=True)])
    insp = pa.table({
        "inspection_id": ids, "invt_no": decl.column("invt_no").take(pa.array(chosen)),
        "inspection_time": iso(t_ins), "method": pa.array(method, pa.string()),
        "outcome": pa.array(np.array(["clean", "amended", "seized"], dtype=object)[outcome],
                            pa.string()),
        "finding": pa.array(finding, pa.string()),
        "found_qty": pa.array(np.where(outcome > 0, true_qty, np.nan),
                              mask=outcome == 0)})
    s = np.flatnonzero(outcome == 2)
    ipr = (reason[s] == "ipr") & (f.li["true_item"][first[s]] == _LABUBU_FAKE)
    true_item = f.li["true_item"][first[s]]
    # IPR seizures of other goods name the brand found on them (unlicensed prints)
    other_ipr = (reason[s] == "ipr") & ~ipr
    k = rng.integers(0, 3, len(s))
    other_brand = np.array(["Disney", "Sanrio", "Pokemon"], dtype=object)[k]
    other_holder = np.array(["Disney Enterprises", "Sanrio Co.", "The Pokemon Company"],
                            dtype=object)[k]
    seiz = pa.table({
        "seizure_id": join("SZ", lpad(seq0 + s, 9)),
        "inspection_id": ids.take(pa.array(s)),
        "invt_no": insp.column("invt_no").take(pa.array(s)),
        "seizure_date": pa.array(np.datetime_as_string(
            t_ins[s].astype("datetime64[s]").astype("datetime64[D]"))),
        "reason": pa.array(reason[s], pa.string()),
        "goods_description": pa.array(np.where(ipr, "LABUBU vinyl plush figures",
                                               CATALOG["item_name"][true_item]), pa.string()),
        "qty": true_qty[s],
        "value": np.round(true_qty[s] * CATALOG["price"][true_item], 2),
        "brand": pa.array(np.where(ipr, "POP MART", np.where(other_ipr, other_brand, None)),
                          pa.string()),
        "rights_holder": pa.array(np.where(ipr, "Pop Mart International Group", np.where(
            other_ipr, other_holder, None)), pa.string())})
    return insp, seiz
