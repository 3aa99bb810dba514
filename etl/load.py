"""``cbec load``: extracts in, validated canonical tables in DuckDB staging, then the graph.

Steps, per contract table (registers first, as the contract lists them): read the files,
validate every row, normalise, classify against staging (inserted / updated / unchanged),
quarantine the rejects, reconcile the counts, and upsert in one transaction together with
the table's reconciliation and quarantine rows. Then three-list checks, graph projection,
entity resolution and the sync to the graph store.

Safe to repeat: the load id is derived from the input's content, so a rerun after a crash
is the same load and resumes (tables already committed by it are skipped); an identical
re-load, or a rerun after a crash past staging, is a new *run* of the same load that inserts
and updates nothing. ``loads.status`` goes ``running`` -> ``staged`` -> ``done``.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from etl import quarantine as qz
from etl.contract import FORMATS, load_contract
from etl.faults import crash_point
from etl.mapping import (
    Mapping,
    check_bindings,
    check_columns,
    load_mapping,
    mapping_warnings,
    select_sql,
)
from etl.readers import SourceFile, check_readable, discover, peek_columns, read_table
from etl.staging import apply_upsert, build_canonical, classify, drop_temp, init_staging
from etl.validate import PARENTS, key_text, orphans_sql, validate
from graph.store.lock_wait import open_when_unlocked

__all__ = ["LoadError", "ReconciliationError", "TableResult", "LoadResult", "compute_load_id",
           "open_staging", "stage", "load", "STAGING_FILE"]

STAGING_FILE = "staging.duckdb"
STEPS = ("read", "validate", "normalise", "upsert")


class LoadError(RuntimeError):
    """A fatal load error: the message says what is wrong and what to do next."""


class ReconciliationError(LoadError):
    """Rows in != inserted + updated + unchanged + quarantined for some file."""


@dataclass
class TableResult:
    """What one table step did (totals over its files)."""

    table: str
    files: int
    rows_in: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    skipped: bool = False  # already committed by an earlier, interrupted run of this load
    seconds: float = 0.0


@dataclass
class LoadResult:
    """The outcome of ``load``: ids, per-table results and downstream summaries."""

    load_id: str
    run: int
    workspace: Path
    tables: list[TableResult] = field(default_factory=list)
    downstream: dict[str, object] = field(default_factory=dict)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # one-line findings for the operator


def _hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def compute_load_id(files: list[SourceFile], mapping: Mapping, fmt: str = "auto") -> str:
    """Deterministic id of a load: hash of the files' names, sizes, contents and the mapping.

    The same input gives the same id, so a rerun after a crash continues the same load.
    """
    h = hashlib.sha256()
    for sf in sorted(files, key=lambda s: s.rel):
        h.update(f"{sf.table}\0{sf.rel}\0{sf.size}\0{_hash_file(sf.path)}\n".encode())
    h.update(mapping.text.encode())
    h.update(fmt.encode())
    return "L" + h.hexdigest()[:15]


LOCK_WAIT_S = 120.0  # a reader's query (the app's statistics at 1M) takes seconds


def open_staging(workspace: Path, memory_limit: str = "3GB",
                 say: Callable[[str], None] | None = None,
                 wait_s: float = LOCK_WAIT_S) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) ``<workspace>/staging.duckdb`` with bounded memory.

    DuckDB lets one process write only while no other holds the file, even read-only:
    the investigator app opens it for each read and closes it at once, so a load that
    meets such a read waits for it (up to ``wait_s``, saying so through ``say``) rather
    than fail.
    """
    workspace = Path(workspace)
    workspace.mkdir(parents=True, exist_ok=True)
    con = _connect_when_free(workspace / STAGING_FILE, wait_s, say)
    tmp = workspace / ".duckdb_tmp"
    con.execute(f"SET memory_limit = '{memory_limit}'")
    # DuckDB's own progress bars would print into `cbec load`'s output.
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET temp_directory = '{tmp.as_posix()}'")
    # Off for speed and memory; the readers switch it on where they number rows by rowid.
    con.execute("SET preserve_insertion_order = false")
    init_staging(con)
    return con


