"""Checks across declarations and time: TL-17 uniqueness, TL-18 time order and bursts."""

from __future__ import annotations

from etl.checks.base import Check, ts
from etl.checks.context import BURST_SECONDS, PAYER_KEY

__all__ = ["CHECKS", "BURST_MIN"]

#: A payment is part of a burst when its payer made at least this many payments within
#: ``BURST_SECONDS`` either side of it (itself included).
BURST_MIN = 3

_EARLIER = ("(d.decl_time < s.decl_time OR (d.decl_time = s.decl_time "
            "AND d.invt_no < s.invt_no))")

_TL17 = f"""
WITH s AS (SELECT invt_no, ebp_code, order_no, logistics_code, logistics_no, decl_time
           FROM tl_decl),
o AS (SELECT s.invt_no, arg_min(d.invt_no, d.decl_time) AS o_prev,
             min(d.decl_time) AS o_prev_time
      FROM s JOIN stg_declarations d ON d.ebp_code = s.ebp_code AND d.order_no = s.order_no
      WHERE {_EARLIER} GROUP BY s.invt_no),
l AS (SELECT s.invt_no, arg_max(d.invt_no, d.decl_time) AS l_prev,
             max(d.decl_time) AS l_prev_time
      FROM s JOIN stg_declarations d
        ON d.logistics_code = s.logistics_code AND d.logistics_no = s.logistics_no
      WHERE {_EARLIER} AND d.decl_time > s.decl_time - INTERVAL 6 MONTH GROUP BY s.invt_no),
x AS (SELECT s.*, o.o_prev, o.o_prev_time, l.l_prev, l.l_prev_time FROM s
      LEFT JOIN o USING (invt_no) LEFT JOIN l USING (invt_no))
SELECT invt_no,
    CASE WHEN o_prev IS NULL AND l_prev IS NULL THEN 'pass' ELSE 'fail' END AS status,
    CASE WHEN o_prev IS NULL AND l_prev IS NULL THEN 'first use of order and waybill'
         ELSE concat_ws('; ', 'order already on ' || o_prev, 'waybill already on ' || l_prev)
         END AS observed,
    'order and waybill used by no earlier list (waybill: within 6 months)' AS expected,
    CAST(date_diff('day', l_prev_time, decl_time) AS DOUBLE) AS delta,
    CASE WHEN o_prev IS NULL AND l_prev IS NULL
         THEN 'Order ' || coalesce(order_no, '(none)') || ' and waybill '
              || coalesce(logistics_no, '(none)') || ' appear on no earlier list.'
         ELSE concat_ws(' ',
              'Order ' || order_no || ' of platform ' || ebp_code
                 || ' was already declared on list ' || o_prev || ' at '
                 || {ts('o_prev_time')} || ': one order, one list.',
              'Waybill ' || logistics_no || ' was already used by list ' || l_prev || ' '
                 || date_diff('day', l_prev_time, decl_time)
                 || ' days earlier: waybill numbers may not be reused within 6 months.')
         END AS explanation
FROM x
"""

_TL18 = f"""
WITH bp AS (SELECT DISTINCT coalesce(p_payer_account_no, p_payer_id_number_norm) AS payer
            FROM tl_decl WHERE p_found),
pp AS (SELECT p.pay_code, p.pay_transaction_id,
              count(*) OVER (PARTITION BY bp.payer ORDER BY p.pay_time RANGE BETWEEN
                  INTERVAL {BURST_SECONDS} SECOND PRECEDING AND
                  INTERVAL {BURST_SECONDS} SECOND FOLLOWING) AS n_burst
       FROM stg_payments p JOIN bp ON {PAYER_KEY} = bp.payer),
x AS (
    SELECT b.*, coalesce(pp.n_burst, 0) AS n_burst, concat_ws('; ',
        CASE WHEN p_pay_time < o_order_time THEN 'the payment (' || {ts('p_pay_time')}
             || ') precedes the order (' || {ts('o_order_time')} || ')' END,
        CASE WHEN w_ship_time < p_pay_time THEN 'the carrier took the parcel ('
             || {ts('w_ship_time')} || ') before the payment (' || {ts('p_pay_time')} || ')' END,
        CASE WHEN w_ship_time < o_order_time AND NOT p_found THEN 'the carrier took the parcel ('
             || {ts('w_ship_time')} || ') before the order (' || {ts('o_order_time')} || ')' END,
        CASE WHEN decl_time < greatest(o_order_time, p_pay_time, w_ship_time)
             THEN 'the list was declared (' || {ts('decl_time')} || ') before the '
                  || CASE WHEN w_ship_time > decl_time THEN 'parcel was shipped'
                          WHEN p_pay_time > decl_time THEN 'payment' ELSE 'order' END END,
        CASE WHEN pp.n_burst >= {BURST_MIN} THEN 'the payer made ' || pp.n_burst
             || ' payments within {BURST_SECONDS} seconds of this one' END) AS issues
    FROM tl_decl b
    LEFT JOIN pp ON pp.pay_code = b.p_pay_code AND pp.pay_transaction_id = b.p_pay_transaction_id
    WHERE b.o_found)
SELECT invt_no, CASE WHEN issues = '' THEN 'pass' ELSE 'risk' END AS status,
    CASE WHEN issues = '' THEN 'in order'  -- cheap for the many passing rows
         ELSE concat_ws(', ', 'order ' || {ts('o_order_time')},
              CASE WHEN p_found THEN 'payment ' || {ts('p_pay_time')} END,
              CASE WHEN w_found THEN 'waybill ' || {ts('w_ship_time')} END,
              'declaration ' || {ts('decl_time')}) END AS observed,
    'order <= payment <= waybill <= declaration; fewer than {BURST_MIN} payments of one payer '
      || 'within {BURST_SECONDS} s' AS expected,
    CAST(n_burst AS DOUBLE) AS delta,
    CASE WHEN issues = '' THEN 'Order, payment, shipment and declaration came in that order.'
         ELSE 'Suspicious timing: ' || issues || '.' END AS explanation
FROM x
"""

CHECKS = [
    Check("TL-17", "Uniqueness", "B", "both",
          "order number per platform on no earlier list; waybill number on no earlier list "
          "within 6 months", "none",
          "a later list reuses an order or waybill already declared: duplicate or recycled "
          "documents (the earliest list passes)", _TL17,
          delta="days since the waybill's earlier use"),
    Check("TL-18", "Time order and bursts", "R", "import",
          "order time <= payment time <= carrier pick-up <= declaration time; payments of the "
          "same payer (account, else ID) around this one",
          f"none on times; a burst is {BURST_MIN}+ payments within {BURST_SECONDS} s either "
          "side (delta = that count)",
          "documents fabricated after the fact, or scripted payments (brushing, complicit "
          "payment firm)", _TL18,
          delta="payments of the payer within the burst window"),
]
