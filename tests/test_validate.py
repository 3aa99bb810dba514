"""Validation rules in SQL: what rejects a row, with a reason a person understands."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from etl.contract import load_contract
from etl.validate import validate

TODAY = date(2026, 1, 1)


def _run(table: str, rows: list[dict]) -> list[tuple[bool, list[str]]]:
    """Validate ``rows`` (field -> text) of ``table``; return (ok, reasons) per row."""
    con = duckdb.connect()
    fields = list(load_contract()[table].fields)
    selects = []
    for i, r in enumerate(rows, 1):
        vals = ", ".join(("NULL" if r.get(f) is None else "'" + r[f].replace("'", "''") + "'")
                         + f"::VARCHAR AS {f}" for f in fields)
        selects.append(f"SELECT {vals}, 'f.csv' AS _source_file, {i} AS _source_row")
    validate(con, table, " UNION ALL ".join(selects), "_v", TODAY)
    out = con.sql("SELECT _ok, _reasons FROM _v ORDER BY _source_row").fetchall()
    con.close()
    return out


WAYBILL = dict(logistics_code="SFX", logistics_no="SF1", order_no="O1", weight="0.85",
               ship_time="2025-06-11T16:00:00", pack_no="1")


@pytest.mark.parametrize("change, fragment", [
    ({"weight": "-0.1"}, "weight '-0.1' is negative"),
    ({"weight": "heavy"}, "weight 'heavy' is not a number"),
    ({"weight": "NaN"}, "weight 'NaN' is not a number"),
    ({"pack_no": "1.5"}, "pack_no '1.5' is not a whole number"),
    ({"ship_time": "2025-13-45"}, "ship_time '2025-13-45' is not a date-time (expected"),
    ({"ship_time": "1999-12-31T23:00:00"}, "is implausible (before 2000-01-01)"),
    ({"ship_time": "2030-01-01T00:00:00"}, "is implausible (after 2027-01-02)"),
    ({"order_no": None}, "order_no is missing (required)"),
])
def test_defects_that_reject(change, fragment):
    [(ok, reasons)] = _run("waybills", [{**WAYBILL, **change}])
    assert not ok
    assert any(fragment in r for r in reasons), reasons


def test_good_row_and_accepted_variants():
    rows = [WAYBILL, {**WAYBILL, "logistics_no": "SF2", "ship_time": "2025-06-11 16:00:00",
                      "pack_no": "2.0", "weight": "1e-1"},
            {**WAYBILL, "logistics_no": "SF3", "ship_time": "2025-06-11T08:00:00Z"}]
    assert [ok for ok, _ in _run("waybills", rows)] == [True, True, True]


def test_offset_times_convert_to_china_time():
    con = duckdb.connect()
    validate(con, "waybills", "SELECT 'A' AS logistics_code, 'B' AS logistics_no, "
             "'O' AS order_no, '1' AS weight, '2025-06-11T08:00:00Z' AS ship_time, "
             "NULL AS ebp_code, NULL AS freight, NULL AS pack_no, NULL AS goods_info, "
             "NULL AS consignee, NULL AS consignee_telephone, NULL AS consignee_address, "
             "'f' AS _source_file, 1 AS _source_row", "_v", TODAY)
    assert str(con.execute('SELECT "t__ship_time" FROM _v').fetchone()[0]) == "2025-06-11 16:00:00"


def test_when_conditions_enums_and_all_reasons_listed():
    base = dict(order_no="O1", ebp_code="P", ebc_code="S", ie_flag="E",
                order_time="2025-06-11T09:30:12", goods_value="1", freight="0",
                actual_paid="1", currency="CNY")
    res = _run("orders", [base, {**base, "order_no": "O2", "ie_flag": "i"},
                          {**base, "order_no": "O3", "ie_flag": "X", "freight": "-1"}])
    assert res[0] == (True, [])
    assert not res[1][0] and "buyer_name is missing (required when ie_flag = I)" in res[1][1]
    assert res[2][1] == ["ie_flag 'X' is not one of I, E",
                         "freight '-1' is negative (amounts, weights and quantities must be >= 0)"]


def test_duplicate_keys_keep_the_first_valid_row():
    rows = [{**WAYBILL, "weight": "-1"}, WAYBILL, {**WAYBILL, "weight": "2"}]
    res = _run("waybills", rows)
    assert [ok for ok, _ in res] == [False, True, False]
    assert res[2][1][0].startswith("duplicate key (logistics_code, logistics_no) = (SFX, SF1)")
    assert "kept the row at f.csv row 2" in res[2][1][0]
