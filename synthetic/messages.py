"""Turn a declaration frame into the contract's message tables (vectorised with pyarrow).

Benign rows pass the three-list rules of domain.md §4 by construction: order value = Σ
lines, actual_paid = goods + freight + tax − discount, payment = actual_paid, the waybill
repeats the order's consignee, gross ≥ net weight, order ≤ payment ≤ waybill ≤
declaration. Documented natural noise: ~0.3 % of import orders have actual_paid off by
under 1 % (rounding at the platform), within TL-03's 5 % tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic.cast import Cast
from synthetic.catalog import BARCODE_PREFIX, CATALOG, gtin13
from synthetic.config import (
    CHANNELS,
    COUNTRIES,
    DISTRICTS,
    LINK_HOSTS,
    NOTES,
    TRADE_MODES,
    TRAF_MODES,
)
from synthetic.frame import Frame
from synthetic.identities import s10_ids
from synthetic.population import FLAT_POD

__all__ = ["build_messages", "Built", "take", "join", "lpad", "iso"]

TAX_RATE = 0.091  # CBEC import tax: 70 % of 13 % VAT


def take(arr: pa.Array | list | np.ndarray, idx: np.ndarray) -> pa.Array:
    """``arr[idx]`` with negative indices giving null."""
    if not isinstance(arr, pa.Array):
        arr = pa.array(list(arr) if isinstance(arr, np.ndarray) else arr, pa.string())
    idx = np.asarray(idx, dtype=np.int64)
    return arr.take(pa.array(idx, mask=idx < 0))


def join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def lpad(x: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pa.array(np.asarray(x, dtype=np.int64)).cast(pa.string()), width, "0")


def iso(t: np.ndarray) -> pa.Array:
    """Epoch seconds → ISO 8601 local time text (``YYYY-MM-DDTHH:MM:SS``)."""
    ts = pa.array(np.asarray(t, dtype=np.int64), pa.timestamp("s")).cast(pa.string())
    return pc.replace_substring(ts, " ", "T")


def _ymd(t: np.ndarray) -> pa.Array:
    """Epoch seconds → ``YYYYMMDD`` text."""
    dt = np.asarray(t, dtype=np.int64).astype("datetime64[s]")
    days, months = dt.astype("datetime64[D]"), dt.astype("datetime64[M]")
    ymd = ((dt.astype("datetime64[Y]").astype(np.int64) + 1970) * 10000
           + (months.astype(np.int64) % 12 + 1) * 100
           + (days - months.astype("datetime64[D]")).astype(np.int64) + 1)
    return pa.array(ymd).cast(pa.string())


@dataclass
class Built:
    """One month's tables plus the keys ground truth needs."""

    tables: dict[str, pa.Table]
    invt_no: pa.Array
    tampered: list[dict]


def _null_where(a: pa.Array, mask: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(mask), pa.scalar(None, a.type), a)


