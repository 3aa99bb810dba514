"""Mappings: a legacy layout loads with no code change; a bad mapping stops before writing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from etl.load import open_staging, stage
from etl.mapping import MappingError, load_mapping

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "mapping-example.yaml"

LEGACY = """OrderNumber;PlatformCode;SellerCode;Direction;OrderDate;GoodsAmount;ShippingFee;\
Rebate;TaxAmount;PaidAmount;BuyerName;BuyerIdCard;BuyerMobile;ReceiverName;ReceiverPhone;\
ReceiverAddress;PaymentFirm;PaymentRef;Remark
L1;3301960TMA;3301960A2K;import;11/06/2025 09:30;356.00;12.00;0;32.87;400.87;Li Na;\
110105199203074514;138 0013 8000;Li Na;13800138000;Rm 1203, Bldg 5, 18 Jianguo Rd;3120960PAY;T1;x
L2;3301960TMA;3301960A2K;EXPORT;30/06/2025 23:59:59;10;1;;;11;;;;;;;;;
L3;3301960TMA;3301960A2K;import;31/02/2025 10:00;10;1;;;11;Wang;110105199203074514;;W;1;A;P;T3;
"""


def test_example_mapping_is_valid():
    m = load_mapping(EXAMPLE)
    assert m.for_table("orders").values["ie_flag"]["import"] == "I"
    assert m.patterns["orders"] == "LEGACY_ORDERS_*.csv"


def test_legacy_layout_loads_end_to_end(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "LEGACY_ORDERS_202506.csv").write_text(LEGACY, encoding="utf-8")
    (src / "PARTNER_BUYERS.jsonl").write_text(
        '{"buyerRef": "B1", "fullName": "Li Na", "idCard": "110105199203074514", '
        '"mobile": "+86 138 0013 8000"}\n', encoding="utf-8")
    ws = tmp_path / "ws"
    res = stage(src, ws, EXAMPLE)
    by = {t.table: t for t in res.tables}
    assert (by["orders"].rows_in, by["orders"].inserted, by["orders"].quarantined) == (3, 2, 1)
    assert by["persons"].inserted == 1
    con = duckdb.connect(str(ws / "staging.duckdb"))
    rows = con.sql("SELECT order_no, ie_flag, order_time, currency, buyer_id_number_valid, "
                   "buyer_telephone_e164, buyer_id_type FROM stg_orders ORDER BY 1").fetchall()
    assert [r[:4] for r in rows] == [
        ("L1", "I", __import__("datetime").datetime(2025, 6, 11, 9, 30), "CNY"),
        ("L2", "E", __import__("datetime").datetime(2025, 6, 30, 23, 59, 59), "CNY")]
    assert rows[0][4:] == (True, "+8613800138000", "1")
    q = con.sql("SELECT source_row, reason FROM quarantine").fetchall()
    assert q[0][0] == 3 and "order_time '31/02/2025 10:00' is not a date-time" in q[0][1]
    con.close()


def test_unmapped_required_field_stops_before_anything_is_written(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "orders.csv").write_text("OrderNumber,ebp_code\nX,Y\n")
    ws = tmp_path / "ws"
    with pytest.raises(MappingError) as err:
        stage(src, ws)
    msg = str(err.value)
    assert "orders.csv" in msg and "table orders" in msg and "order_no" in msg
    assert "OrderNumber, ebp_code" in msg  # the columns the file does have
    assert not (ws / "staging.duckdb").exists()


@pytest.mark.parametrize("text, fragment", [
    ("tables: {shipments: {}}", "no such contract table"),
    ("tables: {orders: {columns: {order_nr: X}}}", "'order_nr' is not a field of orders"),
    ("tables: {orders: {date_formats: {freight: '%d'}}}", "not a date or datetime"),
    ("tables: {orders: {colums: {}}}", "unknown key"),
    ("just text", "top-level 'tables:'"),
])
def test_bad_mappings_name_the_problem(tmp_path, text, fragment):
    p = tmp_path / "m.yaml"
    p.write_text(text)
    with pytest.raises(MappingError, match=fragment.replace("(", r"\(")):
        load_mapping(p)


def test_open_staging_creates_every_contract_table_empty(tmp_path):
    con = open_staging(tmp_path)
    names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    con.close()
    assert {"stg_orders", "stg_seizures", "loads", "load_reports", "quarantine"} <= names
