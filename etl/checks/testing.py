"""Tiny staging worlds for tests and benchmarks of the three-list checks.

:func:`create_staging` builds every ``stg_*`` table the checks read, with the columns of
docs/staging.md, and inserts plain rows, deriving the normalised companions naively
(lower-cased names, digits-only phones with +86, hashed addresses). It stands in for the
staging step in unit tests; it is not the staging step.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import duckdb

from etl.checks.schema import CHECKED_TABLES, staging_columns

__all__ = ["create_staging", "insert_rows", "good_import", "good_export", "merge"]


def _norm(v: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", v.lower()).split())


def _companion(col: str, row: dict[str, Any]) -> Any:
    """Value of a companion column derived from its raw field in ``row`` (None if absent)."""
    for suffix in ("_e164", "_norm", "_key", "_valid"):
        if col.endswith(suffix):
            raw = row.get(col[: -len(suffix)])
            break
    else:
        return None
    if raw is None:
        return None
    if suffix == "_e164":
        digits = re.sub(r"\D", "", str(raw))
        return "+86" + digits[-11:] if len(digits) >= 11 else None
    if suffix == "_key":
        return hashlib.sha1(_norm(raw).encode()).hexdigest()[:16]
    if suffix == "_valid":
        return None  # TL-07 computes its own verdict; None = "staging had no opinion"
    if col.endswith("id_number_norm"):  # a hash is kept as given
        return raw if str(raw).startswith("sha256:") else str(raw).upper().replace(" ", "")
    return _norm(str(raw))


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]],
                load_id: str = "L1") -> None:
    """Insert ``rows`` (contract field names) into ``stg_<table>`` with derived companions."""
    cols = staging_columns(table)
    names = [c for c, _ in cols]
    fields = {c for c, _ in cols}
    for row in rows:
        unknown = set(row) - fields
        if unknown:
            raise KeyError(f"stg_{table} has no column(s) {sorted(unknown)}")
        values = []
        for c in names:
            if c in row:
                values.append(row[c])
            elif c == "_load_id":
                values.append(load_id)
            else:
                values.append(_companion(c, row))
        con.execute(f"INSERT OR REPLACE INTO stg_{table} VALUES ({', '.join('?' * len(names))})",
                    values)


def create_staging(con: duckdb.DuckDBPyConnection,
                   rows: dict[str, list[dict[str, Any]]] | None = None,
                   load_id: str = "L1") -> None:
    """Create the (empty) ``stg_*`` tables the checks read, then insert ``rows`` per table."""
    from etl.contract import load_contract

    contract = load_contract()
    for table in CHECKED_TABLES:
        cols = ", ".join(f'"{c}" {t}' for c, t in staging_columns(table))
        pk = ", ".join(contract[table].primary_key)
        con.execute(f"CREATE TABLE IF NOT EXISTS stg_{table} ({cols}, PRIMARY KEY ({pk}))")
    for table, rs in (rows or {}).items():
        insert_rows(con, table, rs, load_id)


def good_import(n: str = "1", buyer_id: str = "11010519491231002X",
                decl_time: str = "2025-06-11 18:20:00", value: float = 178.0) -> dict:
    """One consistent import declaration with its order, payment, raw payment and waybill.

    Every check passes on it. ``n`` makes the keys unique; ``value`` is the goods value
    (one line, qty 2); freight 12, tax 0, discount 0.
    """
    order, tx, lno, invt = f"TB{n}", f"TX{n}", f"SF{n}", f"INV{n}"
    price = value / 2
    common = dict(order_no=order, ebp_code="EBP1")
    line = dict(gnum=1, item_name="Plush toy 20cm", gcode="9503008900", gname="plush toy",
                gmodel="0|0|plush|20cm|", qty=2.0, unit="007", price=price, total_price=value,
                currency="CNY", country="JP")
    paid = value + 12.0
    return {
        "orders": [dict(common, ebc_code="EBC1", ie_flag="I", order_time="2025-06-11 09:30:12",
                        goods_value=value, freight=12.0, discount=0.0, tax_total=0.0,
                        actual_paid=paid, currency="CNY", buyer_name="Li Na",
                        buyer_id_number=buyer_id, buyer_telephone="13800138000",
                        consignee="Li Na", consignee_telephone="138-0013-8000",
                        consignee_address="Rm 1203, 18 Jianguo Rd, Beijing", pay_code="PAY1",
                        pay_transaction_id=tx)],
        "order_lines": [dict(common, **line)],
        "payments": [dict(common, pay_code="PAY1", pay_transaction_id=tx,
                          payer_id_number=buyer_id, payer_name="Li Na",
                          payer_account_no=f"ACC{n}", amount_paid=paid, currency="CNY",
                          pay_time="2025-06-11 09:31:02")],
        "raw_payments": [dict(pay_code="PAY1", pay_transaction_id=tx, order_no=order,
                              total_amount=paid, currency="CNY", payee_name="Starlight Trading",
                              goods_name="Plush toy 20cm", trading_time="2025-06-11 09:31:02")],
        "waybills": [dict(logistics_code="SFX", logistics_no=lno, order_no=order, ebp_code="EBP1",
                          freight=12.0, weight=0.85, goods_info="plush toy x2", consignee="Li Na",
                          consignee_telephone="+86 138 0013 8000",
                          consignee_address="Rm 1203, 18 Jianguo Rd, Beijing",
                          ship_time="2025-06-11 16:00:00")],
        "declarations": [dict(invt_no=invt, order_no=order, ebp_code="EBP1", ebc_code="EBC1",
                              logistics_code="SFX", logistics_no=lno, agent_code="AGT1",
                              customs_code="2901", port_code="2991", ie_flag="I", channel="cbec",
                              trade_mode="1210", country="JP", buyer_id_type="1",
                              buyer_id_number=buyer_id, buyer_name="Li Na", gross_weight=0.85,
                              net_weight=0.70, freight=12.0, currency="CNY",
                              decl_time=decl_time)],
        "declaration_lines": [dict(invt_no=invt, **{k: v for k, v in line.items()})],
        "enterprises": [dict(enterprise_code="EBC1", enterprise_name="Starlight Trading",
                             roles="ebc", country="CN")],
    }


def good_export(n: str = "1", decl_time: str = "2025-06-11 18:20:00") -> dict:
    """One consistent export list with order, receipt, waybill and departure."""
    order, lno, invt = f"AE{n}", f"DH{n}", f"EXP{n}"
    common = dict(order_no=order, ebp_code="EBP2")
    line = dict(gnum=1, item_name="Vinyl figure", gcode="9503002100", gname="vinyl figure",
                gmodel="1|0|POP MART|LABUBU|", qty=10.0, unit="007", price=50.0,
                total_price=500.0, currency="USD", country="CN")
    return {
        "orders": [dict(common, ebc_code="EBC2", ie_flag="E", order_time="2025-06-10 08:00:00",
                        goods_value=500.0, freight=40.0, actual_paid=540.0, currency="USD")],
        "order_lines": [dict(common, **line)],
        "receipts": [dict(common, ebc_code="EBC2", pay_code="PAY2", pay_no=f"R{n}", charge=540.0,
                          currency="USD", accounting_date="2025-06-12 10:00:00")],
        "waybills": [dict(logistics_code="DHL", logistics_no=lno, order_no=order, weight=3.2,
                          ship_time="2025-06-11 12:00:00")],
        "declarations": [dict(invt_no=invt, order_no=order, ebp_code="EBP2", ebc_code="EBC2",
                              logistics_code="DHL", logistics_no=lno, agent_code="AGT2",
                              customs_code="5301", port_code="5301", ie_flag="E",
                              channel="express", trade_mode="9610", country="US",
                              gross_weight=3.2, net_weight=3.0, currency="USD",
                              decl_time=decl_time)],
        "declaration_lines": [dict(invt_no=invt, **line)],
        "departures": [dict(logistics_code="DHL", logistics_no=lno,
                            departure_time="2025-06-13 02:15:00")],
    }


def merge(*worlds: dict) -> dict:
    """Hand-made staging worlds (``{table: rows}``) as one, rows in the order given."""
    out: dict[str, list] = {}
    for w in worlds:
        for table, rows in w.items():
            out.setdefault(table, []).extend(rows)
    return out
