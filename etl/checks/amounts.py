"""Checks on amounts and limits: TL-03, TL-04, TL-11, TL-12 (TL-15 is in ``products``)."""

from __future__ import annotations

from etl.checks.base import Check, money, num, qty

__all__ = ["CHECKS", "TOLERANCE_TL03", "LIMIT_ORDER", "LIMIT_YEAR", "FX_TO_CNY", "decl_value_sql"]

TOLERANCE_TL03 = 0.05
LIMIT_ORDER = 5000.0
LIMIT_YEAR = 26000.0
_EPS = 1e-6  # float slack so that exactly 5% or exactly the limit passes

#: Reference rates to CNY used only to apply the RMB limits to lists declared in another
#: currency; a currency not listed makes TL-11/TL-12 not applicable to that list.
FX_TO_CNY = {"CNY": 1.0, "RMB": 1.0, "USD": 7.2, "EUR": 7.8, "GBP": 9.1, "HKD": 0.92,
             "JPY": 0.048, "KRW": 0.0053, "AUD": 4.7, "CAD": 5.2, "NZD": 4.3, "SGD": 5.3,
             "CHF": 8.1, "THB": 0.2}
_FX = ("(SELECT * FROM (VALUES " + ", ".join(f"('{k}', {v})" for k, v in FX_TO_CNY.items())
       + ") fx(currency, rate))")


def decl_value_sql(decls: str) -> str:
    """SQL: declared value of each declaration in ``decls`` (a relation with the
    ``stg_declarations`` columns): Σ line totals + freight, in its currency and in CNY."""
    return f"""
    SELECT d.invt_no, d.buyer_id_number_norm, d.decl_time, d.currency,
           coalesce(l.goods, 0) AS goods, coalesce(d.freight, 0) AS freight,
           coalesce(l.goods, 0) + coalesce(d.freight, 0) AS value,
           (coalesce(l.goods, 0) + coalesce(d.freight, 0)) * fx.rate AS value_cny
    FROM {decls} d
    LEFT JOIN (SELECT invt_no, sum(total_price) AS goods FROM stg_declaration_lines
               GROUP BY invt_no) l ON l.invt_no = d.invt_no
    LEFT JOIN {_FX} fx ON fx.currency = upper(d.currency)"""


_E = "(o_goods_value + coalesce(o_freight, 0) + coalesce(o_tax_total, 0) - coalesce(o_discount, 0))"
_TL03 = f"""
WITH x AS (SELECT *, {_E} AS e FROM tl_decl WHERE o_found AND o_actual_paid IS NOT NULL)
SELECT invt_no,
    CASE WHEN abs(o_actual_paid - e) <= {TOLERANCE_TL03} * abs(e) + {_EPS} THEN 'pass'
         ELSE 'fail' END AS status,
    {money('o_actual_paid', 'o_currency')} AS observed, {money('e', 'o_currency')} AS expected,
    round(o_actual_paid - e, 2) AS delta,
    'Order actual paid ' || {money('o_actual_paid', 'o_currency')}
      || CASE WHEN abs(o_actual_paid - e) < 0.005
              THEN ' = goods + freight + tax - discount.'  -- cheap: most rows, numbers above
              ELSE ', but goods ' || {num('o_goods_value')} || ' + freight '
                   || {num('coalesce(o_freight, 0)')} || ' + tax '
                   || {num('coalesce(o_tax_total, 0)')} || ' - discount '
                   || {num('coalesce(o_discount, 0)')} || ' = ' || {money('e', 'o_currency')}
                   || ' (difference ' || {num('abs(o_actual_paid - e)')}
                   || coalesce(', ' || format('{{:.2f}}', 100 * abs(o_actual_paid - e)
                                / nullif(abs(e), 0)) || '%', '')
                   || CASE WHEN abs(o_actual_paid - e) <= {TOLERANCE_TL03} * abs(e) + {_EPS}
                           THEN ', within' ELSE ', over' END
                   || ' the 5% tolerance).' END AS explanation
FROM x
"""

_TL04 = f"""
WITH l AS (
    SELECT b.invt_no, l.gnum, l.qty, l.price, l.total_price,
           abs(l.total_price - l.price * l.qty) AS err
    FROM tl_decl b JOIN stg_order_lines l ON l.ebp_code = b.ebp_code AND l.order_no = b.order_no
    WHERE b.o_found),
a AS (
    SELECT invt_no, sum(total_price) AS s, count(*) FILTER (WHERE err >= 0.005) AS n_bad
    FROM l GROUP BY invt_no),
bad AS (
    SELECT invt_no, string_agg('line ' || gnum || ': ' || {qty('qty')} || ' x '
               || {num('price')} || ' = ' || {num('qty * price')} || ' but the line total is '
               || {num('total_price')}, '; ' ORDER BY gnum) AS issues
    FROM l WHERE err >= 0.005 GROUP BY invt_no),
x AS (SELECT b.invt_no, b.o_goods_value AS gv, b.o_currency AS cur, a.*, bad.issues,
             abs(a.s - b.o_goods_value) > greatest(0.01, 0.01 * abs(b.o_goods_value))
             AS sum_bad
      FROM tl_decl b JOIN a USING (invt_no) LEFT JOIN bad USING (invt_no))
SELECT invt_no, CASE WHEN n_bad = 0 AND NOT sum_bad THEN 'pass' ELSE 'risk' END AS status,
    'lines sum to ' || {money('s', 'cur')} AS observed,
    'goods value ' || {money('gv', 'cur')} AS expected,
    round(s - gv, 2) AS delta,
    CASE WHEN n_bad = 0 AND NOT sum_bad
         THEN 'Every line total is price x quantity, and the lines sum to the goods value '
              || {money('gv', 'cur')} || '.'
         ELSE 'Order line arithmetic is off: ' || concat_ws('; ', issues,
              CASE WHEN sum_bad THEN 'the lines sum to ' || {money('s', 'cur')}
                   || ' but the goods value is ' || {money('gv', 'cur')} || ' (difference '
                   || {num('abs(s - gv)')} || ')' END) || '.' END AS explanation
FROM x
"""

