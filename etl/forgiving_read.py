"""Reading damaged extracts: what :mod:`etl.readers` falls back on where DuckDB gives up.

DuckDB's CSV reader fixes one line ending per file and stops on a CSV whose appended rows
end in CRLF while the rest end in LF, and on some other damage (stray carriage returns,
NUL bytes). Here such files are read record by record (Python's ``csv`` module; JSON Lines
split by Python) so that only the bad records are lost, each as a reject with its row,
or, for mixed line ends only, read by DuckDB from an LF copy (same records, same numbers).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

__all__ = ["ordered", "mixed_line_endings", "lf_copy", "csv_records", "load_csv_python",
           "lines_python"]


@contextmanager
def ordered(con: duckdb.DuckDBPyConnection):
    """Keep file order while materialising, so ``rowid`` + 1 is the record number."""
    before = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {str(bool(before)).lower()}")


def mixed_line_endings(path: Path) -> bool:
    """Whether a file has both CRLF and bare LF line ends (rows appended on another system).

    DuckDB's CSV reader fixes one line ending per file and stops on the other.
    """
    crlf = lf = 0
    prev = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            n_lf = chunk.count(b"\n")
            n_crlf = chunk.count(b"\r\n") + (prev == b"\r" and chunk[:1] == b"\n")
            crlf, lf = crlf + n_crlf, lf + n_lf - n_crlf
            if crlf and lf:
                return True
            prev = chunk[-1:]
    return False


def lf_copy(path: Path) -> Path:
    """A temporary copy of ``path`` with every CRLF turned into LF (same records, same
    numbering; a CRLF inside a quoted value becomes LF)."""
    import os
    import tempfile

    fd, name = tempfile.mkstemp(suffix=".csv", prefix="cbec_lf_")
    with os.fdopen(fd, "wb") as out, open(path, "rb") as fh:
        prev = b""
        while chunk := fh.read(1 << 22):
            data = prev + chunk
            prev = b"\r" if data.endswith(b"\r") else b""
            out.write(data[:len(data) - len(prev)].replace(b"\r\n", b"\n"))
        out.write(prev)
    return Path(name)


def csv_records(path: Path, options: dict, header: list[str]):
    """``(rows, rejects)`` of a CSV read by Python's csv module: rows as lists of the
    header's width plus the record number, rejects as ``(row, reason, raw)``."""
    import csv

    delim = options.get("delimiter", ",")
    rows: list[list] = []
    rejects: list[tuple] = []
    with open(path, encoding=options.get("encoding", "utf-8"), errors="surrogateescape",
              newline="") as fh:
        reader = csv.reader(fh, delimiter=delim, strict=True)
        try:
            next(reader)
        except (StopIteration, csv.Error):
            return rows, rejects
        n = 0
        while True:
            try:
                rec = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                n += 1
                rejects.append((n, f"UNREADABLE RECORD: {exc}", None))
                continue
            if not rec:
                continue  # a blank line is no record
            n += 1
            raw = delim.join(rec)
            if any("\udc80" <= ch <= "\udcff" for ch in raw):
                rejects.append((n, "INVALID UNICODE: not UTF-8 text",
                                raw.encode("utf-8", "surrogateescape").decode("utf-8",
                                                                               "replace")))
            elif len(rec) != len(header):
                kind = "MISSING COLUMNS" if len(rec) < len(header) else "TOO MANY COLUMNS"
                rejects.append((n, f"{kind}: expected {len(header)} fields, found {len(rec)}",
                                raw))
            else:
                rows.append(rec + [n])
    return rows, rejects


def load_csv_python(con: duckdb.DuckDBPyConnection, path: Path, options: dict,
                    header: list[str]) -> None:
    """The slow, forgiving CSV path: temp view ``_f`` (VARCHAR columns of ``header`` and
    ``_source_row``) and table ``_frej`` (unreadable records), as the DuckDB path makes
    them."""
    rows, rejects = csv_records(path, options, header)
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in range(len(header) + 1)]
    t = pa.table([pa.array(c, pa.string()) for c in cols[:-1]] + [pa.array(cols[-1], pa.int64())],
                 names=header + ["_source_row"])
    rej = pa.table({"_source_row": pa.array([r[0] for r in rejects], pa.int64()),
                    "reason": pa.array([r[1] for r in rejects], pa.string()),
                    "raw_line": pa.array([r[2] for r in rejects], pa.string())})
    con.register("_py_f", t)
    con.register("_py_rej", rej)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _f0 AS SELECT * FROM _py_f")
        con.execute("CREATE OR REPLACE TEMP TABLE _frej AS SELECT * FROM _py_rej")
    finally:
        con.unregister("_py_f")
        con.unregister("_py_rej")
    con.execute("CREATE OR REPLACE TEMP VIEW _f AS SELECT * FROM _f0")


def lines_python(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """JSON Lines split by Python where DuckDB's line reader gives up: ``_l(_line)`` and
    ``_rej`` (lines that are not UTF-8) as the DuckDB path makes them."""
    lines: list[str | None] = []
    bad: list[tuple[int, str]] = []
    with open(path, "rb") as fh:
        for i, raw in enumerate(fh.read().split(b"\n"), start=1):
            raw = raw.removesuffix(b"\r")
            try:
                lines.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                lines.append(None)
                bad.append((i, raw.decode("utf-8", "replace")))
    if lines and lines[-1] == "":
        lines.pop()  # the file's last newline ends a line, it starts none
    con.register("_py_l", pa.table({"_line": pa.array(lines, pa.string())}))
    con.register("_py_rej", pa.table({
        "line": pa.array([b[0] for b in bad], pa.int64()),
        "error_type": pa.array(["INVALID UNICODE"] * len(bad), pa.string()),
        "error_message": pa.array(["not UTF-8 text"] * len(bad), pa.string()),
        "csv_line": pa.array([b[1] for b in bad], pa.string())}))
    try:
        with ordered(con):
            con.execute("CREATE OR REPLACE TEMP TABLE _l AS SELECT coalesce(_line, '') AS _line "
                        "FROM _py_l")
        con.execute("CREATE OR REPLACE TEMP TABLE _rej AS SELECT * FROM _py_rej")
    finally:
        con.unregister("_py_l")
        con.unregister("_py_rej")
