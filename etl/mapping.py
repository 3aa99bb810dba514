"""Column mappings: load an extract with other column names or layouts, with no code change.

A mapping file (YAML, ``cbec load DIR --mapping FILE``) says, per contract table, where the
table's files are and how their columns become contract fields::

    version: 1
    tables:
      orders:
        source: "ORD_*.csv"            # glob relative to DIR (default: orders.* or orders/*)
        delimiter: ";"                 # CSV reader options: delimiter, encoding
        columns: {order_no: OrderNumber, ebp_code: Platform}   # field: source column
        constants: {currency: CNY}     # a value for every row (fills a missing column)
        values: {ie_flag: {import: I, export: E}}             # value maps (case-insensitive)
        date_formats: {order_time: "%d/%m/%Y %H:%M"}          # strptime format(s)

A field not named under ``columns`` is read from a source column of the same name
(case-insensitive). ``docs/mapping-example.yaml`` is a worked example.

The mapping is checked against the contract before anything is read (:func:`load_mapping`),
and against each file's header before anything is written (:func:`check_columns`): an
unmapped required field stops the load, naming the table, the field and the columns the file
does have.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from etl.contract import load_contract
from etl.readers import quote_ident

__all__ = ["MappingError", "TableMapping", "Mapping", "load_mapping", "check_columns",
           "check_bindings", "check_expression", "mapping_warnings", "select_sql"]

_KEYS = {"source", "delimiter", "encoding", "columns", "constants", "values", "date_formats",
         "expressions", "filter"}
# keys whose values are text the user typed: YAML must not turn them into numbers or booleans
_TEXT_KEYS = ("source", "delimiter", "encoding", "columns", "constants", "values",
              "date_formats", "expressions", "filter")
_ISO = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%dT%H:%M:%S"}


class MappingError(ValueError):
    """A mapping file that does not fit the contract, or a file its mapping cannot serve."""


def _yaml_coercions(text: str) -> list[tuple[tuple, str, object]]:
    """Plain (unquoted) scalars under ``tables.<t>.<text key>`` that YAML reads as something
    other than the text written: ``035`` -> 29 (octal), ``007`` -> 7, ``no`` -> False,
    ``1.50`` -> 1.5, ``~`` -> None. Returns ``(path, text, value)``; a null as the target
    of a value map is allowed (it maps to NULL).

    >>> [(p[-1], t, v) for p, t, v in _yaml_coercions("tables: {x: {constants: {unit: 035}, "
    ...  "values: {f: {no: N, 'yes': ~}}, columns: {gnum: 1}}}")]
    [('unit', '035', 29), ('no', 'no', False)]
    """
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    out: list[tuple[tuple, str, object]] = []

    def check(node, path: tuple, null_ok: bool = False) -> None:
        if not isinstance(node, yaml.ScalarNode) or node.style is not None \
                or node.tag == "tag:yaml.org,2002:str":
            return
        value = yaml.safe_load(node.value)
        if value is None and null_ok:
            return
        if value is None or isinstance(value, bool) or str(value) != node.value:
            out.append((path, node.value, value))

    def walk(node, path: tuple) -> None:
        in_text = len(path) >= 3 and path[0] == "tables" and path[2] in _TEXT_KEYS
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                kp = path + (k.value,)
                if in_text:
                    check(k, kp)
                walk(v, kp)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, path + (i,))
        elif in_text:
            check(node, path, null_ok=len(path) == 5 and path[2] == "values")

    if root is not None:
        walk(root, ())
    return out


# -- mapping expressions: pure scalar DuckDB expressions over the source columns ---------

_NODE_CLASSES = {"CONSTANT", "COLUMN_REF", "FUNCTION", "OPERATOR", "COMPARISON",
                 "CONJUNCTION", "CASE", "CAST", "BETWEEN", "LAMBDA", "COLLATE", "TYPE"}


def _pure_functions(con) -> set[str]:
    """Built-in functions an expression may call: scalar and deterministic (DuckDB's
    ``CONSISTENT``), or DuckDB's own scalar macros (``nullif``, ...), not ``pg_*``."""
    return {r[0].lower() for r in con.execute(
        "SELECT DISTINCT function_name FROM duckdb_functions() "
        "WHERE (function_type = 'scalar' AND stability = 'CONSISTENT') "
        "OR (function_type = 'macro' AND internal AND NOT starts_with(function_name, 'pg_'))"
    ).fetchall()}


