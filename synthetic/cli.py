"""``cbec generate``: write a synthetic CBEC world with planted fraud and ground truth."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register", "generate_cmd"]


def generate_cmd(
    declarations: Annotated[int, typer.Option("--declarations", "-n", min=500,
                                              help="Declarations in the whole world.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, identical files.")] = 7,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("world"),
    fmt: Annotated[str, typer.Option("--format", help="parquet, csv or jsonl.")] = "parquet",
    months: Annotated[int, typer.Option(min=6, help="Months covered (at least 6).")] = 6,
    start: Annotated[str, typer.Option(help="First day of the first month.")] = "2025-04-01",
    dirty_share: Annotated[float, typer.Option(
        "--dirty-share", help="Share of message rows with a planted defect.")] = 0.002,
    dup_phone_share: Annotated[float, typer.Option(
        "--dup-phone-share", help="Share of a person's duplicate records with a second "
        "mobile (40 % of them with none in the persons register).")] = 0.25,
    force: Annotated[bool, typer.Option("--force", help="Overwrite a non-empty --out.")] = False,
) -> None:
    """Generate a synthetic world in the data contract, with ground truth kept apart.

    Registers go to OUT/<table>.<ext>, messages to OUT/<table>/<YYYY-MM>.<ext>, the answer
    key to OUT/ground_truth/ (detection code must never read it).
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from synthetic.config import GenConfig
    from synthetic.world import generate

    console = Console()
    try:
        cfg = GenConfig(declarations=declarations, seed=seed, months=months,
                        start=date.fromisoformat(start), dirty_share=dirty_share,
                        dup_phone_share=dup_phone_share, fmt=fmt)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} months"), TimeElapsedColumn(),
                  console=console, transient=False) as bar:
        task = bar.add_task("generating", total=months)

        def tick(label: str, done: int, total: int) -> None:
            bar.update(task, completed=done, description=f"wrote {label}")

        try:
            summ = generate(cfg, out, force=force, progress=tick)
        except (FileExistsError, ValueError) as exc:
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2) from exc
    t = Table(title=f"World in {out} ({declarations:,} declarations, seed {seed})")
    t.add_column("what")
    t.add_column("count", justify="right")
    for name, n in sorted(summ.rows.items()):
        t.add_row(f"rows: {name}", f"{n:,}")
    for typ, n in sorted(summ.typologies.items()):
        t.add_row(f"malicious {typ} ({summ.schemes[typ]} schemes)", f"{n:,}")
    mal = sum(summ.typologies.values())
    t.add_row("malicious total", f"{mal:,} ({mal / declarations:.2%})")
    for look, n in sorted(summ.lookalikes.items()):
        t.add_row(f"look-alike {look}", f"{n:,}")
    for o, n in sorted(summ.outcomes.items()):
        t.add_row(f"inspections {o}", f"{n:,}")
    t.add_row("malformed rows", f"{summ.malformed:,}")
    console.print(t)
    if mal / declarations > 0.03:
        console.print("[yellow]note:[/] small world: per-typology floors keep every typology "
                      "present, so the malicious share exceeds the realistic 0.5-3 %; use "
                      "--declarations 5000 or more for realistic base rates")


def register(app: typer.Typer) -> None:
    """Attach ``generate`` to the ``cbec`` app."""
    app.command("generate")(generate_cmd)