def _connect_when_free(path: Path, wait_s: float, say: Callable[[str], None] | None
                       ) -> duckdb.DuckDBPyConnection:
    def tell() -> None:
        msg = (f"waiting for another process reading {path.name} (the app, a scoring run) "
               f"to finish its query, up to {wait_s:.0f} s")
        say(msg) if say else print(msg, file=sys.stderr, flush=True)

    return open_when_unlocked(lambda: duckdb.connect(str(path)), duckdb.IOException, wait_s,
                              tell)


def _expected_names() -> str:
    names = ", ".join(load_contract())
    return (f"expected files named <table>.<ext> or folders <table>/ of <ext> files, with "
            f"<ext> one of {', '.join(FORMATS)} and <table> one of: {names}")


def plan(input_dir: Path, mapping: Mapping, fmt: str,
         warn: Callable[[str], None] | None = None) -> dict[str, list[SourceFile]]:
    """Find the files of every table and check each file's columns before anything is written.

    Raises
    ------
    LoadError
        The folder is missing or holds no recognisable table.
    etl.mapping.MappingError
        A required field has no source column in some file.
    """
    input_dir = Path(input_dir)
    if not input_dir.is_dir():
        raise LoadError(f"{input_dir}: no such folder. Give the folder holding the extracts "
                        "(e.g. the output of cbec generate).")
    found = discover(input_dir, list(load_contract()), fmt, mapping.patterns)
    if not found:
        raise LoadError(f"{input_dir}: no recognisable tables; {_expected_names()}. For "
                        "other names use a mapping file (--mapping, docs/mapping-example.yaml).")
    for table, files in found.items():
        tm = mapping.for_table(table)
        for sf in files:
            check_readable(sf)
            columns = peek_columns(sf, tm.options)
            if columns:  # an empty file has no rows to map
                check_columns(tm, columns, sf.rel)
                check_bindings(tm, columns, sf.rel)
                for w in mapping_warnings(tm, columns, sf.rel) if warn else ():
                    warn("warning: " + w)
    return found


def _begin_run(con: duckdb.DuckDBPyConnection, load_id: str, input_dir: Path, n_files: int,
               mapping: Path | None) -> tuple[int, set[str]]:
    """Resume an unfinished run of this load, or start a new run; return (run, done tables)."""
    last = con.execute("SELECT run, status FROM loads WHERE load_id = ? ORDER BY run DESC "
                       "LIMIT 1", [load_id]).fetchone()
    if last and last[1] == "running":
        done = {r[0] for r in con.execute(
            "SELECT DISTINCT table_name FROM load_reports WHERE load_id = ? AND run = ?",
            [load_id, last[0]]).fetchall()}
        return last[0], done
    run = (last[0] + 1) if last else 1
    con.execute("INSERT INTO loads VALUES (?, ?, ?, NULL, 'running', ?, ?, ?)",
                [load_id, run, datetime.now(), str(input_dir), n_files,
                 str(mapping) if mapping else None])
    return run, set()


