"""Working tables the checks read: which declarations to check, and their joined messages.

``tl_scope(invt_no)``
    Declarations checked in this run: those staged or touched by the load (their own row,
    lines, order, order lines, payment, raw payment, waybill, receipt or departure carries
    the load id), plus the declarations whose results depend on them (same buyer and year
    for TL-12, same order or waybill number for TL-17, the same payer within seconds for
    the TL-18 burst, export lists still waiting for a departure record for EX-04).
``tl_base``
    One row per scope declaration with its order (``o_*``), chosen payment slip (``p_*``)
    and waybill (``w_*``), joined as domain.md §4 says: declaration ↔ order on
    (ebp_code, order_no); order ↔ payment on (pay_code, pay_transaction_id), else on
    (ebp_code, order_no); declaration ↔ waybill on (logistics_code, logistics_no).

All are TEMP tables: they vanish with the connection and never reach the staging file.
"""

from __future__ import annotations

import duckdb

__all__ = ["build_scope", "build_base", "PAYER_KEY", "BURST_SECONDS"]

#: Payments of one payer are grouped by account number, else by the payer's ID number.
PAYER_KEY = "coalesce(p.payer_account_no, p.payer_id_number_norm)"
#: Window of the TL-18 payment-burst rule, in seconds either side of a payment.
BURST_SECONDS = 30

_TOUCHED = """
CREATE OR REPLACE TEMP TABLE tl_touched AS
SELECT invt_no FROM stg_declarations WHERE _load_id = $load_id
UNION SELECT invt_no FROM stg_declaration_lines WHERE _load_id = $load_id
UNION SELECT d.invt_no FROM stg_declarations d JOIN stg_orders o
      ON o.ebp_code = d.ebp_code AND o.order_no = d.order_no WHERE o._load_id = $load_id
UNION SELECT d.invt_no FROM stg_declarations d JOIN stg_order_lines l
      ON l.ebp_code = d.ebp_code AND l.order_no = d.order_no WHERE l._load_id = $load_id
UNION SELECT d.invt_no FROM stg_declarations d JOIN stg_payments p
      ON p.ebp_code = d.ebp_code AND p.order_no = d.order_no WHERE p._load_id = $load_id
UNION SELECT d.invt_no FROM stg_declarations d
      JOIN stg_orders o ON o.ebp_code = d.ebp_code AND o.order_no = d.order_no
      JOIN stg_payments p ON p.pay_transaction_id = o.pay_transaction_id
      WHERE p._load_id = $load_id
UNION SELECT d.invt_no FROM stg_declarations d
      JOIN stg_orders o ON o.ebp_code = d.ebp_code AND o.order_no = d.order_no
      JOIN stg_raw_payments r ON r.pay_transaction_id = o.pay_transaction_id
      WHERE r._load_id = $load_id
UNION SELECT d.invt_no FROM stg_declarations d JOIN stg_waybills w
      ON w.logistics_code = d.logistics_code AND w.logistics_no = d.logistics_no
      WHERE w._load_id = $load_id
UNION SELECT d.invt_no FROM stg_declarations d JOIN stg_receipts r
      ON r.ebp_code = d.ebp_code AND r.order_no = d.order_no WHERE r._load_id = $load_id
UNION SELECT d.invt_no FROM stg_declarations d JOIN stg_departures x
      ON x.logistics_code = d.logistics_code AND x.logistics_no = d.logistics_no
      WHERE x._load_id = $load_id
"""

# Declarations whose results depend on a touched one (see the module docstring).
_DEPENDENTS = f"""
CREATE OR REPLACE TEMP TABLE tl_scope AS
WITH t AS (SELECT d.* FROM stg_declarations d JOIN tl_touched USING (invt_no)),
tp AS (
    SELECT {PAYER_KEY} AS payer, p.pay_time FROM t
    JOIN stg_payments p ON p.ebp_code = t.ebp_code AND p.order_no = t.order_no
)
SELECT invt_no FROM tl_touched
UNION SELECT d.invt_no FROM stg_declarations d JOIN t
      ON d.buyer_id_number_norm = t.buyer_id_number_norm
     AND year(d.decl_time) = year(t.decl_time) AND d.ie_flag = 'I'
UNION SELECT d.invt_no FROM stg_declarations d JOIN t
      ON d.ebp_code = t.ebp_code AND d.order_no = t.order_no
UNION SELECT d.invt_no FROM stg_declarations d JOIN t
      ON d.logistics_code = t.logistics_code AND d.logistics_no = t.logistics_no
UNION SELECT d.invt_no FROM stg_declarations d
      JOIN stg_payments p ON p.ebp_code = d.ebp_code AND p.order_no = d.order_no
      JOIN tp ON {PAYER_KEY} = tp.payer
       AND abs(epoch(p.pay_time) - epoch(tp.pay_time)) <= {2 * BURST_SECONDS}
UNION SELECT d.invt_no FROM stg_declarations d
      WHERE d.ie_flag = 'E' AND NOT EXISTS (
          SELECT 1 FROM stg_departures x
          WHERE x.logistics_code = d.logistics_code AND x.logistics_no = d.logistics_no)
"""

