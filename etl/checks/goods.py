"""Goods checks: order lines vs declaration lines 1:1 (TL-10 import, EX-02 export)."""

from __future__ import annotations

from etl.checks.base import Check, goods_match, money, norm_text, num, qty, quote

__all__ = ["CHECKS", "lines_sql"]


def lines_sql(ie_flag: str, with_goods_info: bool) -> str:
    """SQL comparing the order's lines with the declaration's, line by line (by ``gnum``).

    A line differs when it is on one side only, or its HS code, goods name (normalised),
    quantity or unit price differ. With ``with_goods_info`` a declaration whose lines all
    match but whose waybill goods description mentions none of the declared goods is
    ``risk``. A declaration without its order is ``fail`` (export) or not applicable
    (import: TL-00 reports it).
    """
    only_found = "" if ie_flag == "E" else "AND o_found"
    return f"""
WITH b AS (SELECT invt_no, ebp_code, order_no, o_found, o_currency, currency, w_goods_info
           FROM tl_base WHERE ie_flag = '{ie_flag}' {only_found}),
ol AS (SELECT b.invt_no, l.gnum, l.gcode, l.gname, l.qty, l.price, l.total_price
       FROM b JOIN stg_order_lines l ON l.ebp_code = b.ebp_code AND l.order_no = b.order_no),
dl AS (SELECT l.invt_no, l.gnum, l.gcode, l.gname, l.item_name, l.qty, l.price, l.total_price
       FROM stg_declaration_lines l JOIN b USING (invt_no)),
j AS (
    SELECT coalesce(ol.invt_no, dl.invt_no) AS invt_no, coalesce(ol.gnum, dl.gnum) AS gnum,
        concat_ws(', ',
            CASE WHEN dl.gnum IS NULL THEN 'ordered but not declared' END,
            CASE WHEN ol.gnum IS NULL THEN 'declared but not ordered' END,
            CASE WHEN ol.gcode IS NOT NULL AND dl.gnum IS NOT NULL
                  AND ol.gcode IS DISTINCT FROM dl.gcode
                 THEN 'HS ' || ol.gcode || ' ordered vs ' || coalesce(dl.gcode, '?')
                      || ' declared' END,
            CASE WHEN ol.gname IS NOT NULL AND dl.gnum IS NOT NULL
                  AND {norm_text('ol.gname')} <> {norm_text('dl.gname')}
                 THEN 'goods ' || {quote('ol.gname')} || ' ordered vs '
                      || {quote('dl.gname')} || ' declared' END,
            CASE WHEN ol.gnum IS NOT NULL AND dl.gnum IS NOT NULL
                  AND abs(ol.qty - dl.qty) > 1e-9
                 THEN 'quantity ' || {qty('ol.qty')} || ' ordered vs ' || {qty('dl.qty')}
                      || ' declared' END,
            CASE WHEN ol.gnum IS NOT NULL AND dl.gnum IS NOT NULL
                  AND abs(ol.price - dl.price) >= 0.005
                 THEN 'unit price ' || {num('ol.price')} || ' ordered vs '
                      || {num('dl.price')} || ' declared' END) AS issue,
        coalesce(ol.total_price, 0) AS o_total, coalesce(dl.total_price, 0) AS d_total,
        concat_ws(' ', dl.gname, dl.item_name) AS d_names
    FROM ol FULL JOIN dl ON ol.invt_no = dl.invt_no AND ol.gnum = dl.gnum),
a AS (
    SELECT invt_no, count(*) AS n_lines, count(*) FILTER (WHERE issue <> '') AS n_bad,
           string_agg(CASE WHEN issue <> '' THEN 'line ' || gnum || ' ' || issue END, '; '
                      ORDER BY gnum) AS issues,
           sum(o_total) AS o_sum, sum(d_total) AS d_sum,
           string_agg(d_names, ' ' ORDER BY gnum) AS d_names
    FROM j GROUP BY invt_no),
x AS (
    SELECT b.*, coalesce(a.n_lines, 0) AS n_lines, coalesce(a.n_bad, 0) AS n_bad, a.issues,
           coalesce(a.o_sum, 0) AS o_sum, coalesce(a.d_sum, 0) AS d_sum, a.d_names,
           {'b.w_goods_info IS NOT NULL AND a.d_names IS NOT NULL AND NOT '
            + goods_match('a.d_names', 'b.w_goods_info') if with_goods_info else 'false'}
           AS info_bad
    FROM b LEFT JOIN a USING (invt_no))
SELECT invt_no,
    CASE WHEN NOT o_found OR n_lines = 0 OR n_bad > 0 THEN 'fail'
         WHEN info_bad THEN 'risk' ELSE 'pass' END AS status,
    CASE WHEN NOT o_found THEN 'no order'
         ELSE n_bad || ' of ' || n_lines || ' lines differ; declared value '
              || {money('d_sum', 'currency')} END AS observed,
    'order lines = declaration lines; ordered value ' || {money('o_sum', 'o_currency')}
      AS expected,
    CASE WHEN o_found THEN round(d_sum - o_sum, 2) END AS delta,
    CASE WHEN NOT o_found THEN 'There is no order ' || order_no || ' from platform '
              || ebp_code || ' for this list: its goods cannot be matched.'
         WHEN n_lines = 0 THEN 'Neither the order nor the list has goods lines.'
         WHEN n_bad > 0 THEN 'Declared goods differ from the order: ' || issues
              || ' (declared ' || {money('d_sum', 'currency')} || ' vs ordered '
              || {money('o_sum', 'o_currency')} || ').'
         WHEN info_bad THEN 'Lines match the order, but the waybill describes the goods as '
              || {quote('w_goods_info')} || ', which mentions none of the declared '
              || {quote('d_names')} || '.'
         ELSE 'All ' || n_lines || ' lines match the order (HS code, name, quantity, price)'
              || CASE WHEN {'w_goods_info IS NOT NULL' if with_goods_info else 'false'}
                      THEN ' and the waybill mentions the goods.' ELSE '.' END END
      AS explanation
FROM x
"""


CHECKS = [
    Check("TL-10", "Goods match", "B/R", "import",
          "order lines vs declaration lines 1:1 by line number: HS code, goods name, "
          "quantity, unit price; the waybill's goods description mentions the declared goods",
          "price 0.01; names equal after normalisation; waybill text fuzzy (a shared word "
          "of 3+ characters, or Jaro-Winkler >= 0.8)",
          "fail: the declared goods are not the ordered goods (undervaluation, "
          "misdescription); risk: the waybill describes other goods", lines_sql("I", True)),
    Check("EX-02", "Export order lines = list lines", "B", "export",
          "export order lines vs inventory list lines 1:1: HS code, goods name, quantity, "
          "unit price", "price 0.01; names equal after normalisation",
          "the list declares other goods or quantities than were sold; or there is no order",
          lines_sql("E", False)),
]
