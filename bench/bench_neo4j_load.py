"""Neo4j load benchmark: rows per second for ``Neo4jStore.write_nodes`` / ``write_edges``.

Runs against the server named by ``NEO4J_URI`` (with ``NEO4J_USER``, ``NEO4J_PASSWORD``,
``NEO4J_DATABASE``); without it, prints how to run and exits 0. Use a scratch database: the
benchmark writes nodes whose keys start with ``bench-`` and removes them with ``--cleanup``.

Data: the graph projection of a loaded workspace (``--staging <workspace>/staging.duckdb``,
tables ``node_<Label>`` and ``edge_<TYPE>``), or else rows generated from the schema
(``--rows`` per node label, as many edges per edge-type pair, endpoints drawn at random).

``--dry-run`` runs the same load through a fake runner that packs each batch as the driver
would for the wire, then counts: it measures the client side alone (checks, casts,
batching, conversion to parameters, serialisation), with no server.

    NEO4J_URI=bolt://localhost:7687 NEO4J_USER=neo4j NEO4J_PASSWORD=... \\
        NEO4J_DATABASE=bench .venv/bin/python bench/bench_neo4j_load.py --rows 100000
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from graph.schema import GraphSchema, ident, load_schema
from graph.store.neo4j_store import LOAD_BATCH, Neo4jStore
from graph.store.testing import FakeRunner

PREFIX = "bench-"
USAGE = """NEO4J_URI is not set: nothing to benchmark against.

Run it against a scratch database of a Neo4j 5 server, e.g.:

  NEO4J_URI=bolt://localhost:7687 NEO4J_USER=neo4j NEO4J_PASSWORD=<password> \\
  NEO4J_DATABASE=bench .venv/bin/python bench/bench_neo4j_load.py --rows 100000 --cleanup

or measure the client side only, with no server:

  .venv/bin/python bench/bench_neo4j_load.py --dry-run --rows 100000

See docs/neo4j.md."""


# -- data ---------------------------------------------------------------------------------

def _column(kind: str, n: int, rng: random.Random) -> list:
    """``n`` random values of a schema type."""
    base_t, base_d = datetime(2024, 1, 1), date(2020, 1, 1)
    if kind == "STRING":
        return [f"v{rng.randrange(10**6)}" for _ in range(n)]
    if kind == "INT64":
        return [rng.randrange(10**6) for _ in range(n)]
    if kind == "DOUBLE":
        return [round(rng.random() * 1000, 2) for _ in range(n)]
    if kind == "BOOLEAN":
        return [rng.random() < 0.5 for _ in range(n)]
    if kind == "DATE":
        return [base_d + timedelta(days=rng.randrange(1500)) for _ in range(n)]
    return [base_t + timedelta(seconds=rng.randrange(3 * 10**7)) for _ in range(n)]


def generated(schema: GraphSchema, rows: int, seed: int = 7
              ) -> Iterator[tuple[str, tuple, pa.Table]]:
    """``("node", (label,), table)`` for every label, then ``("edge", (type, from, to),
    table)`` for every declared pair: ``rows`` each, keys ``bench-<label>-<i>``."""
    rng = random.Random(seed)
    for node in schema.nodes.values():
        cols = {p: _column(t, rows, rng) for p, t in node.properties.items()}
        cols[node.key] = [f"{PREFIX}{node.label}-{i}" for i in range(rows)]
        yield "node", (node.label,), pa.table(cols)
    for edge in schema.edges.values():
        for a, b in edge.pairs:
            cols = {"from_key": [f"{PREFIX}{a}-{rng.randrange(rows)}" for _ in range(rows)],
                    "to_key": [f"{PREFIX}{b}-{rng.randrange(rows)}" for _ in range(rows)]}
            cols |= {p: _column(t, rows, rng) for p, t in edge.properties.items()}
            yield "edge", (edge.name, a, b), pa.table(cols)


def from_staging(schema: GraphSchema, path: Path) -> Iterator[tuple[str, tuple, pa.Table]]:
    """The same triples from a workspace's ``node_<Label>`` / ``edge_<TYPE>`` tables."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    tables = {r[0] for r in con.sql("SELECT table_name FROM information_schema.tables").fetchall()}
    for node in schema.nodes.values():
        if f"node_{node.label}" in tables:
            cols = [c for c in _columns(con, f"node_{node.label}") if c in node.properties]
            yield "node", (node.label,), con.sql(
                f'SELECT {", ".join(_q(c) for c in cols)} FROM {_q("node_" + node.label)}'
            ).to_arrow_table()
    for edge in schema.edges.values():
        name = f"edge_{edge.name}"
        if name not in tables:
            continue
        props = [c for c in _columns(con, name) if c in edge.properties]
        for a, b in edge.pairs:
            sel = ", ".join(["from_key", "to_key", *map(_q, props)])
            yield "edge", (edge.name, a, b), con.sql(
                f"SELECT {sel} FROM {_q(name)} WHERE from_label = $a AND to_label = $b",
                params={"a": a, "b": b}).to_arrow_table()
    con.close()