def check_expression(con, expr: str, where: str) -> None:
    """Refuse anything but one pure scalar expression: constants, source columns,
    operators, CASE, CAST and deterministic scalar functions. No subqueries, aggregates,
    window functions, table functions, volatile functions (random, nextval, now...) or
    second statements, so a mapping can compute but never read, write or vary.

    Raises
    ------
    MappingError
        Naming ``where`` (the mapping key) and what is not allowed.
    """
    import json

    if not isinstance(expr, str) or not expr.strip():
        raise MappingError(f"{where}: expected a DuckDB expression as text, got {expr!r}")
    tree = json.loads(con.execute("SELECT json_serialize_sql(?)",
                                  ["SELECT (" + expr + "\n)"]).fetchone()[0])
    if tree.get("error"):
        raise MappingError(f"{where}: {expr!r} is not one SQL expression "
                           f"({tree.get('error_message')})")
    base = json.loads(con.execute("SELECT json_serialize_sql('SELECT 1')").fetchone()[0])

    def shape(t):  # the statement around the expression: must be that of SELECT 1
        node = t["statements"][0]["node"]
        return len(t["statements"]), {k: v for k, v in node.items()
                                      if k not in ("select_list", "from_table")}, \
            node["from_table"].get("type"), len(node["select_list"])
    if shape(tree) != shape(base):
        raise MappingError(f"{where}: {expr!r} must be a single expression (no second "
                           "statement, FROM, WHERE or GROUP BY)")
    allowed = _pure_functions(con)

    def walk(x) -> None:
        if isinstance(x, list):
            for y in x:
                walk(y)
            return
        if not isinstance(x, dict):
            return
        cls = x.get("class") if "query_location" in x else None  # expression nodes only
        if cls is not None and cls not in _NODE_CLASSES:
            raise MappingError(f"{where}: {expr!r}: {cls.lower()} is not allowed in a mapping "
                               "expression (only columns, constants, operators, CASE, CAST "
                               "and deterministic scalar functions)")
        if cls == "FUNCTION" and not x.get("is_operator"):
            name = str(x.get("function_name", "")).lower()
            if name not in allowed or x.get("filter") or x.get("distinct") or \
                    x.get("order_bys", {}).get("orders"):
                raise MappingError(f"{where}: {expr!r}: function {name}() is not allowed in a "
                                   "mapping expression: only deterministic scalar functions "
                                   "(no aggregates, table functions, random, nextval, now...)")
        for v in x.values():
            walk(v)

    walk(tree["statements"][0]["node"]["select_list"])


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


@dataclass(frozen=True)
class TableMapping:
    """How one contract table is read from an extract (identity when nothing is given)."""

    table: str
    source: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    date_formats: dict[str, list[str]] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    expressions: dict[str, str] = field(default_factory=dict)
    filter: str | None = None

    def source_column(self, fld: str, file_columns: list[str]) -> str | None:
        """The file column that feeds ``fld``, or ``None`` (compared case-insensitively)."""
        wanted = self.columns.get(fld, fld).lower()
        for c in file_columns:
            if c.lower() == wanted:
                return c
        return None


@dataclass(frozen=True)
class Mapping:
    """All table mappings of one load, and the file's text (part of the load id)."""

    tables: dict[str, TableMapping] = field(default_factory=dict)
    text: str = ""

    def for_table(self, table: str) -> TableMapping:
        return self.tables.get(table) or TableMapping(table)

    @property
    def patterns(self) -> dict[str, str]:
        return {t: m.source for t, m in self.tables.items() if m.source}


