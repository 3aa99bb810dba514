"""Send the graph tables' delta to the graph store, through a ledger kept in staging.

The store receives only what it has not got yet. Three ledger tables in staging say what
that is:

- ``graph_sync_nodes(label, key, props_hash)``: every node key sent, with a hash of the
  properties it was sent with; a key whose properties changed is sent again (an upsert).
  ``props_hash`` NULL: the key is being retracted (see below).
- ``graph_sync_edges(edge_type, edge_id, batch)``: every edge planned for the store, by
  identity (``edge_id`` = MD5 of type, ends, ``source`` and properties) and the batch that
  carries it.
- ``graph_sync(batch, kind, name, from_label, to_label, load_id, rows, planned_at,
  done_at)``: one row per batch; ``done_at`` is set once the store call returned.
- ``graph_sync_tables(table_name, version)``: the projection's version (``etl.project``)
  of each graph table last sent in full; a table still at that version, with no batch
  pending, is skipped without reading it.

Nodes go before edges. New edges are first *planned*: assigned, in one transaction, to
batches ``<TYPE>:<From>><To>:<load_id>:<n>`` over the delta sorted by ``(from_key, to_key,
edge_id)``. Then every planned batch without ``done_at`` is sent, including batches a
killed earlier run planned, under their original ids. That is what makes a kill at any
point safe: a batch written to the store but not yet marked is sent again under the same
id, and ``GraphStore.write_edges`` first deletes what an earlier attempt of that batch
wrote, so the edges are never doubled.

Retraction. The projection is a full recompute, so an edge or node can disappear from it
(a corrected waybill address, a withdrawn ``SAME_AS``, a corrected declaration line); the
store must lose it too. For each edge pair read, the ledger's edge ids that the projection
no longer has name the batches holding them; those batches are made pending again
(``done_at`` NULL, one statement) and go out with the other pending batches: sent again,
under their own id, with their surviving edges only. ``write_edges`` replaces a batch, so
the retracted edges leave the store, and the batch's mark drops their ledger rows and sets
``rows`` to what was written. No new store call and no new crash case: a reopened batch
is just a pending one. After all edges, the node keys the ledger sent but the projection
no longer has are deleted with ``GraphStore.delete_nodes`` (which keeps a node that still
has an edge): their ledger rows are flagged first (``props_hash`` NULL), deleted after the
store call, and a node table is marked sent only after its retraction, so a kill at any
step finds the same keys again on the rerun. Tables the version check skips cannot have
lost anything (their content is unchanged), so an identical reload still reads nothing
and re-sends nothing.

Why re-send rather than delete single edges: the ledger keeps only each edge's hash, not
its ends and properties, and the projection no longer has the retracted rows, so a
``delete_edges(ends...)`` would need the ledger to keep every edge's ends and properties
(19M rows at 1M declarations) or to read the batch back from the store. Re-sending costs
O(batch) per touched batch. Measured (Ladybug, 2 shared cores), 100k declarations: 291
of 30,755 waybill addresses corrected (1 %): 291 SHIP_TO edges retracted by re-sending
the one Waybill>Address batch (30.7k edges), push 1.5-1.6 s (identical reload: 0.36 s);
the same waybills' orders too: 581 retracted, two batches (61.4k edges) re-sent, push
1.3 s; those 291 addresses corrected again: 581 edges and 291 Address nodes retracted,
push 1.0 s. At scale, one 500k batch of a type holding 2M edges: re-sent in 13.7 s (10
edges retracted) to 16.6 s (1,000), where deleting by ends (UNWIND ... MATCH ... DELETE)
took 0.75 s and 4.1 s; a correction touching every batch of a 2M-edge type costs about a
minute. If that becomes common, keep ends in the ledger and delete by key.

The store calls run in one worker thread, one at a time, while this thread computes the
next batch in DuckDB (Ladybug releases the GIL during COPY); each batch is still marked
after its own store call returned and before the next starts (``_Writer``), so the above
holds unchanged. Measured at 100k declarations on a shared 2-core machine: push 19.5-20 s
wall / 19 s CPU serial, 16.4-16.9 s wall / 17-17.7 s CPU with the thread and the plan
doubling as the outbox.

Examples
--------
>>> import duckdb
>>> from etl.sync import ensure_ledger
>>> con = duckdb.connect()
>>> ensure_ledger(con)
>>> con.sql("SELECT count(*) FROM graph_sync").fetchall()[0]
(0,)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

import duckdb
import pyarrow as pa

from etl.faults import crash_point
from etl.project import VERSIONS_TABLE, edge_table, node_table
from graph.schema import GraphSchema, load_schema

__all__ = ["push", "PushSummary", "ensure_ledger", "edge_id_sql", "BATCH_ROWS", "BATCH_ENV"]

BATCH_ROWS = 500_000  # rows per store call: write_edges scans its type once per batch
BATCH_ENV = "CBEC_SYNC_BATCH_ROWS"  # overrides BATCH_ROWS (crash tests use small batches)

_LEDGER = [
    "CREATE TABLE IF NOT EXISTS graph_sync_nodes (label VARCHAR, key VARCHAR, "
    "props_hash UBIGINT)",
    "CREATE TABLE IF NOT EXISTS graph_sync_edges (edge_type VARCHAR, edge_id UHUGEINT, "
    "batch VARCHAR)",
    "CREATE TABLE IF NOT EXISTS graph_sync (batch VARCHAR, kind VARCHAR, name VARCHAR, "
    "from_label VARCHAR, to_label VARCHAR, load_id VARCHAR, rows BIGINT, "
    "planned_at TIMESTAMP, done_at TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS graph_sync_tables (table_name VARCHAR, version VARCHAR)",
]


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ledger tables in staging if they are missing."""
    for ddl in _LEDGER:
        con.execute(ddl)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                       [name]).fetchall()[0][0] > 0


