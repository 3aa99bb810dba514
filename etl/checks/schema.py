"""The ``stg_*`` columns the checks rely on, derived from the contract and docs/staging.md.

Used to verify staging before the checks run (a clear error instead of a SQL binder error),
to stand in empty tables for optional extracts that were never delivered (e.g. no raw
payment records), and by tests and benchmarks to build tiny staging tables.
"""

from __future__ import annotations

import duckdb

from etl.contract import Field, load_contract

__all__ = ["staging_columns", "ensure_staging", "CHECKED_TABLES", "RESULTS_DDL"]

#: The staging tables the three-list checks read.
CHECKED_TABLES = ("declarations", "declaration_lines", "orders", "order_lines", "payments",
                  "raw_payments", "waybills", "receipts", "departures", "enterprises")

_SQL_TYPES = {"decimal": "DOUBLE", "integer": "BIGINT", "date": "DATE", "datetime": "TIMESTAMP"}
_NAME_FIELDS = {"name", "consignee", "enterprise_name", "legal_rep_name", "holder_name",
                "payee_name"}

# Staged columns the checks never read: their absence is not an error.
_OPTIONAL = {"_source_file", "_source_row", "brand_type", "export_pref", "brand"}

RESULTS_DDL = """
CREATE TABLE IF NOT EXISTS stg_check_results (
    invt_no VARCHAR NOT NULL, check_id VARCHAR NOT NULL, status VARCHAR NOT NULL,
    severity VARCHAR NOT NULL, observed VARCHAR, expected VARCHAR, delta DOUBLE,
    explanation VARCHAR NOT NULL, _load_id VARCHAR,
    PRIMARY KEY (invt_no, check_id))
"""


def _companions(f: Field) -> list[tuple[str, str]]:
    """Normalised companion columns of a contract field, as docs/staging.md names them."""
    n = f.name
    if n == "telephone" or n.endswith("_telephone"):
        return [(f"{n}_e164", "VARCHAR")]
    if n == "address" or n.endswith("_address"):
        return [(f"{n}_norm", "VARCHAR"), (f"{n}_key", "VARCHAR")]
    if n in _NAME_FIELDS or n.endswith("_name"):
        return [(f"{n}_norm", "VARCHAR")]
    if n == "id_number" or n.endswith("_id_number"):
        return [(f"{n}_norm", "VARCHAR"), (f"{n}_valid", "BOOLEAN")]
    if n == "gmodel":
        return [("brand_type", "INTEGER"), ("export_pref", "VARCHAR"), ("brand", "VARCHAR")]
    if n == "country" or n.endswith("_country"):
        return [(f"{n}_raw", "VARCHAR")]
    return []


def staging_columns(table: str) -> list[tuple[str, str]]:
    """``[(column, duckdb_type)]`` of ``stg_<table>``: contract fields, companions, lineage.

    Examples
    --------
    >>> cols = dict(staging_columns("payments"))
    >>> cols["amount_paid"], cols["payer_id_number_valid"], cols["_load_id"]
    ('DOUBLE', 'BOOLEAN', 'VARCHAR')
    """
    cols: list[tuple[str, str]] = []
    for f in load_contract()[table].fields.values():
        cols.append((f.name, _SQL_TYPES.get(f.type, "VARCHAR")))
        cols += _companions(f)
    return cols + [("_load_id", "VARCHAR"), ("_source_file", "VARCHAR"),
                   ("_source_row", "BIGINT")]


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
        missing = [c for c, _ in cols if c not in existing[name] and c not in _OPTIONAL
                   and not c.endswith("_raw")]
        if missing:
            problems.append(f"{name} lacks {', '.join(missing)}")
    if problems:
        raise ValueError("staging tables do not follow docs/staging.md: " + "; ".join(problems)
                         + ". Fix the staging step, then rerun the checks.")
    return stood_in
