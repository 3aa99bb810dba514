"""The ``stg_*`` columns the checks rely on, derived from the contract and docs/staging.md.

Used to verify staging before the checks run (a clear error instead of a SQL binder error),
to stand in empty tables for optional extracts that were never delivered (e.g. no raw
payment records), and by tests and benchmarks to build tiny staging tables.
"""

from __future__ import annotations

import duckdb

from etl.stg_columns import staging_columns as _columns

__all__ = ["staging_columns", "ensure_staging", "ensure_results", "drop_stand_ins",
           "CHECKED_TABLES", "RESULTS_DDL"]

#: The staging tables the three-list checks read.
CHECKED_TABLES = ("declarations", "declaration_lines", "orders", "order_lines", "payments",
                  "raw_payments", "waybills", "receipts", "departures", "enterprises")

# Staged columns the checks never read: their absence is not an error (`brand` is read by
# the product references of TL-15 and TL-22).
_OPTIONAL = {"_source_file", "_source_row", "brand_type", "export_pref", "country_raw"}

RESULTS_DDL = """
CREATE TABLE IF NOT EXISTS stg_check_results (
    invt_no VARCHAR NOT NULL, check_id VARCHAR NOT NULL, status VARCHAR NOT NULL,
    severity VARCHAR NOT NULL, observed VARCHAR, expected VARCHAR, delta DOUBLE,
    explanation VARCHAR NOT NULL, _load_id VARCHAR)
"""


def staging_columns(table: str) -> list[tuple[str, str]]:
    """``[(column, duckdb_type)]`` of ``stg_<table>`` (the convention of etl.stg_columns).

    Examples
    --------
    >>> cols = dict(staging_columns("payments"))
    >>> cols["amount_paid"], cols["payer_id_number_valid"], cols["_load_id"]
    ('DOUBLE', 'BOOLEAN', 'VARCHAR')
    """
    return list(_columns(table).items())


def _existing(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                       "WHERE table_name LIKE 'stg_%'").fetchall()
    out: dict[str, set[str]] = {}
    for t, c in rows:
        out.setdefault(t, set()).add(c)
    return out


def ensure_staging(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Check the staging tables the checks read; create empty TEMP stand-ins for absent ones.

    Returns the names of the tables stood in for. Raises ``ValueError`` naming every
    missing column of a table that exists (a staging bug, not a data problem).
    """
    existing = _existing(con)
    if "stg_declarations" not in existing:
        raise ValueError("staging has no stg_declarations table: run the staging step "
                         "(cbec load) before the three-list checks")
    stood_in, problems = [], []
    for table in CHECKED_TABLES:
        name, cols = f"stg_{table}", staging_columns(table)
        if name not in existing:
            ddl = ", ".join(f'"{c}" {t}' for c, t in cols)
            con.execute(f"CREATE TEMP TABLE {name} ({ddl})")
            stood_in.append(name)
            continue
        missing = [c for c, _ in cols if c not in existing[name] and c not in _OPTIONAL]
        if missing:
            problems.append(f"{name} lacks {', '.join(missing)}")
    if problems:
        raise ValueError("staging tables do not follow docs/staging.md: " + "; ".join(problems)
                         + ". Fix the staging step, then rerun the checks.")
    return stood_in


def ensure_results(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``stg_check_results`` (key (invt_no, check_id), kept by the runner).

    An empty TEMP stand-in (which other steps create when results are absent) would shadow
    the real table, so it is dropped first.
    """
    temp = con.execute("SELECT estimated_size FROM duckdb_tables() WHERE temporary "
                       "AND table_name = 'stg_check_results'").fetchall()
    if temp:
        if con.execute("SELECT count(*) FROM temp.stg_check_results").fetchone()[0]:
            raise ValueError("a TEMP table stg_check_results with rows shadows the staging "
                             "results; drop it before running the three-list checks")
        con.execute("DROP TABLE temp.stg_check_results")
    con.execute(RESULTS_DDL)


def drop_stand_ins(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    """Drop the TEMP stand-ins :func:`ensure_staging` created, so none shadows a later table."""
    for name in names:
        con.execute(f"DROP TABLE IF EXISTS temp.{name}")