def build_messages(f: Frame, cast: Cast, rng: np.random.Generator, seq0: int) -> Built:
    """All message tables of frame ``f``; ``seq0`` numbers the month's documents uniquely."""
    reg = cast.reg
    d, li = f.d, f.li
    n = len(f)
    seq = seq0 + np.arange(n, dtype=np.int64)
    exp = d["ie"] == 1
    imp = ~exp
    ld = f.line_decl
    code = reg.arr("ent_code")
    ent = lambda col: take(code, d[col])  # noqa: E731
    t_decl = d["t_decl"]
    t_ship = t_decl - d["d_ship"]
    t_pay = np.where(d["pay_time"] >= 0, d["pay_time"], t_ship - d["d_pay"])
    t_order = t_pay - d["d_order"]
    ie_flag = pc.if_else(pa.array(exp), "E", "I")
    currency = pc.if_else(pa.array(d["usd"]), "USD", "CNY")
    prefix = np.array(["OR"] * len(reg.ent), dtype=object)
    for i, p in cast.ebp_prefix.items():
        prefix[i] = p
    ebp_code, ebc_code = ent("ebp"), ent("ebc")
    order_no = join(take(prefix, d["ebp"]), _ymd(t_order), lpad(seq, 9))
    # goods values
    line_total = np.round(li["price"] * li["qty"], 2)
    gv = np.round(np.bincount(ld, weights=line_total, minlength=n), 2)
    tax = np.where(imp, np.round(gv * TAX_RATE, 2), 0.0)
    paid = np.round(gv + d["freight"] + tax - d["discount"], 2)
    over = ~np.isnan(d["paid_override"])
    disc = np.where(over, np.round(gv + d["freight"] + tax - d["paid_override"], 2), d["discount"])
    paid = np.where(over, d["paid_override"], paid)
    noise = imp & (rng.random(n) < 0.003)
    paid = np.where(noise, np.round(paid * (1 + rng.uniform(-0.01, 0.01, n)), 2), paid)
    # payment identifiers (import)
    pay_code = ent("payfirm")
    txn = join(_ymd(t_pay), "2200", lpad(seq, 16))
    # persons (import only; -1 elsewhere gives null)
    buyer = np.where(imp, d["buyer"], -1)
    b_name = take(reg.arr("p_name"), buyer)
    b_id = take(reg.arr("p_id"), buyer)
    b_type = take(reg.arr("p_idtype"), buyer)
    phones = reg.arr("phone")
    b_phone = take(phones, np.where(imp, d["buyer_phone"], -1))
    c_phone = take(phones, np.where(imp, d["cons_phone"], -1))
    c_addr = take(reg.arr("addr"), np.where(imp, d["cons_addr"], -1))
    c_name = take(reg.arr("p_name"), np.where(d["cons_name"] >= 0, d["cons_name"], buyer))
    payer = np.where(imp, d["payer"], -1)
    has_disc = (disc != 0) | (rng.random(n) < 0.5)
    # the platform account follows the real person (all their refs), keyed by a permutation
    # (a platform account opened for the order itself, ``reg_seq``, gets a number of its own)
    acc_id = np.where(d["reg_seq"] >= 0, d["reg_seq"], reg.np("p_true")[np.maximum(buyer, 0)])
    reg_no = join("u", lpad(acc_id * 6180339 % 10**7, 7))
    orders = pa.table({
        "order_no": order_no, "ebp_code": ebp_code, "ebc_code": ebc_code, "ie_flag": ie_flag,
        "order_time": iso(t_order), "goods_value": gv, "freight": d["freight"],
        "discount": pa.array(disc, mask=~has_disc),
        "tax_total": pa.array(tax, mask=exp), "actual_paid": paid, "currency": currency,
        "buyer_reg_no": _null_where(reg_no, exp | (rng.random(n) < 0.3)),
        "buyer_name": b_name, "buyer_id_type": b_type, "buyer_id_number": b_id,
        "buyer_telephone": _null_where(b_phone, rng.random(n) < 0.1),
        "consignee": c_name, "consignee_telephone": c_phone, "consignee_address": c_addr,
        "pay_code": _null_where(pay_code, exp), "pay_transaction_id": _null_where(txn, exp),
        "note": _null_where(take(np.array(NOTES, dtype=object), d["note"]), d["note"] == 0),
    })
    # goods lines
    items, titems = li["item"].astype(np.int64), li["true_item"].astype(np.int64)
    gnum = (np.arange(len(ld)) - np.repeat(np.cumsum(d["n_lines"].astype(np.int64))
                                           - d["n_lines"], d["n_lines"].astype(np.int64)) + 1)
    l_ebc = ebc_code.take(pa.array(ld))
    # the product's goods number, the same for every seller: it names the item, never the
    # seller (a per-seller number let a row model recognise a ring's firms by it)
    sku = (items * 104729 + 12345) * 48271 % 10**6
    item_no = join("SKU-", pc.utf8_slice_codeunits(l_ebc, 6, 10), "-", lpad(sku, 6))
    cat = {k: pa.array(list(CATALOG[k]), pa.string()) for k in ("item_name", "gname", "gcode",
                                                                "gmodel")}
    barcode = _barcodes(li, items, rng)
    l_country = pc.if_else(pa.array(exp[ld]), "CN",
                           take(np.array(COUNTRIES, dtype=object), d["country"][ld]))
    l_cur = currency.take(pa.array(ld))
    order_no_l = order_no.take(pa.array(ld))
    m = len(ld)
    order_lines = pa.table({
        "order_no": order_no_l, "ebp_code": ebp_code.take(pa.array(ld)), "gnum": gnum,
        "item_no": _null_where(item_no, rng.random(m) < 0.1),
        "item_name": take(cat["item_name"], items),
        "gcode": _null_where(take(cat["gcode"], items), rng.random(m) < 0.03),
        "gname": take(cat["gname"], items), "gmodel": take(cat["gmodel"], items),
        "bar_code": _null_where(barcode, rng.random(m) < 0.05),
        "qty": li["qty"], "unit": pa.array(["007"] * m), "price": li["price"],
        "total_price": line_total, "currency": l_cur, "country": l_country})
    # payments and raw payment records (import)
    ii = np.flatnonzero(imp)
    acct_no = take(reg.arr("acct_no"), np.where(imp, d["acct"], -1))
    payments = pa.table({
        "pay_code": pay_code, "pay_transaction_id": txn, "order_no": order_no,
        "ebp_code": ebp_code, "payer_id_type": take(reg.arr("p_idtype"), payer),
        "payer_id_number": take(reg.arr("p_id"), payer),
        "payer_name": take(reg.arr("p_name"), payer),
        "telephone": _null_where(b_phone, rng.random(n) < 0.2),
        "payer_account_no": acct_no, "amount_paid": paid, "currency": currency,
        "pay_time": iso(t_pay)}).take(pa.array(ii))
    ri = np.flatnonzero(imp & (d["raw"] > 0))
    first_line = np.cumsum(d["n_lines"].astype(np.int64)) - d["n_lines"]
    true_gv = np.bincount(ld, weights=np.round(li["true_price"] * li["true_qty"], 2), minlength=n)
    raw_amt = np.where(d["raw"] == 2, np.round(paid + (true_gv - gv) * (1 + TAX_RATE), 2), paid)
    raw_amt = np.where(d["raw"] == 2, np.round(raw_amt * d["raw_factor"], 2), raw_amt)
    # the platform's record differs from the slip for everyone now and then: fees and FX
    # (a few per cent), and one payment for a cart split over several orders (much more)
    u = rng.random(n)
    raw_amt = np.where(u < 0.25, np.round(raw_amt * (1 + rng.uniform(-0.02, 0.03, n)), 2),
                       raw_amt)
    raw_amt = np.where(u > 0.975, np.round(raw_amt * rng.uniform(1.2, 3.0, n), 2), raw_amt)
    ebc_name = take(reg.arr("ent_name"), d["ebc"])
    # the payee is the seller unless a scheme routed the money to another account (``payee``)
    to_other = pa.array(d["payee"] >= 0)
    payee_no = pc.if_else(to_other, take(reg.arr("acct_no"), d["payee"]),
                          join("62220", lpad(d["ebc"].astype(np.int64) * 7919 % 10**11, 11)))
    payee_name = pc.if_else(to_other, take(reg.arr("acct_holder"), d["payee"]), ebc_name)
    # item pages live on the platform unless the goods were sold elsewhere (``link``)
    hosts = np.array(["https://item.example.com/"] * len(reg.ent), dtype=object)
    for i, p in cast.ebp_prefix.items():
        hosts[i] = f"https://item.{p.lower()}.example.com/"
    hosts = np.concatenate([hosts, np.array(LINK_HOSTS[1:], dtype=object)])
    host = np.where(d["link"] > 0, len(reg.ent) + d["link"].astype(np.int64) - 1, d["ebp"])
    raw = pa.table({
        "pay_code": pay_code, "pay_transaction_id": txn,
        "order_no": _null_where(order_no, rng.random(n) < 0.1), "total_amount": raw_amt,
        "currency": currency,
        "payee_account_no": payee_no, "payee_name": payee_name,
        "goods_name": _titles(titems[first_line], rng),
        "item_link": join(take(hosts, host), lpad(
            (d["ebc"].astype(np.int64) * 7919 + titems[first_line] * 104729) * 69621 % 10**9,
            9)),
        "verifying_institution": pc.if_else(pa.array(rng.random(n) < 0.33), "NetsUnion",
                                            "UnionPay"),
        "trading_time": iso(t_pay + rng.integers(0, 4, n))}).take(pa.array(ri))
    # receipts (export): the charge received, which an undervaluing exporter's payment firm
    # may report in full (``raw`` 2); everyone's differs now and then for fees and FX (20 %,
    # inside EX-01's 5 %), or covers several orders of one buyer paid at once (0.8 %)
    ei = np.flatnonzero(exp)
    t_receipt = np.where(d["receipt_time"] >= 0, d["receipt_time"], t_order + d["d_receipt"])
    charge = np.where(exp & (d["raw"] == 2), true_gv, gv) + d["freight"]
    u = rng.random(n)
    charge = np.where(u < 0.2, charge * (1 + rng.uniform(-0.03, 0.02, n)),
                      np.where(u > 0.992, charge * rng.uniform(1.2, 3.0, n), charge))
    receipts = pa.table({
        "order_no": order_no, "ebp_code": ebp_code, "ebc_code": ebc_code, "pay_code": pay_code,
        "pay_no": join("R", _ymd(t_receipt), lpad(seq, 9)),
        "charge": np.round(charge, 2), "currency": currency,
        "accounting_date": iso(t_receipt)}).take(pa.array(ei))
    # waybills
    lprefix = np.array(["WB"] * len(reg.ent), dtype=object)
    for i, p in cast.logi_prefix.items():
        lprefix[i] = p
    postal = d["channel"] == 2
    serial = np.where(d["wb_seq"] >= 0, d["wb_seq"], _carrier_serials(d["logi"], len(reg.ent),
                                                                       rng))
    s10 = pa.array(s10_ids(seq * 7919 % 10**8, "EA", "CN"))
    express_no = join(take(lprefix, d["logi"]), lpad(serial, 12))
    logistics_no = pc.if_else(pa.array(postal & (d["wb_seq"] < 0)), s10, express_no)
    # parcels weigh what is inside, give or take packaging and scales (5-15 %)
    t_net = np.bincount(ld, weights=CATALOG["unit_kg"][titems] * li["true_qty"] * li["kg_f"],
                        minlength=n)
    t_net = np.round(t_net * np.clip(rng.normal(1.0, 0.07, n), 0.85, 1.15), 3)
    gross = np.round(t_net * rng.uniform(1.05, 1.25, n) + 0.05, 3)
    first_gname = take(cat["gname"], items[first_line])
    goods_info = join(first_gname, " x", pa.array(li["qty"][first_line].astype(np.int64))
                      .cast(pa.string()))
    logistics_code = ent("logi")
    waybills = pa.table({
        "logistics_code": logistics_code, "logistics_no": logistics_no, "order_no": order_no,
        "ebp_code": ebp_code, "freight": d["freight"], "weight": gross,
        "pack_no": np.where(d["tmode"] >= 3, rng.integers(1, 6, n), 1),
        "goods_info": _null_where(goods_info, rng.random(n) < 0.05),
        "consignee": c_name, "consignee_telephone": c_phone, "consignee_address": c_addr,
        "ship_time": iso(t_ship)})
    # declarations
    dist = np.array(DISTRICTS, dtype=object)
    customs = take(dist[:, 0], d["district"])
    port = take(dist[:, 1], d["district"])
    invt_no = join(customs, pa.array(np.datetime_as_string(t_decl.astype("datetime64[s]")
                                                           .astype("datetime64[Y]"))),
                   ie_flag, lpad(seq, 9))
    owner = pc.if_else(pa.array(d["owner"] == -1), "NO", ent("owner"))
    declarations = pa.table({
        "invt_no": invt_no, "order_no": order_no, "ebp_code": ebp_code, "ebc_code": ebc_code,
        "logistics_code": logistics_code, "logistics_no": logistics_no,
        "agent_code": ent("agent"), "customs_code": customs, "port_code": port,
        "ie_flag": ie_flag, "channel": take(np.array(CHANNELS, dtype=object), d["channel"]),
        "trade_mode": take(np.array(TRADE_MODES, dtype=object), d["tmode"]),
        "traf_mode": take(np.array(TRAF_MODES, dtype=object), d["traf"]),
        "country": take(np.array(COUNTRIES, dtype=object), d["country"]),
        "pod": take(np.array(FLAT_POD, dtype=object), d["pod"]),
        "buyer_id_type": b_type, "buyer_id_number": b_id, "buyer_name": b_name,
        "buyer_telephone": b_phone, "owner_code": owner, "gross_weight": gross,
        "net_weight": t_net, "freight": d["freight"], "currency": currency,
        "decl_time": iso(t_decl)})
    declaration_lines = pa.table({
        "invt_no": invt_no.take(pa.array(ld)), "gnum": gnum,
        "item_no": item_no, "item_name": take(cat["item_name"], items),
        "gcode": take(cat["gcode"], items), "gname": take(cat["gname"], items),
        "gmodel": take(cat["gmodel"], items), "bar_code": barcode,
        "qty": li["qty"], "unit": pa.array(["007"] * m), "price": li["price"],
        "total_price": line_total, "currency": l_cur, "country": l_country})
    t_dep = t_decl + d["d_depart"]
    traf = take(np.array(TRAF_MODES, dtype=object), d["traf"])
    # master bills group a carrier's consecutive parcels (air waybill or truck manifest)
    grp = (seq // 150 * 37 + d["logi"]) % 10**8
    bill = pc.if_else(pa.array(d["traf"] == 0), join("784-", lpad(grp, 8)),
                      join("MB", lpad(grp, 8)))
    departures = pa.table({
        "logistics_code": logistics_code, "logistics_no": logistics_no,
        "bill_no": _null_where(bill, postal), "traf_mode": traf, "port_code": port,
        "departure_time": iso(t_dep)}).take(pa.array(ei[d["d_depart"][ei] >= 0]))
    tables = {"orders": orders, "order_lines": order_lines, "payments": payments,
              "raw_payments": raw, "receipts": receipts, "waybills": waybills,
              "declarations": declarations, "declaration_lines": declaration_lines,
              "departures": departures}
    tampered = _tampered(f, ld, gnum, invt_no, order_no, ebp_code, gv, true_gv)
    return Built(tables, invt_no, tampered)


_TITLE_TAIL = np.array(["", "", " official store", " free shipping", " bonded stock",
                        " genuine import", " gift box", " limited offer"], dtype=object)


def _titles(item: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """Platform titles of the goods paid for: noisy, for everyone (brand, name, model)."""
    brand = CATALOG["brand"][item]
    forms = np.stack([CATALOG["item_name"][item],
                      np.where(brand != "", brand + " " + CATALOG["gname"][item],
                               CATALOG["gname"][item]),
                      CATALOG["item_name"][item] + " " + CATALOG["model"][item],
                      CATALOG["gname"][item] + " " + CATALOG["model"][item]], axis=1)
    k = rng.choice(4, len(item), p=[0.3, 0.3, 0.2, 0.2])
    tail = _TITLE_TAIL[rng.integers(0, len(_TITLE_TAIL), len(item))]
    return pa.array(forms[np.arange(len(item)), k] + tail, pa.string())


def _barcodes(li: dict, items: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """GTIN per line: the declared item's, unless a scheme set one (``gtin``); noise for all.

    ``gtin`` -1: the catalogue GTIN of the declared item; -2: none; >= 0: that 12-digit
    prefix. Honest lines are noisy too: no barcode (12 %; unbranded goods 20 %), a made-up
    one (4 %; unbranded goods 15 %: small workshops never register), or a sibling
    product's (3 %).
    """
    m = len(items)
    g = li["gtin"].copy()
    u = rng.random(m)
    dflt = g == -1
    made_up = 690000000000 + rng.integers(0, 10**10, m)
    sibling = BARCODE_PREFIX[(items + rng.integers(1, 4, m)) % len(BARCODE_PREFIX)]
    plain = CATALOG["brand_type"][items] == 0
    p_none = np.where(plain, 0.20, 0.12)
    p_made = p_none + np.where(plain, 0.15, 0.04)
    g = np.where(dflt, np.where(u < p_none, -2, np.where(u < p_made, made_up, np.where(
        u < p_made + 0.03, sibling, BARCODE_PREFIX[items]))), g)
    codes = gtin13(np.maximum(g, 0))
    return pa.array(codes, pa.string(), mask=g < 0)


def _carrier_serials(logi: np.ndarray, n_ent: int, rng: np.random.Generator) -> np.ndarray:
    """Waybill serials as carriers issue them: each carrier numbers its parcels upward from
    a block start, with small gaps (numbers voided, used elsewhere)."""
    n = len(logi)
    start = rng.integers(10**10, 9 * 10**11, n_ent)
    order = np.argsort(logi, kind="stable")          # time order kept within a carrier
    gaps = rng.integers(1, 4, n)
    cs = np.cumsum(gaps[order])
    lg = logi[order]
    first = np.r_[True, lg[1:] != lg[:-1]]
    base = np.maximum.accumulate(np.where(first, cs - gaps[order], 0))
    out = np.empty(n, np.int64)
    out[order] = start[lg] + cs - base
    return out


def _tampered(f: Frame, ld, gnum, invt_no, order_no, ebp_code, gv, true_gv) -> list[dict]:
    """Declared vs true values of every field a scheme falsified."""
    li = f.li
    out: list[dict] = []
    diff_item = li["item"] != li["true_item"]
    diff_qty = li["qty"] != li["true_qty"]
    diff_price = li["price"] != li["true_price"]
    for j in np.flatnonzero(diff_item | diff_qty | diff_price):
        i = int(ld[j])
        inv, g = invt_no[i].as_py(), int(gnum[j])
        okey = f"{ebp_code[i].as_py()}|{order_no[i].as_py()}|{g}"
        a, b = int(li["item"][j]), int(li["true_item"][j])
        pairs = []
        if diff_item[j]:
            for fld in ("gname", "gmodel", "gcode", "item_name"):
                if CATALOG[fld][a] != CATALOG[fld][b]:
                    pairs.append((fld, CATALOG[fld][a], CATALOG[fld][b]))
        if diff_qty[j]:
            pairs.append(("qty", f"{li['qty'][j]:g}", f"{li['true_qty'][j]:g}"))
        if diff_price[j]:
            pairs.append(("price", f"{li['price'][j]:.2f}", f"{li['true_price'][j]:.2f}"))
        for fld, dv, tv in pairs:
            out.append({"table": "declaration_lines", "record_key": f"{inv}|{g}", "field": fld,
                        "declared_value": str(dv), "true_value": str(tv)})
            out.append({"table": "order_lines", "record_key": okey, "field": fld,
                            "declared_value": str(dv), "true_value": str(tv)})
    for i in np.flatnonzero(np.abs(true_gv - gv) > 0.005):
        out.append({"table": "orders", "record_key": f"{ebp_code[i].as_py()}|{order_no[i].as_py()}",
                    "field": "goods_value", "declared_value": f"{gv[i]:.2f}",
                    "true_value": f"{true_gv[i]:.2f}"})
    return out
