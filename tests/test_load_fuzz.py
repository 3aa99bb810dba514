"""Fuzz ``cbec load`` with damaged CSV, JSON Lines and Parquet files (hypothesis).

Each example writes a small declarations + declaration_lines extract, damages it (mixed
line ends, cut files, junk bytes and quotes, invalid UTF-8, duplicated lines, extreme and
non-numbers, a corrupted Parquet footer) and runs the real command in a fresh workspace.
It must end either with exit 0 and every row accounted for (rows in = rows staged + rows
quarantined, counted in the tables themselves), or with exit 1 and a one-line ``error:``;
never with a traceback. Two dozen examples with a deadline each keep it fast.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_real_extracts import decl, line
from typer.testing import CliRunner

from cbec_cli import app

TABLES = {
    "declarations": [decl("D1"), decl("D2", ie_flag="E", buyer_name="", buyer_id_number=""),
                     decl("D3", channel="postal", ebp_code="", ebc_code="", order_no="")],
    "declaration_lines": [line("D1", 1), line("D1", 2), line("D2", 1), line("D3", 1)],
}
ODD_VALUES = ["1.7e308", "1e19", "-1e400", "nan", "inf", "1e12", "", " ", "٣", "0x10",
              "2025-02-30", "9" * 40, '"', "a,b", "\u00e9\u4e2d", "NULL"]
JUNK = st.text(alphabet=st.sampled_from(list(',"\'\n\r\t{}[]\\;|xé中') + ["\x00"]),
               min_size=1, max_size=6)


@st.composite
def damaged_rows(draw, rows: list[dict]) -> list[dict]:
    """Rows with some values replaced by odd ones."""
    out = [dict(r) for r in rows]
    for _ in range(draw(st.integers(0, 4))):
        r = draw(st.integers(0, len(out) - 1))
        k = draw(st.sampled_from(sorted(out[r])))
        out[r][k] = draw(st.sampled_from(ODD_VALUES))
    return out


@st.composite
def damaged_text(draw, text: str) -> bytes:
    """Text with mixed line ends, junk inserted, lines duplicated, maybe cut short."""
    lines = text.splitlines()
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(i, lines[i])
    for _ in range(draw(st.integers(0, 3))):
        # the header now and then (a clear error), mostly the records (quarantine)
        first = 0 if draw(st.integers(0, 7)) == 0 else min(1, len(lines) - 1)
        i = draw(st.integers(first, len(lines) - 1))
        j = draw(st.integers(0, len(lines[i])))
        lines[i] = lines[i][:j] + draw(JUNK) + lines[i][j:]
    ends = draw(st.lists(st.sampled_from(["\n", "\r\n"]), min_size=len(lines),
                         max_size=len(lines)))
    data = "".join(ln + e for ln, e in zip(lines, ends, strict=True)).encode("utf-8")
    if draw(st.booleans()):
        data = data.replace(b"\xc3\xa9", b"\xff", 1)  # invalid UTF-8
    if draw(st.integers(0, 3)) == 0:
        data = data[:draw(st.integers(0, len(data)))]
    return data


def _csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


@st.composite
def extracts(draw) -> dict[str, tuple[str, bytes]]:
    """Per table: (format, file bytes)."""
    out = {}
    for table, rows in TABLES.items():
        fmt = draw(st.sampled_from(["csv", "jsonl", "parquet"]))
        rows = draw(damaged_rows(rows))
        if fmt == "csv":
            data = draw(damaged_text(_csv(rows)))
        elif fmt == "jsonl":
            data = draw(damaged_text("\n".join(json.dumps(r, ensure_ascii=False)
                                               for r in rows)))
        else:
            buf = io.BytesIO()
            pq.write_table(pa.Table.from_pylist(rows), buf)
            data = buf.getvalue()
            if draw(st.integers(0, 3)) == 0:  # a corrupted or cut file
                cut = draw(st.integers(0, len(data) - 1))
                data = data[:cut] + draw(st.binary(min_size=0, max_size=8))
        out[table] = (fmt, data)
    return out


def _accounted(ws: Path) -> None:
    """Rows in (reports) = rows staged + rows quarantined, counted in the tables."""
    con = duckdb.connect(str(ws / "staging.duckdb"), read_only=True)
    try:
        for table, rows_in in con.execute("SELECT table_name, sum(rows_in) FROM load_reports "
                                          "GROUP BY 1").fetchall():
            staged = con.execute(f"SELECT count(*) FROM stg_{table}").fetchone()[0]
            quarantined = con.execute("SELECT count(*) FROM quarantine WHERE table_name = ?",
                                      [table]).fetchone()[0]
            assert rows_in == staged + quarantined, (table, rows_in, staged, quarantined)
    finally:
        con.close()


@settings(max_examples=24, deadline=timedelta(seconds=40),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files=extracts())
def test_damaged_extracts_end_in_quarantine_or_a_clear_error(files):
    with tempfile.TemporaryDirectory(prefix="cbec-fuzz-") as tmp:
        src, ws = Path(tmp) / "in", Path(tmp) / "ws"
        src.mkdir()
        for table, (fmt, data) in files.items():
            (src / f"{table}.{fmt}").write_bytes(data)
        # --no-graph: the damage is met by reading, validation and the three-list checks;
        # projection and store only ever see validated staging (full loads of damaged
        # files: test_real_extracts.py)
        res = CliRunner().invoke(app, ["load", str(src), "-w", str(ws), "--no-graph"],
                                 env={"COLUMNS": "200"})
        assert "Traceback" not in res.output
        event(f"exit {res.exit_code}")
        if res.exit_code == 0:
            event("rows quarantined" if "rows quarantined" in res.output else "all rows clean")
            _accounted(ws)
        else:
            assert res.exit_code == 1 and isinstance(res.exception, SystemExit), (
                res.output, repr(res.exception))
            assert "error:" in res.output
