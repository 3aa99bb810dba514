"""Staging: canonical tables, normalised companions, idempotent upserts, deltas, quarantine."""

from __future__ import annotations

import csv
from datetime import date

import duckdb
import pytest
from loader_world import BAD_ID, EXPECTED_QUARANTINE, write_world

from etl.contract import load_contract
from etl.load import stage
from etl.quarantine import quarantine_path

TODAY = date(2026, 1, 1)


def _stg(ws) -> dict[str, list[tuple]]:
    """Every stg_* table's rows, sorted: the staging state to compare."""
    con = duckdb.connect(str(ws / "staging.duckdb"), read_only=True)
    out = {t: con.execute(f"SELECT * FROM stg_{t} ORDER BY ALL").fetchall()
           for t in load_contract()}
    con.close()
    return out


def _q(ws, sql, params=()):
    con = duckdb.connect(str(ws / "staging.duckdb"), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


@pytest.fixture
def world(tmp_path):
    return write_world(tmp_path / "in")


def test_first_load_counts_and_companions(world, tmp_path):
    ws = tmp_path / "ws"
    res = stage(world, ws, today=TODAY)
    by = {t.table: t for t in res.tables}
    assert (by["orders"].rows_in, by["orders"].inserted, by["orders"].quarantined) == (8, 4, 4)
    assert (by["enterprises"].inserted, by["enterprises"].quarantined) == (3, 1)
    persons = _q(ws, "SELECT person_ref, name_norm, id_number_valid, telephone_e164, "
                 "address_key FROM stg_persons ORDER BY 1")
    assert [p[1] for p in persons] == ["LINA", "LINA", "WANGLEI"]
    assert [p[2] for p in persons] == [True, False, None]        # valid, bad checksum, masked
    assert persons[0][3] == persons[1][3] == "+8613800138000"
    assert persons[0][4] == persons[1][4] and len(persons[0][4]) == 16  # same address key
    # the SQL macro and the Python rule agree
    assert _q(ws, "SELECT address_key(address_norm) = address_key FROM stg_persons "
              "WHERE address_norm IS NOT NULL") == [(True,), (True,)]
    # a broken buyer ID on an order is kept (evidence for TL-07), flagged invalid
    assert _q(ws, "SELECT buyer_id_number_valid FROM stg_orders WHERE buyer_id_number = ?",
              [BAD_ID]) == [(False,)]
    ent = _q(ws, "SELECT enterprise_code, country, country_raw, status, roles, "
             "enterprise_name_norm FROM stg_enterprises ORDER BY 1")
    assert ent[0][:5] == ("3105960SFX", "CN", "CN", None, "logistics")
    assert ent[1][1:4] == ("CN", "China", "active")
    lines = _q(ws, "SELECT gnum, brand_type, export_pref, brand, country, country_raw "
               "FROM stg_declaration_lines ORDER BY gnum")
    assert lines == [(1, 1, "0", "POP MART", "CN", "CN"), (2, 0, "0", None, "DE", "Germany")]
    assert _q(ws, "SELECT count(*) FROM stg_waybills") == [(0,)]  # absent input: empty table


def test_quarantine_file_lists_every_rejected_row_with_reason(world, tmp_path):
    ws = tmp_path / "ws"
    res = stage(world, ws, today=TODAY)
    found = {}
    for table in ("enterprises", "orders", "declaration_lines"):
        with open(quarantine_path(ws, res.load_id, table), encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                assert r["field"] and r["reason"]
                found[(r["source_file"].rsplit(".", 1)[0], int(r["source_row"]))] = r["reason"]
    assert set(found) == set(EXPECTED_QUARANTINE)
    for k, fragment in EXPECTED_QUARANTINE.items():
        assert fragment in found[k]
    assert _q(ws, "SELECT count(*) FROM quarantine WHERE load_id = ?", [res.load_id]) == [(6,)]


def test_reload_changes_nothing_and_later_month_adds(tmp_path):
    src = write_world(tmp_path / "in", months=("2025-06",))
    ws = tmp_path / "ws"
    first = stage(src, ws, today=TODAY)
    before = _stg(ws)
    again = stage(src, ws, today=TODAY)
    assert again.load_id == first.load_id and again.run == first.run + 1
    assert sum(t.inserted + t.updated for t in again.tables) == 0
    assert _stg(ws) == before
    write_world(src, months=("2025-07",))           # the next month arrives
    later = stage(src, ws, today=TODAY)
    orders = {t.table: t for t in later.tables}["orders"]
    assert (orders.inserted, orders.updated, orders.unchanged) == (1, 0, 3)
    assert _q(ws, "SELECT count(*) FROM stg_orders") == [(4,)]
    rows = _q(ws, "SELECT DISTINCT _load_id FROM stg_orders WHERE order_no = 'O6'")
    assert rows == [(later.load_id,)] and later.load_id != first.load_id


def test_changed_row_is_an_update(tmp_path):
    src = write_world(tmp_path / "in", months=("2025-06",))
    ws = tmp_path / "ws"
    stage(src, ws, today=TODAY)
    p = src / "persons.csv"
    p.write_text(p.read_text(encoding="utf-8").replace("Wang Lei", "Wang Lei Jr"),
                 encoding="utf-8")
    res = stage(src, ws, today=TODAY)
    persons = {t.table: t for t in res.tables}["persons"]
    assert (persons.inserted, persons.updated, persons.unchanged) == (0, 1, 2)
    assert _q(ws, "SELECT name, name_norm, _load_id FROM stg_persons WHERE person_ref='P3'") \
        == [("Wang Lei Jr", "WANGLEIJR", res.load_id)]
    assert _q(ws, "SELECT count(*) FROM stg_persons") == [(3,)]


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_formats_give_the_same_staging(tmp_path, fmt):
    a, b = tmp_path / "a", tmp_path / "b"
    stage(write_world(tmp_path / "csv", "csv"), a, today=TODAY)
    stage(write_world(tmp_path / fmt, fmt), b, today=TODAY)
    drop_lineage = {t: [r[:-3] for r in rows] for t, rows in _stg(a).items()}
    assert drop_lineage == {t: [r[:-3] for r in rows] for t, rows in _stg(b).items()}
    ra = _q(a, "SELECT table_name, rows_in, quarantined FROM load_reports ORDER BY ALL")
    rb = _q(b, "SELECT table_name, rows_in, quarantined FROM load_reports ORDER BY ALL")
    assert ra == rb
