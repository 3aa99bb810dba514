"""Audit a generated world for giveaways: can one column, one value or one row tell fraud?

Usage::

    .venv/bin/python bench/audit_world.py WORLD            # the full report
    .venv/bin/python bench/audit_world.py WORLD --json out.json

Ground truth (``WORLD/ground_truth/declarations.parquet``) is used only as the label. Every
input column that joins to a declaration (the declaration, its lines, order, order lines,
payment, raw payment record, receipt, waybill, departure, and the register rows of its
seller, agent, carrier, owner, payment firm, consignee address, buyer phone and payer
account) becomes one column per declaration, plus row-level derived columns (hour, delays
between the messages' times, weight and value ratios, roundness, equalities between
fields of the same row, the shape of identifiers). Free identifiers (order numbers, names,
ID numbers, phones, addresses, accounts) are never used as values, only their shapes.

Per typology (and for "malicious" as a whole) it prints:

- the column with the highest single-column ROC-AUC (each column binned or taken as
  categories and scored by its label rate: non-monotone giveaways count too);
- the single value (a category, an exact number, or a numeric tail) that covers the
  most of the typology at precision >= 0.9 for "malicious";
- a row-only gradient-boosted model (LightGBM; a declaration's own fields, lines, order,
  waybill, payment, receipt; no identifiers, no registers, no cross-row aggregates)
  trained on the earlier months and tested on the last two: ROC-AUC and each
  typology's recall in the top 5 % of the test months.

It also checks the time structure (every typology active, with new schemes, in each of
the last two months; the monthly fraud share) and the inspection labels (does the
inspection method or the seizure wording depend on the truth beyond the suspicion?).
``--check`` exits 1 when a done-criterion of issue 7 fails (thresholds adjustable).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

__all__ = ["load_world", "declaration_columns", "audit", "Audit", "violations", "main"]

REGISTERS = ("enterprises", "persons", "addresses", "phones", "payment_accounts")
RING_TYPOLOGIES = ("T1", "T2", "T4", "T6", "T7", "T8", "T9", "T10")
# Columns whose values name one entity or document: only their shape is audited.
IDENTIFIERS = {
    "order_no", "invt_no", "logistics_no", "ebc_code", "owner_code", "pay_transaction_id",
    "buyer_reg_no", "buyer_name", "buyer_id_number", "buyer_telephone", "consignee",
    "consignee_telephone", "consignee_address", "payer_id_number", "payer_name", "telephone",
    "payer_account_no", "payee_account_no", "payee_name", "item_link", "item_no", "pay_no",
    "bill_no", "inspection_id", "seizure_id", "enterprise_code", "enterprise_name", "uscc",
    "legal_rep_name", "legal_rep_id_number", "address", "account_no", "holder_name",
    "holder_id_number", "registered_name", "registered_id_number", "address_ref", "postcode",
    "goods_info", "order_time", "pay_time", "ship_time", "decl_time", "trading_time",
    "accounting_date", "departure_time", "inspection_time", "seizure_date",
    "registered_date", "opened_date", "activation_date",
}
# entity codes with few values: categorical in the column audit, but no model input
ENTITY_CODES = {"ebp_code", "agent_code", "logistics_code", "pay_code"}
LABEL_TABLES = ("inspections", "seizures")


# -- reading ---------------------------------------------------------------------------

def _read(path: Path) -> pd.DataFrame:
    for ext in ("parquet", "csv", "jsonl"):
        p = path.with_suffix("." + ext)
        if p.exists():
            return _read_file(p)
        d = path
        if d.is_dir():
            files = sorted(d.glob(f"*.{ext}"))
            if files:
                return pd.concat([_read_file(f) for f in files], ignore_index=True)
    raise FileNotFoundError(f"{path}: no parquet, csv or jsonl table here; is this a world "
                            "written by `cbec generate`?")


def _read_file(p: Path) -> pd.DataFrame:
    if p.suffix == ".parquet":
        return pq.read_table(p).to_pandas()
    if p.suffix == ".csv":
        return pacsv.read_csv(p, convert_options=pacsv.ConvertOptions(
            strings_can_be_null=True)).to_pandas()
    return pd.read_json(p, lines=True, dtype=False)


def load_world(world: Path) -> dict[str, pd.DataFrame]:
    """Every table of ``world`` as a DataFrame, plus ``truth`` (the label)."""
    world = Path(world)
    names = REGISTERS + ("orders", "order_lines", "payments", "raw_payments", "receipts",
                         "waybills", "declarations", "declaration_lines", "departures",
                         "inspections", "seizures")
    t = {n: _read(world / n) for n in names}
    t["truth"] = pq.read_table(world / "ground_truth" / "declarations.parquet").to_pandas()
    sp = world / "ground_truth" / "schemes.csv"
    t["schemes"] = pd.read_csv(sp, dtype=str) if sp.exists() else pd.DataFrame()
    return t


# -- one row per declaration ------------------------------------------------------------

def _ts(s: pd.Series) -> pd.Series:
    """Times as the contract writes them (``YYYY-MM-DDTHH:MM:SS`` or a date); bad → NaT."""
    s = pd.Series(s)
    idx = s.index
    s = s.astype("string").reset_index(drop=True)
    t = pd.to_datetime(s, errors="coerce", format="%Y-%m-%dT%H:%M:%S")
    short = (t.isna() & s.str.len().eq(10)).fillna(False).to_numpy(dtype=bool)
    if short.any():
        t = t.where(~short, pd.to_datetime(s.where(short), errors="coerce", format="%Y-%m-%d"))
    return t.set_axis(idx)


def _secs(a: pd.Series, b: pd.Series) -> pd.Series:
    return (_ts(a) - _ts(b)).dt.total_seconds()


def _prefix(s: pd.Series, n: int | None = None) -> pd.Series:
    out = s.astype("string").str.extract(r"^([A-Za-z]+)", expand=False)
    return out if n is None else out.str[:n]


def _shape(s: pd.Series) -> pd.Series:
    """Letters kept, digits as 9: ``SF123`` → ``SF999`` (length and format)."""
    return s.astype("string").str.replace(r"\d", "9", regex=True).str.replace(
        r"[^\x00-\x7f]", "U", regex=True)


def _frac(x: pd.Series) -> pd.Series:
    return (x.astype(float) * 100).round() % 100


def _agg_lines(li: pd.DataFrame, key: str, prefix: str) -> pd.DataFrame:
    li = li.sort_values([key, "gnum"])
    first = li.groupby(key, sort=False).first()
    g = li.groupby(key, sort=False)
    out = pd.DataFrame(index=first.index)
    for c in li.columns:
        if c in (key, "gnum", "order_no", "ebp_code"):
            continue
        out[f"{prefix}.{c}"] = first[c]
    out[f"{prefix}.n_lines"] = g.size()
    out[f"{prefix}.qty_sum"] = g["qty"].sum()
    out[f"{prefix}.qty_max"] = g["qty"].max()
    out[f"{prefix}.value_sum"] = g["total_price"].sum()
    out[f"{prefix}.price_cents"] = _frac(first["price"])
    out[f"{prefix}.brand_type"] = first["gmodel"].astype("string").str.split("|").str[0]
    out[f"{prefix}.brand"] = first["gmodel"].astype("string").str.split("|").str[2]
    out[f"{prefix}.n_distinct_gcode"] = g["gcode"].nunique()
    return out


def declaration_columns(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per declaration: every joinable input column, prefixed by its table."""
    d = t["declarations"].drop_duplicates("invt_no").copy()
    out = d.add_prefix("decl.")
    out.index = d["invt_no"].values
    key_o = d["ebp_code"].astype(str) + "|" + d["order_no"].astype(str)
    key_w = d["logistics_code"].astype(str) + "|" + d["logistics_no"].astype(str)

    def join(tab: pd.DataFrame, keys: pd.Series, tkey: pd.Series, prefix: str) -> None:
        tab = tab.assign(_k=tkey.values).drop_duplicates("_k").set_index("_k")
        j = tab.reindex(keys.values)
        j.index = out.index
        for c in tab.columns:
            out[f"{prefix}.{c}"] = j[c].values

    o = t["orders"]
    join(o, key_o, o["ebp_code"].astype(str) + "|" + o["order_no"].astype(str), "order")
    for name, pfx in (("payments", "pay"), ("receipts", "rcpt")):
        x = t[name]
        join(x, key_o, x["ebp_code"].astype(str) + "|" + x["order_no"].astype(str), pfx)
    pay_key = out["order.pay_code"].astype(str) + "|" + out["order.pay_transaction_id"].astype(str)
    r = t["raw_payments"]
    join(r, pay_key, r["pay_code"].astype(str) + "|" + r["pay_transaction_id"].astype(str), "raw")
    for name, pfx in (("waybills", "wb"), ("departures", "dep")):
        x = t[name]
        join(x, key_w, x["logistics_code"].astype(str) + "|" + x["logistics_no"].astype(str), pfx)
    dl = _agg_lines(t["declaration_lines"], "invt_no", "line")
    out = out.join(dl, how="left")
    ol = t["order_lines"].assign(_k=lambda x: x["ebp_code"].astype(str) + "|"
                                 + x["order_no"].astype(str))
    ol = _agg_lines(ol.drop(columns=["order_no", "ebp_code"]), "_k", "oline")
    ol = ol.reindex(key_o.values)
    ol.index = out.index
    out = out.join(ol[[c for c in ol.columns if c not in
                       ("oline.n_lines", "oline.qty_sum", "oline.qty_max", "oline.value_sum",
                        "oline.price_cents", "oline.brand_type", "oline.brand",
                        "oline.n_distinct_gcode", "oline.unit", "oline.currency")]])
    # registers: the rows of the entities the declaration names
    ent = t["enterprises"].drop_duplicates("enterprise_code").set_index("enterprise_code")
    shared = _register_groups(t)
    for col, pfx in (("decl.ebc_code", "ebc"), ("decl.agent_code", "agent"),
                     ("decl.logistics_code", "carrier"), ("order.pay_code", "payfirm"),
                     ("decl.owner_code", "owner")):
        e = ent.reindex(out[col].values)
        for c in ("roles", "country", "customs_district", "status", "credit_class"):
            out[f"{pfx}.{c}"] = e[c].values
        out[f"{pfx}.age_days"] = (_ts(out["decl.decl_time"]).values
                                  - _ts(e["registered_date"]).values) / np.timedelta64(1, "D")
        if pfx in ("ebc", "agent"):
            g = shared.reindex(out[col].values)
            for c in shared.columns:
                out[f"{pfx}.{c}"] = g[c].values
    ad = t["addresses"].drop_duplicates("address").set_index("address")
    a = ad.reindex(out["order.consignee_address"].values)
    out["cons_addr.address_kind"] = a["address_kind"].values
    out["cons_addr.city"] = a["city"].values
    out["cons_addr.in_register"] = a["address_kind"].notna().values
    ph = t["phones"].drop_duplicates("telephone").set_index("telephone")
    p = ph.reindex(out["order.buyer_telephone"].values)
    out["buyer_phone.in_register"] = p["registered_name"].notna().values
    out["buyer_phone.name_matches"] = (p["registered_name"].values
                                       == out["order.buyer_name"].values)
    out["buyer_phone.age_days"] = (_ts(out["decl.decl_time"]).values
                                   - _ts(p["activation_date"]).values) / np.timedelta64(1, "D")
    acc = t["payment_accounts"].assign(
        _k=lambda x: x["pay_code"].astype(str) + "|" + x["account_no"].astype(str)
    ).drop_duplicates("_k").set_index("_k")
    ak = acc.reindex((out["pay.pay_code"].astype(str) + "|"
                      + out["pay.payer_account_no"].astype(str)).values)
    out["acct.account_kind"] = ak["account_kind"].values
    out["acct.holder_is_payer"] = ak["holder_name"].values == out["pay.payer_name"].values
    out["acct.age_days"] = (_ts(out["pay.pay_time"]).values
                            - _ts(ak["opened_date"]).values) / np.timedelta64(1, "D")
    pk = acc.reindex((out["raw.pay_code"].astype(str) + "|"
                      + out["raw.payee_account_no"].astype(str)).values)
    out["raw.payee_in_register"] = pk["account_kind"].notna().values
    out["raw.payee_kind"] = pk["account_kind"].values
    _derive(out, ent)
    return out


