"""Readers: every format, month folders, ragged CSV lines and broken JSON lines kept."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from etl.readers import discover, peek_columns, read_table


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


def test_discover_finds_files_and_folders_and_ignores_ground_truth(tmp_path):
    (tmp_path / "orders").mkdir()
    (tmp_path / "orders" / "2025-01.csv").write_text("a\n1\n")
    (tmp_path / "orders" / "2025-02.jsonl").write_text('{"a": 2}\n')
    (tmp_path / "persons.parquet").write_bytes(b"")
    (tmp_path / "ground_truth").mkdir()
    (tmp_path / "ground_truth" / "orders.csv").write_text("x\n")
    (tmp_path / "notes.txt").write_text("x")
    found = discover(tmp_path, ["orders", "persons", "waybills"])
    assert [f.rel for f in found["orders"]] == ["orders/2025-01.csv", "orders/2025-02.jsonl"]
    assert [f.rel for f in found["persons"]] == ["persons.parquet"]
    assert "waybills" not in found
    assert [f.rel for f in discover(tmp_path, ["orders"], fmt="jsonl")["orders"]] == \
        ["orders/2025-02.jsonl"]
    assert [f.rel for f in discover(tmp_path, ["orders"], patterns={"orders": "orders/*-01.*"})
            ["orders"]] == ["orders/2025-01.csv"]


def test_ragged_csv_lines_become_rejects_with_their_row(tmp_path, con):
    p = tmp_path / "orders.csv"
    p.write_text('a,b,c\n1,2,3\n4,5\n6,7,8,9\n"x\ny",1,2\n10,11,12\n13,"14,15\n')
    files = discover(tmp_path, ["orders"])["orders"]
    cols = read_table(con, files, "raw", "rej")
    assert cols == ["a", "b", "c"]
    good = con.sql("SELECT _source_row, a FROM raw ORDER BY _source_row").fetchall()
    assert good == [(1, "1"), (4, "x\ny"), (5, "10")]
    bad = con.sql("SELECT _source_row, reason FROM rej ORDER BY 1").fetchall()
    assert [r for r, _ in bad] == [2, 3, 6]
    assert "MISSING COLUMNS" in bad[0][1] and "TOO MANY COLUMNS" in bad[1][1]


def test_jsonl_bad_lines_and_union_of_columns_across_months(tmp_path, con):
    d = tmp_path / "orders"
    d.mkdir()
    (d / "2025-01.jsonl").write_text('{"a": "1", "b": 2.5}\n\nnot json\n[1]\n{"a": "3"}\n')
    (d / "2025-02.csv").write_text("a,c\n4,new\n")
    files = discover(tmp_path, ["orders"])["orders"]
    cols = read_table(con, files, "raw", "rej")
    assert set(cols) == {"a", "b", "c"}
    rows = con.sql("SELECT _source_file, _source_row, a, b, c FROM raw ORDER BY 1, 2").fetchall()
    assert rows == [("orders/2025-01.jsonl", 1, "1", "2.5", None),
                    ("orders/2025-01.jsonl", 5, "3", None, None),
                    ("orders/2025-02.csv", 1, "4", None, "new")]
    assert con.sql("SELECT _source_row FROM rej ORDER BY 1").fetchall() == [(3,), (4,)]


def test_parquet_native_types_become_text(tmp_path, con):
    pd.DataFrame({"n": [1.5, 2.0], "t": pd.to_datetime(["2025-06-11 09:30:12"] * 2),
                  "s": ["a", None]}).to_parquet(tmp_path / "orders.parquet")
    files = discover(tmp_path, ["orders"])["orders"]
    assert peek_columns(files[0]) == ["n", "t", "s"]
    read_table(con, files, "raw", "rej")
    assert con.sql("SELECT n, t, s, _source_row FROM raw ORDER BY _source_row").fetchall() == [
        ("1.5", "2025-06-11 09:30:12", "a", 1), ("2.0", "2025-06-11 09:30:12", None, 2)]