_BASE = """
CREATE OR REPLACE TEMP TABLE tl_base AS
WITH d AS (
    SELECT d.invt_no, d.order_no, d.ebp_code, d.ebc_code, d.logistics_code, d.logistics_no,
        d.ie_flag, d.channel, d.trade_mode,
        (d.channel = 'general' OR d.trade_mode = '0110') AS general_trade, d.buyer_id_type,
        d.buyer_id_number, d.buyer_id_number_norm,
        d.buyer_id_number_valid, d.buyer_name_norm, d.gross_weight, d.net_weight,
        d.freight, d.currency, d.decl_time,
        o.order_no IS NOT NULL AS o_found, o.ebc_code AS o_ebc_code,
        o.order_time AS o_order_time, o.goods_value AS o_goods_value, o.freight AS o_freight,
        o.discount AS o_discount, o.tax_total AS o_tax_total, o.actual_paid AS o_actual_paid,
        o.currency AS o_currency, o.buyer_name_norm AS o_buyer_name_norm,
        o.buyer_id_number_norm AS o_buyer_id_number_norm,
        o.consignee AS o_consignee, o.consignee_norm AS o_consignee_norm,
        o.consignee_telephone AS o_consignee_telephone,
        o.consignee_telephone_e164 AS o_consignee_telephone_e164,
        o.consignee_address AS o_consignee_address,
        o.consignee_address_key AS o_consignee_address_key,
        o.pay_code AS o_pay_code, o.pay_transaction_id AS o_pay_transaction_id,
        o.note AS o_note
    FROM stg_declarations d SEMI JOIN tl_scope s ON s.invt_no = d.invt_no
    LEFT JOIN stg_orders o ON o.ebp_code = d.ebp_code AND o.order_no = d.order_no),
p1 AS (  -- the slip the order names
    SELECT d.invt_no, p.* FROM d JOIN stg_payments p
        ON p.pay_transaction_id = d.o_pay_transaction_id
       AND p.pay_code = coalesce(d.o_pay_code, p.pay_code)),
p2 AS (  -- else a slip for the same (ebp_code, order_no), the earliest
    SELECT d.invt_no, p.* FROM d ANTI JOIN p1 ON p1.invt_no = d.invt_no
    JOIN stg_payments p ON p.ebp_code = d.ebp_code AND p.order_no = d.order_no
    QUALIFY row_number() OVER (PARTITION BY d.invt_no
                               ORDER BY p.pay_time, p.pay_transaction_id) = 1),
p AS (SELECT * FROM p1 UNION ALL SELECT * FROM p2)
SELECT d.*,
    p.invt_no IS NOT NULL AS p_found, p.pay_code AS p_pay_code,
    p.pay_transaction_id AS p_pay_transaction_id, p.order_no AS p_order_no,
    p.ebp_code AS p_ebp_code, p.payer_id_number_norm AS p_payer_id_number_norm,
    p.payer_name_norm AS p_payer_name_norm, p.payer_account_no AS p_payer_account_no,
    p.amount_paid AS p_amount_paid, p.currency AS p_currency, p.pay_time AS p_pay_time,
    w.logistics_no IS NOT NULL AS w_found, w.order_no AS w_order_no, w.ebp_code AS w_ebp_code,
    w.weight AS w_weight, w.goods_info AS w_goods_info, w.ship_time AS w_ship_time,
    w.consignee AS w_consignee, w.consignee_norm AS w_consignee_norm,
    w.consignee_telephone AS w_consignee_telephone,
    w.consignee_telephone_e164 AS w_consignee_telephone_e164,
    w.consignee_address AS w_consignee_address,
    w.consignee_address_key AS w_consignee_address_key
FROM d
LEFT JOIN p ON p.invt_no = d.invt_no
LEFT JOIN stg_waybills w
       ON w.logistics_code = d.logistics_code AND w.logistics_no = d.logistics_no
"""


def build_scope(con: duckdb.DuckDBPyConnection, load_id: str, full: bool = False) -> int:
    """Create ``tl_scope`` for ``load_id`` (every declaration when ``full``); return its size."""
    n_other = con.execute("SELECT count(*) FROM stg_declarations "
                          "WHERE _load_id IS DISTINCT FROM $load_id", {"load_id": load_id}
                          ).fetchone()[0]
    if full or n_other == 0:  # a first load touches every declaration: no need to look
        con.execute("CREATE OR REPLACE TEMP TABLE tl_scope AS "
                    "SELECT invt_no FROM stg_declarations")
    else:
        con.execute(_TOUCHED, {"load_id": load_id})
        n_touched = con.execute("SELECT count(*) FROM tl_touched").fetchone()[0]
        n_all = con.execute("SELECT count(*) FROM stg_declarations").fetchone()[0]
        if n_touched == n_all:  # first load: every declaration is in scope anyway
            con.execute("CREATE OR REPLACE TEMP TABLE tl_scope AS SELECT * FROM tl_touched")
        else:
            con.execute(_DEPENDENTS)
    return con.execute("SELECT count(*) FROM tl_scope").fetchone()[0]


def build_base(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``tl_base`` (scope declarations joined with their messages)."""
    con.execute(_BASE)
