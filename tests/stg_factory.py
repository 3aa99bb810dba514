"""Tiny staging tables for tests: ``stg_*`` rows given inline, as ``etl/staging.py`` lays them.

Columns not given are NULL; ``_load_id`` defaults to the load passed in. Rows must carry the
normalised companions a test relies on (``telephone_e164``, ``id_number_norm``, ...), so
the tests state exactly what staging would have produced.
"""

from __future__ import annotations

from typing import Any

import duckdb

from etl.stg_columns import staging_columns


def put_staging(con: duckdb.DuckDBPyConnection, rows: dict[str, list[dict[str, Any]]],
                load_id: str = "L1") -> None:
    """Create (if missing) ``stg_<table>`` for each key of ``rows`` and insert its rows.

    A row whose primary key already exists replaces the earlier one, as staging does.
    """
    from etl.contract import load_contract

    contract = load_contract()
    for table, items in rows.items():
        cols = staging_columns(table)
        name = f"stg_{table}"
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ("
                    + ", ".join(f'"{c}" {t}' for c, t in cols.items()) + ")")
        pk = contract[table].primary_key if table in contract else ()
        for item in items:
            unknown = set(item) - set(cols)
            if unknown:
                raise KeyError(f"{name} has no columns {sorted(unknown)}")
            row = {"_load_id": load_id, **item}
            if pk:
                con.execute(f"DELETE FROM {name} WHERE "
                            + " AND ".join(f'"{k}" = ?' for k in pk), [row[k] for k in pk])
            names = list(row)
            con.execute(f"INSERT INTO {name} ({', '.join(chr(34) + n + chr(34) for n in names)})"
                        f" VALUES ({', '.join('?' for _ in names)})", [row[n] for n in names])
