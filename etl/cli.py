"""The ``cbec load`` command: extracts into the workspace's staging and graph.

Heavy imports stay inside the command so ``cbec --help`` is fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register", "render_reports"]


def render_reports(rows: list[dict], title: str):
    """A rich table of reconciliation rows (one per table and source file) with a total."""
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    t.add_column("table")
    t.add_column("source file")
    nums = ("rows_in", "inserted", "updated", "unchanged", "quarantined")
    for n in nums:
        t.add_column(n.replace("_", " "), justify="right")
    totals = dict.fromkeys(nums, 0)
    for r in rows:
        t.add_row(r["table_name"], r["source_file"], *(f"{r[n]:,}" for n in nums),
                  style="yellow" if r["quarantined"] else None)
        for n in nums:
            totals[n] += r[n]
    t.add_section()
    t.add_row("total", f"{len(rows)} files", *(f"{totals[n]:,}" for n in nums), style="bold")
    return t


def _render_downstream(console, result) -> None:
    """Print what the downstream steps returned (tables as tables, the rest as text)."""
    from rich.table import Table

    for name, out in result.downstream.items():
        if out is None:
            continue
        if hasattr(out, "to_dict") and hasattr(out, "columns"):  # a DataFrame
            t = Table(title=f"three-list checks ({name})" if name == "checks" else name,
                      title_justify="left")
            for c in out.columns:
                t.add_column(str(c))
            for row in out.itertuples(index=False):
                t.add_row(*(str(x) for x in row))
            console.print(t)
        elif isinstance(out, dict):
            body = ", ".join(f"{k}: {v:,}" if isinstance(v, int) else f"{k}: {v}"
                             for k, v in out.items())
            label = {"project": "graph projection", "sync": "written to the graph"}.get(name,
                                                                                       name)
            console.print(f"[bold]{label}[/]: {body or 'nothing new'}", highlight=False)
        else:
            console.print(f"[bold]{name}[/]: {out}", highlight=False)


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
            "--mapping", "-m", help="Mapping YAML for other column names and layouts "
            "(see docs/mapping-example.yaml).")] = None,
        fmt: Annotated[str, typer.Option(
            "--format", help="auto, csv, parquet or jsonl.")] = "auto",
    ) -> None:
        """Load extracts: validate, quarantine, normalise, stage in DuckDB, push to the graph.

        Rejected rows go to [bold]WORKSPACE/quarantine/LOAD_ID/TABLE.csv[/] with file, row,
        field and reason. Loading the same files again changes nothing; a load killed
        half-way and run again ends where an uninterrupted one does.
        """
        from rich.console import Console
        from rich.markup import escape
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from etl.load import LoadError, load, open_staging, reports
        from etl.mapping import MappingError

        console = Console(emoji=False)
        err = Console(stderr=True, emoji=False)
        progress = Progress(TextColumn("{task.description}"), BarColumn(),
                            TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                            console=console, transient=False)
        try:
            with progress:
                result = load(input_dir, workspace, mapping, fmt, progress=progress,
                              say=lambda m: console.print(escape(m), highlight=False))
        except (LoadError, MappingError, FileNotFoundError) as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(1) from exc
        con = open_staging(workspace)
        try:
            rows = reports(con, result.load_id, result.run)
        finally:
            con.close()
        console.print(render_reports(rows, f"Reconciliation, load {result.load_id} "
                                     f"(run {result.run})"))
        q = sum(r["quarantined"] for r in rows)
        if q:
            console.print(f"{q:,} rows quarantined: "
                          f"{escape(str(Path(workspace) / 'quarantine' / result.load_id))}/",
                          highlight=False)
        skipped = [t.table for t in result.tables if t.skipped]
        if skipped:
            console.print("resumed: already staged by this load before an interruption: "
                          + ", ".join(skipped), highlight=False)
        _render_downstream(console, result)