def _reconcile(con: duckdb.DuckDBPyConnection, table: str, files: list[SourceFile],
               inputs: str, rejects: str, classified: str, quarantined: str) -> list[dict]:
    """Per-file counts; raise ReconciliationError unless rows in = sum of outcomes.

    ``inputs`` holds ``(_source_file, n)``: rows read per file; ``rejects`` the unreadable
    records (also rows in).
    """
    counts: dict[str, dict] = {sf.rel: dict(source_file=sf.rel, rows_in=0, inserted=0,
                                            updated=0, unchanged=0, quarantined=0)
                               for sf in files}
    queries = [
        ("rows_in", f"SELECT _source_file, n FROM {inputs}"),
        ("rows_in", f"SELECT _source_file, count(*) FROM {rejects} GROUP BY 1"),
        ("quarantined", f"SELECT _q_source_file, count(*) FROM {quarantined} GROUP BY 1"),
    ] + [(a, f"SELECT _source_file, count(*) FROM {classified} WHERE _action = '{a}' "
             "GROUP BY 1") for a in ("inserted", "updated", "unchanged")]
    for key, q in queries:
        for f, n in con.execute(q).fetchall():
            counts[f][key] += n
    for c in counts.values():
        out = c["inserted"] + c["updated"] + c["unchanged"] + c["quarantined"]
        if c["rows_in"] != out:
            raise ReconciliationError(
                f"{table} / {c['source_file']}: {c['rows_in']} rows in but {out} accounted for "
                f"(inserted {c['inserted']}, updated {c['updated']}, unchanged "
                f"{c['unchanged']}, quarantined {c['quarantined']}). Nothing of this table "
                "was written; please report this with the file.")
    return list(counts.values())


def _stage_table(con: duckdb.DuckDBPyConnection, table: str, files: list[SourceFile],
                 mapping: Mapping, load_id: str, run: int, workspace: Path, today: date,
                 step: Callable[[str], None]) -> TableResult:
    """Read, validate, normalise, quarantine, reconcile and upsert one table."""
    t0 = time.perf_counter()
    tm = mapping.for_table(table)
    raw, rej, val, can, cls, qua = (f"_{x}_{table}" for x in
                                    ("raw", "rej", "val", "can", "cls", "qua"))
    columns = read_table(con, files, raw, rej, tm.options)
    crash_point(f"after_read:{table}")
    step("validate")
    validate(con, table, select_sql(tm, columns, raw), val, today, row_filter=tm.filter,
             check_parents=True)
    pk = load_contract()[table].primary_key
    if table in {p for _, p, _, _ in PARENTS.values()}:  # keys their children are checked by
        con.execute(f"CREATE OR REPLACE TEMP TABLE _qk_{table} AS SELECT DISTINCT "
                    f"{key_text(pk, 'v')} AS key FROM {val} v WHERE NOT v._ok")
    # Quarantine and count the input first, so the raw copy can go before the next one is
    # made: at 1M rows each copy is a few hundred MB.
    n_q = qz.collect(con, raw, columns, val, rej, qua, load_contract()[table].primary_key)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _in_{table} AS SELECT _source_file, count(*) "
                f"AS n FROM {raw} GROUP BY 1")
    drop_temp(con, raw)
    step("normalise")
    build_canonical(con, table, val, can, load_id)
    drop_temp(con, val)
    classify(con, table, can, cls)
    counts = _reconcile(con, table, files, f"_in_{table}", rej, cls, qua)
    step("upsert")
    qz.write_csv(con, qua, qz.quarantine_path(workspace, load_id, table), columns)

    def bookkeeping() -> None:
        qz.store(con, qua, load_id, table)
        if con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND "
                       "table_name = ?", [f"_qk_{table}"]).fetchone()[0]:
            con.execute("DELETE FROM quarantined_keys WHERE load_id = ? AND table_name = ?",
                        [load_id, table])
            con.execute(f"INSERT INTO quarantined_keys SELECT ?, ?, key FROM _qk_{table}",
                        [load_id, table])
        con.executemany(
            "INSERT INTO load_reports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[load_id, run, table, c["source_file"], c["rows_in"], c["inserted"], c["updated"],
              c["unchanged"], c["quarantined"]] for c in counts])

    apply_upsert(con, table, cls, before_commit=lambda: crash_point(f"before_commit:{table}"),
                 extra=bookkeeping)
    for t in (cls, rej, can, qua, f"_in_{table}", f"_qk_{table}"):
        drop_temp(con, t)
    res = TableResult(table, len(files), quarantined=n_q, seconds=time.perf_counter() - t0)
    for c in counts:
        res.rows_in += c["rows_in"]
        res.inserted += c["inserted"]
        res.updated += c["updated"]
        res.unchanged += c["unchanged"]
    return res