def load_mapping(path: Path | None) -> Mapping:
    """Read and check a mapping file against the contract; ``None`` gives the identity.

    Raises
    ------
    MappingError
        Unknown table or field, a value map or date format on a field of the wrong kind, or a
        malformed file; the message names the table and the key.
    """
    if path is None:
        return Mapping()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"{path}: cannot read the mapping file ({exc})") from exc
    try:
        spec = yaml.safe_load(text) or {}
        coerced = _yaml_coercions(text)
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML: {exc}") from exc
    if coerced:
        raise MappingError(f"{path}: YAML would change these unquoted values: " + "; ".join(
            f"{'.'.join(map(str, p))}: {t} would be read as {v!r}" for p, t, v in coerced)
            + ". Quote them ('035', '007', 'no') so they stay the text written.")
    if not isinstance(spec, dict) or not isinstance(spec.get("tables"), dict):
        raise MappingError(f"{path}: expected a top-level 'tables:' mapping of contract tables")
    contract = load_contract()
    tables: dict[str, TableMapping] = {}
    for tname, t in spec["tables"].items():
        where = f"{path}: tables.{tname}"
        if tname not in contract:
            raise MappingError(f"{where}: no such contract table (known: {', '.join(contract)})")
        t = t or {}
        unknown = set(t) - _KEYS
        if unknown:
            raise MappingError(f"{where}: unknown key(s) {sorted(unknown)}; use {sorted(_KEYS)}")
        fields = contract[tname].fields
        for key in ("columns", "constants", "values", "date_formats", "expressions"):
            for fld in t.get(key) or {}:
                if fld not in fields:
                    raise MappingError(f"{where}.{key}: {fld!r} is not a field of {tname} "
                                       f"(fields: {', '.join(fields)})")
        for fld in t.get("date_formats") or {}:
            if fields[fld].type not in _ISO:
                raise MappingError(f"{where}.date_formats: {fld} is a {fields[fld].type}, "
                                   "not a date or datetime")
        for fld, vmap in (t.get("values") or {}).items():
            if not isinstance(vmap, dict):
                raise MappingError(f"{where}.values.{fld}: expected a map of source: contract "
                                   "value")
        for key in ("columns", "constants", "values", "date_formats", "expressions"):
            if not isinstance(t.get(key) or {}, dict):
                raise MappingError(f"{where}.{key}: expected a map of field: value")
        exprs = {k: str(v) for k, v in (t.get("expressions") or {}).items()}
        both = sorted(set(exprs) & (set(t.get("columns") or {}) | set(t.get("constants") or {})))
        if both:
            raise MappingError(f"{where}: {', '.join(both)} given both as an expression and "
                               "under columns/constants; keep one")
        import duckdb

        scratch = duckdb.connect()
        try:
            for fld, e in exprs.items():
                check_expression(scratch, e, f"{where}.expressions.{fld}")
            if t.get("filter") is not None:
                check_expression(scratch, t["filter"], f"{where}.filter")
        finally:
            scratch.close()
        fmts = {k: [v] if isinstance(v, str) else list(v)
                for k, v in (t.get("date_formats") or {}).items()}
        tables[tname] = TableMapping(
            table=tname, source=t.get("source"),
            columns={k: str(v) for k, v in (t.get("columns") or {}).items()},
            constants={k: str(v) for k, v in (t.get("constants") or {}).items()},
            values={k: {str(a): None if b is None else str(b) for a, b in v.items()}
                    for k, v in (t.get("values") or {}).items()},
            date_formats=fmts,
            options={k: str(t[k]) for k in ("delimiter", "encoding") if k in t},
            expressions=exprs, filter=t.get("filter"))
    return Mapping(tables, text)


def check_columns(tm: TableMapping, file_columns: list[str], rel: str) -> None:
    """Stop with a clear message if a required field has no source in this file.

    Fields required only under a ``when`` condition may be absent (an export-only extract
    has no buyer columns); rows that need them are quarantined instead.

    Raises
    ------
    MappingError
        Naming the table, the field, the file and the columns the file has.
    """
    spec = load_contract()[tm.table]
    missing = [f for f in spec.required if f not in tm.constants and f not in tm.expressions
               and tm.source_column(f, file_columns) is None]
    if missing:
        names = ", ".join(f"{f} (looked for column {tm.columns.get(f, f)!r})" for f in missing)
        raise MappingError(
            f"{rel}: table {tm.table}: required field(s) not mapped: {names}. "
            f"The file has columns: {', '.join(file_columns) or '(none)'}. "
            "Add them under tables." + tm.table + ".columns in a mapping file "
            "(cbec load DIR --mapping FILE; see docs/mapping-example.yaml).")


