"""Product references learned from the declarations themselves: ``ref_products``.

TL-15 (weight per unit) and TL-22 (price far below reference) need to know what a product
normally weighs and costs. Staging holds no catalogue, so the reference is learned from the
declared lines, in plain SQL (DuckDB here, Spark later), and rebuilt before every check run.

Two kinds of reference (``kind``), each at two levels (``level``):

``price``
    unit price in CNY (line currency, else the list's, at :data:`FX_TO_CNY`) of every line,
    per direction (``ie_flag``): import retail and export prices are different markets.
``weight``
    net weight per unit (list net weight / quantity) of single-line lists only, where the
    net weight belongs to one product; both directions pooled (a bulb weighs what it weighs).

``product`` level: HS code + unit of measure + normalised goods name + brand (from
``gmodel``). ``hs`` level: HS code + unit. A check uses the product level where it
applies (usable, and its median inside its HS code's span: a product only rings declare
gets no normal of its own), else the HS level where usable, else nothing (not applicable).

Usable = at least :data:`MIN_LINES` lines from at least :data:`MIN_GROUPS` independent
seller groups. Sellers are counted four ways (codes, legal representatives, phones,
addresses from ``stg_enterprises``; unknown = the code) and the smallest count is kept,
so linked shells that share a phone, an address or a representative count once: a ring
cannot define its own normal.

Statistics are robust (median and median absolute deviation of the logarithm), so a
minority of fraudulent lines inside a key does not move the range. The plausible range
is ``exp(median(ln v) +/- max(K_MAD * 1.4826 * MAD(ln v), ln(MIN_FACTOR)))``.
"""

from __future__ import annotations

import duckdb

from etl.checks.amounts import FX_TO_CNY
from etl.checks.base import norm_text

__all__ = ["build_references", "MIN_LINES", "MIN_GROUPS", "K_MAD",
           "MIN_FACTOR", "with_reference", "LINE_KEYS", "FX_SQL"]

#: History a reference needs before a check relies on it.
MIN_LINES = 30
MIN_GROUPS = 5
#: Width of the plausible range: K_MAD robust standard deviations of ln(value), but never
#: narrower than a factor MIN_FACTOR either side of the median (declared data is coarse).
K_MAD = 3.0
MIN_FACTOR = 1.5

FX_SQL = ("(SELECT * FROM (VALUES " + ", ".join(f"('{k}', {v})" for k, v in FX_TO_CNY.items())
          + ") fx(currency, rate))")


#: SQL of a declaration line's reference key columns (``l`` = stg_declaration_lines).
LINE_KEYS = (f"l.gcode, coalesce(l.unit, '') AS unit, {norm_text('l.gname')} AS gname_norm, "
             f"{norm_text('l.brand')} AS brand_norm")

# One row per declaration line with what a reference needs; the seller's group keys come
# from the enterprise register (a seller missing there counts as its own group).
_LINES = f"""
WITH ent AS (
    SELECT enterprise_code, any_value(legal_rep_id_number_norm) AS rep,
           any_value(telephone_e164) AS phone, any_value(address_key) AS addr
    FROM stg_enterprises GROUP BY enterprise_code),
nl AS (SELECT invt_no, count(*) AS n FROM stg_declaration_lines GROUP BY invt_no)
SELECT d.ie_flag, d.ebc_code AS seller,
    coalesce(e.rep, d.ebc_code) AS rep, coalesce(e.phone, d.ebc_code) AS phone,
    coalesce(e.addr, d.ebc_code) AS addr,
    {LINE_KEYS},
    CASE WHEN l.price > 0 THEN l.price * fx.rate END AS price_cny,
    CASE WHEN nl.n = 1 AND d.net_weight > 0 AND l.qty > 0 THEN d.net_weight / l.qty END AS wpu
FROM stg_declaration_lines l
JOIN stg_declarations d ON d.invt_no = l.invt_no
JOIN nl ON nl.invt_no = l.invt_no
LEFT JOIN ent e ON e.enterprise_code = d.ebc_code
LEFT JOIN {FX_SQL} fx ON fx.currency = upper(coalesce(l.currency, d.currency))
WHERE l.gcode IS NOT NULL AND d.ebc_code IS NOT NULL
"""


