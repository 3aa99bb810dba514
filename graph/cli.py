"""Query commands of the ``cbec`` CLI: ``search``, ``neighbours``, ``path``, ``shared``.

They open the workspace's graph read-only (or Neo4j when ``NEO4J_URI`` is set) and print
rich tables. Heavy imports stay inside the commands so ``cbec --help`` is fast.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]

Workspace = Annotated[Path, typer.Option(
    "--workspace", "-w", help="Workspace folder holding the graph (from `cbec load`).")]
Labels = Annotated[list[str] | None, typer.Option("--label", "-l",
                                                  help="Only these labels (repeatable).")]
EdgeTypes = Annotated[list[str] | None, typer.Option("--edge-type", "-e",
                                                     help="Only these edge types (repeatable).")]
Since = Annotated[datetime | None, typer.Option(help="Leave out dated nodes before this.")]
Until = Annotated[datetime | None, typer.Option(help="Leave out dated nodes after this.")]


def _fail(message: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, emoji=False).print(f"[bold red]error:[/] {escape(message)}",
                                            highlight=False)
    raise typer.Exit(1)


@contextmanager
def _store(workspace: Path):
    """The workspace's store, opened read-only; clear errors when it cannot be opened."""
    from graph.schema import SchemaError
    from graph.store import open_store
    from graph.store.cypher_base import GraphQueryError

    try:
        store = open_store(workspace, read_only=True)
    except FileNotFoundError:
        _fail(f"no graph in {workspace}: run `cbec load DIR` first "
              f"(or pass --workspace where you loaded it)")
    except RuntimeError as exc:  # e.g. a lock held by a writer, a Neo4j connection error
        _fail(f"cannot open the graph in {workspace}: {exc}")
    try:
        yield store
    except (SchemaError, ValueError) as exc:
        _fail(str(exc))
    except GraphQueryError as exc:
        _fail(f"the graph query failed; is {workspace} loaded with this version?\n{exc}")
    finally:
        store.close()


def _ref(text: str):
    """``LABEL:KEY`` as a ``NodeRef`` (the key may itself contain ':')."""
    from graph.store.base import NodeRef

    label, sep, key = text.partition(":")
    if not sep or not label or not key:
        raise typer.BadParameter(f"{text!r}: expected LABEL:KEY, e.g. Person:id:110105...")
    return NodeRef(label, key)


def _props(props: dict, width: int = 60) -> str:
    text = ", ".join(f"{k}={v}" for k, v in props.items() if v is not None)
    return text if len(text) <= width else text[: width - 1] + "…"


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _row(table, *cells: str) -> None:
    """Add a row with markup escaped: keys and names are data, not rich markup."""
    from rich.markup import escape

    table.add_row(*(escape(str(c)) for c in cells))


def _print(table) -> None:
    from rich.console import Console

    Console(emoji=False, highlight=False).print(table)


def search_cmd(text: str = typer.Argument(..., help="Name, phone, ID number or address."),
               label: Labels = None,
               limit: int = typer.Option(20, "--limit", "-n", min=1, max=1000),
               exact: bool = typer.Option(False, "--exact", help="No typo tolerance."),
               workspace: Workspace = Path("workspace")) -> None:
    """Find entities by name, phone (any format), ID number or address."""
    from rich.table import Table

    with _store(workspace) as store:
        hits = store.search(text, labels=label or None, limit=limit, fuzzy=not exact)
    if not hits:
        typer.echo(f"no match for {text!r}")
        return
    t = Table("score", "label", "key", "shown as", "matched on", title=_esc(f"search: {text}"))
    for h in hits:
        _row(t, f"{h.score:.0f}", h.ref.label, h.ref.key, h.display, h.matched_on)
    _print(t)


