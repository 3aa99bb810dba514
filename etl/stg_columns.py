"""The columns of a canonical staging table ``stg_<table>``, derived from the contract.

``docs/staging.md`` fixes the naming convention (typed contract fields, normalised
companions such as ``<field>_e164`` or ``<field>_key``, lineage columns). The projection
reads staging through these names, so a table that a load did not bring (no inspections
this month, say) can be stood in for by an empty table of the right shape, and tests can
build tiny staging tables that match what ``etl/staging.py`` writes.

Examples
--------
>>> cols = staging_columns("persons")
>>> cols["telephone_e164"], cols["id_number_valid"], cols["_load_id"]
('VARCHAR', 'BOOLEAN', 'VARCHAR')
>>> staging_columns("declaration_lines")["brand_type"]
'INTEGER'
"""

from __future__ import annotations

import duckdb

from etl.contract import load_contract

__all__ = ["staging_columns", "ensure_staging_tables", "STG_EXTRA"]

_SQL_TYPES = {"decimal": "DOUBLE", "integer": "BIGINT", "date": "DATE", "datetime": "TIMESTAMP"}
_NAME_FIELDS = {"name", "consignee", "enterprise_name", "legal_rep_name", "holder_name",
                "payee_name"}

# Tables written by other ETL steps that the projection also reads.
STG_EXTRA: dict[str, dict[str, str]] = {
    "check_results": {
        "invt_no": "VARCHAR", "check_id": "VARCHAR", "status": "VARCHAR",
        "severity": "VARCHAR", "observed": "VARCHAR", "expected": "VARCHAR",
        "delta": "DOUBLE", "explanation": "VARCHAR", "_load_id": "VARCHAR",
    },
}


def _companions(field: str) -> dict[str, str]:
    """Normalised companion columns that staging adds next to ``field``."""
    if field == "telephone" or field.endswith("_telephone"):
        return {f"{field}_e164": "VARCHAR"}
    if field == "address" or field.endswith("_address"):
        return {f"{field}_norm": "VARCHAR", f"{field}_key": "VARCHAR"}
    if field in _NAME_FIELDS or field.endswith("_name"):
        return {f"{field}_norm": "VARCHAR"}
    if field == "id_number" or field.endswith("_id_number"):
        return {f"{field}_norm": "VARCHAR", f"{field}_valid": "BOOLEAN"}
    if field == "gmodel":
        return {"brand_type": "INTEGER", "export_pref": "VARCHAR", "brand": "VARCHAR"}
    if field == "country":
        return {"country_raw": "VARCHAR"}
    return {}


def staging_columns(table: str) -> dict[str, str]:
    """``{column: DuckDB type}`` of ``stg_<table>`` by the staging convention.

    ``table`` is a contract table name (``"orders"``) or one of :data:`STG_EXTRA`.
    """
    if table in STG_EXTRA:
        return dict(STG_EXTRA[table])
    spec = load_contract()[table]
    cols: dict[str, str] = {}
    for name, f in spec.fields.items():
        cols[name] = _SQL_TYPES.get(f.type, "VARCHAR")
        cols.update(_companions(name))
    cols.update({"_load_id": "VARCHAR", "_source_file": "VARCHAR", "_source_row": "BIGINT"})
    return cols


def ensure_staging_tables(con: duckdb.DuckDBPyConnection, temp: bool = True) -> list[str]:
    """Create every missing ``stg_*`` table empty, with its conventional columns.

    Returns the names of the tables created. Existing tables are left alone. With ``temp``
    (the default) the stand-ins are TEMP tables that vanish with the connection, so a later
    load that brings the table creates the real one without a clash; drop them when done.
    """
    have = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables"
    ).fetchall()}
    created = []
    for table in [*load_contract(), *STG_EXTRA]:
        name = f"stg_{table}"
        if name in have:
            continue
        cols = ", ".join(f'"{c}" {t}' for c, t in staging_columns(table).items())
        con.execute(f"CREATE {'TEMP ' if temp else ''}TABLE {name} ({cols})")
        created.append(name)
    return created