def _register_groups(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per enterprise: how many firms share its phone, address, legal rep; register hits."""
    e = t["enterprises"].drop_duplicates("enterprise_code").set_index("enterprise_code")
    out = pd.DataFrame(index=e.index)
    for c in ("telephone", "address", "legal_rep_id_number"):
        out[f"firms_sharing_{c}"] = e.groupby(c)[c].transform("size").fillna(1).values
    out["address_in_register"] = e["address"].isin(set(t["addresses"]["address"]))
    out["rep_in_persons"] = e["legal_rep_id_number"].isin(set(t["persons"]["id_number"]))
    out["phone_in_register"] = e["telephone"].isin(set(t["phones"]["telephone"]))
    return out


def _derive(out: pd.DataFrame, ent: pd.DataFrame) -> None:
    """Row-level derived columns (x.*): only fields of the declaration's own messages."""
    dt = _ts(out["decl.decl_time"])
    out["x.hour"] = dt.dt.hour
    out["x.weekday"] = dt.dt.day_of_week
    out["x.minute"] = dt.dt.minute
    out["x.second"] = dt.dt.second
    out["x.decl_minus_ship"] = _secs(out["decl.decl_time"], out["wb.ship_time"])
    out["x.ship_minus_pay"] = _secs(out["wb.ship_time"], out["pay.pay_time"])
    out["x.pay_minus_order"] = _secs(out["pay.pay_time"], out["order.order_time"])
    out["x.ship_minus_order"] = _secs(out["wb.ship_time"], out["order.order_time"])
    out["x.raw_minus_pay"] = _secs(out["raw.trading_time"], out["pay.pay_time"])
    out["x.receipt_minus_order"] = _secs(out["rcpt.accounting_date"], out["order.order_time"])
    out["x.depart_minus_decl"] = _secs(out["dep.departure_time"], out["decl.decl_time"])
    out["x.pay_hour"] = _ts(out["pay.pay_time"]).dt.hour
    out["x.pay_second"] = _ts(out["pay.pay_time"]).dt.second
    gv = out["order.goods_value"].astype(float)
    fx = np.where(out["decl.currency"] == "USD", 7.1, 1.0)
    net = out["decl.net_weight"].astype(float)
    out["x.value_cny"] = gv * fx
    out["x.value_per_kg"] = gv * fx / net.clip(lower=1e-3)
    out["x.net_per_unit"] = net / out["line.qty_sum"].astype(float).clip(lower=1e-3)
    out["x.gross_over_net"] = out["decl.gross_weight"].astype(float) / net.clip(lower=1e-3)
    out["x.wb_weight_over_gross"] = (out["wb.weight"].astype(float)
                                     / out["decl.gross_weight"].astype(float).clip(lower=1e-3))
    paid = out["order.actual_paid"].astype(float)
    formula = (gv + out["order.freight"].astype(float).fillna(0)
               + out["order.tax_total"].astype(float).fillna(0)
               - out["order.discount"].astype(float).fillna(0))
    out["x.paid_minus_formula"] = (paid - formula).round(2)
    out["x.paid_cents"] = _frac(paid)
    out["x.paid_mod_100"] = (paid.round(2) % 100).round(2)
    out["x.discount_share"] = out["order.discount"].astype(float) / gv.clip(lower=0.01)
    out["x.raw_over_paid"] = out["raw.total_amount"].astype(float) / paid.clip(lower=0.01)
    out["x.has_raw"] = out["raw.total_amount"].notna() & out["order.pay_code"].notna()
    out["x.raw_goods_eq_item"] = out["raw.goods_name"] == out["oline.item_name"]
    out["x.raw_goods_in_item"] = [
        (isinstance(a, str) and isinstance(b, str) and (a.lower() in b.lower()
                                                        or b.lower() in a.lower()))
        for a, b in zip(out["raw.goods_name"], out["oline.item_name"], strict=True)]
    out["x.link_host"] = out["raw.item_link"].astype("string").str.extract(
        r"^(https?://[^/]+)", expand=False).str.replace(r"item\.[a-z]+\.", "item.P.", regex=True)
    out["x.link_shape"] = _shape(out["raw.item_link"].astype("string").str.replace(
        r"^https?://[^/]+", "", regex=True))
    names = ent["enterprise_name"]
    out["x.payee_is_seller"] = out["raw.payee_name"].values == names.reindex(
        out["decl.ebc_code"].values).values
    out["x.raw_order_missing"] = out["raw.order_no"].isna() & out["raw.total_amount"].notna()
    out["x.consignee_is_buyer"] = out["order.consignee"] == out["order.buyer_name"]
    out["x.cons_phone_is_buyer"] = out["order.consignee_telephone"] == out["order.buyer_telephone"]
    out["x.payer_is_buyer"] = out["pay.payer_id_number"] == out["order.buyer_id_number"]
    out["x.payer_name_is_buyer"] = out["pay.payer_name"] == out["order.buyer_name"]
    out["x.wb_cons_is_order"] = out["wb.consignee_address"] == out["order.consignee_address"]
    out["x.buyer_id_shape"] = _shape(out["decl.buyer_id_number"]).str[:3] + \
        out["decl.buyer_id_number"].astype("string").str.len().astype("string")
    out["x.buyer_reg_missing"] = out["order.buyer_reg_no"].isna()
    out["x.owner_is_no"] = out["decl.owner_code"] == "NO"
    out["x.owner_is_seller"] = out["decl.owner_code"] == out["decl.ebc_code"]
    out["x.logistics_prefix"] = _prefix(out["decl.logistics_no"])
    out["x.logistics_shape"] = _shape(out["decl.logistics_no"])
    out["x.logistics_digits_mod_1000"] = pd.to_numeric(
        out["decl.logistics_no"].astype("string").str.extract(r"(\d{3})\D*$", expand=False),
        errors="coerce")
    out["x.order_prefix"] = _prefix(out["decl.order_no"])
    out["x.order_shape"] = _shape(out["decl.order_no"])
    out["x.txn_shape"] = _shape(out["order.pay_transaction_id"])
    out["x.item_no_missing"] = out["oline.item_no"].isna()
    out["x.item_no_tail"] = out["line.item_no"].astype("string").str[-3:]
    out["x.bar_code_prefix"] = out["line.bar_code"].astype("string").str[:7]
    out["x.bar_code_missing"] = out["line.bar_code"].isna()
    out["x.goods_info_has_gname"] = [
        isinstance(a, str) and isinstance(b, str) and b.lower() in a.lower()
        for a, b in zip(out["wb.goods_info"], out["line.gname"], strict=True)]
    out["x.note_present"] = out["order.note"].notna()
    out["x.decl_order_line_same"] = out["line.item_name"] == out["oline.item_name"]
    out["x.receipt_over_value"] = out["rcpt.charge"].astype(float) / (
        gv + out["order.freight"].astype(float).fillna(0)).clip(lower=0.01)


# -- scoring ----------------------------------------------------------------------------

def _auc(score: np.ndarray, y: np.ndarray) -> float:
    """ROC-AUC from ranks (ties averaged)."""
    pos = y.sum()
    neg = len(y) - pos
    if pos == 0 or neg == 0:
        return float("nan")
    r = pd.Series(score).rank(method="average").to_numpy()
    return float((r[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def _codes(s: pd.Series, numeric: bool) -> np.ndarray:
    """Integer bins: categories, or up to 48 quantile bins plus frequent exact values."""
    if numeric:
        v = pd.to_numeric(s, errors="coerce").astype(float)
        ok = v.notna().to_numpy()
        codes = np.full(len(v), -1, np.int64)
        if ok.any():
            x = v.to_numpy()[ok]
            edges = np.unique(np.quantile(x, np.linspace(0, 1, 49)))
            b = np.searchsorted(edges, x, side="right")
            vc = pd.Series(x).value_counts()
            frequent = vc[vc >= max(20, len(x) * 0.01)].index.to_numpy()
            ex = pd.Series(x).map({f: i for i, f in enumerate(frequent)}).to_numpy()
            codes[ok] = np.where(np.isnan(ex), b, 1000 + np.nan_to_num(ex)).astype(np.int64)
        return codes
    return pd.factorize(s.astype("string").fillna("<null>"))[0].astype(np.int64)


def _code_auc(codes: np.ndarray, y: np.ndarray, prior_n: float = 10.0) -> float:
    """ROC-AUC of the smoothed label rate of each code (from counts: fast), folded >= 0.5."""
    c = codes - codes.min()
    n = np.bincount(c).astype(float)
    pos = np.bincount(c, weights=y.astype(float), minlength=len(n))
    neg = n - pos
    P, N = pos.sum(), neg.sum()
    if P == 0 or N == 0:
        return 0.5
    rate = (pos + prior_n * P / (P + N)) / (n + prior_n)
    o = np.argsort(rate, kind="stable")
    r, p_, n_ = rate[o], pos[o], neg[o]
    # ties of equal rate: merge
    _, start = np.unique(r, return_index=True)
    p_g = np.add.reduceat(p_, start)
    n_g = np.add.reduceat(n_, start)
    neg_below = np.concatenate([[0], np.cumsum(n_g)[:-1]])
    a = float(((p_g * neg_below).sum() + 0.5 * (p_g * n_g).sum()) / (P * N))
    return max(a, 1 - a)


def _encoded(codes: np.ndarray, y: np.ndarray, prior_n: float = 10.0) -> np.ndarray:
    c = codes - codes.min()
    n = np.bincount(c)
    k = np.bincount(c, weights=y.astype(float))
    p0 = y.mean()
    return ((k + prior_n * p0) / (n + prior_n))[c]


@dataclass
class Audit:
    """What the audit found; ``tables()`` renders it."""

    n: int
    typologies: list[str]
    counts: dict[str, int]
    best_auc: dict[str, tuple[str, float]] = field(default_factory=dict)
    top_malicious: list[tuple[str, float]] = field(default_factory=list)
    best_value: dict[str, tuple[str, str, float, float]] = field(default_factory=dict)
    model: dict = field(default_factory=dict)
    time: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"n": self.n, "counts": self.counts, "best_auc": self.best_auc,
                "top_malicious": self.top_malicious, "best_value": self.best_value,
                "model": self.model, "time": self.time, "labels": self.labels}


def _column_kinds(X: pd.DataFrame) -> dict[str, str]:
    kinds = {}
    for c in X.columns:
        base = c.split(".", 1)[1] if "." in c else c
        if c.split(".")[0] in LABEL_TABLES:
            continue
        if base in IDENTIFIERS and not c.startswith("x."):
            continue
        s = X[c]
        if pd.api.types.is_bool_dtype(s) or s.dtype == object and set(
                s.dropna().unique()[:3]) <= {True, False}:
            kinds[c] = "cat"
        elif pd.api.types.is_numeric_dtype(s):
            kinds[c] = "num"
        else:
            nun = s.nunique(dropna=True)
            kinds[c] = "cat" if nun <= 300 else "wide"
    return kinds


def _top_values(s: pd.Series, k: int = 300) -> pd.Series:
    """A wide column's k most frequent values, the rest as one "<other>" value: a value
    frequent enough to give a typology away is among them."""
    s = s.astype("string")
    top = s.value_counts().index[:k]
    return s.where(s.isin(top) | s.isna(), "<other>")


def _value_table(codes: np.ndarray, labels: np.ndarray, mal: np.ndarray, typ_idx: np.ndarray,
                 n_typ: int, numeric_vals: np.ndarray | None):
    """Per candidate value: count, malicious count, count per typology."""
    c = codes - codes.min()
    m = c.max() + 1
    cnt = np.bincount(c, minlength=m)
    k_mal = np.bincount(c, weights=mal.astype(float), minlength=m)
    per = np.zeros((m, n_typ))
    np.add.at(per, (c, typ_idx), 1)
    return cnt, k_mal, per, c


def audit(world: Path, *, model: bool = True, progress: bool = True) -> Audit:
    """Run every part of the audit on ``world``."""
    t = load_world(world)
    X = declaration_columns(t)
    truth = t["truth"].drop_duplicates("invt_no").set_index("invt_no").reindex(X.index)
    typ = truth["typology"].fillna("").astype(str).to_numpy()
    mal = truth["is_malicious"].fillna(False).astype(bool).to_numpy()
    typs = sorted({x for x in typ if x}, key=lambda s: int(s[1:]))
    res = Audit(n=len(X), typologies=typs,
                counts={k: int((typ == k).sum()) for k in typs} | {"malicious": int(mal.sum())})
    all_kinds = _column_kinds(X)
    # wide columns (barcodes, item names) are too many-valued for an AUC or the model, but a
    # single frequent value of theirs can still be a giveaway: searched in _best_values only
    wide = [c for c, k in all_kinds.items() if k == "wide"]
    kinds = {c: k for c, k in all_kinds.items() if k != "wide"}
    if progress:
        print(f"audit: {len(X):,} declarations, {mal.sum():,} malicious, "
              f"{len(kinds)} columns", file=sys.stderr)
    groups = ["malicious"] + typs
    typ_idx = np.array([groups.index(x) if x else 0 for x in typ])
    typ_idx[~mal] = 0
    best_auc = {g: ("", 0.5) for g in groups}
    best_val = {g: ("", "", 0.0, 0.0) for g in groups}
    mal_aucs = []
    for c, kind in kinds.items():
        s = X[c]
        codes = _codes(s, kind == "num")
        for g in groups:
            y = mal if g == "malicious" else typ == g
            keep = ~mal | y          # the typology against the benign rows
            a = _code_auc(codes[keep], y[keep])
            if g == "malicious":
                mal_aucs.append((c, round(a, 4)))
            if a > best_auc[g][1]:
                best_auc[g] = (c, round(a, 4))
        _best_values(c, s, kind, codes, mal, typ, groups, best_val)
    for c in wide:
        s = _top_values(X[c])
        _best_values(c, s, "cat", _codes(s, False), mal, typ, groups, best_val)
    res.best_auc = best_auc
    res.top_malicious = sorted(mal_aucs, key=lambda x: -x[1])[:12]
    res.best_value = best_val
    res.time = _time_structure(X, typ, mal, t["schemes"])
    res.labels = _label_leaks(t, truth)
    if model:
        res.model = _row_model(X, kinds, typ, mal, progress)
    return res


def _best_values(c, s, kind, codes, mal, typ, groups, best_val) -> None:
    """Largest coverage of each group by one value (or numeric tail) at precision >= 0.9."""
    cand = []  # (label, mask-as-index-array-or-codes)
    c0 = codes - codes.min()
    cnt = np.bincount(c0)
    k_mal = np.bincount(c0, weights=mal.astype(float))
    labels_of = {}
    if kind == "cat":
        vals = pd.Series(s.astype("string").fillna("<null>").to_numpy())
        first = pd.Series(np.arange(len(c0))).groupby(c0).first()
        labels_of = {int(k): str(vals.iloc[int(i)]) for k, i in first.items()}
    for g in groups:
        y = mal if g == "malicious" else typ == g
        ny = y.sum()
        if not ny:
            continue
        k_y = np.bincount(c0, weights=y.astype(float), minlength=len(cnt))
        prec = np.where(cnt > 0, k_mal / np.maximum(cnt, 1), 0)
        cov = k_y / ny
        ok = (prec >= 0.9) & (cnt >= 5)
        if ok.any():
            j = int(np.argmax(np.where(ok, cov, -1)))
            if cov[j] > best_val[g][3]:
                lab = labels_of.get(j, f"bin {j}") if kind == "cat" else _num_label(s, c0, j)
                best_val[g] = (c, lab, round(float(prec[j]), 3), round(float(cov[j]), 3))
        cand.append(g)
    if kind == "num":   # tails: value >= q or <= q
        v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
        ok = ~np.isnan(v)
        if ok.sum() < 10:
            return
        order = np.argsort(v[ok], kind="stable")
        vs = v[ok][order]
        ms = mal[ok][order].astype(float)
        for g in groups:
            y = (mal if g == "malicious" else typ == g)
            ny = y.sum()
            if not ny:
                continue
            ys = y[ok][order].astype(float)
            # cut only between distinct values
            cut = np.flatnonzero(np.diff(vs) > 0) + 1
            cut = np.concatenate([cut, [len(vs)]])
            cm, cy = np.cumsum(ms), np.cumsum(ys)
            for direction in ("<=", ">="):
                if direction == "<=":
                    nsel = cut
                    km, ky = cm[cut - 1], cy[cut - 1]
                    thr = vs[cut - 1]
                else:
                    start = np.concatenate([[0], cut[:-1]])
                    nsel = len(vs) - start
                    km = cm[-1] - np.concatenate([[0], cm])[start]
                    ky = cy[-1] - np.concatenate([[0], cy])[start]
                    thr = vs[start]
                prec = km / np.maximum(nsel, 1)
                cov = ky / ny
                good = (prec >= 0.9) & (nsel >= 5)
                if good.any():
                    j = int(np.argmax(np.where(good, cov, -1)))
                    if cov[j] > best_val[g][3]:
                        best_val[g] = (c, f"{direction} {thr[j]:g}", round(float(prec[j]), 3),
                                       round(float(cov[j]), 3))


def _num_label(s: pd.Series, c0: np.ndarray, j: int) -> str:
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)[c0 == j]
    v = v[~np.isnan(v)]
    if not len(v):
        return "<null>"
    return f"{v.min():g}" if v.min() == v.max() else f"[{v.min():g}, {v.max():g}]"


def _months(X: pd.DataFrame) -> np.ndarray:
    return _ts(X["decl.decl_time"]).dt.strftime("%Y-%m").fillna("").to_numpy()


def _time_structure(X, typ, mal, schemes: pd.DataFrame) -> dict:
    month = _months(X)
    ms = sorted(m for m in set(month) if m)
    out = {"months": ms, "fraud_share": {}, "active": {}, "new_schemes": {}}
    for m in ms:
        sel = month == m
        out["fraud_share"][m] = round(float(mal[sel].mean()), 4)
    for k in sorted({x for x in typ if x}, key=lambda s: int(s[1:])):
        out["active"][k] = {m: int(((typ == k) & (month == m)).sum()) for m in ms[-2:]}
        if len(schemes):
            st = schemes[schemes["typology"] == k]["start"].str[:7]
            out["new_schemes"][k] = {m: int((st == m).sum()) for m in ms[-2:]}
            out.setdefault("schemes", {})[k] = int(len(schemes[schemes["typology"] == k]))
    return out


def _label_leaks(t, truth: pd.DataFrame) -> dict:
    """Inspection method and seizure wording against the truth (among inspected/seized)."""
    ins = t["inspections"].merge(truth[["is_malicious"]], left_on="invt_no", right_index=True,
                                 how="left")
    out = {}
    if len(ins):
        y = ins["is_malicious"].fillna(False).astype(bool).to_numpy()
        for c in ("method", "finding"):
            enc = _encoded(_codes(ins[c], False), y)
            a = _auc(enc, y)
            out[f"inspections.{c}"] = round(max(a, 1 - a), 4) if a == a else None
        out["p_malicious_by_method"] = {
            m: round(float(g["is_malicious"].fillna(False).astype(float).mean()), 3)
            for m, g in ins.groupby("method")}
    sz = t["seizures"].merge(truth[["is_malicious"]], left_on="invt_no", right_index=True,
                             how="left")
    if len(sz):
        y = sz["is_malicious"].fillna(False).astype(bool).to_numpy()
        for c in ("reason", "goods_description", "brand"):
            enc = _encoded(_codes(sz[c], False), y)
            a = _auc(enc, y)
            out[f"seizures.{c}"] = round(max(a, 1 - a), 4) if a == a else None
        out["seizures_benign"] = int((~y).sum())
        out["seizures_malicious"] = int(y.sum())
    return out


def _model_columns(kinds: dict[str, str]) -> list[str]:
    """Row-only inputs: no identifiers, no registers, no entity codes."""
    own = ("decl.", "line.", "oline.", "order.", "pay.", "raw.", "rcpt.", "wb.", "dep.", "x.")
    cols = []
    for c in kinds:
        if not c.startswith(own) or c.startswith(("raw.payee_in", "raw.payee_kind")):
            continue
        base = c.split(".", 1)[1]
        if base in ENTITY_CODES or c in ("x.payee_is_seller", "x.owner_is_seller"):
            continue
        cols.append(c)
    return cols


def _row_model(X, kinds, typ, mal, progress) -> dict:
    import lightgbm as lgb

    cols = _model_columns(kinds)
    month = _months(X)
    ms = sorted(m for m in set(month) if m)
    test = np.isin(month, ms[-2:])
    train = ~test & (month != "")
    F = pd.DataFrame(index=X.index)
    for c in cols:
        if kinds[c] == "num":
            F[c] = pd.to_numeric(X[c], errors="coerce").astype(float)
        else:
            F[c] = X[c].astype("string").fillna("<null>").astype("category")
    F.columns = [re.sub(r"[^0-9A-Za-z_]", "_", c) for c in F.columns]
    clf = lgb.LGBMClassifier(n_estimators=300, learning_rate=0.05, num_leaves=31,
                             min_child_samples=20, subsample=0.8, subsample_freq=1,
                             colsample_bytree=0.8, random_state=7, verbose=-1, n_jobs=2)
    clf.fit(F[train], mal[train])
    p = clf.predict_proba(F[test])[:, 1]
    y = mal[test]
    out = {"train_rows": int(train.sum()), "test_rows": int(test.sum()),
           "test_malicious": int(y.sum()), "roc_auc": round(_auc(p, y), 4), "recall_top5": {}}
    cut = np.quantile(p, 0.95)
    top = p >= cut
    tt = typ[test]
    for k in sorted({x for x in tt if x}, key=lambda s: int(s[1:])):
        sel = tt == k
        out["recall_top5"][k] = round(float(top[sel].mean()), 3)
    out["recall_top5"]["malicious"] = round(float(top[y].mean()), 3)
    imp = pd.Series(clf.booster_.feature_importance("gain"), index=cols)
    out["top_features"] = [(c, round(float(v / imp.sum()), 3))
                           for c, v in imp.sort_values(ascending=False).head(10).items()]
    return out


# -- criteria and report -------------------------------------------------------------

def violations(a: Audit, *, max_auc: float = 0.85, max_cov: float = 0.30,
               max_model_auc: float = 0.85, max_recall: float = 0.5,
               min_precision: float = 0.9) -> list[str]:
    """Issue 7's done-criteria that fail for this audit (empty: the world is honest)."""
    bad = []
    c, v = a.best_auc.get("malicious", ("", 0.5))
    if v > max_auc:
        bad.append(f"column {c} separates malicious at ROC-AUC {v:.3f} > {max_auc}")
    for g, (c, val, prec, cov) in a.best_value.items():
        if prec >= min_precision and cov >= max_cov:
            bad.append(f"{g}: {c} = {val} covers {cov:.0%} at precision {prec:.2f}")
    if a.model:
        if a.model["roc_auc"] > max_model_auc:
            bad.append(f"row-only model ROC-AUC {a.model['roc_auc']:.3f} > {max_model_auc}")
        for k in RING_TYPOLOGIES:
            r = a.model["recall_top5"].get(k)
            if r is not None and r > max_recall:
                bad.append(f"row-only model finds {r:.0%} of {k} in its top 5 %")
    for k, act in a.time.get("active", {}).items():
        for m, n in act.items():
            if n == 0:
                bad.append(f"{k} has no declarations in {m}")
    for k, new in a.time.get("new_schemes", {}).items():
        for m, n in new.items():
            if n == 0:
                bad.append(f"{k} starts no scheme in {m}")
    return bad


def report(a: Audit) -> str:
    """The audit as Markdown tables."""
    lines = [f"World: {a.n:,} declarations, {a.counts['malicious']:,} malicious "
             f"({a.counts['malicious'] / a.n:.2%})", "",
             "| group | decl. | best column (ROC-AUC) | best value at precision >= 0.9 "
             "(precision, coverage) | row model recall@5% |",
             "|---|---:|---|---|---:|"]
    for g in ["malicious"] + a.typologies:
        c, v = a.best_auc.get(g, ("", 0.5))
        bc, bv, bp, bcov = a.best_value.get(g, ("", "", 0, 0))
        val = f"`{bc}` = `{bv}` ({bp:.2f}, {bcov:.0%})" if bc else "none"
        r = a.model.get("recall_top5", {}).get(g) if a.model else None
        lines.append(f"| {g} | {a.counts.get(g, 0):,} | `{c}` {v:.3f} | {val} | "
                     f"{'' if r is None else f'{r:.2f}'} |")
    if a.model:
        lines += ["", f"Row-only LightGBM (train {a.model['train_rows']:,} rows, test "
                      f"{a.model['test_rows']:,} rows of the last two months, "
                      f"{a.model['test_malicious']:,} malicious): ROC-AUC "
                      f"**{a.model['roc_auc']:.3f}**; top features by gain: "
                      + ", ".join(f"`{c}` {g:.2f}" for c, g in a.model["top_features"][:6])]
    lines += ["", "Top single columns for malicious: "
              + ", ".join(f"`{c}` {v:.3f}" for c, v in a.top_malicious[:8])]
    tm = a.time
    if tm:
        lines += ["", "Monthly fraud share: " + ", ".join(
            f"{m} {s:.2%}" for m, s in tm["fraud_share"].items())]
        lines.append("Last two months, declarations / new schemes per typology: " + "; ".join(
            f"{k} {'/'.join(str(v) for v in tm['active'][k].values())}"
            f" ({'/'.join(str(v) for v in tm.get('new_schemes', {}).get(k, {}).values())})"
            for k in tm["active"]))
        if tm.get("schemes"):
            lines.append("Schemes per typology: " + ", ".join(
                f"{k} {v}" for k, v in tm["schemes"].items()))
    if a.labels:
        lines += ["", "Labels: " + ", ".join(f"{k} {v}" for k, v in a.labels.items())]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("world", type=Path)
    ap.add_argument("--json", type=Path, help="also write the findings as JSON here")
    ap.add_argument("--no-model", action="store_true", help="skip the row-only model")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when a done-criterion of issue 7 fails")
    args = ap.parse_args(argv)
    a = audit(args.world, model=not args.no_model)
    print(report(a))
    bad = violations(a)
    print("\nGiveaways:" if bad else "\nNo giveaway above the thresholds.")
    for b in bad:
        print(f"  - {b}")
    if args.json:
        args.json.write_text(json.dumps(a.as_dict(), indent=1, default=str) + "\n")
    return 1 if (args.check and bad) else 0


if __name__ == "__main__":
    sys.exit(main())
