"""Detection commands of the ``cbec`` CLI: ``score``, ``rings``, ``train``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]

Workspace = Annotated[Path, typer.Option("--workspace", "-w",
                                         help="Workspace folder (from `cbec load`).")]


def _fail(message: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, emoji=False).print(f"[bold red]error:[/] {escape(message)}",
                                            highlight=False)
    raise typer.Exit(1)


def _say(message: str) -> None:
    typer.echo(f"  {message}", err=True)


def score_cmd(workspace: Workspace = Path("workspace"),
              full: Annotated[bool, typer.Option("--full", help="Rescore every declaration, "
                                        "not only those declared since the last run.")] = False,
              seed: Annotated[int, typer.Option(help="Seed (model training, communities).")] = 7,
              top: Annotated[int, typer.Option(help="Rings to keep.")] = 200,
              no_alerts: Annotated[bool, typer.Option(
                  "--no-alerts", help="Do not run the saved alerts (cases) at the end.")
              ] = False) -> None:
    """Score declarations with the current model; write risk, reasons, indicator hits and
    rings into the graph store and <workspace>/detection/.

    The first run (or --full) scores everything and trains a model if `cbec train` has not
    made one; later runs score only what was loaded since. Then the saved alerts run and
    say which cases they opened or extended (docs/cases.md).
    """
    from graph.detection.scoring import score_workspace

    try:
        r = score_workspace(workspace, full=full, seed=seed, top_rings=top, progress=_say)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
        return
    what = "new declarations" if r.incremental else "declarations"
    typer.echo(f"scored {r.scored} {what} and {r.entities} entities with {r.model_version}; "
               f"{r.rings} rings. Timings: "
               + ", ".join(f"{k} {v:.1f}s" for k, v in r.timings.items()))
    typer.echo(f"List them: cbec rings --top 10 -w {workspace}")
    if not no_alerts:
        from investigations.cli import alerts_after

        alerts_after(workspace, "score")


def rings_cmd(workspace: Workspace = Path("workspace"),
              top: Annotated[int, typer.Option("--top", help="How many rings.")] = 10,
              typology: Annotated[str | None, typer.Option(help="Only rings of this typology "
                                                  "(T1..T10, mixed, unknown).")] = None,
              fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
              ) -> None:
    """List the top fraud rings with their evidence (after `cbec score`)."""
    import json

    from graph.detection.results import list_rings
    from graph.store import open_store

    if fmt not in ("table", "json"):
        _fail(f"--format must be table or json, not {fmt!r}")
    store = open_store(workspace, read_only=True)
    try:
        rings = list_rings(store, top=top, typology=typology)
    finally:
        store.close()
    if not rings:
        typer.echo(f"no rings yet: run `cbec score -w {workspace}` first")
        return
    if fmt == "json":
        out = []
        for r in rings:
            d = r.to_row()
            d.pop("members_json"), d.pop("shared_json"), d.pop("indicators_json")
            d.update(scored_at=str(r.scored_at), members=[
                {"label": m["ref"].label, "key": m["ref"].key, "role": m["role"],
                 "risk": round(m["risk"], 3)} for m in r.members],
                shared=[{"identifier": [s["identifier"].label, s["identifier"].key],
                         "members": [[x.label, x.key] for x in s["members"]]}
                        for s in r.shared], indicators=r.indicators)
            out.append(d)
        typer.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"Top {len(rings)} rings", title_justify="left", show_lines=True)
    for c in ("#", "ring", "score", "typology", "members", "lists", "duty at stake (RMB)",
              "destinations", "why"):
        t.add_column(c, overflow="fold")
    for r in rings:
        roles: dict[str, int] = {}
        for m in r.members:
            roles[m["role"]] = roles.get(m["role"], 0) + 1
        why = "\n".join(i["sentence"] for i in r.indicators[:3]) or "-"
        if r.shared:
            s = r.shared[0]
            why += (f"\nshare {s['identifier'].label} {s['identifier'].key}: "
                    f"{len(s['members'])} members")
        t.add_row(str(r.rank), r.ring_id, f"{r.score:.2f}", r.typology,
                  ", ".join(f"{n} {k}" for k, n in sorted(roles.items())),
                  str(r.declarations), f"{r.duty_at_stake_rmb:,.0f}",
                  " ".join(r.destinations[:3]), why)
    Console(width=160).print(t)


def train_cmd(workspace: Workspace = Path("workspace"),
              labels: Annotated[str, typer.Option("--labels",
                                         help="Label column TABLE.COLUMN of staging with the "
                                         "inspection outcome per declaration (invt_no).")
                                ] = "inspections.outcome",
              seed: Annotated[int, typer.Option(help="Seed.")] = 7) -> None:
    """Train the models on inspection outcomes with the time split and print the report
    (validation and test months, inspected declarations only); save the scoring model."""
    import duckdb

    from graph.detection.labels import column_labels
    from graph.detection.pipeline import run_experiment
    from graph.detection.scoring import train_current
    from graph.detection.training_report import label_report

    db = workspace / "staging.duckdb"
    if not db.exists():
        _fail(f"{db} not found: run `cbec load DIR --workspace {workspace}` first")
    con = duckdb.connect(str(db), read_only=True)
    try:
        try:
            labels_fn = column_labels(con, labels)
        except ValueError as exc:
            _fail(str(exc))
        exp = run_experiment(con, seed=seed, labels=labels_fn, with_gnn=False,
                             with_rings=False, progress=_say)
        typer.echo(label_report(con, exp, labels_fn))
        model = train_current(con, workspace, seed=seed, labels=labels_fn,
                              label_source=labels)
    finally:
        con.close()
    typer.echo(f"saved {model.version} ({model.card['labels']['rows']} labels) in "
               f"{workspace / 'models' / model.version}; `cbec score --full` uses it")


def register(app: typer.Typer) -> None:
    app.command("score")(score_cmd)
    app.command("rings")(rings_cmd)
    app.command("train")(train_cmd)
