"""The ``cbec load`` command: extracts into the workspace's staging and graph.

Heavy imports stay inside the command so ``cbec --help`` is fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def _count_column():
    """A progress column: ``done/total`` steps, or a row count where the total is unknown
    (the push to the graph learns its size as it goes)."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class Count(ProgressColumn):
        def render(self, task) -> Text:
            if task.total is None:
                return Text(f"{task.completed:,.0f} rows")
            return Text(f"{task.completed:,.0f}/{task.total:,.0f}")

    return Count()


def register(app: typer.Typer) -> None:
    """Add ``load`` to the ``cbec`` command line."""

    @app.command("load")
    def load_cmd(
        input_dir: Annotated[Path, typer.Argument(
            help="Folder of extracts: <table>.csv|parquet|jsonl or <table>/ month folders.")],
        workspace: Annotated[Path, typer.Option(
            "--workspace", "-w", help="Workspace holding staging.duckdb, quarantine/ and "
            "the graph.")] = Path("workspace"),
        mapping: Annotated[Path | None, typer.Option(
            "--mapping", "-m", help="Mapping YAML for other column names and layouts, "
            "fields as DuckDB expressions, row filters (see docs/mapping-example.yaml, "
            "docs/mapping-general-trade.yaml).")] = None,
        fmt: Annotated[str, typer.Option(
            "--format", help="auto, csv, parquet or jsonl.")] = "auto",
        by_file: Annotated[bool, typer.Option(
            "--by-file", help="Reconcile per source file instead of per table.")] = False,
        no_graph: Annotated[bool, typer.Option(
            "--no-graph", help="Stage and run the three-list checks only: try a new "
            "extract or mapping before it reaches the graph.")] = False,
        no_alerts: Annotated[bool, typer.Option(
            "--no-alerts", help="Do not run the saved alerts (cases) at the end.")] = False,
    ) -> None:
        """Load extracts: validate, quarantine, normalise, stage in DuckDB, push to the graph.

        Rejected rows go to [bold]WORKSPACE/quarantine/LOAD_ID/TABLE.csv[/] with file, row,
        field and reason. Loading the same files again changes nothing and costs almost
        nothing; a load killed half-way and run again ends where an uninterrupted one does.
        Then the saved alerts run and say which cases they opened or extended (docs/cases.md).
        """
        import os
        import time

        from rich.console import Console
        from rich.markup import escape
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from etl.load import LoadError, load, open_staging, reports
        from etl.mapping import MappingError
        from etl.readers import ReadError

        console = Console(emoji=False)
        if not console.is_terminal and "COLUMNS" not in os.environ:
            # piped into a log or make: rich would squeeze the tables into 80 columns
            console = Console(emoji=False, width=120)
        err = Console(stderr=True, emoji=False)
        progress = Progress(TextColumn("{task.description}"), BarColumn(), _count_column(),
                            TimeElapsedColumn(), console=console, transient=False)
        t0 = time.perf_counter()
        try:
            with progress:
                result = load(input_dir, workspace, mapping, fmt, progress=progress,
                              say=lambda m: console.print(escape(m), highlight=False),
                              graph=not no_graph)
        except (LoadError, MappingError, ReadError, FileNotFoundError) as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(1) from exc
        from etl import report

        con = open_staging(workspace)
        try:
            rows = reports(con, result.load_id, result.run)
            console.print(report.reconciliation_table(
                rows, f"Reconciliation, load {result.load_id} (run {result.run}): rows in = "
                "inserted + updated + unchanged + quarantined", by_file=by_file))
            q = sum(r["quarantined"] for r in rows)
            if q:
                console.print(report.quarantine_table(con, result.load_id))
                console.print(f"{q:,} rows quarantined, each with file, row, field and reason: "
                              f"{escape(str(Path(workspace) / 'quarantine' / result.load_id))}/",
                              highlight=False)
        finally:
            con.close()
        for note in result.notes:
            console.print(escape(note), highlight=False)
        skipped = [t.table for t in result.tables if t.skipped]
        if skipped:
            console.print("resumed: already staged by this load before an interruption: "
                          + ", ".join(skipped), highlight=False)
        d = result.downstream
        if d.get("checks") is not None:
            console.print(report.checks_table(d["checks"]))
        if d.get("resolve") is not None:
            console.print(report.resolution_table(d["resolve"]))
        if d.get("project") is not None or d.get("sync") is not None:
            projected = dict(d.get("project") or {})
            if d.get("resolve") is not None:  # SAME_AS is written by resolution, not projection
                projected["edge_SAME_AS"] = d["resolve"].links
            console.print(report.graph_table(projected, d.get("sync")))
            note = report.retraction_note(d.get("sync"))
            if note:
                console.print(note, highlight=False)
        console.print(f"done in {time.perf_counter() - t0:.1f} s. Explore: [bold]cbec search TEXT "
                      f"-w {escape(str(workspace))}[/], cbec neighbours, cbec path, cbec shared")
        if not (no_graph or no_alerts):
            from investigations.cli import alerts_after

            alerts_after(workspace, "load")