#: Party codes that stand for "none": loaded as given, they would make one enterprise that
#: every such declaration links to (a giant hub).
PLACEHOLDER_RE = r"^(NO([-_ ][A-Z]+)?|NONE|NULL|N/?A|UNKNOWN|-+|0+|X+)$"
_PARTY_FIELDS = ("ebp_code", "ebc_code", "logistics_code", "agent_code")


def _placeholder_notes(con: duckdb.DuckDBPyConnection, load_id: str) -> list[str]:
    """Notes naming party codes of this load's declarations that look like placeholders."""
    union = " UNION ALL ".join(
        f"SELECT '{f}' AS f, {f} AS v FROM stg_declarations WHERE _load_id = $lid "
        f"AND regexp_matches(upper({f}), $re)" for f in _PARTY_FIELDS)
    rows = con.execute(f"SELECT f, v, count(*) FROM ({union}) GROUP BY ALL ORDER BY 3 DESC",
                       {"lid": load_id, "re": PLACEHOLDER_RE}).fetchall()
    return [f"declarations: {f} {v!r} on {n:,} row(s) looks like a placeholder; it becomes "
            f"one enterprise linking all of them. Leave the field empty instead (a mapping "
            f"can map it to NULL: values: {{{f}: {{'{v}': ~}}}}); parties are optional "
            f"outside the channels that have them (docs/loading.md)." for f, v, n in rows]


def _from_reports(con: duckdb.DuckDBPyConnection, load_id: str, run: int, table: str,
                  n_files: int) -> TableResult:
    r = con.execute("SELECT sum(rows_in), sum(inserted), sum(updated), sum(unchanged), "
                    "sum(quarantined) FROM load_reports WHERE load_id = ? AND run = ? AND "
                    "table_name = ?", [load_id, run, table]).fetchone()
    return TableResult(table, n_files, *[int(x or 0) for x in r], skipped=True)


def stage(input_dir: Path, workspace: Path = Path("workspace"), mapping_path: Path | None = None,
          fmt: str = "auto", progress=None, today: date | None = None,
          con: duckdb.DuckDBPyConnection | None = None) -> LoadResult:
    """The staging half of a load: every table of ``input_dir`` into ``stg_*``.

    Parameters
    ----------
    input_dir : Path
        Folder of extracts (``ground_truth/`` inside it is never read).
    workspace : Path
        Holds ``staging.duckdb`` and ``quarantine/``.
    mapping_path : Path, optional
        Mapping YAML for other layouts.
    fmt : str
        ``auto`` or one of csv, parquet, jsonl.
    progress : rich.progress.Progress, optional
        Receives one task per table.
    today : date, optional
        Reference date for "far future" checks (tests pin it).
    con : duckdb connection, optional
        An open staging connection (default: open ``<workspace>/staging.duckdb``).

    Returns
    -------
    LoadResult
        With ``downstream`` empty; :func:`load` fills it.
    """
    t0 = time.perf_counter()
    mapping = load_mapping(mapping_path)  # checked against the contract before any reading
    found = plan(input_dir, mapping, fmt)
    all_files = [sf for fs in found.values() for sf in fs]
    load_id = compute_load_id(all_files, mapping, fmt)
    workspace = Path(workspace)
    con = con or open_staging(workspace)
    run, done = _begin_run(con, load_id, Path(input_dir), len(all_files), mapping_path)
    result = LoadResult(load_id, run, workspace)
    tasks = {}
    if progress is not None:
        for table in found:
            tasks[table] = progress.add_task(f"{table:<18}", total=len(STEPS))
    for table, files in found.items():
        def step(name: str, table: str = table) -> None:
            if progress is not None:
                progress.update(tasks[table], advance=1, description=f"{table:<18} {name}")

        if table in done:
            result.tables.append(_from_reports(con, load_id, run, table, len(files)))
            if progress is not None:
                progress.update(tasks[table], completed=len(STEPS),
                                description=f"{table:<18} (done earlier)")
            continue
        step("read")
        result.tables.append(_stage_table(con, table, files, mapping, load_id, run, workspace,
                                          today or date.today(), step))
        if progress is not None:
            progress.update(tasks[table], completed=len(STEPS), description=f"{table:<18} done")
        crash_point(f"after_stage:{table}")
    if "declarations" in found:
        result.notes += _placeholder_notes(con, load_id)
    for table in found:
        q = orphans_sql(table)
        n = con.execute(q, {"load_id": load_id}).fetchone()[0] if q else 0
        if n:
            mine, parent, _, called = PARENTS[table]
            result.notes.append(
                f"{table}: {n:,} row(s) of this load name a {called} ({', '.join(mine)}) that "
                f"is in no extract loaded so far; they are staged, and reach the graph once "
                f"the {called} arrives (stg_{parent}).")
    con.execute("UPDATE loads SET status = 'staged' WHERE load_id = ? AND run = ?",
                [load_id, run])
    crash_point("after_staging")
    result.seconds = time.perf_counter() - t0
    return result


