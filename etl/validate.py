"""Row validation against the contract, in SQL (vectorised: one statement per table).

What **rejects** a row (it goes to quarantine with one reason per failing field):

- a required field is missing (honouring ``when``: buyer fields only on imports);
- a value does not parse as its type (integer, decimal, date, datetime), or a decimal is
  NaN or infinite;
- an enum or list value outside the contract's values (compared case-insensitively);
- a negative amount, weight, quantity or count (every number in the contract is one);
- a number of magnitude 1e12 or more (``1.7e308``, ``1e19``): out of range;
- an implausible date: before 2000-01-01 for message and event times (before 1950-01-01 for
  register dates: registration, activation, opening), or more than a year after today;
- a line, inspection or seizure whose declaration (order, inspection) was quarantined and
  is not in staging (:data:`PARENTS`; one whose parent never arrived is loaded, and counted
  in the load's notes);
- a row the mapping's ``filter`` leaves out (reason ``(filter) ...``);
- a duplicate primary key within one load: the first row (by file name, then row) is kept,
  the others are quarantined with reason ``duplicate key``.

What is **kept and flagged** (evidence for three-list matching, not a defect of the message):

- an ID number that fails the MOD 11-2 checksum, has an impossible birth date or an unknown
  region (``<field>_valid = false``; TL-07 reports it);
- a phone that cannot be a phone number (``<field>_e164`` NULL);
- a country that is not recognised (``country`` NULL, the text kept in ``country_raw``).
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from etl.contract import Field, load_contract
from etl.readers import quote_ident

__all__ = ["typed_expr", "typed_column", "validate", "REGISTER_DATES", "SQL_TYPES", "MAX_MAGNITUDE",
           "PARENTS", "key_text", "orphans_sql"]

SQL_TYPES = {"decimal": "DOUBLE", "integer": "BIGINT", "date": "DATE", "datetime": "TIMESTAMP"}
REGISTER_DATES = {"registered_date", "activation_date", "opened_date"}
_EARLIEST, _EARLIEST_REGISTER = date(2000, 1, 1), date(1950, 1, 1)
#: Numbers of this magnitude or more are rejected (1e12 is ~1.4e11 USD even in CNY).
MAX_MAGNITUDE = 1e12
_OFFSET = r"\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$"


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def typed_column(name: str) -> str:
    """Name of the parsed companion of a field inside the validation table."""
    return quote_ident(f"t__{name}")


def typed_expr(f: Field) -> str | None:
    """SQL parsing the VARCHAR column ``f.name`` into its type; NULL when it does not parse.

    ``None`` for plain strings (kept as they are). Enum and list values come out in the
    contract's spelling; a datetime with an offset is converted to China time (UTC+8).
    """
    v = quote_ident(f.name)
    if f.type == "decimal":
        return f"CASE WHEN isfinite(TRY_CAST({v} AS DOUBLE)) THEN TRY_CAST({v} AS DOUBLE) END"
    if f.type == "integer":
        return (f"CASE WHEN regexp_full_match({v}, '[+-]?[0-9]+(\\.0*)?') "
                f"THEN TRY_CAST(TRY_CAST({v} AS DOUBLE) AS BIGINT) END")
    if f.type == "date":
        return f"coalesce(TRY_CAST({v} AS DATE), CAST(TRY_CAST({v} AS TIMESTAMP) AS DATE))"
    if f.type == "datetime":
        return (f"CASE WHEN regexp_matches({v}, {_lit(_OFFSET)}) "
                f"THEN timezone('Asia/Shanghai', TRY_CAST({v} AS TIMESTAMPTZ)) "
                f"ELSE TRY_CAST({v} AS TIMESTAMP) END")
    if f.type in ("enum", "list"):
        cases = " ".join(f"WHEN {_lit(x.lower())} THEN {_lit(x)}" for x in f.values)
        if f.type == "enum":
            return f"CASE lower({v}) {cases} END"
        parts = f"list_transform(string_split({v}, '|'), lambda x: CASE lower(trim(x)) {cases} END)"
        return (f"CASE WHEN list_bool_and(list_transform({parts}, lambda y: y IS NOT NULL)) "
                f"THEN array_to_string({parts}, '|') END")
    return None


def _shown(v: str) -> str:
    """SQL for the value as shown in a reason: quoted, at most 60 characters."""
    return f"'''' || replace(left({v}, 60), chr(31), ' ') || ''''"


def _reasons(f: Field, today: date) -> list[str]:
    """SQL expressions, each a reason text or NULL, for one field."""
    v, t, name = quote_ident(f.name), typed_column(f.name), f.name
    out = []
    if f.required:
        conds = f.conditions()
        cond = " AND ".join(f"lower({quote_ident(k)}) IN ({', '.join(_lit(x.lower()) for x in xs)})"
                            for k, xs in conds.items())
        why = "required" + (" when " + ", ".join(f"{k} = {' or '.join(xs)}"
                                                 for k, xs in conds.items()) if conds else "")
        out.append(f"CASE WHEN {v} IS NULL{' AND ' + cond if cond else ''} "
                   f"THEN {_lit(name + ' is missing (' + why + ')')} END")
    expect = {
        "decimal": "is not a number", "integer": "is not a whole number",
        "date": "is not a date (expected YYYY-MM-DD)",
        "datetime": "is not a date-time (expected YYYY-MM-DDTHH:MM:SS)",
        "enum": "is not one of " + ", ".join(f.values),
        "list": "has values outside " + "|".join(f.values) + " (pipe-separated)",
    }.get(f.type)
    huge = f"abs(TRY_CAST({v} AS DOUBLE)) >= {MAX_MAGNITUDE:.0e}"
    if expect:
        out.append(f"CASE WHEN {v} IS NOT NULL AND {t} IS NULL "
                   + (f"AND NOT coalesce({huge}, false) " if f.type == "integer" else "")
                   + f"THEN {_lit(name + ' ')} || {_shown(v)} || {_lit(' ' + expect)} END")
    if f.type in ("decimal", "integer"):
        # Checked here, or sums and products in the three-list checks overflow DOUBLE.
        why = (" is out of range (magnitude 1e12 or more: no amount, weight, quantity or "
               "count is that large)")
        out.append(f"CASE WHEN {huge} THEN {_lit(name + ' ')} || {_shown(v)} || "
                   f"{_lit(why)} END")
        out.append(f"CASE WHEN {t} < 0 THEN {_lit(name + ' ')} || {_shown(v)} "
                   f"|| ' is negative (amounts, weights and quantities must be >= 0)' END")
    if f.type in ("date", "datetime"):
        lo = _EARLIEST_REGISTER if name in REGISTER_DATES else _EARLIEST
        hi = today + timedelta(days=366)
        out.append(f"CASE WHEN {t} < DATE {_lit(lo.isoformat())} THEN {_lit(name + ' ')} || "
                   f"{_shown(v)} || {_lit(' is implausible (before ' + lo.isoformat() + ')')} "
                   f"WHEN {t} >= DATE {_lit(hi.isoformat())} THEN {_lit(name + ' ')} || "
                   f"{_shown(v)} || {_lit(' is implausible (after ' + hi.isoformat() + ')')} "
                   "END")
    return out


#: child table -> (its fields, parent table, the parent's fields, what the parent is called):
#: a child row whose parent was quarantined (and is not staged) is quarantined too, or it
#: would become a node with no edges; one whose parent never arrived is loaded and reported.
PARENTS = {
    "order_lines": (("ebp_code", "order_no"), "orders", ("ebp_code", "order_no"), "order"),
    "declaration_lines": (("invt_no",), "declarations", ("invt_no",), "declaration"),
    "inspections": (("invt_no",), "declarations", ("invt_no",), "declaration"),
    "seizures": (("inspection_id",), "inspections", ("inspection_id",), "inspection"),
}


def _orphan_reason(table: str) -> str | None:
    """SQL: a reason when the row's parent (see :data:`PARENTS`) is not staged."""
    if table not in PARENTS:
        return None
    mine, parent, theirs, called = PARENTS[table]
    on = " AND ".join(f"s.{quote_ident(b)} = p.{quote_ident(a)}"
                      for a, b in zip(mine, theirs, strict=True))
    present = " AND ".join(f"p.{quote_ident(a)} IS NOT NULL" for a in mine)
    shown = " || ', ' || ".join(f"p.{quote_ident(a)}" for a in mine)
    why = (f" names a {called} whose {parent} row was quarantined and is not in staging: "
           f"not loaded either, so that it does not hang loose in the graph (fix the {called}, "
           "then load both again)")
    return (f"CASE WHEN {present} AND NOT EXISTS (SELECT 1 FROM stg_{parent} s WHERE {on}) "
            f"AND EXISTS (SELECT 1 FROM quarantined_keys q WHERE q.table_name = {_lit(parent)} "
            f"AND q.key = {key_text(mine, 'p')}) "
            f"THEN {_lit(mine[-1] + ' ')} || {_shown(shown)} || {_lit(why)} END")


