"""DuckDB staging: canonical ``stg_<table>`` tables, normalised companions, idempotent upserts.

Layout and column names follow ``docs/staging.md`` (the column list itself comes from
:func:`etl.stg_columns.staging_columns`, which the projection reads too). There are no
PRIMARY KEY constraints: keys are enforced here (one row per key after validation removed
duplicates), which keeps DuckDB from building large ART indexes on multi-million-row tables.

Bookkeeping tables (all in ``staging.duckdb``):

- ``loads(load_id, run, started, finished, status, input_dir, files, mapping)``;
- ``load_reports(load_id, run, table_name, source_file, rows_in, inserted, updated,
  unchanged, quarantined)``, the reconciliation;
- ``quarantine(load_id, table_name, source_file, source_row, field, reason, row_json)``;
- ``load_fingerprints(load_id, run, fingerprint)``: the code that finished a run, so an
  identical reload with the same code is recognised and skips the work;
- ``quarantined_keys(load_id, table_name, key)``: keys of quarantined orders, declarations
  and inspections, so their lines, inspections and seizures are quarantined too;
- ``_norm_*`` caches of normalised distinct values, so a later load only normalises values
  it has not seen before.

The macro ``address_key(norm)`` is the one rule for address keys (same as
:func:`etl.normalise.address_key`).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pyarrow as pa

from etl import normalise as nz
from etl.contract import load_contract
from etl.readers import quote_ident
from etl.stg_columns import staging_columns
from etl.validate import typed_column, typed_expr

__all__ = ["init_staging", "drop_temp", "companion_kind", "build_canonical", "classify",
           "apply_upsert", "ACTIONS"]

ACTIONS = ("inserted", "updated", "unchanged")
_NAME_FIELDS = {"name", "consignee", "enterprise_name", "legal_rep_name", "holder_name",
                "payee_name"}

_META_DDL = """
CREATE MACRO IF NOT EXISTS address_key(norm) AS substr(md5(norm), 1, 16);
CREATE TABLE IF NOT EXISTS loads (load_id VARCHAR, run INTEGER, started TIMESTAMP,
    finished TIMESTAMP, status VARCHAR, input_dir VARCHAR, files INTEGER, mapping VARCHAR);
CREATE TABLE IF NOT EXISTS load_reports (load_id VARCHAR, run INTEGER, table_name VARCHAR,
    source_file VARCHAR, rows_in BIGINT, inserted BIGINT, updated BIGINT, unchanged BIGINT,
    quarantined BIGINT);
CREATE TABLE IF NOT EXISTS quarantine (load_id VARCHAR, table_name VARCHAR,
    source_file VARCHAR, source_row BIGINT, field VARCHAR, reason VARCHAR, row_json VARCHAR);
CREATE TABLE IF NOT EXISTS load_fingerprints (load_id VARCHAR, run INTEGER,
    fingerprint VARCHAR);
CREATE TABLE IF NOT EXISTS quarantined_keys (load_id VARCHAR, table_name VARCHAR, key VARCHAR);
CREATE TABLE IF NOT EXISTS _norm_phone (raw VARCHAR, e164 VARCHAR);
CREATE TABLE IF NOT EXISTS _norm_name (raw VARCHAR, norm VARCHAR);
CREATE TABLE IF NOT EXISTS _norm_address (raw VARCHAR, norm VARCHAR, key VARCHAR);
CREATE TABLE IF NOT EXISTS _norm_id (raw VARCHAR, norm VARCHAR, valid BOOLEAN);
CREATE TABLE IF NOT EXISTS _norm_gmodel (raw VARCHAR, brand_type INTEGER, export_pref VARCHAR,
    brand VARCHAR);
CREATE TABLE IF NOT EXISTS _norm_country (raw VARCHAR, iso2 VARCHAR);
"""


def drop_temp(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop a temp view or table of that name, whichever it is."""
    kinds = con.execute("SELECT 'VIEW' FROM duckdb_views() WHERE view_name = ? AND temporary "
                        "UNION ALL SELECT 'TABLE' FROM duckdb_tables() WHERE table_name = ? "
                        "AND temporary", [name, name]).fetchall()
    for (kind,) in kinds:
        con.execute(f"DROP {kind} IF EXISTS {name}")


_CACHES = ("phone", "name", "address", "id", "gmodel", "country")