def _downstream(name: str, fn: Callable[[], object], say: Callable[[str], None]) -> object:
    """Run one downstream step; a step whose module is not written yet is skipped visibly."""
    try:
        out = fn()
    except ImportError as exc:
        say(f"{name}: (not available yet: {exc})")
        return None
    crash_point(f"after_{name}")
    return out


def code_fingerprint() -> str:
    """Hash of what decides a load's outcome besides its input: the ETL code, the contract,
    the graph schema and store code, and which store (``NEO4J_URI``) it writes to."""
    import os

    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    paths = sorted((root / "etl").rglob("*.py")) + sorted((root / "graph" / "store").glob("*.py"))
    for p in paths + [root / "etl" / "contract.yaml", root / "graph" / "schema.yaml"]:
        if p.exists():
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    h.update(os.environ.get("NEO4J_URI", "").encode())
    return h.hexdigest()[:16]


def _identical_reload(con: duckdb.DuckDBPyConnection, found: dict[str, list[SourceFile]],
                      mapping: Mapping, fmt: str, input_dir: Path, mapping_path: Path | None,
                      workspace: Path) -> LoadResult | None:
    """The result of loading again exactly what the last load of this workspace loaded, with
    the same code: a new run whose rows are all unchanged, without reading, validating,
    checking, projecting or resolving anything. ``None`` when anything differs."""
    load_id = compute_load_id([sf for fs in found.values() for sf in fs], mapping, fmt)
    last = con.execute("SELECT l.load_id, l.run, l.status, f.fingerprint FROM loads l "
                       "LEFT JOIN load_fingerprints f USING (load_id, run) "
                       "ORDER BY l.started DESC, l.run DESC LIMIT 1").fetchone()
    if not last or last[0] != load_id or last[2] != "done" or last[3] != code_fingerprint():
        return None
    prev = last[1]
    run = con.execute("SELECT max(run) + 1 FROM loads WHERE load_id = ?", [load_id]
                      ).fetchone()[0]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("INSERT INTO loads VALUES (?, ?, ?, NULL, 'staged', ?, ?, ?)",
                    [load_id, run, datetime.now(), str(input_dir),
                     sum(len(fs) for fs in found.values()),
                     str(mapping_path) if mapping_path else None])
        con.execute("INSERT INTO load_reports SELECT load_id, ?, table_name, source_file, "
                    "rows_in, 0, 0, inserted + updated + unchanged, quarantined "
                    "FROM load_reports WHERE load_id = ? AND run = ?", [run, load_id, prev])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    result = LoadResult(load_id, run, Path(workspace))
    for table, files in found.items():
        t = _from_reports(con, load_id, run, table, len(files))
        t.skipped = False
        result.tables.append(t)
    result.notes.append(f"identical to run {prev} of this load, with the same code: staging, "
                        "checks, projection and entities already hold it; only the graph "
                        "store was checked")
    return result