def edge_id_sql(props: list[str]) -> str:
    """SQL for an edge's identity: MD5 (128 bits) of its ends and properties, NULL-safe."""
    parts = ["from_label", "from_key", "to_label", "to_key", *props]
    text = ", ".join(f"coalesce(CAST({p} AS VARCHAR), chr(0))" for p in parts)
    return f"md5_number(concat_ws(chr(31), {text}))"


class PushSummary(dict):
    """Rows sent per node label and edge type (a plain dict, as ``push`` always returned),
    plus ``retracted``: per edge type the edges, per label the nodes, removed from the store
    because the projection no longer has them; and ``resent``: per edge type, the surviving
    edges sent again with them (included in the rows sent)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retracted: dict[str, int] = {}
        self.resent: dict[str, int] = {}


class _Reporter:
    """Rows sent per label/type, mirrored to a rich progress bar when there is one."""

    def __init__(self, progress: Any) -> None:
        self.progress, self.sent = progress, PushSummary()
        self.task = progress.add_task("push", total=None) if progress is not None else None

    def add(self, name: str, rows: int) -> None:
        self.sent[name] = self.sent.get(name, 0) + rows
        if self.task is not None:
            self.progress.update(self.task, description=f"push {name}", advance=rows)

    def retract(self, name: str, rows: int, resent: int = 0) -> None:
        for counts, n in ((self.sent.retracted, rows), (self.sent.resent, resent)):
            if n:
                counts[name] = counts.get(name, 0) + n


class _Writer:
    """Store writes in a worker thread, at most one in flight, so that DuckDB prepares the
    next batch (or plans the next pair) while the store COPYs this one: Ladybug releases
    the GIL during a query. Each write is marked in this thread, in submission order, once
    it returned and before the next write starts, so at most one batch is ever written but
    unmarked, as with no thread, and the crash/resume semantics are unchanged."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="push-write")
        self.inflight: tuple[Future, Callable[[Any], None]] | None = None
        self.then: list[Callable[[], None]] = []  # to run after the in-flight write's mark

    def submit(self, write: Callable[[], Any], mark: Callable[[Any], None]) -> None:
        self.settle()
        self.inflight = (self.pool.submit(write), mark)

    def after(self, action: Callable[[], None]) -> None:
        """Run ``action`` once every write submitted so far is marked (now if none is left)."""
        if self.inflight is None:
            action()
        else:
            self.then.append(action)

    def settle(self) -> None:
        """Wait for the write in flight and mark it; a failed write raises here, unmarked."""
        if self.inflight is not None:
            future, mark = self.inflight
            self.inflight = None
            mark(future.result())
            then, self.then = self.then, []
            for action in then:
                action()

    def close(self, failed: bool) -> None:
        """Settle (or, after a failure elsewhere, wait unmarked: it is sent again later),
        so that no write outlives push()."""
        try:
            if not failed:
                self.settle()
            elif self.inflight is not None:
                wait([self.inflight[0]])
        finally:
            self.pool.shutdown(wait=True)


