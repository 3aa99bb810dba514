"""Tiny staging tables for tests: ``stg_*`` rows given inline, as ``etl/staging.py`` lays them.

Columns not given are NULL; ``_load_id`` defaults to the load passed in. Rows must carry the
normalised companions a test relies on (``telephone_e164``, ``id_number_norm``, ...), so
the tests state exactly what staging would have produced.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

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
        if not items:
            continue
        unknown = set().union(*items) - set(cols)
        if unknown:
            raise KeyError(f"{name} has no columns {sorted(unknown)}")
        names = sorted(set().union(*items))
        batch = pa.Table.from_pylist([{"_load_id": load_id, **{n: it.get(n) for n in names}}
                                      for it in items])
        con.register("_put_rows", batch)
        if pk:
            on = " AND ".join(f't."{k}" = r."{k}"' for k in pk)
            con.execute(f"DELETE FROM {name} t WHERE EXISTS (SELECT 1 FROM _put_rows r "
                        f"WHERE {on})")
        # a later row for the same key wins, as in staging
        order = f" QUALIFY row_number() OVER (PARTITION BY {', '.join(pk)} " \
                f"ORDER BY _i DESC) = 1" if pk else ""
        con.execute(f"INSERT INTO {name} BY NAME SELECT * EXCLUDE (_i) FROM "
                    f"(SELECT *, row_number() OVER () AS _i FROM _put_rows){order}")
        con.unregister("_put_rows")

