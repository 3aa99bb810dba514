"""Time the three-list checks on a synthetic staging of N declarations (no generator needed).

Usage::

    python bench/bench_three_list.py [--declarations 1000000] [--threads 2] [--db PATH]

Builds every ``stg_*`` table the checks read with plain SQL: 85 % import lists (1-3 lines,
order, payment, raw payment for 90 %, waybill) and 15 % export lists (order, receipt,
waybill, departure for 95 %); buyers repeat (about 8 lists per buyer a year) and about 1 %
of lists carry a planted fault. Then times a full first run, an idempotent rerun and an
incremental load touching 1 % of lists, and prints seconds and the summary.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from etl.checks.testing import create_staging  # noqa: E402
from etl.three_list import run_checks  # noqa: E402

# 18-digit resident ID with a correct check character, built in SQL from a buyer number.
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_BODY = ("('110105' || strftime(DATE '1950-01-01' + CAST(buyer % 16800 AS INTEGER), '%Y%m%d')"
         " || lpad(CAST((buyer // 16800) % 1000 AS VARCHAR), 3, '0'))")
_SUM = " + ".join(f"CAST(substr(body, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(_W))


def build(con: duckdb.DuckDBPyConnection, n: int) -> None:
    create_staging(con)
    t0 = time.perf_counter()
    con.execute(f"""
    CREATE TEMP TABLE g AS
    SELECT i, CASE WHEN i % 100 < 85 THEN 'I' ELSE 'E' END AS ie,
           i // 8 AS buyer, 1 + (i % 3) AS n_lines,
           TIMESTAMP '2025-01-01' + INTERVAL (i * 31) SECOND AS t,
           (i * 7919) % 1000 AS fault, 20 + (i * 37) % 400 AS price
    FROM range({n}) r(i)""")
    con.execute(f"""
    CREATE TEMP TABLE gid AS
    SELECT i, body || substr('10X98765432', ({_SUM}) % 11 + 1, 1) AS bid FROM
      (SELECT i, {_BODY} AS body FROM g)""")
    con.execute("""
    INSERT INTO stg_declarations BY NAME
    SELECT 'INV' || i AS invt_no, 'O' || i AS order_no, 'EBP' || (i % 50) AS ebp_code,
        'EBC' || (i % 5000) AS ebc_code,
        'LGC' || ((CASE WHEN fault = 7 THEN i - 1 ELSE i END) % 20) AS logistics_code,
        'W' || CASE WHEN fault = 7 THEN i - 1 ELSE i END AS logistics_no, 'AGT1' AS agent_code,
        '2901' AS customs_code, '2991' AS port_code, ie AS ie_flag, 'cbec' AS channel,
        'US' AS country, CASE WHEN ie = 'I' THEN '1' END AS buyer_id_type,
        CASE WHEN ie = 'I' THEN bid END AS buyer_id_number,
        CASE WHEN ie = 'I' THEN bid END AS buyer_id_number_norm,
        CASE WHEN ie = 'I' THEN 'Buyer ' || buyer END AS buyer_name,
        CASE WHEN ie = 'I' THEN 'buyer ' || buyer END AS buyer_name_norm,
        0.3 * n_lines + 0.1 AS gross_weight, 0.3 * n_lines AS net_weight, 12.0 AS freight,
        'CNY' AS currency, t + INTERVAL 9 HOUR AS decl_time, 'L1' AS _load_id
    FROM g JOIN gid USING (i)""")
    con.execute("""
    INSERT INTO stg_order_lines BY NAME
    SELECT 'O' || i AS order_no, 'EBP' || (i % 50) AS ebp_code, k AS gnum,
        'Item ' || (i % 997) AS item_name, '9503008900' AS gcode, 'plush toy' AS gname,
        '0|0|plush|' AS gmodel, 1.0 + k AS qty, '007' AS unit, price AS price,
        price * (1 + k) AS total_price, 'L1' AS _load_id
    FROM g, range(1, n_lines + 1) r(k)""")
    con.execute("""
    INSERT INTO stg_declaration_lines BY NAME
    SELECT 'INV' || i AS invt_no, k AS gnum, 'Item ' || (i % 997) AS item_name,
        '9503008900' AS gcode, 'plush toy' AS gname, '0|0|plush|' AS gmodel, 1.0 + k AS qty,
        '007' AS unit, CASE WHEN fault = 3 THEN price * 0.4 ELSE price END AS price,
        CASE WHEN fault = 3 THEN price * 0.4 ELSE price END * (1 + k) AS total_price,
        'CN' AS country, 'L1' AS _load_id
    FROM g, range(1, n_lines + 1) r(k)""")
    con.execute("""
    INSERT INTO stg_orders BY NAME
    SELECT 'O' || i AS order_no, 'EBP' || (i % 50) AS ebp_code, 'EBC' || (i % 5000) AS ebc_code,
        ie AS ie_flag, t AS order_time, gv AS goods_value, 12.0 AS freight, 0.0 AS discount,
        0.0 AS tax_total, gv + 12 + CASE WHEN fault = 5 THEN 30 ELSE 0 END AS actual_paid,
        'CNY' AS currency, CASE WHEN ie = 'I' THEN 'Buyer ' || buyer END AS buyer_name,
        CASE WHEN ie = 'I' THEN 'buyer ' || buyer END AS buyer_name_norm,
        CASE WHEN ie = 'I' THEN bid END AS buyer_id_number,
        CASE WHEN ie = 'I' THEN bid END AS buyer_id_number_norm,
        CASE WHEN ie = 'I' THEN 'Buyer ' || buyer END AS consignee,
        CASE WHEN ie = 'I' THEN 'buyer ' || buyer END AS consignee_norm,
        CASE WHEN ie = 'I' THEN '138' || lpad(CAST(buyer % 100000000 AS VARCHAR), 8, '0') END
            AS consignee_telephone,
        CASE WHEN ie = 'I' THEN 'Road ' || buyer END AS consignee_address,
        CASE WHEN ie = 'I' THEN 'k' || buyer END AS consignee_address_key,
        CASE WHEN ie = 'I' THEN 'PAY1' END AS pay_code,
        CASE WHEN ie = 'I' THEN 'TX' || i END AS pay_transaction_id, 'L1' AS _load_id
    FROM (SELECT g.*, bid, price * (n_lines * (n_lines + 3) / 2) AS gv
          FROM g JOIN gid USING (i))""")
    con.execute("""
    INSERT INTO stg_payments BY NAME
    SELECT 'PAY1' AS pay_code, 'TX' || i AS pay_transaction_id, order_no, ebp_code,
        buyer_id_number AS payer_id_number, buyer_id_number_norm AS payer_id_number_norm,
        buyer_name AS payer_name, buyer_name_norm AS payer_name_norm,
        'ACC' || (CASE WHEN fault = 9 THEN 0 ELSE i // 8 END) AS payer_account_no,
        actual_paid - CASE WHEN fault = 11 THEN 50 ELSE 0 END AS amount_paid,
        'CNY' AS currency, order_time + INTERVAL 60 SECOND AS pay_time, 'L1' AS _load_id
    FROM (SELECT o.*, CAST(substr(order_no, 2) AS BIGINT) AS i, (i * 7919) % 1000 AS fault
          FROM stg_orders o WHERE ie_flag = 'I')""")
    con.execute("""
    INSERT INTO stg_raw_payments BY NAME
    SELECT pay_code, pay_transaction_id, order_no, amount_paid AS total_amount, currency,
        'Seller' AS payee_name, 'seller' AS payee_name_norm, 'plush toy' AS goods_name,
        pay_time AS trading_time, 'L1' AS _load_id
    FROM stg_payments WHERE hash(pay_transaction_id) % 10 <> 0""")
    con.execute("""
    INSERT INTO stg_waybills BY NAME
    SELECT d.logistics_code, d.logistics_no, d.order_no, d.ebp_code, 12.0 AS freight,
        d.gross_weight AS weight, 'plush toy' AS goods_info, o.consignee, o.consignee_norm,
        o.consignee_telephone, '+86' || o.consignee_telephone AS consignee_telephone_e164,
        o.consignee_address, o.consignee_address_key,
        d.decl_time - INTERVAL 2 HOUR AS ship_time, 'L1' AS _load_id
    FROM stg_declarations d JOIN stg_orders o USING (ebp_code, order_no)
    WHERE d.logistics_no = 'W' || substr(d.invt_no, 4)""")
    con.execute("""
    INSERT INTO stg_receipts BY NAME
    SELECT order_no, ebp_code, ebc_code, 'PAY2' AS pay_code, 'R' || order_no AS pay_no,
        goods_value + freight AS charge, currency, order_time + INTERVAL 1 DAY AS accounting_date,
        'L1' AS _load_id
    FROM stg_orders WHERE ie_flag = 'E'""")
    con.execute("""
    INSERT INTO stg_departures BY NAME
    SELECT logistics_code, logistics_no, decl_time + INTERVAL 1 DAY AS departure_time,
        'L1' AS _load_id
    FROM stg_declarations WHERE ie_flag = 'E' AND hash(invt_no) % 20 <> 0""")
    con.execute("DROP TABLE g; DROP TABLE gid")
    print(f"built {n:,} declarations in {time.perf_counter() - t0:.1f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--declarations", type=int, default=1_000_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--db", default=":memory:", help="DuckDB file (default in memory)")
    ap.add_argument("--memory-limit", default="4GB")
    args = ap.parse_args()
    con = duckdb.connect(args.db)
    con.execute(f"SET threads = {args.threads}; SET memory_limit = '{args.memory_limit}'")
    print(f"load average before: {Path('/proc/loadavg').read_text().split()[:3]}"
          if Path("/proc/loadavg").exists() else "", flush=True)
    build(con, args.declarations)
    t0, c0 = time.perf_counter(), time.process_time()
    summary = run_checks(con, "L1", progress=True)
    t_full, c_full = time.perf_counter() - t0, time.process_time() - c0
    # CPU seconds of this process (all its threads): with --threads 2 on an idle machine
    # the wall time is between cpu/2 and cpu; on a shared machine wall time overstates it.
    print(f"first run (all {args.declarations:,} lists): {t_full:.1f} s wall, "
          f"{c_full:.1f} s CPU")
    print(summary.to_string(index=False))
    t0, c0 = time.perf_counter(), time.process_time()
    run_checks(con, "L1")
    print(f"idempotent rerun: {time.perf_counter() - t0:.1f} s wall, "
          f"{time.process_time() - c0:.1f} s CPU")
    con.execute("UPDATE stg_declarations SET _load_id = 'L2', gross_weight = gross_weight + 0.01 "
                "WHERE hash(invt_no) % 100 = 0")
    t0, c0 = time.perf_counter(), time.process_time()
    s2 = run_checks(con, "L2")
    n2 = int(s2.iloc[0][["n_pass", "n_fail", "n_risk", "n_na"]].sum())
    print(f"incremental load touching 1% of lists: {n2:,} lists rechecked in "
          f"{time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} s CPU")
    n_rows = con.execute("SELECT count(*) FROM stg_check_results").fetchone()[0]
    print(f"stg_check_results rows: {n_rows:,}")
    if Path("/proc/loadavg").exists():
        print(f"load average after: {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