def key_text(fields: tuple[str, ...], alias: str) -> str:
    """SQL: the ``|``-joined text of key fields, as ``quarantined_keys.key`` holds it."""
    return "concat_ws('|', " + ", ".join(f"{alias}.{quote_ident(f)}" for f in fields) + ")"


def orphans_sql(table: str, load_id_param: str = "$load_id") -> str | None:
    """SQL counting the rows of ``stg_<table>`` staged by a load whose parent (see
    :data:`PARENTS`) is in no staging table: delivered without it (reported, not refused:
    the parent may come in a later extract)."""
    if table not in PARENTS:
        return None
    mine, parent, theirs, _ = PARENTS[table]
    on = " AND ".join(f"s.{quote_ident(b)} = c.{quote_ident(a)}"
                      for a, b in zip(mine, theirs, strict=True))
    return (f"SELECT count(*) FROM stg_{table} c WHERE c._load_id = {load_id_param} "
            f"AND NOT EXISTS (SELECT 1 FROM stg_{parent} s WHERE {on})")


def validate(con: duckdb.DuckDBPyConnection, table: str, src_sql: str, out: str,
             today: date | None = None, *, row_filter: str | None = None,
             check_parents: bool = False) -> None:
    """Validate the rows of ``src_sql`` (contract fields as VARCHAR + lineage) into ``out``.

    ``out`` (a temp table) has the VARCHAR fields, their parsed companions ``t__<field>``,
    ``_reasons`` (a list of texts, empty when the row is accepted, each starting with the
    field name, or with ``duplicate key``) and ``_ok``. Duplicate keys among otherwise
    valid rows get reason ``duplicate key ...`` naming the kept row.
    """
    spec = load_contract()[table]
    today = today or date.today()
    typed = [f"{typed_expr(f)} AS {typed_column(f.name)}"
             for f in spec.fields.values() if typed_expr(f) is not None]
    reasons = [r for f in spec.fields.values() for r in _reasons(f, today)]
    if check_parents and (orphan := _orphan_reason(table)):
        reasons.append(orphan)
    why = f"concat_ws(chr(31), {', '.join(reasons)})"
    if row_filter is not None:  # src_sql has _keep: rows the filter leaves out say only that
        left_out = "(filter) left out by the mapping filter: " + " ".join(row_filter.split())
        why = f"CASE WHEN _keep THEN {why} ELSE {_lit(left_out)} END"
    keys = [typed_column(k) if typed_expr(spec.fields[k]) else quote_ident(k)
            for k in spec.primary_key]
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH p AS (SELECT *{''.join(', ' + x for x in typed)} FROM ({src_sql}))
        SELECT * EXCLUDE (_r), _r = '' AS _ok,
               CASE WHEN _r = '' THEN []::VARCHAR[] ELSE string_split(_r, chr(31)) END
                   AS _reasons
        FROM (SELECT *, {why} AS _r FROM p)""")
    # Duplicate keys: found with a hash aggregate (cheap), then only those rows are touched.
    dups = f"_dups_{out}"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {dups} AS
        SELECT {', '.join(keys)}, min({{'f': _source_file, 'r': _source_row}}) AS _first
        FROM {out} WHERE _ok GROUP BY ALL HAVING count(*) > 1""")
    if con.execute(f"SELECT count(*) FROM {dups}").fetchone()[0]:
        shown = " || ', ' || ".join(f"coalesce({out}.{quote_ident(k)}, '')"
                                    for k in spec.primary_key)
        on = " AND ".join(f"{out}.{k} = d.{k}" for k in keys)
        con.execute(f"""
            UPDATE {out} SET _ok = false,
                _reasons = ['duplicate key ({', '.join(spec.primary_key)}) = (' || {shown}
                            || '): kept the row at ' || d._first.f || ' row ' || d._first.r]
            FROM {dups} d
            WHERE {on} AND {out}._ok
              AND NOT ({out}._source_file = d._first.f AND {out}._source_row = d._first.r)""")
    con.execute(f"DROP TABLE {dups}")
