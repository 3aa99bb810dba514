"""Export checks: receipt vs order (EX-01), waybill (EX-03), departure (EX-04).

EX-02 (order lines vs list lines) lives in :mod:`etl.checks.goods` with TL-10.
"""

from __future__ import annotations

from etl.checks.base import Check, money, num

__all__ = ["CHECKS", "TOLERANCE_EX01", "DEPARTURE_GRACE_DAYS"]

TOLERANCE_EX01 = 0.05
#: A released export list is expected to have departed within this many days; "now" is
#: the latest declaration time in staging, so results do not depend on the wall clock.
DEPARTURE_GRACE_DAYS = 7

_E = "(o_goods_value + coalesce(o_freight, 0))"
_EX01 = f"""
WITH x AS (
    SELECT b.invt_no, b.order_no, b.o_currency, {_E} AS e, r.charge, r.currency AS r_currency,
           r.order_no IS NOT NULL AS r_found
    FROM tl_decl b LEFT JOIN stg_receipts r ON r.ebp_code = b.ebp_code AND r.order_no = b.order_no
    WHERE b.o_found),
y AS (SELECT *, r_found AND r_currency IS NOT DISTINCT FROM o_currency
                AND abs(charge - e) <= {TOLERANCE_EX01} * abs(e) + 1e-6 AS ok FROM x)
SELECT invt_no, CASE WHEN ok THEN 'pass' ELSE 'risk' END AS status,
    CASE WHEN r_found THEN {money('charge', 'r_currency')} ELSE 'no receipt' END AS observed,
    {money('e', 'o_currency')} AS expected, round(charge - e, 2) AS delta,
    CASE WHEN NOT r_found THEN 'No payment receipt for export order ' || order_no
              || ': the sale is not shown to have been paid.'
         WHEN ok THEN 'The receipt of ' || {money('charge', 'r_currency')}
              || ' matches goods value + freight ' || {money('e', 'o_currency')} || '.'
         ELSE 'The receipt says ' || {money('charge', 'r_currency')}
              || ' but goods value + freight is ' || {money('e', 'o_currency')}
              || ' (difference ' || {num('abs(charge - e)')} || ', over the 5% tolerance'
              || CASE WHEN r_currency IS DISTINCT FROM o_currency THEN ', other currency'
                      ELSE '' END || ').' END AS explanation
FROM y
"""

_EX03 = """
SELECT invt_no,
    CASE WHEN w_found AND w_order_no = order_no THEN 'pass' ELSE 'fail' END AS status,
    CASE WHEN NOT w_found THEN 'no waybill ' || logistics_no
         ELSE 'waybill ' || logistics_no || ' for order ' || coalesce(w_order_no, '?') END
      AS observed,
    'waybill ' || logistics_no || ' for order ' || order_no AS expected,
    NULL::DOUBLE AS delta,
    CASE WHEN NOT w_found THEN 'Carrier ' || logistics_code || ' sent no waybill '
              || logistics_no || ' for this list.'
         WHEN w_order_no IS DISTINCT FROM order_no THEN 'Waybill ' || logistics_no
              || ' carries order ' || coalesce(w_order_no, '?') || ', not the declared order '
              || order_no || '.'
         ELSE 'Waybill ' || logistics_no || ' carries the declared order ' || order_no || '.'
         END AS explanation
FROM tl_decl
"""

_EX04 = f"""
WITH now AS (SELECT max(decl_time) AS t FROM stg_declarations),
x AS (
    SELECT b.invt_no, b.logistics_no, b.decl_time, x.departure_time,
           x.logistics_no IS NOT NULL AS x_found,
           date_diff('day', b.decl_time, now.t) AS age
    FROM tl_decl b CROSS JOIN now
    LEFT JOIN stg_departures x
           ON x.logistics_code = b.logistics_code AND x.logistics_no = b.logistics_no)
SELECT invt_no, CASE WHEN x_found THEN 'pass' ELSE 'risk' END AS status,
    CASE WHEN x_found THEN 'departed ' || strftime(departure_time, '%Y-%m-%d %H:%M')
         ELSE 'no departure ' || age || ' days after declaration' END AS observed,
    'departure within {DEPARTURE_GRACE_DAYS} days' AS expected,
    CAST(CASE WHEN x_found THEN date_diff('hour', decl_time, departure_time) / 24.0
              ELSE age END AS DOUBLE) AS delta,
    CASE WHEN x_found THEN 'Waybill ' || logistics_no || ' left on '
              || strftime(departure_time, '%Y-%m-%d') || '.'
         ELSE 'No departure record for waybill ' || logistics_no || ' ' || age
              || ' days after the list was declared: the goods may never have left.' END
      AS explanation
FROM x WHERE x_found OR age >= {DEPARTURE_GRACE_DAYS}
"""

CHECKS = [
    Check("EX-01", "Receipt = goods + freight", "R", "export",
          "receipt charge vs export order goods_value + freight; a missing receipt",
          "5% (exactly 5% passes); same currency",
          "money received does not match the declared sale: undervaluation or fake exports",
          _EX01,
          delta="receipt charge minus goods_value + freight"),
    Check("EX-03", "Waybill = list", "B", "export",
          "a waybill with the list's (logistics_code, logistics_no) exists and carries the "
          "declared order", "exact", "the list points to no parcel, or to another order's",
          _EX03,
          delta="none"),
    Check("EX-04", "Departure recorded", "R", "export",
          f"a departure record for the list's waybill, once the list is {DEPARTURE_GRACE_DAYS} "
          "days old (age measured to the latest declaration in staging)",
          f"{DEPARTURE_GRACE_DAYS} days; younger lists without departure are n/a",
          "released goods never left: fake export (tax refund) or diversion", _EX04,
          delta="days from declaration to departure, or age without one"),
]
