"""Find the extract files of each contract table and read them, losslessly, into DuckDB.

Every table becomes one raw table of VARCHAR columns plus ``_source_file`` (the file's path
relative to the input folder) and ``_source_row`` (1-based record number in that file: the
data row of a CSV after its header, the line of a JSON Lines file, the row of a Parquet
file). DuckDB does the reading (``read_csv``, ``read_parquet``, JSON functions), so a
million-row file costs seconds, not minutes.

Reading never loses a row: a CSV line with too few or too many fields or an unterminated
quote (DuckDB's ``store_rejects``), or a JSON Lines line that is not a JSON object, becomes a
*reject* with its file, row and reason, which the loader quarantines like any invalid row.

Damage DuckDB's reader gives up on (mixed CRLF/LF line ends, stray CRs, NUL bytes) is read
by :mod:`etl.forgiving_read`; a file that cannot be read at all (permissions, a damaged
Parquet file, no header) raises :class:`ReadError` naming it, before anything is written.

The folder ``ground_truth/`` (the generator's answers) is never read.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

import duckdb

from etl.contract import FORMATS
from etl.forgiving_read import (
    lf_copy,
    lines_python,
    load_csv_python,
    mixed_line_endings,
    ordered,
)

__all__ = ["SourceFile", "ReadError", "discover", "read_table", "csv_header", "peek_columns",
           "check_readable", "IGNORED_DIRS", "quote_ident"]

IGNORED_DIRS = ("ground_truth",)
_EXT = {"csv": "csv", "parquet": "parquet", "pq": "parquet", "jsonl": "jsonl", "ndjson": "jsonl"}


class ReadError(ValueError):
    """A file that cannot be read at all (permissions, not a file, not the format its name
    says); the message names the file and says what to do. Bad *records* are rejects, not
    this."""


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def check_readable(sf: SourceFile) -> None:
    """Raise :class:`ReadError` unless ``sf`` is a regular file this process can read."""
    try:
        with open(sf.path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise ReadError(f"{sf.rel}: cannot be read ({exc.strerror or _first_line(exc)}). Check "
                        "that it is a regular file and that the user running cbec load may "
                        "read it (e.g. chmod a+r), or move it out of the input folder; "
                        "nothing was loaded.") from exc


def quote_ident(name: str) -> str:
    """Quote a column or table name for DuckDB SQL.

    >>> quote_ident('order no'), quote_ident('a"b')
    ('"order no"', '"a""b"')
    """
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class SourceFile:
    """One input file of one table: where it is, its format and its name in lineage."""

    table: str
    path: Path
    fmt: str  # csv | parquet | jsonl
    rel: str  # path relative to the input folder, '/'-separated

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def _format_of(path: Path) -> str | None:
    return _EXT.get(path.suffix.lower().lstrip("."))


def _candidates(root: Path) -> list[Path]:
    """Every file under ``root`` except those in ignored folders, sorted for a stable order."""
    out = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).parts
        if p.is_file() and not any(part in IGNORED_DIRS or part.startswith(".") for part in rel):
            out.append(p)
    return out


def discover(root: Path, tables: list[str], fmt: str = "auto",
             patterns: dict[str, str] | None = None) -> dict[str, list[SourceFile]]:
    """Files per table: ``<table>.<ext>`` or ``<table>/*.<ext>``, or a mapping's glob pattern.

    Parameters
    ----------
    root : Path
        The input folder.
    tables : list of str
        Contract table names to look for.
    fmt : str
        ``auto`` (any of csv, parquet, jsonl) or one format to restrict to.
    patterns : dict, optional
        Table -> glob pattern relative to ``root`` (from a mapping file); replaces the default
        naming for that table. ``*`` does not cross folders; use ``dir/*.csv`` for a folder.

    Returns
    -------
    dict
        Table -> its files in name order; tables without files are absent.
    """
    if fmt != "auto" and fmt not in FORMATS:
        raise ValueError(f"--format must be auto or one of {', '.join(FORMATS)}, not {fmt!r}")
    patterns = patterns or {}
    files = _candidates(root)
    found: dict[str, list[SourceFile]] = {}
    for table in tables:
        hits = []
        for p in files:
            f = _format_of(p)
            if f is None or (fmt != "auto" and f != fmt):
                continue
            rel = p.relative_to(root).as_posix()
            if table in patterns:
                ok = fnmatch.fnmatchcase(rel, patterns[table]) and \
                    rel.count("/") == patterns[table].count("/")
            else:
                stem = rel.rsplit(".", 1)[0]
                ok = stem == table or (rel.startswith(table + "/") and rel.count("/") == 1)
            if ok:
                hits.append(SourceFile(table, p, f, rel))
        if hits:
            found[table] = hits
    return found


# -- reading ----------------------------------------------------------------------------

def csv_header(path: Path, delimiter: str = ",", encoding: str = "utf-8") -> list[str]:
    """Column names from a CSV's first line (duplicates get ``_2``, ``_3``... suffixes).

    Read here rather than sniffed by DuckDB: its sniffer gives up on files with ragged lines.
    """
    import csv

    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        try:
            first = next(csv.reader(fh, delimiter=delimiter), [])
        except csv.Error:  # e.g. a NUL byte in the header: the file is not a CSV
            first = []
    names: list[str] = []
    for i, name in enumerate(first):
        name = name.strip().lstrip("\ufeff") or f"column{i + 1}"
        base, n = name, 1
        while name.lower() in (x.lower() for x in names):
            n += 1
            name = f"{base}_{n}"
        names.append(name)
    return names


def peek_columns(sf: SourceFile, options: dict | None = None) -> list[str]:
    """The columns of a file without reading its data (JSON Lines: keys of its first lines).

    Used to check a mapping against every file before anything is written.
    """
    import json

    options = options or {}
    if sf.fmt == "csv":
        return csv_header(sf.path, options.get("delimiter", ","), options.get("encoding", "utf-8"))
    if sf.fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(sf.path).names)
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError... on a damaged file
            raise ReadError(f"{sf.rel}: not a readable Parquet file ({_first_line(exc)}). "
                            "Export it again, or give it the extension of its real format "
                            "(.csv, .jsonl); nothing was loaded.") from exc
    keys: dict[str, None] = {}
    with open(sf.path, encoding="utf-8", errors="replace") as fh:
        for i, line in enumerate(fh):
            if i >= 1000:
                break
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                keys.update(dict.fromkeys(obj))
    return list(keys)


def _read_csv_sql(sf: SourceFile, options: dict) -> str:
    delim = options.get("delimiter", ",")
    header = csv_header(sf.path, delim, options.get("encoding", "utf-8"))
    if not header:
        return "SELECT NULL::VARCHAR AS _empty WHERE false"
    cols = "{" + ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in header) + "}"
    opts = [f"delim={_lit(delim)}", "quote='\"'", "escape='\"'", "header=true",
            "auto_detect=false", f"columns={cols}", "store_rejects=true", "rejects_table='_rej'",
            "rejects_scan='_rejscan'", "max_line_size=4194304"]
    if options.get("encoding"):
        opts.append(f"encoding={_lit(options['encoding'])}")
    return f"SELECT * FROM read_csv({_lit(str(sf.path))}, {', '.join(opts)})"


def _load_csv(con: duckdb.DuckDBPyConnection, sf: SourceFile, options: dict) -> None:
    """Read one CSV into temp view ``_f`` with ``_source_row``; ragged lines into ``_frej``."""
    con.execute("DROP TABLE IF EXISTS _rej; DROP TABLE IF EXISTS _rejscan")
    header = csv_header(sf.path, options.get("delimiter", ","), options.get("encoding", "utf-8"))
    if not header:
        with open(sf.path, "rb") as fh:
            if fh.read(1 << 16).strip():
                raise ReadError(f"{sf.rel}: the first line is empty, so the file has no "
                                "header naming its columns. Remove the leading empty lines "
                                "(or write the header); nothing was loaded.")
        con.execute("CREATE OR REPLACE TEMP VIEW _f AS SELECT NULL::VARCHAR AS _empty, "
                    "NULL::BIGINT AS _source_row WHERE false")
        con.execute("CREATE OR REPLACE TEMP TABLE _frej (_source_row BIGINT, reason VARCHAR, "
                    "raw_line VARCHAR)")
        return
    copy = None
    if "16" not in options.get("encoding", "").replace("-", "") and \
            mixed_line_endings(sf.path):
        copy = lf_copy(sf.path)
        sf = SourceFile(sf.table, copy, sf.fmt, sf.rel)
    try:
        with ordered(con):
            con.execute(f"CREATE OR REPLACE TEMP TABLE _f0 AS {_read_csv_sql(sf, options)}")
    except duckdb.Error:
        # DuckDB's parser gives up on some damage (a stray CR, NUL bytes); Python's csv
        # module reads such a file record by record, so only the bad records are lost
        load_csv_python(con, sf.path, options, header)
        return
    finally:
        if copy is not None:
            copy.unlink(missing_ok=True)
    # DuckDB reports the record number (header = 1) of each rejected record; good records are
    # numbered 1..k by rowid, so shift each by the rejects that precede it.
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _frej AS
        SELECT line - 1 AS _source_row,
               string_agg(DISTINCT error_type || ': ' || error_message, '; ') AS reason,
               any_value(csv_line) AS raw_line
        FROM _rej GROUP BY line""")
    n_rej = con.execute("SELECT count(*) FROM _frej").fetchone()[0]
    if n_rej == 0:
        con.execute("CREATE OR REPLACE TEMP VIEW _f AS SELECT *, rowid + 1 AS _source_row "
                    "FROM _f0")
    else:
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _adj AS
            SELECT adj, max(j) AS j FROM (
                SELECT _source_row - row_number() OVER (ORDER BY _source_row) AS adj,
                       row_number() OVER (ORDER BY _source_row) AS j FROM _frej) GROUP BY adj""")
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _fj AS
            SELECT _f0.*, _k + coalesce(_adj.j, 0) AS _source_row
            FROM (SELECT *, rowid + 1 AS _k FROM _f0) _f0
            ASOF LEFT JOIN _adj ON _f0._k > _adj.adj""")
        con.execute("CREATE OR REPLACE TEMP VIEW _f AS SELECT * EXCLUDE (_k) FROM _fj")


def _load_jsonl(con: duckdb.DuckDBPyConnection, sf: SourceFile, options: dict) -> None:
    """Read JSON Lines line by line so a broken line is a reject, not a crash or a loss."""
    con.execute("DROP TABLE IF EXISTS _rej; DROP TABLE IF EXISTS _rejscan")
    try:
        with ordered(con):
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE _l AS
                SELECT _line FROM read_csv({_lit(str(sf.path))},
                    header=false, delim='\x01', quote='', escape='', auto_detect=false,
                    columns={{'_line': 'VARCHAR'}}, store_rejects=true, rejects_table='_rej',
                    rejects_scan='_rejscan', max_line_size=4194304)""")
    except duckdb.Error:  # mixed line ends, stray CRs: split the lines here instead
        lines_python(con, sf.path)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _l AS
        SELECT rowid + 1 AS _source_row, _line,
               CASE WHEN json_valid(_line) THEN json_type(_line) = 'OBJECT' ELSE false END AS _ok
        FROM _l""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _frej AS
        SELECT _source_row, 'not a JSON object' AS reason, _line AS raw_line FROM _l
        WHERE trim(_line) <> '' AND NOT _ok
        UNION ALL
        SELECT line, error_type || ': ' || error_message, csv_line FROM _rej""")
    keys = [r[0] for r in con.execute("""
        SELECT k FROM (SELECT unnest(json_keys(_line)) AS k, _source_row FROM _l
                       WHERE _ok)
        GROUP BY k ORDER BY min(_source_row)""").fetchall()]
    cols = "".join(
        f"CASE WHEN _ok THEN json_extract_string(_line, {_lit('$.' + quote_ident(k))}) END "
        f"AS {quote_ident(k)}, "
        for k in keys)
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW _f AS SELECT {cols}_source_row FROM _l WHERE _ok""")


def _load_parquet(con: duckdb.DuckDBPyConnection, sf: SourceFile, options: dict) -> None:
    """Read Parquet; native numbers and dates become their text form for uniform validation."""
    rel = con.sql(f"SELECT * FROM read_parquet({_lit(str(sf.path))}) LIMIT 0")
    cols = "".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}, "
                   for c in rel.columns if c != "file_row_number")
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW _f AS
        SELECT {cols}file_row_number + 1 AS _source_row
        FROM read_parquet({_lit(str(sf.path))}, file_row_number=true)""")
    con.execute("CREATE OR REPLACE TEMP TABLE _frej (_source_row BIGINT, reason VARCHAR, "
                "raw_line VARCHAR)")


def _read_parquet_files(con: duckdb.DuckDBPyConnection, files: list[SourceFile],
                        raw: str) -> list[str] | None:
    """All Parquet files of a table in one scan (month folders: one statement, not twelve).

    Returns the columns, or ``None`` when a file has a column named like a reader's own
    (``filename``, ``file_row_number``) and the file-by-file path must be taken.
    """
    import pyarrow.parquet as pq

    cols: list[str] = []
    for sf in files:
        for c in pq.read_schema(sf.path).names:
            if c.lower() in ("filename", "file_row_number", "_source_file", "_source_row"):
                return None
            if c.lower() not in (x.lower() for x in cols):
                cols.append(c)
    paths = "[" + ", ".join(_lit(str(sf.path)) for sf in files) + "]"
    rel = "CASE filename " + " ".join(f"WHEN {_lit(str(sf.path))} THEN {_lit(sf.rel)}"
                                      for sf in files) + " END"
    sel = "".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}, " for c in cols)
    con.execute(f"""
        CREATE TEMP TABLE {raw} AS
        SELECT {sel}{rel} AS _source_file, file_row_number + 1 AS _source_row
        FROM read_parquet({paths}, union_by_name=true, filename=true, file_row_number=true)""")
    return cols


_LOADERS = {"csv": _load_csv, "jsonl": _load_jsonl, "parquet": _load_parquet}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
        [table]).fetchall()]


def read_table(con: duckdb.DuckDBPyConnection, files: list[SourceFile], raw: str, rejects: str,
               options: dict | None = None, on_file=None) -> list[str]:
    """Read ``files`` (one table) into temp tables ``raw`` (VARCHARs) and ``rejects``.

    ``raw`` gets the union of the files' columns (a column missing in one file is NULL
    there) plus ``_source_file`` and ``_source_row``; ``rejects`` holds unreadable records
    as ``(_source_file, _source_row, reason, raw_line)``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    files : list of SourceFile
    raw, rejects : str
        Names of the temp tables to (re)create.
    options : dict, optional
        Reader options from a mapping: ``delimiter``, ``encoding`` (CSV).
    on_file : callable, optional
        Called with each SourceFile after it is read (progress).

    Returns
    -------
    list of str
        The columns of the files, in first-seen order (without lineage columns).
    """
    options = options or {}
    con.execute(f"DROP TABLE IF EXISTS {raw}; DROP TABLE IF EXISTS {rejects}")
    con.execute(f"CREATE TEMP TABLE {rejects} (_source_file VARCHAR, _source_row BIGINT, "
                "reason VARCHAR, raw_line VARCHAR)")
    if files and all(sf.fmt == "parquet" for sf in files):
        try:
            cols = _read_parquet_files(con, files, raw)
        except (duckdb.Error, OSError, ValueError):
            cols = None  # read them one by one below, to name the file that fails
        if cols is not None:
            if on_file:
                for sf in files:
                    on_file(sf)
            return cols
    seen: list[str] = []
    for sf in files:
        check_readable(sf)
        try:
            _LOADERS[sf.fmt](con, sf, options)
        except duckdb.Error as exc:
            raise ReadError(
                f"{sf.rel}: cannot be read as {sf.fmt} ({_first_line(exc)}). Check the file's "
                "format and encoding (a mapping may set delimiter and encoding); nothing of "
                f"table {sf.table} was loaded.") from exc
        cols = [c for c in _columns(con, "_f") if c != "_source_row"]
        if sf is files[0]:
            defs = "".join(f"{quote_ident(c)} VARCHAR, " for c in cols)
            con.execute(f"CREATE TEMP TABLE {raw} ({defs}_source_file VARCHAR, "
                        "_source_row BIGINT)")
            seen = list(cols)
        lower = {c.lower() for c in seen}
        for c in cols:
            if c.lower() not in lower:  # a column that earlier files lacked
                con.execute(f"ALTER TABLE {raw} ADD COLUMN {quote_ident(c)} VARCHAR")
                seen.append(c)
                lower.add(c.lower())
        con.execute(f"INSERT INTO {raw} BY NAME SELECT *, {_lit(sf.rel)} AS _source_file "
                    "FROM _f")
        con.execute(f"INSERT INTO {rejects} SELECT {_lit(sf.rel)}, _source_row, reason, "
                    "raw_line FROM _frej")
        con.execute("DROP VIEW IF EXISTS _f; DROP TABLE IF EXISTS _frej; "
                    "DROP TABLE IF EXISTS _f0; DROP TABLE IF EXISTS _fj; DROP TABLE IF EXISTS _l")
        if on_file:
            on_file(sf)
    return seen