def neighbours_cmd(label: str = typer.Argument(..., help="Node label, e.g. Person."),
                   key: str = typer.Argument(..., help="The node's key."),
                   hops: int = typer.Option(2, "--hops", min=1, max=3),
                   limit: int = typer.Option(200, "--limit", "-n", min=1, max=100_000),
                   since: Since = None, until: Until = None, edge_type: EdgeTypes = None,
                   workspace: Workspace = Path("workspace")) -> None:
    """The k-hop neighbourhood of one node (hubs are shown but not expanded)."""
    from rich.table import Table

    from graph.store.base import NodeRef

    ref = NodeRef(label, key)
    with _store(workspace) as store:
        sg = store.neighbourhood(ref, hops=hops, limit=limit, since=since, until=until,
                                 edge_types=edge_type or None)
    if not sg.nodes:
        _fail(f"no {label} with key {key!r} in the graph (try `cbec search`)")
    t = Table("label", "key", "properties",
              title=_esc(f"{label}:{key}, {hops} hops: {len(sg.nodes)} nodes, "
                             f"{len(sg.edges)} edges"))
    for r, props in sg.nodes.items():
        _row(t, r.label, r.key, _props(props))
    _print(t)
    e = Table("from", "type", "to", title="edges")
    for a, typ, b, _ in sg.edges:
        _row(e, f"{a.label}:{a.key}", typ, f"{b.label}:{b.key}")
    _print(e)
    if sg.hubs:
        typer.echo("not expanded (hubs): " + ", ".join(f"{r.label}:{r.key}" for r in sg.hubs))
    if sg.truncated:
        typer.echo(f"truncated: raise --limit (now {limit}) or narrow with --edge-type/--since")


def path_cmd(a: str = typer.Argument(..., help="LABEL:KEY of one end."),
             b: str = typer.Argument(..., help="LABEL:KEY of the other end."),
             max_hops: int = typer.Option(6, "--max-hops", min=1, max=6),
             workspace: Workspace = Path("workspace")) -> None:
    """The shortest path between two entities (at most 6 hops, hubs avoided)."""
    from rich.table import Table

    from graph.store.paths import PathSearchGaveUp

    ra, rb = _ref(a), _ref(b)
    with _store(workspace) as store:
        missing = [x for x, r in ((a, ra), (b, rb)) if store.get_node(r) is None]
        if missing:
            typer.echo(f"not in the graph: {', '.join(missing)} (find keys with "
                       f"`cbec search TEXT`)", err=True)
            raise typer.Exit(2)
        try:
            p = store.shortest_path(ra, rb, max_hops=max_hops)
        except PathSearchGaveUp as exc:
            typer.echo(f"no answer for {a} - {b}: {exc}", err=True)
            raise typer.Exit(3) from None
    if p is None:
        typer.echo(f"no path of at most {max_hops} hops between {a} and {b} "
                   f"(outside hubs: countries, HS codes and nodes of over "
                   f"{store.path_max_degree:,} edges)")
        raise typer.Exit(2)
    t = Table("#", "node", "edge to next", title=f"{p.hops} hops")
    for i, n in enumerate(p.nodes):
        _row(t, str(i), f"{n.label}:{n.key}", p.edge_types[i] if i < p.hops else "")
    _print(t)


def shared_cmd(label: str = typer.Argument(..., help="Node label, e.g. Enterprise."),
               key: str = typer.Argument(..., help="The node's key."),
               limit: int = typer.Option(500, "--limit", "-n", min=1),
               workspace: Workspace = Path("workspace")) -> None:
    """Entities sharing a phone, address, account, ID number or e-mail with one node."""
    from rich.table import Table

    from graph.store.base import NodeRef

    with _store(workspace) as store:
        rows = store.sharing_identifier(NodeRef(label, key), limit=limit)
    if not rows:
        typer.echo(f"{label}:{key} shares no identifier with another node")
        return
    t = Table("shared identifier", "other", "via edge", title=_esc(f"sharing with {label}:{key}"))
    for other, typ, pivot in sorted(rows, key=lambda r: (r[2], r[0])):
        _row(t, f"{pivot.label}:{pivot.key}", f"{other.label}:{other.key}", typ)
    _print(t)


def register(app: typer.Typer) -> None:
    """Attach the query commands to the ``cbec`` app."""
    app.command("search")(search_cmd)
    app.command("neighbours")(neighbours_cmd)
    app.command("path")(path_cmd)
    app.command("shared")(shared_cmd)