def _check_cache_version(con: duckdb.DuckDBPyConnection) -> None:
    """Empty the ``_norm_*`` caches when the normalisers' code changed since they were filled.

    A changed normaliser then reaches every row on the next load (counted as updates).
    """
    import hashlib
    import inspect

    version = hashlib.sha256(inspect.getsource(nz).encode()).hexdigest()[:16]
    con.execute("CREATE TABLE IF NOT EXISTS _norm_version (version VARCHAR)")
    row = con.execute("SELECT version FROM _norm_version").fetchone()
    if row is None or row[0] != version:
        for kind in _CACHES:
            con.execute(f"DELETE FROM _norm_{kind}")
        con.execute("DELETE FROM _norm_version")
        con.execute("INSERT INTO _norm_version VALUES (?)", [version])


def init_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Create the bookkeeping tables, the macro and every ``stg_<table>`` (empty) if missing."""
    con.execute(_META_DDL)
    _check_cache_version(con)
    for table in load_contract():
        cols = ", ".join(f"{quote_ident(c)} {t}" for c, t in staging_columns(table).items())
        con.execute(f"CREATE TABLE IF NOT EXISTS stg_{table} ({cols})")


def companion_kind(field: str) -> str | None:
    """Which normaliser a field gets: phone, address, name, id, gmodel, country or None.

    >>> companion_kind("consignee_telephone"), companion_kind("buyer_id_number")
    ('phone', 'id')
    >>> companion_kind("consignee"), companion_kind("gcode")
    ('name', None)
    """
    if field == "telephone" or field.endswith("_telephone"):
        return "phone"
    if field == "address" or field.endswith("_address"):
        return "address"
    if field in _NAME_FIELDS or field.endswith("_name"):
        return "name"
    if field == "id_number" or field.endswith("_id_number"):
        return "id"
    if field in ("gmodel", "country"):
        return field
    return None


def _compute(kind: str, values: list[str]) -> pa.Table:
    """Run the pure normaliser of ``kind`` over distinct raw values."""
    if kind == "phone":
        return pa.table({"raw": values, "e164": [nz.phone_e164(v) for v in values]})
    if kind == "name":
        return pa.table({"raw": values, "norm": [nz.normalise_name(v) for v in values]})
    if kind == "address":
        norms = [nz.normalise_address(v) for v in values]
        return pa.table({"raw": values, "norm": norms, "key": [nz.address_key(n) for n in norms]})
    if kind == "id":
        checked = [nz.check_prc_id(v) for v in values]
        return pa.table({"raw": values, "norm": [c[0] for c in checked],
                         "valid": pa.array([c[1] for c in checked], pa.bool_())})
    if kind == "gmodel":
        parsed = [nz.parse_gmodel(v) for v in values]
        return pa.table({"raw": values, "brand_type": pa.array([p[0] for p in parsed], pa.int32()),
                         "export_pref": [p[1] for p in parsed], "brand": [p[2] for p in parsed]})
    if kind == "country":
        return pa.table({"raw": values, "iso2": [nz.country_iso2(v) for v in values]})
    raise ValueError(kind)


def _fill_caches(con: duckdb.DuckDBPyConnection, valid: str, fields: dict[str, str]) -> None:
    """Normalise the distinct values of ``fields`` not yet in their ``_norm_<kind>`` cache."""
    by_kind: dict[str, list[str]] = {}
    for f, kind in fields.items():
        by_kind.setdefault(kind, []).append(f)
    for kind, flds in by_kind.items():
        union = " UNION ".join(f"SELECT {quote_ident(f)} AS v FROM {valid}" for f in flds)
        new = con.execute(f"SELECT DISTINCT v FROM ({union}) WHERE v IS NOT NULL "
                          f"AND v NOT IN (SELECT raw FROM _norm_{kind})").fetchall()
        if new:
            con.register("_norm_new", _compute(kind, [r[0] for r in new]))
            try:
                con.execute(f"INSERT INTO _norm_{kind} BY NAME SELECT * FROM _norm_new")
            finally:
                con.unregister("_norm_new")


def build_canonical(con: duckdb.DuckDBPyConnection, table: str, validated: str, out: str,
                    load_id: str) -> None:
    """Canonical rows of a table (typed, normalised, with lineage) from accepted rows.

    ``validated`` is the table written by :func:`etl.validate.validate`; only rows with
    ``_ok`` are used. The result ``out`` has exactly the columns of ``stg_<table>``.
    """
    spec = load_contract()[table]
    con.execute(f"CREATE OR REPLACE TEMP VIEW _ok AS SELECT * FROM {validated} WHERE _ok")
    kinds = {f: companion_kind(f) for f in spec.fields if companion_kind(f)}
    _fill_caches(con, "_ok", kinds)
    exprs: dict[str, str] = {}
    joins = []
    for i, (name, f) in enumerate(spec.fields.items()):
        v = quote_ident(name)
        exprs[name] = f"v.{typed_column(name)}" if typed_expr(f) else f"v.{v}"
        kind = kinds.get(name)
        if kind is None:
            continue
        j = f"j{i}"
        joins.append(f"LEFT JOIN _norm_{kind} {j} ON {j}.raw = v.{v}")
        if kind == "phone":
            exprs[f"{name}_e164"] = f"{j}.e164"
        elif kind == "name":
            exprs[f"{name}_norm"] = f"{j}.norm"
        elif kind == "address":
            exprs[f"{name}_norm"] = f"{j}.norm"
            exprs[f"{name}_key"] = f"{j}.key"
        elif kind == "country":
            exprs[name] = f"{j}.iso2"
            exprs["country_raw"] = f"v.{v}"
        elif kind == "gmodel":
            exprs.update({"brand_type": f"{j}.brand_type", "export_pref": f"{j}.export_pref",
                          "brand": f"{j}.brand"})
        elif kind == "id":
            exprs[f"{name}_norm"] = f"{j}.norm"
            idt = name.replace("id_number", "id_type")
            typ = f"v.{typed_column(idt)}" if idt in spec.fields else "NULL"
            # Only resident IDs are checked: type 1, or no type and the shape of one.
            exprs[f"{name}_valid"] = (
                f"CASE WHEN {j}.valid IS NULL OR {typ} IN ('2', '3') THEN NULL "
                f"WHEN {typ} = '1' OR regexp_full_match({j}.norm, '[0-9]{{15,17}}[0-9X]?') "
                f"THEN {j}.valid END")
    exprs["_load_id"] = "'" + load_id.replace("'", "''") + "'"
    exprs["_source_file"] = "v._source_file"
    exprs["_source_row"] = "v._source_row"
    cols = staging_columns(table)
    missing = set(cols) - set(exprs)
    if missing:  # the column convention and this builder must agree
        raise RuntimeError(f"stg_{table}: no expression for columns {sorted(missing)}")
    select = ", ".join(f"CAST({exprs[c]} AS {t}) AS {quote_ident(c)}" for c, t in cols.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT {select} FROM _ok v "
                + " ".join(joins))
    con.execute("DROP VIEW _ok")


def classify(con: duckdb.DuckDBPyConnection, table: str, canonical: str, out: str) -> None:
    """Label each canonical row ``inserted``, ``updated`` or ``unchanged`` against staging.

    A row is unchanged when every non-lineage column equals the staged row with its key.
    """
    spec = load_contract()[table]
    stg = f"stg_{table}"
    if con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {stg} LIMIT 1)").fetchone()[0] == 0:
        drop_temp(con, out)  # first load of this table: all new, no copy needed
        con.execute(f"CREATE TEMP VIEW {out} AS SELECT *, 'inserted' AS _action "
                    f"FROM {canonical}")
        return
    on = " AND ".join(f"s.{quote_ident(k)} = n.{quote_ident(k)}" for k in spec.primary_key)
    same = " AND ".join(f"s.{quote_ident(c)} IS NOT DISTINCT FROM n.{quote_ident(c)}"
                        for c in staging_columns(table) if not c.startswith("_"))
    first_key = quote_ident(spec.primary_key[0])
    drop_temp(con, out)
    con.execute(f"""
        CREATE TEMP TABLE {out} AS
        SELECT n.*, CASE WHEN s.{first_key} IS NULL THEN 'inserted'
                         WHEN {same} THEN 'unchanged' ELSE 'updated' END AS _action
        FROM {canonical} n LEFT JOIN {stg} s ON {on}""")


def apply_upsert(con: duckdb.DuckDBPyConnection, table: str, classified: str,
                 before_commit: Callable[[], None] | None = None,
                 extra: Callable[[], None] | None = None) -> None:
    """Write inserted and updated rows to ``stg_<table>`` in one transaction.

    ``extra`` runs inside the same transaction (report and quarantine rows), so a crash
    leaves either the whole table step or none of it; ``before_commit`` is a crash point.
    """
    spec = load_contract()[table]
    stg = f"stg_{table}"
    cols = ", ".join(quote_ident(c) for c in staging_columns(table))
    on = " AND ".join(f"{stg}.{quote_ident(k)} = c.{quote_ident(k)}" for k in spec.primary_key)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {stg} USING {classified} c WHERE c._action = 'updated' "
                    f"AND {on}")
        con.execute(f"INSERT INTO {stg} ({cols}) SELECT {cols} FROM {classified} "
                    "WHERE _action IN ('inserted', 'updated')")
        if extra:
            extra()
        if before_commit:
            before_commit()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