def load(input_dir: Path, workspace: Path = Path("workspace"), mapping_path: Path | None = None,
         fmt: str = "auto", progress=None, say: Callable[[str], None] = print,
         today: date | None = None, graph: bool = True) -> LoadResult:
    """The whole ``cbec load``: staging, three-list checks, projection, resolution, graph sync
    (``graph=False``: staging and checks only; the load stays ``staged``).

    See :func:`stage` for the parameters; ``say`` prints one-line notes. Loading again
    exactly what the workspace's last load loaded, with the same code, is near-free: a new
    run of all-unchanged rows, and a sync that finds nothing to send.
    """
    mapping = load_mapping(mapping_path)
    found = plan(input_dir, mapping, fmt, warn=say)  # fail before any write
    con = open_staging(Path(workspace), say=say)
    try:
        result = _identical_reload(con, found, mapping, fmt, input_dir, mapping_path,
                                   workspace) if graph else None
        stages: tuple[str, ...] = ("checks", "project", "resolve", "sync")
        if result is None:
            result = stage(input_dir, workspace, mapping_path, fmt, progress, today, con=con)
        else:
            stages = ("sync",)
        if not graph:
            stages = ("checks",)
        lid = result.load_id

        def checks():
            from etl.three_list import run_checks
            return run_checks(con, lid)

        def project():
            from etl.project import project as _project
            return _project(con, lid)

        def resolve():
            from etl.resolution import resolve as _resolve
            return _resolve(con, lid)

        def sync():
            from etl.sync import push
            from graph.store import open_store
            store = open_store(Path(workspace))
            store.ensure_schema()
            try:
                return push(con, store, lid, progress)
            finally:
                store.close()

        steps = {"checks": checks, "project": project, "resolve": resolve, "sync": sync}
        for name in stages:
            result.downstream[name] = _downstream(name, steps[name], say)
        if not graph:
            return result
        con.execute("UPDATE loads SET status = 'done', finished = ? WHERE load_id = ? AND "
                    "run = ?", [datetime.now(), lid, result.run])
        con.execute("INSERT INTO load_fingerprints VALUES (?, ?, ?)",
                    [lid, result.run, code_fingerprint()])
        return result
    finally:
        con.close()


def stage_if_empty(world: Path, workspace: Path, con: duckdb.DuckDBPyConnection,
                   say: Callable[[str], None] = print) -> str:
    """The load id of the declarations staged in ``con``; when it holds none, ``world`` is
    staged first. For evaluation scripts that reuse a staged workspace across runs."""
    have = con.execute("SELECT count(*) FROM information_schema.tables "
                       "WHERE table_name = 'stg_declarations'").fetchone()[0]
    if not have or not con.execute("SELECT count(*) FROM stg_declarations").fetchone()[0]:
        t0 = time.perf_counter()
        load_id = stage(world, workspace, con=con).load_id
        say(f"staged in {time.perf_counter() - t0:.1f} s")
        return load_id
    return con.execute("SELECT max(_load_id) FROM stg_declarations").fetchone()[0]


def reports(con: duckdb.DuckDBPyConnection, load_id: str, run: int) -> list[dict]:
    """The reconciliation rows of one run, for display."""
    cur = con.execute("SELECT table_name, source_file, rows_in, inserted, updated, unchanged, "
                      "quarantined FROM load_reports WHERE load_id = ? AND run = ? "
                      "ORDER BY table_name, source_file", [load_id, run])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def as_json(result: LoadResult) -> str:
    """A compact JSON summary of a load (for logs and tests)."""
    return json.dumps({"load_id": result.load_id, "run": result.run,
                       "tables": [t.__dict__ for t in result.tables]}, default=str)
