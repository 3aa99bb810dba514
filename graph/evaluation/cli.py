"""``cbec evaluate``: every model against a synthetic world's ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def evaluate_cmd(world: Annotated[Path, typer.Argument(help="World folder made by `cbec generate` "
                                              "(its ground_truth/ is read here only).")],
                 workspace: Annotated[Path, typer.Option("--workspace", "-w",
                                                help="Workspace the world was loaded into.")
                                      ] = Path("workspace"),
                 seed: Annotated[int, typer.Option(help="Seed of every model.")] = 7,
                 gnn: Annotated[bool, typer.Option("--gnn/--no-gnn", help="Train the GNN too "
                                          "(when graph.detection.gnn is installed).")] = True,
                 gnn_epochs: Annotated[int | None, typer.Option(
                     help="Most GNN epochs (default: the GNN's own).")] = None,
                 out: Annotated[Path | None, typer.Option(
                     help="Also write the table as CSV.")] = None
                 ) -> None:
    """Rules only, trees without and with graph features, GNN and their combination on the
    same time split (train, validation month, last two months as test), in one run.

    Prints precision@1%, recall@1/2/5/10%, revenue@1/5%, PR-AUC, ring P/R/F1 at 10 and 50
    (Jaccard >= 0.5), innocents per hit ring, recall per typology, and the breakdown for
    schemes and sellers never seen in training.
    """
    import time

    from graph.evaluation.evaluate import evaluate, format_table

    t0 = time.perf_counter()

    def say(m: str) -> None:
        typer.echo(f"  [{time.perf_counter() - t0:6.1f}s] {m}", err=True)

    try:
        res = evaluate(workspace, world, seed=seed, with_gnn=gnn, gnn_epochs=gnn_epochs,
                       progress=say)
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"seed {seed}; world {world}; workspace {workspace}")
    typer.echo(format_table(res))
    if out:
        res.table.to_csv(out)


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_cmd)