def _push_nodes(con, store, writer: _Writer, schema: GraphSchema, label: str, load_id: str,
                batch_rows: int, report: _Reporter) -> None:
    """Send new and changed nodes of ``label``; each chunk is marked after the store call.

    ``write_nodes`` is an upsert, so a chunk sent but not marked is simply sent again. The
    writes go through ``writer`` (in order, before any edge write submitted later).
    """
    spec = schema.node(label)
    props = list(spec.etl_properties)  # risk properties are detection's: left as they are
    others = [p for p in props if p != spec.key] or [spec.key]
    cols = ", ".join(f"n.{p}" for p in props)
    h = f"hash({', '.join(f'n.{p}' for p in others)})"
    delta = f"_node_delta_{label}"  # per label: marked after the next label's was built
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {delta} AS
        SELECT {cols}, {h} AS _h, s.key IS NULL AS _new,
               (row_number() OVER (ORDER BY s.key IS NOT NULL, n.{spec.key}) - 1)
                   // {int(batch_rows)} AS _chunk
        FROM {node_table(label)} n
        LEFT JOIN (SELECT key, props_hash FROM graph_sync_nodes WHERE label = $label) s
               ON s.key = n.{spec.key}
        WHERE s.key IS NULL OR s.props_hash IS DISTINCT FROM {h}  -- NULL: being retracted
    """, {"label": label})
    chunks = con.execute(f"SELECT coalesce(max(_chunk) + 1, 0) FROM {delta}").fetchall()[0][0]
    # New keys first, so that chunks are all new or all known: a store may create the new
    # ones without looking each up (write_nodes' ``new``); one chunk may hold both.
    fresh = dict(con.execute(f"SELECT _chunk, bool_and(_new) FROM {delta} GROUP BY _chunk")
                 .fetchall())
    for i in range(chunks):
        rows = con.sql(f"SELECT {', '.join(props)} FROM {delta} WHERE _chunk = $i "
                       f"ORDER BY {spec.key}", params={"i": i}).to_arrow_table()

        def mark(_written: int, i: int = i, n: int = rows.num_rows) -> None:
            crash_point(f"push:{label}:unmarked")
            batch = f"{label}:{load_id}:{i:06d}"
            con.execute("BEGIN TRANSACTION")
            con.execute(f"DELETE FROM graph_sync_nodes WHERE label = $label AND key IN "
                        f"(SELECT {spec.key} FROM {delta} WHERE _chunk = $i)",
                        {"label": label, "i": i})
            con.execute(f"INSERT INTO graph_sync_nodes SELECT $label, {spec.key}, _h "
                        f"FROM {delta} WHERE _chunk = $i", {"label": label, "i": i})
            con.execute("INSERT INTO graph_sync VALUES ($b, 'node', $label, NULL, NULL, $load, "
                        "$n, now(), now())", {"b": batch, "label": label, "load": load_id,
                                              "n": n})
            con.execute("COMMIT")
            report.add(label, n)
            crash_point(f"push:{label}")

        # every column: a property now NULL is cleared
        writer.submit(lambda rows=rows, new=fresh[i]: store.write_nodes(label, rows, new=new),
                      mark)
    writer.after(lambda: con.execute(f"DROP TABLE IF EXISTS temp.{delta}"))


def _retract_nodes(con, store, writer: _Writer, schema: GraphSchema, label: str,
                   report: _Reporter) -> None:
    """Delete from the store the nodes of ``label`` the ledger sent but the projection no
    longer has; called after every edge write was submitted, so their edges are gone by
    then (``delete_nodes`` keeps a node that still has one).

    The ledger rows are flagged first (``props_hash`` NULL: not counted by
    ``_forget_what_the_store_lost``, sent again if the key comes back), then the store
    call, then the rows go; a kill anywhere in between finds the same keys again on the
    rerun, since the node table is marked sent only after this."""
    key = schema.node(label).key
    gone = f"_node_gone_{label}"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {gone} AS
        SELECT s.key FROM graph_sync_nodes s ANTI JOIN {node_table(label)} n ON n.{key} = s.key
        WHERE s.label = $label
    """, {"label": label})
    keys = [k for (k,) in con.execute(f"SELECT key FROM {gone} ORDER BY key").fetchall()]
    if not keys:
        con.execute(f"DROP TABLE temp.{gone}")
        return
    con.execute(f"UPDATE graph_sync_nodes SET props_hash = NULL WHERE label = $label AND "
                f"key IN (SELECT key FROM {gone})", {"label": label})

    def mark(deleted: int) -> None:
        crash_point(f"retract:{label}:deleted")
        con.execute(f"DELETE FROM graph_sync_nodes WHERE label = $label AND "
                    f"key IN (SELECT key FROM {gone})", {"label": label})
        con.execute(f"DROP TABLE temp.{gone}")
        report.retract(label, deleted)
        crash_point(f"retract:{label}")

    writer.submit(lambda: store.delete_nodes(label, keys), mark)


