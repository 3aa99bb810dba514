"""Benchmark of the staging half of ``cbec load`` on a synthetic extract of N declarations.

    python bench/bench_staging.py generate N DIR   # orders, lines, payments, waybills, ...
    python bench/bench_staging.py run DIR WORKSPACE

The extract is made with DuckDB SQL (not the project's generator: this measures the
loader alone): per declaration one order, two order lines, one payment, one waybill, one
declaration and two declaration lines, in monthly Parquet files; N/2 persons; 2,000
enterprises. About 9 rows per declaration. ``run`` prints seconds and peak RSS.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import duckdb

MONTHS = 12


def generate(n: int, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    p = max(n // 2, 1)
    con.execute(f"""
        CREATE TABLE persons AS SELECT 'P' || i AS person_ref,
            ['Li Na', 'Wang Lei', 'Zhang Wei', 'Liu Yang', 'Chen Jing'][1 + i % 5] || ' ' || i
                AS name, '1' AS id_type,
            '1101051992030' || lpad((i % 100000)::VARCHAR, 5, '0') AS id_number,
            '138' || lpad(i::VARCHAR, 8, '0') AS telephone,
            'Rm ' || (i % 2000) || ', Bldg ' || (i % 50) || ', ' || (i % 300)
                || ' Jianguo Rd, Chaoyang District, Beijing' AS address,
            NULL AS email
        FROM range({p}) t(i)""")
    con.execute(f"COPY persons TO '{out}/persons.parquet'")
    con.execute("""COPY (SELECT 'E' || lpad(i::VARCHAR, 9, '0') AS enterprise_code,
            'Firm ' || i || ' Trading Co., Ltd.' AS enterprise_name, 'ebc' AS roles,
            'CN' AS country, '+86 579 8555 ' || lpad(i::VARCHAR, 4, '0') AS telephone
        FROM range(2000) t(i)) TO '""" + str(out) + "/enterprises.parquet'")
    base = f"""SELECT i, 'O' || i AS order_no, 'PLAT000001' AS ebp_code,
        'E' || lpad((i % 2000)::VARCHAR, 9, '0') AS ebc_code, i % {p} AS per,
        TIMESTAMP '2025-01-01' + to_minutes((i * 525600 // {n})::BIGINT) AS t,
        1 + (i * {MONTHS} // {n}) AS m FROM range({n}) r(i)"""
    con.execute(f"CREATE TABLE b AS {base}")
    tables = {
        "orders": """SELECT order_no, ebp_code, ebc_code, 'I' AS ie_flag,
            strftime(t, '%Y-%m-%dT%H:%M:%S') AS order_time, '100.00' AS goods_value,
            '10.00' AS freight, '0' AS discount, '9.10' AS tax_total, '119.10' AS actual_paid,
            'CNY' AS currency, p.name AS buyer_name, '1' AS buyer_id_type,
            p.id_number AS buyer_id_number, p.telephone AS buyer_telephone,
            p.name AS consignee, p.telephone AS consignee_telephone,
            p.address AS consignee_address, 'PAY0000001' AS pay_code,
            'T' || i AS pay_transaction_id, m""",
        "order_lines": """SELECT order_no, ebp_code, g AS gnum, 'plush toy ' || (i % 500)
            AS item_name, '9503008900' AS gcode, 'plush toy' AS gname,
            '0|0|无品牌|' || (i % 50) || 'cm' AS gmodel, '2' AS qty, '007' AS unit,
            '25' AS price, '50' AS total_price, 'CN' AS country, m""",
        "payments": """SELECT 'PAY0000001' AS pay_code, 'T' || i AS pay_transaction_id,
            order_no, ebp_code, '1' AS payer_id_type, p.id_number AS payer_id_number,
            p.name AS payer_name, p.telephone AS telephone, '119.10' AS amount_paid,
            'CNY' AS currency, strftime(t + INTERVAL 1 MINUTE, '%Y-%m-%dT%H:%M:%S')
            AS pay_time, m""",
        "waybills": """SELECT 'SFX0000001' AS logistics_code, 'SF' || i AS logistics_no,
            order_no, ebp_code, '1.20' AS weight, p.name AS consignee,
            p.telephone AS consignee_telephone, p.address AS consignee_address,
            strftime(t + INTERVAL 3 HOUR, '%Y-%m-%dT%H:%M:%S') AS ship_time, m""",
        "declarations": """SELECT 'D' || i AS invt_no, order_no, ebp_code, ebc_code,
            'SFX0000001' AS logistics_code, 'SF' || i AS logistics_no,
            'AGT0000001' AS agent_code, '2901' AS customs_code, '2991' AS port_code,
            'I' AS ie_flag, 'cbec' AS channel, '9610' AS trade_mode, 'United States' AS country,
            '1' AS buyer_id_type, p.id_number AS buyer_id_number, p.name AS buyer_name,
            p.telephone AS buyer_telephone, '1.20' AS gross_weight, '1.00' AS net_weight,
            'CNY' AS currency, strftime(t + INTERVAL 5 HOUR, '%Y-%m-%dT%H:%M:%S') AS decl_time,
            m""",
        "declaration_lines": """SELECT 'D' || i AS invt_no, g AS gnum, '9503008900' AS gcode,
            'plush toy' AS gname, '0|0|无品牌|' || (i % 50) || 'cm' AS gmodel, '2' AS qty,
            '007' AS unit, '25' AS price, '50' AS total_price, 'CN' AS country, m""",
    }
    for name, sel in tables.items():
        lines = name.endswith("_lines")
        frm = "FROM b JOIN (SELECT row_number() OVER () - 1 AS per, * FROM persons) p USING (per)"
        if lines:
            frm += ", range(1, 3) gg(g)"
        (out / name).mkdir(exist_ok=True)
        con.execute(f"COPY ({sel} {frm}) TO '{out}/{name}' "
                    "(FORMAT parquet, PARTITION_BY (m), OVERWRITE_OR_IGNORE)")
        for d in sorted((out / name).glob("m=*")):
            month = int(d.name[2:])
            for f in d.glob("*.parquet"):
                f.rename(out / name / f"2025-{month:02d}.parquet")
            d.rmdir()
    con.close()


def run(src: Path, ws: Path) -> None:
    from etl.load import stage

    t0 = time.perf_counter()
    res = stage(src, ws)
    secs = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    rows = sum(t.rows_in for t in res.tables)
    print(f"staged {rows:,} rows in {secs:.1f} s, peak RSS {rss:.2f} GiB")
    for t in res.tables:
        print(f"  {t.table:<18} {t.rows_in:>10,} rows {t.seconds:6.1f} s "
              f"(ins {t.inserted:,} upd {t.updated:,} unch {t.unchanged:,} q {t.quarantined:,})")


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(int(sys.argv[2]), Path(sys.argv[3]))
    else:
        run(Path(sys.argv[2]), Path(sys.argv[3]))
