"""The ``cbec`` command line: one entry point, sub-commands registered by each package.

Heavy imports live inside the commands so ``cbec --help`` stays fast.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="cbec",
    help="cbec-graph: find, investigate and prosecute fraud rings in cross-border e-commerce.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


@app.callback()
def main() -> None:
    """cbec-graph: find, investigate and prosecute fraud rings in cross-border e-commerce.

    Typical run: [bold]cbec generate[/] a synthetic world (or bring real extracts),
    [bold]cbec load[/] it into the workspace, then explore with the query commands.
    """


@app.command("contract")
def contract_cmd(
    markdown: bool = typer.Option(False, "--markdown", help="Print the contract as Markdown."),
) -> None:
    """Show the input data contract: the tables and fields the platform reads."""
    from etl.contract import load_contract, render_markdown

    if markdown:
        typer.echo(render_markdown())
        return
    for t in load_contract().values():
        req = ", ".join(t.required)
        typer.echo(f"{t.name:<18} key={','.join(t.primary_key):<28} required: {req}")


def _register() -> None:
    """Attach the sub-commands each package defines (kept in the package that owns them)."""
    import importlib

    for mod in ("synthetic.cli", "etl.cli", "graph.cli", "graph.detection.cli",
                "graph.evaluation.cli", "investigations.cli", "ui.cli"):
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as exc:  # package not written yet
            if exc.name is None or not (mod + ".").startswith(exc.name + "."):
                raise
            continue
        m.register(app)


_register()

if __name__ == "__main__":
    app()
