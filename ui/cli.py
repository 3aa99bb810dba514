"""``cbec app``: serve the investigator app on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register", "app_cmd", "streamlit_command"]

APP_PY = Path(__file__).resolve().parent.parent / "app.py"


def streamlit_command(port: int, address: str = "127.0.0.1") -> list[str]:
    """The ``streamlit run`` command line: local address, headless, no usage statistics
    (the app must not talk to the internet), no file watcher (watching a workspace beside
    the code, millions of files in a generated world, kept a core busy); ``static/``
    served (the world map's borders, fetched from this server, not a CDN)."""
    import sys

    return [sys.executable, "-m", "streamlit", "run", str(APP_PY),
            "--server.address", address, "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--global.developmentMode", "false", "--client.toolbarMode", "minimal",
            "--server.fileWatcherType", "none", "--server.runOnSave", "false",
            "--server.enableStaticServing", "true"]


def app_cmd(
    workspace: Annotated[Path, typer.Option(
        "--workspace", "-w", help="Workspace to serve (from `cbec load`).")] = Path("workspace"),
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8501,
    address: Annotated[str, typer.Option(
        help="Address to listen on; keep 127.0.0.1 unless others must reach it.")] = "127.0.0.1",
) -> None:
    """Serve the investigator app (rings, network explorer, profiles, statistics, data
    quality, query) on http://ADDRESS:PORT; Ctrl+C stops it.

    Reads the embedded store in WORKSPACE, or Neo4j when NEO4J_URI is set. The first page
    load builds the store's in-memory index (about 15 s for 1M declarations).
    """
    import os
    import subprocess

    if not os.environ.get("NEO4J_URI") and not (workspace / "graph").exists():
        typer.echo(f"error: no graph in {workspace}: run `cbec load DIR --workspace "
                   f"{workspace}` first", err=True)
        raise typer.Exit(1)
    env = {**os.environ, "CBEC_WORKSPACE": str(workspace.resolve())}
    typer.echo(f"Serving {workspace} on http://{address}:{port}  (Ctrl+C stops it)")
    try:
        raise typer.Exit(subprocess.call(streamlit_command(port, address), env=env))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


def register(app: typer.Typer) -> None:
    app.command("app")(app_cmd)