def mapping_warnings(tm: TableMapping, file_columns: list[str], rel: str) -> list[str]:
    """Optional fields mapped to a column this file lacks (a typo would make them NULL on
    every row): one warning each, naming the columns the file has."""
    spec = load_contract()[tm.table]
    return [f"{rel}: table {tm.table}: optional field {fld} is mapped to column {col!r}, "
            f"which this file does not have, so it will be empty on every row. The file has "
            f"columns: {', '.join(file_columns) or '(none)'}."
            for fld, col in tm.columns.items()
            if tm.source_column(fld, file_columns) is None and fld not in tm.constants
            and not spec.fields[fld].required]


def check_bindings(tm: TableMapping, file_columns: list[str], rel: str) -> None:
    """Stop if an expression or the filter names a column this file does not have (or
    mixes types DuckDB cannot bind), before anything is read."""
    if not tm.expressions and not tm.filter:
        return
    import duckdb

    con = duckdb.connect()
    try:
        cols = ", ".join(f"CAST(NULL AS VARCHAR) AS {quote_ident(c)}" for c in file_columns)
        con.execute(f"CREATE TABLE f AS SELECT {cols or '1 AS _none'} LIMIT 0")
        items = [(f"expressions.{k}", v) for k, v in tm.expressions.items()]
        if tm.filter:
            items.append(("filter", tm.filter))
        for key, e in items:
            try:
                con.execute(f"SELECT ({e}\n) FROM f LIMIT 0")
            except duckdb.Error as exc:
                msg = (str(exc).strip().splitlines() or ["?"])[0]
                raise MappingError(
                    f"{rel}: tables.{tm.table}.{key}: {e!r} does not work on this file "
                    f"({msg}). Source columns are text: use TRY_CAST(col AS DOUBLE) for "
                    f"arithmetic. The file has columns: {', '.join(file_columns)}.") from exc
    finally:
        con.close()


def select_sql(tm: TableMapping, file_columns: list[str], raw: str) -> str:
    """SELECT over the raw table giving every contract field as trimmed VARCHAR (NULL if empty).

    Value maps and date formats are applied here; a value they do not recognise passes
    through unchanged, so validation reports it with the original text.
    """
    spec = load_contract()[tm.table]
    exprs = []
    for name, f in spec.fields.items():
        src = tm.source_column(name, file_columns)
        e = f"NULLIF(trim({quote_ident(src)}), '')" if src else "CAST(NULL AS VARCHAR)"
        if name in tm.expressions:
            e = f"NULLIF(trim(CAST(({tm.expressions[name]}\n) AS VARCHAR)), '')"
        if name in tm.constants:
            e = f"coalesce({e}, {_lit(tm.constants[name])})" if src else _lit(tm.constants[name])
        if name in tm.values:
            vmap = dict(tm.values[name])
            default = vmap.pop("*", e) if "*" in vmap else e
            if default is None:
                default = "CAST(NULL AS VARCHAR)"
            elif default is not e:
                default = _lit(default)
            cases = " ".join(f"WHEN {_lit(a.lower())} THEN "
                             f"{'CAST(NULL AS VARCHAR)' if b is None else _lit(b)}"
                             for a, b in vmap.items())
            e = f"CASE lower({e}) {cases} ELSE {default} END" if cases else default
        if name in tm.date_formats:
            fmts = "[" + ", ".join(_lit(x) for x in tm.date_formats[name]) + "]"
            e = f"coalesce(strftime(try_strptime({e}, {fmts}), {_lit(_ISO[f.type])}), {e})"
        exprs.append(f"{e} AS {quote_ident(name)}")
    keep = f"coalesce(CAST(({tm.filter}\n) AS BOOLEAN), false)" if tm.filter else "true"
    return (f"SELECT {', '.join(exprs)}, {keep} AS _keep, _source_file, _source_row "
            f"FROM {raw}")
