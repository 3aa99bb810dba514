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
           "select_sql"]

_KEYS = {"source", "delimiter", "encoding", "columns", "constants", "values", "date_formats"}
_ISO = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%dT%H:%M:%S"}


class MappingError(ValueError):
    """A mapping file that does not fit the contract, or a file its mapping cannot serve."""


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
    text = Path(path).read_text(encoding="utf-8")
    try:
        spec = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML: {exc}") from exc
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
        for key in ("columns", "constants", "values", "date_formats"):
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
        fmts = {k: [v] if isinstance(v, str) else list(v)
                for k, v in (t.get("date_formats") or {}).items()}
        tables[tname] = TableMapping(
            table=tname, source=t.get("source"),
            columns={k: str(v) for k, v in (t.get("columns") or {}).items()},
            constants={k: str(v) for k, v in (t.get("constants") or {}).items()},
            values={k: {str(a): str(b) for a, b in v.items()}
                    for k, v in (t.get("values") or {}).items()},
            date_formats=fmts,
            options={k: str(t[k]) for k in ("delimiter", "encoding") if k in t})
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
    missing = [f for f in spec.required
               if f not in tm.constants and tm.source_column(f, file_columns) is None]
    if missing:
        names = ", ".join(f"{f} (looked for column {tm.columns.get(f, f)!r})" for f in missing)
        raise MappingError(
            f"{rel}: table {tm.table}: required field(s) not mapped: {names}. "
            f"The file has columns: {', '.join(file_columns) or '(none)'}. "
            "Add them under tables." + tm.table + ".columns in a mapping file "
            "(cbec load DIR --mapping FILE; see docs/mapping-example.yaml).")


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
        if name in tm.constants:
            e = f"coalesce({e}, {_lit(tm.constants[name])})" if src else _lit(tm.constants[name])
        if name in tm.values:
            cases = " ".join(f"WHEN {_lit(a.lower())} THEN {_lit(b)}"
                             for a, b in tm.values[name].items())
            e = f"CASE lower({e}) {cases} ELSE {e} END"
        if name in tm.date_formats:
            fmts = "[" + ", ".join(_lit(x) for x in tm.date_formats[name]) + "]"
            e = f"coalesce(strftime(try_strptime({e}, {fmts}), {_lit(_ISO[f.type])}), {e})"
        exprs.append(f"{e} AS {quote_ident(name)}")
    return (f"SELECT {', '.join(exprs)}, _source_file, _source_row FROM {raw}")