def _stats(kind: str, value: str, keys: list[str], level: str) -> str:
    """SQL: the reference rows of one kind and level (two passes: median, then MAD).

    The range's fraud side (low prices, heavy units) is median +/- the robust width only;
    the other side also reaches ``q05 / MIN_FACTOR`` (weights) or ``q95 * MIN_FACTOR``
    (prices), so an honest minority product under the same HS code stays inside.
    """
    cols = ", ".join(keys)
    ie = "ie_flag" if "ie_flag" in keys else "CAST(NULL AS VARCHAR)"
    names = ("gname_norm, brand_norm" if "gname_norm" in keys
             else "CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)")
    on = " AND ".join(f"v.{k} = m.{k}" for k in keys)
    w = "greatest($k_mad * 1.4826 * mad_log, ln($min_factor))"
    lo, hi = f"exp(mlog - {w})", f"exp(mlog + {w})"
    if kind == "weight":
        lo = f"least({lo}, q05 / $min_factor)"
    else:
        hi = f"greatest({hi}, q95 * $min_factor)"
    return f"""
SELECT '{kind}' AS kind, '{level}' AS level, {ie} AS ie_flag, gcode, unit, {names},
    n_lines, n_sellers, n_groups, n_lines >= $min_lines AND n_groups >= $min_groups AS usable,
    median, q05, q95, mad_log, {lo} AS lo, {hi} AS hi
FROM (
    SELECT m.*, median(abs(ln(v.{value}) - m.mlog)) AS mad_log
    FROM (SELECT {cols}, count(*) AS n_lines, count(DISTINCT seller) AS n_sellers,
              least(count(DISTINCT seller), count(DISTINCT rep), count(DISTINCT phone),
                    count(DISTINCT addr)) AS n_groups,
              median({value}) AS median, median(ln({value})) AS mlog,
              quantile_cont({value}, 0.05) AS q05, quantile_cont({value}, 0.95) AS q95
          FROM ref_lines WHERE {value} IS NOT NULL GROUP BY {cols}) m
    JOIN ref_lines v ON {on} AND v.{value} IS NOT NULL
    GROUP BY ALL)
"""


_PRODUCT = ["gcode", "unit", "gname_norm", "brand_norm"]
_ALL = " UNION ALL ".join([
    _stats("price", "price_cny", ["ie_flag"] + _PRODUCT, "product"),
    _stats("price", "price_cny", ["ie_flag", "gcode", "unit"], "hs"),
    _stats("weight", "wpu", _PRODUCT, "product"),
    _stats("weight", "wpu", ["gcode", "unit"], "hs"),
])
# A product's own reference applies only where its median lies inside its HS code's span
# (the range widened to q05 / MIN_FACTOR .. q95 * MIN_FACTOR): a product that only linked
# rings declare, with a normal of their own, falls back to the HS code, whose normal honest
# trade sets.
_BUILD = f"""
WITH r AS ({_ALL})
SELECT r.*, r.usable AND (r.level = 'hs' OR coalesce(h.usable AND r.median
        BETWEEN least(h.lo, h.q05 / $min_factor) AND greatest(h.hi, h.q95 * $min_factor),
        false)) AS applies
FROM r LEFT JOIN r h ON r.level = 'product' AND h.level = 'hs' AND h.kind = r.kind
     AND h.ie_flag IS NOT DISTINCT FROM r.ie_flag AND h.gcode = r.gcode AND h.unit = r.unit
"""


def build_references(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute ``ref_products`` from the staged declarations; return its row count."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE ref_lines AS {_LINES}")
    try:  # wholly derived: replaced, never migrated
        con.execute(f"CREATE OR REPLACE TABLE ref_products AS {_BUILD}",
                    {"min_lines": MIN_LINES, "min_groups": MIN_GROUPS, "k_mad": K_MAD,
                     "min_factor": MIN_FACTOR})
    finally:
        con.execute("DROP TABLE IF EXISTS temp.ref_lines")
    return con.execute("SELECT count(*) FROM ref_products").fetchone()[0]


def with_reference(kind: str, lines: str, ie: str | None, keep_all: bool = False) -> str:
    """SQL: the rows of relation ``lines`` (with ``gcode, unit, gname_norm, brand_norm``)
    that have an applicable ``kind`` reference (every row with ``keep_all``, NULL ``r_*``
    where none applies), with it as ``r_*`` columns: the product's own where it applies,
    else its HS code's (``r_level`` says which)."""
    ie_p = f" AND rp.ie_flag = {ie}" if ie else ""
    ie_h = f" AND rh.ie_flag = {ie}" if ie else ""
    pick = ", ".join(f"CASE WHEN rp.kind IS NOT NULL THEN rp.{c} ELSE rh.{c} END AS r_{c}"
                     for c in ("level", "median", "lo", "hi", "q05", "q95", "n_lines",
                               "n_sellers"))
    return f"""
SELECT x.*, {pick}
FROM {lines} x
LEFT JOIN ref_products rp ON rp.kind = '{kind}' AND rp.level = 'product' AND rp.applies
     AND rp.gcode = x.gcode AND rp.unit = x.unit AND rp.gname_norm = x.gname_norm
     AND rp.brand_norm = x.brand_norm{ie_p}
LEFT JOIN ref_products rh ON rh.kind = '{kind}' AND rh.level = 'hs' AND rh.applies
     AND rh.gcode = x.gcode AND rh.unit = x.unit{ie_h}
{"" if keep_all else "WHERE rp.kind IS NOT NULL OR rh.kind IS NOT NULL"}"""
