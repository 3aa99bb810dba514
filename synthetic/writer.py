"""Write tables in the contract layout: registers as single files, messages by month.

``DIR/<table>.<ext>`` for registers, ``DIR/<table>/<YYYY-MM>.<ext>`` for messages, and
``DIR/ground_truth/`` apart. Parquet and JSON Lines keep numbers as numbers; CSV writes
text. Output is byte-identical for identical tables (no timestamps in files).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from etl.contract import load_contract

__all__ = ["write_table", "conform", "REGISTER_TABLES", "MESSAGE_TABLES"]

REGISTER_TABLES = ("enterprises", "persons", "addresses", "phones", "payment_accounts")
MESSAGE_TABLES = ("orders", "order_lines", "payments", "raw_payments", "receipts", "waybills",
                  "declarations", "declaration_lines", "departures", "inspections", "seizures")
_ARROW = {"integer": pa.int64(), "decimal": pa.float64()}


def conform(name: str, t: pa.Table) -> pa.Table:
    """Contract column order and types (numbers native, everything else text)."""
    spec = load_contract()[name]
    cols = []
    for fname, fld in spec.fields.items():
        typ = _ARROW.get(fld.type, pa.string())
        if fname not in t.column_names:
            raise KeyError(f"generator bug: table {name} lacks contract field {fname}")
        cols.append(t.column(fname).cast(typ))
    return pa.table(cols, names=list(spec.fields))


def write_table(t: pa.Table, path: Path, fmt: str) -> None:
    """Write ``t`` to ``path`` (extension added) in ``fmt``."""
    path = path.with_suffix("." + fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        pq.write_table(t, path, compression="snappy", write_statistics=False)
    elif fmt == "csv":
        pacsv.write_csv(t, path)
    elif fmt == "jsonl":
        with path.open("w", encoding="utf-8") as fh:
            for batch in t.to_batches(50_000):
                for row in batch.to_pylist():
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        raise ValueError(f"unknown format {fmt!r}: use parquet, csv or jsonl")
