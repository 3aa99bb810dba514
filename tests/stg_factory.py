"""Tiny staging tables for tests: ``stg_*`` rows given inline, as ``etl/staging.py`` lays them.

Columns not given are NULL; ``_load_id`` defaults to the load passed in. Rows must carry the
normalised companions a test relies on (``telephone_e164``, ``id_number_norm``, ...), so
the tests state exactly what staging would have produced.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from etl.stg_columns import staging_columns


def put_staging(con: duckdb.DuckDBPyConnection, rows: dict[str, list[dict[str, Any]]],
                load_id: str = "L1") -> None:
    """Create (if missing) ``stg_<table>`` for each key of ``rows`` and insert its rows.

    A row whose primary key already exists replaces the earlier one, as staging does.
    """
    from etl.contract import load_contract

    contract = load_contract()
    for table, items in rows.items():
        cols = staging_columns(table)
        name = f"stg_{table}"
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ("
                    + ", ".join(f'"{c}" {t}' for c, t in cols.items()) + ")")
        pk = contract[table].primary_key if table in contract else ()
        if not items:
            continue
        unknown = set().union(*items) - set(cols)
        if unknown:
            raise KeyError(f"{name} has no columns {sorted(unknown)}")
        names = sorted(set().union(*items))
        batch = pa.Table.from_pylist([{"_load_id": load_id, **{n: it.get(n) for n in names}}
                                      for it in items])
        con.register("_put_rows", batch)
        if pk:
            on = " AND ".join(f't."{k}" = r."{k}"' for k in pk)
            con.execute(f"DELETE FROM {name} t WHERE EXISTS (SELECT 1 FROM _put_rows r "
                        f"WHERE {on})")
        # a later row for the same key wins, as in staging
        order = f" QUALIFY row_number() OVER (PARTITION BY {', '.join(pk)} " \
                f"ORDER BY _i DESC) = 1" if pk else ""
        con.execute(f"INSERT INTO {name} BY NAME SELECT * EXCLUDE (_i) FROM "
                    f"(SELECT *, row_number() OVER () AS _i FROM _put_rows){order}")
        con.unregister("_put_rows")


def small_world(n: int, seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """``n`` import orders, each with payment, waybill, declaration and lines, drawn so that
    phones, addresses, IDs and accounts are shared (a stand-in for ``cbec generate``)."""
    import random

    rnd = random.Random(seed)
    ids = [f"1101051990{i:04d}{rnd.randint(0, 9)}" for i in range(max(2, n // 4))]
    phones = [f"+86138{i:08d}" for i in range(max(2, n // 5))]
    w: dict[str, list[dict[str, Any]]] = {k: [] for k in (
        "orders", "payments", "waybills", "declarations", "declaration_lines",
        "check_results", "persons")}
    for i, pid in enumerate(ids):
        masked = i % 3 == 0
        idn = pid[:6] + "********" + pid[-4:] if masked else pid
        w["persons"].append(dict(person_ref=f"P{i}", name=f"Person {i}",
                                 name_norm=f"PERSON{i}", id_number_norm=idn,
                                 id_number_valid=None if masked else True,
                                 telephone_e164=rnd.choice(phones)))
    for i in range(n):
        pid, phone = rnd.choice(ids), rnd.choice(phones)
        addr = f"ak{rnd.randrange(max(2, n // 6))}"
        o, t, wb, d = f"O{i}", f"T{i}", f"W{i}", f"D{i}"
        w["orders"].append(dict(order_no=o, ebp_code="EBP1", ebc_code=f"EBC{i % 3}",
                                ie_flag="I", goods_value=100.0 + i, actual_paid=110.0 + i,
                                currency="CNY", buyer_name=f"Buyer {pid[-3:]}",
                                buyer_name_norm=f"BUYER{pid[-3:]}", buyer_id_number_norm=pid,
                                buyer_id_number_valid=True, consignee=f"Cons {i % 7}",
                                consignee_norm=f"CONS{i % 7}", consignee_telephone_e164=phone,
                                consignee_address_key=addr, consignee_address_norm=addr.upper(),
                                pay_code="PAY1", pay_transaction_id=t))
        w["payments"].append(dict(pay_code="PAY1", pay_transaction_id=t, order_no=o,
                                  ebp_code="EBP1", payer_name=f"Buyer {pid[-3:]}",
                                  payer_name_norm=f"BUYER{pid[-3:]}", payer_id_number_norm=pid,
                                  payer_id_number_valid=True, telephone_e164=phone,
                                  payer_account_no=f"ACC{rnd.randrange(max(2, n // 5))}",
                                  amount_paid=110.0 + i, currency="CNY"))
        w["waybills"].append(dict(logistics_code="LOG1", logistics_no=wb, order_no=o,
                                  weight=1.0, consignee=f"Cons {i % 7}",
                                  consignee_norm=f"CONS{i % 7}", consignee_telephone_e164=phone,
                                  consignee_address_key=addr))
        w["declarations"].append(dict(invt_no=d, order_no=o, ebp_code="EBP1",
                                      ebc_code=f"EBC{i % 3}", logistics_code="LOG1",
                                      logistics_no=wb, agent_code="AGT1", ie_flag="I",
                                      channel="cbec", country=rnd.choice(["US", "JP", "DE"]),
                                      currency="CNY", buyer_name_norm=f"BUYER{pid[-3:]}",
                                      buyer_id_number_norm=pid, buyer_id_number_valid=True))
        for g in range(1, rnd.randint(1, 3) + 1):
            w["declaration_lines"].append(dict(invt_no=d, gnum=g, gcode=f"95030{g}8900",
                                               gname="toy", qty=float(g), total_price=10.0 * g,
                                               brand_type=0, bar_code=f"69{rnd.randrange(9)}"))
        if rnd.random() < 0.3:
            w["check_results"].append(dict(invt_no=d, check_id="TL-08", status="fail",
                                           severity="B"))
    return w