def _columns(con, table: str) -> list[str]:
    return [r[0] for r in con.sql(f"DESCRIBE {_q(table)}").fetchall()]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- run ----------------------------------------------------------------------------------

def _counting_runner() -> FakeRunner:
    """A runner that answers writes with their row count after packing the parameters as
    the driver would for the wire (Bolt PackStream, with the Rust extension if installed),
    so a dry run measures the whole client side."""
    pack = _bolt_packer()

    def answer(query: str, params: dict) -> list[dict]:
        pack(params)
        return [{"written": len(params["rows"])}]

    fake = FakeRunner(database="dry-run")
    fake.respond("UNWIND $rows", answer)
    return fake


def _bolt_packer():
    """``pack(value)`` with the driver's PackStream packer; a no-op if its private modules
    moved (the dry run then measures everything but serialisation)."""
    try:
        from neo4j._codec.hydration.bolt.v2.hydration_handler import HydrationHandler
        from neo4j._codec.packstream._common import PackableBuffer
        from neo4j._codec.packstream.v1 import Packer
    except ImportError:
        return lambda value: None
    hooks = HydrationHandler().new_hydration_scope().dehydration_hooks
    buf = PackableBuffer()
    packer = Packer(buf)

    def pack(value) -> None:
        buf.clear()
        packer.pack(value, dehydration_hooks=hooks)

    return pack


def cleanup(store: Neo4jStore, batch: int = 10_000) -> None:
    """Delete the benchmark's nodes (keys starting with ``bench-``) and their edges."""
    for node in store.schema.nodes.values():
        q = (f"MATCH (n:{ident(node.label)}) WHERE n.{ident(node.key)} STARTS WITH $prefix "
             f"WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS deleted")
        while store.query(q, {"prefix": PREFIX, "limit": batch})[0]["deleted"] >= batch:
            pass


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=20_000,
                    help="generated rows per node label and per edge-type pair")
    ap.add_argument("--staging", type=Path, help="load this staging.duckdb's projection instead")
    ap.add_argument("--batch-size", type=int, default=LOAD_BATCH,
                    help="rows per transaction (default: what `cbec load` uses)")
    ap.add_argument("--dry-run", action="store_true", help="client side only, no server")
    ap.add_argument("--cleanup", action="store_true", help="delete bench-* nodes afterwards")
    args = ap.parse_args(argv)
    if not args.dry_run and not os.environ.get("NEO4J_URI"):
        print(USAGE)
        return 0

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    schema = load_schema()
    store = (Neo4jStore(_counting_runner(), schema, batch_size=args.batch_size) if args.dry_run
             else Neo4jStore.from_env(batch_size=args.batch_size))
    console = Console(width=None if sys.stdout.isatty() else 110)
    where = "dry run (no server)" if args.dry_run else os.environ["NEO4J_URI"]
    console.print(f"Neo4j load benchmark against {where}, database {store.database}, "
                  f"batch {args.batch_size}; load average {os.getloadavg()[0]:.2f}")
    data = from_staging(schema, args.staging) if args.staging else generated(schema, args.rows)
    result = Table("kind", "label / type", "rows", "written", "seconds", "rows/s")
    total_rows, total_s = 0, 0.0
    with store:
        store.ensure_schema()
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("loading", total=None)
            for kind, what, table in data:
                progress.update(task, description=f"{kind} {' '.join(what)}")
                t0 = time.perf_counter()
                if kind == "node":
                    written = store.write_nodes(what[0], table)
                else:
                    written = store.write_edges(*what, table, batch=f"{PREFIX}{'-'.join(what)}")
                dt = time.perf_counter() - t0
                total_rows, total_s = total_rows + table.num_rows, total_s + dt
                result.add_row(kind, " ".join(what), f"{table.num_rows:,}", f"{written:,}",
                               f"{dt:.2f}", f"{table.num_rows / dt:,.0f}" if dt else "-")
                progress.advance(task)
        if args.cleanup and not args.dry_run:
            cleanup(store)
    result.add_row("all", "", f"{total_rows:,}", "", f"{total_s:.2f}",
                   f"{total_rows / total_s:,.0f}" if total_s else "-")
    console.print(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
