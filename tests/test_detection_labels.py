"""graph/detection/labels.py: the month split and inspection labels, with no look-ahead."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from graph.detection.labels import month_split, next_month, training_labels


def _con():
    con = duckdb.connect()
    con.execute("CREATE TABLE stg_declarations (invt_no VARCHAR, decl_time TIMESTAMP)")
    con.execute("CREATE TABLE stg_inspections (inspection_id VARCHAR, invt_no VARCHAR, "
                "inspection_time TIMESTAMP, outcome VARCHAR)")
    decl = [("D1", datetime(2025, 1, 5)), ("D2", datetime(2025, 2, 5)),
            ("D3", datetime(2025, 3, 31, 23)), ("D4", datetime(2025, 4, 2)),
            ("D5", datetime(2025, 5, 2)), ("D6", datetime(2025, 6, 2)),
            ("D7", datetime(2025, 2, 9))]
    con.executemany("INSERT INTO stg_declarations VALUES (?, ?)", decl)
    ins = [("I1", "D1", datetime(2025, 1, 6), "seized"),
           ("I2", "D2", datetime(2025, 2, 6), "clean"),
           ("I3", "D3", datetime(2025, 4, 1, 10), "seized"),  # outcome known after the end
           ("I4", "D4", datetime(2025, 4, 3), "seized"),  # declared after the end
           ("I5", "D7", datetime(2025, 2, 10), "clean"),
           ("I6", "D7", datetime(2025, 2, 12), "amended")]  # last outcome wins
    con.executemany("INSERT INTO stg_inspections VALUES (?, ?, ?, ?)", ins)
    return con


def test_month_split_takes_last_two_for_test_and_one_for_validation():
    s = month_split(_con())
    assert s.train_months == ["2025-01", "2025-02", "2025-03"]
    assert s.valid_month == "2025-04" and s.test_months == ["2025-05", "2025-06"]
    assert s.train_end == datetime(2025, 4, 1) and s.test_end == datetime(2025, 7, 1)
    assert next_month("2025-12") == "2026-01"


def test_too_few_months_is_a_clear_error():
    con = _con()
    con.execute("DELETE FROM stg_declarations WHERE decl_time >= '2025-04-01'")
    with pytest.raises(ValueError, match="at least 4 months.*has 3"):
        month_split(con)


def test_training_labels_only_inspected_and_known_before_the_end():
    lab = training_labels(_con(), datetime(2025, 4, 1))
    assert dict(zip(lab.decl_key, lab.label, strict=True)) == {"D1": 1, "D2": 0, "D7": 1}
    assert set(lab.columns) >= {"decl_key", "label"}
    # D3's outcome becomes a label once the end is past its inspection
    later = training_labels(_con(), datetime(2025, 4, 2))
    assert dict(zip(later.decl_key, later.label, strict=True))["D3"] == 1
