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
    names = "concat_ws(' ', dl.gname, dl.item_name)"
    gm = f"""gm AS (
    SELECT dl.invt_no, bool_or({goods_match(['dl.gname', 'dl.item_name'], 'b.w_goods_info')})
           AS info_ok
    FROM dl JOIN b USING (invt_no) WHERE b.w_goods_info IS NOT NULL GROUP BY dl.invt_no),
gn AS (
    SELECT dl.invt_no, string_agg({names}, ' ' ORDER BY dl.gnum) AS d_names
    FROM dl JOIN gm USING (invt_no) WHERE NOT gm.info_ok GROUP BY dl.invt_no),""" \
        if with_goods_info else ""
    gm_join = ("LEFT JOIN gm USING (invt_no) LEFT JOIN gn USING (invt_no)"
               if with_goods_info else "")
    info_bad = "coalesce(NOT gm.info_ok, false)" if with_goods_info else "false"
    d_names = "gn.d_names" if with_goods_info else "NULL"
    return f"""
WITH b AS (SELECT invt_no, ebp_code, order_no, o_found, o_currency, currency, w_goods_info
           FROM tl_decl WHERE ie_flag = '{ie_flag}' {only_found}),
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
                  AND ol.gname IS DISTINCT FROM dl.gname
                 THEN CASE WHEN {norm_text('ol.gname')} <> {norm_text('dl.gname')}
                      THEN 'goods ' || {quote('ol.gname')} || ' ordered vs '
                           || {quote('dl.gname')} || ' declared' END END,
            CASE WHEN ol.gnum IS NOT NULL AND dl.gnum IS NOT NULL
                  AND abs(ol.qty - dl.qty) > 1e-9
                 THEN 'quantity ' || {qty('ol.qty')} || ' ordered vs ' || {qty('dl.qty')}
                      || ' declared' END,
            CASE WHEN ol.gnum IS NOT NULL AND dl.gnum IS NOT NULL
                  AND abs(ol.price - dl.price) >= 0.005
                 THEN 'unit price ' || {num('ol.price')} || ' ordered vs '
                      || {num('dl.price')} || ' declared' END) AS issue,
        coalesce(ol.total_price, 0) AS o_total, coalesce(dl.total_price, 0) AS d_total
    FROM ol FULL JOIN dl ON ol.invt_no = dl.invt_no AND ol.gnum = dl.gnum),
a AS (
    SELECT invt_no, count(*) AS n_lines, count(*) FILTER (WHERE issue <> '') AS n_bad,
           sum(o_total) AS o_sum, sum(d_total) AS d_sum
    FROM j GROUP BY invt_no),
bad AS (
    SELECT invt_no, string_agg('line ' || gnum || ' ' || issue, '; ' ORDER BY gnum) AS issues
    FROM j WHERE issue <> '' GROUP BY invt_no),
{gm}
x AS (
    SELECT b.*, coalesce(a.n_lines, 0) AS n_lines, coalesce(a.n_bad, 0) AS n_bad, bad.issues,
           coalesce(a.o_sum, 0) AS o_sum, coalesce(a.d_sum, 0) AS d_sum,
           {info_bad} AS info_bad, {d_names} AS d_names
    FROM b LEFT JOIN a USING (invt_no) LEFT JOIN bad USING (invt_no) {gm_join})
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
         ELSE CASE WHEN n_lines = 1 THEN 'The line matches'
                   ELSE 'All ' || n_lines || ' lines match' END
              || ' the order (HS code, name, quantity, price)'
              || CASE WHEN {'w_goods_info IS NOT NULL' if with_goods_info else 'false'}
                      THEN ' and the waybill mentions the goods.' ELSE '.' END END
      AS explanation
FROM x
"""


CHECKS = [
    Check("TL-10", "Goods match", "B/R", "import",
          "order lines vs declaration lines 1:1 by line number: HS code, goods name, "
          "quantity, unit price; the waybill's goods description mentions the declared goods",
          "price 0.01; names equal after normalisation; waybill text fuzzy (contains a goods "
          "name, shares a word of 3+ characters, or Jaro-Winkler >= 0.8)",
          "fail: the declared goods are not the ordered goods (undervaluation, "
          "misdescription); risk: the waybill describes other goods", lines_sql("I", True),
          delta="declared minus ordered value"),
    Check("EX-02", "Export order lines = list lines", "B", "export",
          "export order lines vs inventory list lines 1:1: HS code, goods name, quantity, "
          "unit price", "price 0.01; names equal after normalisation",
          "the list declares other goods or quantities than were sold; or there is no order",
          lines_sql("E", False),
          delta="declared minus ordered value"),
]