def _plan_edges(con, ids: str, plan: str, edge_type: str, frm: str, to: str, load_id: str,
                batch_rows: int) -> set[str]:
    """Assign the pair's edges (temp table ``ids``) the ledger has never seen to new batches,
    in one transaction; they are left, with their batch, in temp table ``plan``. Returns
    the batch ids planned now."""
    prefix = f"{edge_type}:{frm}>{to}:{load_id}:"
    # Continue numbering after this load's earlier batches: a batch id is never reused for
    # other rows (write_edges would delete that batch's edges).
    start = con.execute("SELECT count(*) FROM graph_sync WHERE starts_with(batch, $p)",
                        {"p": prefix}).fetchall()[0][0]
    con.execute("BEGIN TRANSACTION")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {plan} AS
        SELECT e.*, $prefix || lpad(CAST({start} + (row_number() OVER
                   (ORDER BY from_key, to_key, _id) - 1) // {int(batch_rows)} AS VARCHAR), 6, '0')
                   AS batch
        FROM {ids} e ANTI JOIN (SELECT edge_id FROM graph_sync_edges WHERE edge_type = $t) s
             ON e._id = s.edge_id
    """, {"prefix": prefix, "t": edge_type})
    con.execute(f"INSERT INTO graph_sync_edges SELECT $t, _id, batch FROM {plan}",
                {"t": edge_type})
    con.execute(f"INSERT INTO graph_sync SELECT batch, 'edge', $t, $f, $to, $load, count(*), "
                f"now(), NULL FROM {plan} GROUP BY batch ORDER BY batch",
                {"t": edge_type, "f": frm, "to": to, "load": load_id})
    con.execute("COMMIT")
    return {b for (b,) in con.execute(f"SELECT DISTINCT batch FROM {plan}").fetchall()}


def _reopen_retracted(con, ids: str, edge_type: str, frm: str, to: str) -> set[str]:
    """Batches of the pair holding edges the ledger has but the projection (temp table
    ``ids``) no longer has. Those already sent are made pending again, in one transaction,
    so that they are sent again, under the same id, with their surviving edges only:
    ``write_edges`` replaces a batch, which removes the retracted edges from the store.
    Their ledger rows go when the batch is marked (see ``_push_edge_pair``).

    A pair with no batch in ``graph_sync`` has no ledger rows either (both are written in
    one transaction): nothing to look for, and no scan of the whole ledger, which grows to
    ~19M rows over a 1M-declaration first load."""
    if not con.execute("SELECT count(*) FROM graph_sync WHERE kind = 'edge' AND name = $t "
                       "AND from_label = $f AND to_label = $to",
                       {"t": edge_type, "f": frm, "to": to}).fetchall()[0][0]:
        return set()
    gone = [b for (b,) in con.execute(f"""
        SELECT DISTINCT s.batch FROM graph_sync_edges s ANTI JOIN {ids} e ON e._id = s.edge_id
        WHERE s.edge_type = $t AND starts_with(s.batch, $p)
    """, {"t": edge_type, "p": f"{edge_type}:{frm}>{to}:"}).fetchall()]
    if gone:
        con.execute("UPDATE graph_sync SET done_at = NULL WHERE done_at IS NOT NULL AND "
                    "batch IN (SELECT unnest($b))", {"b": gone})
        crash_point(f"retract:{edge_type}:reopened")
    return set(gone)


def _push_edge_pair(con, store, writer: _Writer, schema: GraphSchema, edge_type: str,
                    frm: str, to: str, load_id: str, batch_rows: int, report: _Reporter,
                    tag: int) -> None:
    # Temp tables named per pair: the last batch of this pair is marked (which reads its
    # _outbox) after the next pair's tables were built.
    ids, outbox = f"_edge_ids_{tag}", f"_outbox_{tag}"
    props = list(schema.edge(edge_type).properties)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {ids} AS
        SELECT from_key, to_key{''.join(', ' + p for p in props)}, {edge_id_sql(props)} AS _id
        FROM {edge_table(edge_type)} WHERE from_label = $f AND to_label = $to
    """, {"f": frm, "to": to})
    retracting = _reopen_retracted(con, ids, edge_type, frm, to)
    now = _plan_edges(con, ids, outbox, edge_type, frm, to, load_id, batch_rows)
    planned = dict(con.execute(
        "SELECT batch, rows FROM graph_sync WHERE kind = 'edge' AND name = $t AND "
        "from_label = $f AND to_label = $to AND done_at IS NULL ORDER BY batch",
        {"t": edge_type, "f": frm, "to": to}).fetchall())
    pending = sorted(planned)

    def drop() -> None:
        for t in (ids, outbox):
            con.execute(f"DROP TABLE IF EXISTS temp.{t}")

    if not pending:
        drop()
        return
    earlier = [b for b in pending if b not in now]
    if earlier:  # batches a killed run planned: their edges, by the ledger, join the outbox
        con.execute(f"""
            INSERT INTO {outbox} BY NAME
            SELECT s.batch, e.* FROM graph_sync_edges s JOIN {ids} e ON e._id = s.edge_id
            WHERE s.edge_type = $t AND s.batch IN (SELECT unnest($batches))
        """, {"t": edge_type, "batches": earlier})
    cols = ", ".join(["from_key", "to_key", *props])
    for batch in pending:
        rows: pa.Table = con.sql(
            f"SELECT {cols} FROM {outbox} WHERE batch = $b ORDER BY from_key, to_key, _id",
            params={"b": batch}).to_arrow_table()

        def mark(written: int, batch: str = batch, n: int = rows.num_rows,
                 last: bool = batch == pending[-1]) -> None:
            # The store call and this mark are not atomic. A kill between them leaves the
            # batch unmarked; the next run sends it again under the same id, and
            # write_edges deletes this attempt's edges first, so nothing is doubled.
            retract = batch in retracting
            crash_point(f"{'retract' if retract else 'push'}:{edge_type}:unmarked")
            con.execute("BEGIN TRANSACTION")
            if n < planned[batch] or retract:
                # Edges of this batch that the projection no longer has were not sent (so
                # the store no longer has them either): forget them, so they count as new
                # if they come back.
                gone = con.execute(
                    f"DELETE FROM graph_sync_edges WHERE edge_type = $t AND batch = $b AND "
                    f"edge_id NOT IN (SELECT _id FROM {outbox} WHERE batch = $b)",
                    {"t": edge_type, "b": batch}).fetchall()[0][0]
                report.retract(edge_type, gone, n if retract else 0)
            con.execute("UPDATE graph_sync SET done_at = now(), rows = $n WHERE batch = $b",
                        {"b": batch, "n": written})
            con.execute("COMMIT")
            report.add(edge_type, n)
            if last:
                drop()
            crash_point(f"{'retract' if retract else 'push'}:{edge_type}")

        writer.submit(lambda rows=rows, batch=batch: store.write_edges(
            edge_type, frm, to, rows, batch), mark)


def _versions(con) -> tuple[dict[str, str], dict[str, str]]:
    """(the projection's version of each graph table, the version last sent in full)."""
    now = dict(con.execute(f"SELECT table_name, version FROM {VERSIONS_TABLE}").fetchall()) \
        if _has_table(con, VERSIONS_TABLE) else {}
    return now, dict(con.execute("SELECT table_name, version FROM graph_sync_tables").fetchall())


def _mark_sent(con, table: str, version: str | None) -> None:
    """Record that ``table`` at ``version`` is in the store in full (nothing left pending)."""
    if version is None:  # a table the projection does not version (edge_SAME_AS)
        return
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM graph_sync_tables WHERE table_name = ?", [table])
    con.execute("INSERT INTO graph_sync_tables VALUES (?, ?)", [table, version])
    con.execute("COMMIT")


def _has_pending(con, edge_type: str) -> bool:
    return con.execute("SELECT count(*) FROM graph_sync WHERE kind = 'edge' AND name = ? AND "
                       "done_at IS NULL", [edge_type]).fetchall()[0][0] > 0


def _forget_what_the_store_lost(con, store, schema: GraphSchema) -> None:
    """Where the store holds fewer nodes or edges than the ledger says it was sent (its
    folder was deleted or restored from an older copy, say), forget them in the ledger so
    this push sends them again: node writes are upserts and a batch sent again replaces
    itself, so nothing is doubled. Costs one count per label and type."""
    sent_nodes = dict(con.execute("SELECT label, count(*) FROM graph_sync_nodes WHERE "
                                  "props_hash IS NOT NULL GROUP BY label").fetchall())
    for label, n in sent_nodes.items():
        if label in schema.nodes and store.count_nodes(label) < n:
            con.execute("DELETE FROM graph_sync_nodes WHERE label = ?", [label])
            con.execute("DELETE FROM graph_sync_tables WHERE table_name = ?",
                        [node_table(label)])
    sent_edges = dict(con.execute("SELECT name, sum(rows) FROM graph_sync WHERE kind = 'edge' "
                                  "AND done_at IS NOT NULL GROUP BY name").fetchall())
    for edge_type, n in sent_edges.items():
        if edge_type in schema.edges and store.count_edges(edge_type) < n:
            con.execute("UPDATE graph_sync SET done_at = NULL WHERE kind = 'edge' AND name = ?",
                        [edge_type])
            con.execute("DELETE FROM graph_sync_tables WHERE table_name = ?",
                        [edge_table(edge_type)])


def push(con: duckdb.DuckDBPyConnection, store: Any, load_id: str, progress: Any = None,
         batch_rows: int | None = None) -> dict[str, int]:
    """Send to ``store`` the nodes and edges of the graph tables it has not got yet.

    Parameters
    ----------
    con
        The staging connection holding ``node_*``/``edge_*`` (see ``etl.project``); the
        ledger tables are created there if missing.
    store
        A ``GraphStore`` whose schema exists (``ensure_schema`` was called).
    load_id
        This load's id; it names the batches planned now.
    progress
        A ``rich.progress.Progress`` to report on, or None.
    batch_rows
        Rows per store call, nodes and edges (default: env ``CBEC_SYNC_BATCH_ROWS``, else
        ``BATCH_ROWS``).

    Returns
    -------
    dict[str, int]
        Rows sent per node label and edge type (labels/types with nothing to send are absent).
        Pushing again with nothing new in staging sends nothing.
    """
    schema = getattr(store, "schema", None) or load_schema()
    given = batch_rows or os.environ.get(BATCH_ENV)  # tests: small batches everywhere
    batch_rows = int(given or BATCH_ROWS)
    ensure_ledger(con)
    _forget_what_the_store_lost(con, store, schema)
    report = _Reporter(progress)
    # A table whose projection version was already sent in full, with no batch of it left
    # pending, has nothing new: skipping it makes an identical reload's push nearly free.
    version, sent = _versions(con)
    writer, failed = _Writer(), True
    try:
        labels = []  # node labels read now: their retraction comes after the edges'
        for label in schema.nodes:
            table = node_table(label)
            if not _has_table(con, table) or (table in version and
                                              sent.get(table) == version[table]):
                continue
            _push_nodes(con, store, writer, schema, label, load_id, batch_rows, report)
            labels.append(label)
        todo: list[tuple[str, str, str]] = []  # (type, from, to) to look at, in schema order
        for edge_type, spec in schema.edges.items():
            table = edge_table(edge_type)
            if not _has_table(con, table) or (table in version and sent.get(table) ==
                                              version[table] and not _has_pending(con, edge_type)):
                continue
            todo.extend((edge_type, frm, to) for frm, to in spec.pairs)
        for tag, (edge_type, frm, to) in enumerate(todo):
            _push_edge_pair(con, store, writer, schema, edge_type, frm, to, load_id,
                            batch_rows, report, tag)
            if tag + 1 == len(todo) or todo[tag + 1][0] != edge_type:
                table = edge_table(edge_type)
                writer.after(lambda t=table: _mark_sent(con, t, version.get(t)))
        for label in labels:
            _retract_nodes(con, store, writer, schema, label, report)
            # sent in full only once the label's writes and retraction are marked
            table = node_table(label)
            writer.after(lambda t=table: _mark_sent(con, t, version.get(t)))
        failed = False
    finally:
        writer.close(failed)
    return report.sent