_TL11 = f"""
WITH v AS ({decl_value_sql("tl_decl")})
SELECT invt_no, CASE WHEN value_cny <= {LIMIT_ORDER} + {_EPS} THEN 'pass' ELSE 'fail' END
    AS status,
    {money('value_cny', "'CNY'")} AS observed, '<= 5,000.00 CNY' AS expected,
    round(value_cny - {LIMIT_ORDER}, 2) AS delta,
    CASE WHEN value_cny <= {LIMIT_ORDER} + {_EPS}
         THEN 'Declared value ' || {money('value', 'currency')}
              || ' is within the RMB 5,000 per-order limit.'
         ELSE 'Declared value ' || {money('value', 'currency')} || ' (goods ' || {num('goods')}
              || ' + freight ' || {num('freight')} || ')'
              || CASE WHEN upper(currency) NOT IN ('CNY', 'RMB')
                      THEN ', about ' || {money('value_cny', "'CNY'")} ELSE '' END
              || ' exceeds the RMB 5,000 per-order limit by '
              || {num(f'value_cny - {LIMIT_ORDER}')} || '.' END AS explanation
FROM v WHERE value_cny IS NOT NULL
"""

# The cumulative sum runs over every import declaration of the buyer in that calendar year
# (not only those in scope), in declaration time order; ties broken by list number.
_TL12 = f"""
WITH k AS (
    SELECT DISTINCT buyer_id_number_norm AS k, year(decl_time) AS y FROM tl_decl
    WHERE buyer_id_number_norm IS NOT NULL
      AND NOT contains(buyer_id_number_norm, '*')),
d AS (SELECT d.* FROM stg_declarations d JOIN k
      ON d.buyer_id_number_norm = k.k AND year(d.decl_time) = k.y WHERE d.ie_flag = 'I'),
v AS ({decl_value_sql("d")}),
c AS (SELECT invt_no, year(decl_time) AS y, coalesce(value_cny, 0) AS v,
             sum(coalesce(value_cny, 0)) OVER (
                 PARTITION BY buyer_id_number_norm, year(decl_time)
                 ORDER BY decl_time, invt_no ROWS UNBOUNDED PRECEDING) AS cum
      FROM v)
SELECT c.invt_no,
    CASE WHEN cum <= {LIMIT_YEAR} + {_EPS} THEN 'pass' ELSE 'fail' END AS status,
    {money('cum', "'CNY'")} AS observed, '<= 26,000.00 CNY' AS expected,
    round(cum - {LIMIT_YEAR}, 2) AS delta,
    CASE WHEN cum <= {LIMIT_YEAR} + {_EPS}
         THEN 'With this declaration the buyer''s ' || y || ' imports reach '
              || {money('cum', "'CNY'")} || ', within the RMB 26,000 annual limit.'
         WHEN cum - v <= {LIMIT_YEAR} + {_EPS}
         THEN 'This declaration takes the buyer''s ' || y || ' imports from '
              || {money('cum - v', "'CNY'")} || ' to ' || {money('cum', "'CNY'")}
              || ', over the RMB 26,000 annual limit by ' || {num(f'cum - {LIMIT_YEAR}')} || '.'
         ELSE 'The buyer''s ' || y || ' imports were already ' || {money('cum - v', "'CNY'")}
              || ', over the RMB 26,000 annual limit, before this declaration; now '
              || {money('cum', "'CNY'")} || '.' END AS explanation
FROM c WHERE c.invt_no IN (SELECT invt_no FROM tl_decl)
"""

CHECKS = [
    Check("TL-03", "Order arithmetic", "B", "both",
          "order actual_paid vs goods_value + freight + tax_total - discount; the exact "
          "delta is kept", "5% of the computed amount (exactly 5% passes)",
          "the order's totals do not add up: a forged or edited order", _TL03,
          delta="actual_paid minus the computed amount"),
    Check("TL-04", "Line arithmetic", "R", "both",
          "each order line total_price vs price x qty; sum of line totals vs goods_value",
          "0.01 per line; 1% (at least 0.01) on the sum",
          "line prices or totals were edited", _TL04,
          delta="sum of line totals minus goods_value"),
    Check("TL-11", "Per-order limit", "B", "import",
          "declared value (sum of declaration line totals + freight, in CNY) vs RMB 5,000",
          "none (exactly 5,000.00 passes)",
          "the list exceeds the CBEC per-transaction limit: general trade, not CBEC", _TL11,
          delta="declared value (CNY) minus 5,000"),
    Check("TL-12", "Annual limit", "B", "import",
          "buyer's cumulative declared value in the calendar year (by buyer ID, in "
          "declaration time order, this list included) vs RMB 26,000",
          "none (exactly 26,000.00 passes)",
          "the list that takes the buyer over the annual quota, and every later one, fails: "
          "typical of borrowed or bought identities", _TL12,
          delta="cumulative value (CNY) minus 26,000; negative = headroom"),
]
