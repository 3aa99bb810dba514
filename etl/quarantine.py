"""Quarantine: rejected rows, kept with their original values and the reasons, never dropped.

Per load and table: ``<workspace>/quarantine/<load_id>/<table>.csv`` holds the row as it was
read (its original columns; ``raw_line`` for a line that could not be split into fields)
plus ``source_file, source_row, field, reason``: one line per rejected row, every failing
field listed in ``field`` and its reason in ``reason`` (both ``; ``-separated, in the same
order). An original column named like one of these (``seizures.reason``) is written as
``<name>_value``. The same rows go to the staging table ``quarantine`` (values as JSON in
``row_json``), written in the transaction of the table's upsert.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from etl.readers import quote_ident

__all__ = ["collect", "write_csv", "store", "quarantine_path"]


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def quarantine_path(workspace: Path, load_id: str, table: str) -> Path:
    """Where the quarantine file of one table of one load lives."""
    return Path(workspace) / "quarantine" / load_id / f"{table}.csv"


def collect(con: duckdb.DuckDBPyConnection, raw: str, raw_columns: list[str], validated: str,
            rejects: str, out: str, key_fields: tuple[str, ...]) -> int:
    """Gather invalid rows and unreadable records into temp table ``out``; return the count.

    Parameters
    ----------
    raw : str
        The raw table (original columns as read, with lineage).
    raw_columns : list of str
        Its data columns, in file order.
    validated : str
        The validation table (``_reasons``, ``_ok``).
    rejects : str
        Records the reader could not split into fields.
    key_fields : tuple of str
        Primary-key fields, reported as the field of a ``duplicate key`` reason.
    """
    cols = "".join(f"r.{quote_ident(c)}, " for c in raw_columns)
    nulls = "".join(f"CAST(NULL AS VARCHAR) AS {quote_ident(c)}, " for c in raw_columns)
    obj = ", ".join(f"{_lit(c)}, r.{quote_ident(c)}" for c in raw_columns)
    row_json = f"json_object({obj})" if raw_columns else "'{}'"
    keyname = "+".join(key_fields)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        SELECT {cols}CAST(NULL AS VARCHAR) AS _q_raw_line,
               v._source_file AS _q_source_file, v._source_row AS _q_source_row,
               array_to_string(list_transform(v._reasons, lambda x:
                   CASE WHEN starts_with(x, 'duplicate key') THEN {_lit(keyname)}
                        ELSE split_part(x, ' ', 1) END), '; ') AS _q_field,
               array_to_string(v._reasons, '; ') AS _q_reason,
               CAST({row_json} AS VARCHAR) AS _q_row_json
        FROM {validated} v JOIN {raw} r USING (_source_file, _source_row)
        WHERE NOT v._ok
        UNION ALL BY NAME
        SELECT {nulls}raw_line AS _q_raw_line, _source_file AS _q_source_file,
               _source_row AS _q_source_row, '(row)' AS _q_field,
               'unreadable line: ' || reason AS _q_reason,
               json_object('raw_line', raw_line)::VARCHAR AS _q_row_json
        FROM {rejects}""")
    return con.execute(f"SELECT count(*) FROM {out}").fetchone()[0]


def write_csv(con: duckdb.DuckDBPyConnection, quarantined: str, path: Path,
              raw_columns: list[str]) -> None:
    """Write the quarantine CSV atomically (temp file, then rename); no rows, no file."""
    path = Path(path)
    n = con.execute(f"SELECT count(*) FROM {quarantined}").fetchone()[0]
    if n == 0:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    has_lines = con.execute(f"SELECT count(_q_raw_line) FROM {quarantined}").fetchone()[0] > 0
    meta = (["raw_line"] if has_lines else []) + ["source_file", "source_row", "field", "reason"]
    # an original column named like a quarantine column (seizures.reason) gets a suffix
    cols = [f"{quote_ident(c)} AS {quote_ident(c + '_value' if c in meta else c)}"
            for c in raw_columns]
    cols += [f"_q_{m} AS {m}" for m in meta]
    tmp = path.with_suffix(".csv.tmp")
    con.execute(f"COPY (SELECT {', '.join(cols)} FROM {quarantined} "
                f"ORDER BY _q_source_file, _q_source_row) TO {_lit(str(tmp))} "
                "(HEADER, DELIMITER ',')")
    os.replace(tmp, path)


def store(con: duckdb.DuckDBPyConnection, quarantined: str, load_id: str, table: str) -> None:
    """Replace this load's rows of ``table`` in the staging table ``quarantine``."""
    con.execute("DELETE FROM quarantine WHERE load_id = ? AND table_name = ?", [load_id, table])
    con.execute(f"INSERT INTO quarantine SELECT {_lit(load_id)}, {_lit(table)}, "
                f"_q_source_file, _q_source_row, _q_field, _q_reason, _q_row_json "
                f"FROM {quarantined}")
