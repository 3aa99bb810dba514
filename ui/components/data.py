"""Where the app's data comes from: the graph store (cached once per process) and the
workspace's DuckDB staging, opened read-only for each read and closed at once.

The store is opened read-only (Ladybug lets readers share a database with the one process
loading it) and, on the embedded store, gets its in-memory adjacency index once, inside
``st.cache_resource``: the first page load after start pays for it (about 15 s at 1M
declarations), every later interaction walks the index.

DuckDB allows one writing process and takes a lock on the file: a read-only connection
held open would make ``cbec load`` fail, and a load in progress makes our open fail. So
every staging read opens, reads and closes; a read that meets a load's lock raises
:class:`StagingBusy`, which pages show as a message, never as a hang.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st

__all__ = ["workspace", "backend_name", "get_store", "StagingBusy", "StagingMissing",
           "staging_frames", "staging_mtime", "STORE_HELP", "read_staging", "favicon"]

WORKSPACE_ENV = "CBEC_WORKSPACE"
STORE_HELP = ("Load a world first: `cbec generate --out world` then "
              "`cbec load world --workspace W`, and start the app with `cbec app --workspace W`.")


class StagingBusy(RuntimeError):
    """A load holds the staging database's write lock; statistics wait for it to finish."""


class StagingMissing(FileNotFoundError):
    """The workspace has no staging database (nothing loaded yet)."""


def workspace() -> Path:
    """The workspace the app serves: ``$CBEC_WORKSPACE`` (set by ``cbec app``), else
    ``./workspace`` (what ``make demo`` loads)."""
    return Path(os.environ.get(WORKSPACE_ENV) or "workspace")


def backend_name() -> str:
    """Which store the app reads, in words."""
    if os.environ.get("NEO4J_URI"):
        return f"Neo4j at {os.environ['NEO4J_URI']}"
    return f"embedded Ladybug store in {workspace() / 'graph'}"


@st.cache_resource(show_spinner="Opening the graph store and building its index "
                                "(first page load after start only)...")
def get_store(ws: str):
    """The workspace's store, read-only, with its adjacency index on the embedded store
    (``use_adjacency`` returns None on Neo4j, whose server walks its own adjacency)."""
    from graph.store import open_store

    store = open_store(ws, read_only=True)
    store.use_adjacency()
    return store


def staging_path(ws: str | Path) -> Path:
    return Path(ws) / "staging.duckdb"


def staging_mtime(ws: str | Path) -> float:
    """Modification time of the staging file: part of cache keys, so a finished load
    shows up without restarting the app."""
    p = staging_path(ws)
    return p.stat().st_mtime if p.exists() else 0.0


def read_staging(ws: str | Path, queries: dict[str, str]) -> dict[str, pd.DataFrame]:
    """Run each named SQL query on a read-only connection to the staging database, then
    close it. A query naming a table that does not exist gives an empty frame (a workspace
    loaded before that table existed).

    Raises :class:`StagingMissing` or :class:`StagingBusy` (a load is writing).
    """
    import duckdb

    path = staging_path(ws)
    if not path.exists():
        raise StagingMissing(f"no staging database at {path}. {STORE_HELP}")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StagingBusy(
                "a load (`cbec load`) is writing the staging database right now, and DuckDB "
                "lets nobody else open it meanwhile: these figures appear when it finishes "
                "(reload the page). The network, profile and rings pages still work.") from exc
        raise
    try:
        out = {}
        for name, sql in queries.items():
            try:
                out[name] = con.execute(sql).df()
            except duckdb.CatalogException:
                out[name] = pd.DataFrame()
        return out
    finally:
        con.close()


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def _cached_staging(ws: str, mtime: float, queries: tuple[tuple[str, str], ...]):
    return read_staging(ws, dict(queries))


def staging_frames(ws: str | Path, queries: dict[str, str]) -> dict[str, pd.DataFrame]:
    """:func:`read_staging`, cached (bounded) until the staging file changes."""
    return _cached_staging(str(ws), staging_mtime(ws), tuple(sorted(queries.items())))


@st.cache_resource(show_spinner=False)
def favicon():
    """A small drawn icon (three linked nodes): no icon font or CDN needed."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    pts = [(7, 24), (25, 24), (16, 7)]
    d.line(pts + [pts[0]], fill=(90, 90, 90, 255), width=2)
    for (x, y), c in zip(pts, [(31, 119, 180), (214, 39, 40), (44, 160, 44)], strict=True):
        d.ellipse((x - 5, y - 5, x + 5, y + 5), fill=c + (255,))
    return img
