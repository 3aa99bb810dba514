"""Where the app's data comes from: the graph store (cached once per process) and the
workspace's DuckDB staging, opened read-only for each read and closed at once.

The store is opened read-only and, on the embedded store, gets its in-memory adjacency
index once, inside ``st.cache_resource``: the first page load after start pays for it
(about 15 s at 1M declarations), every later interaction walks the index. A load may write
the graph meanwhile (Ladybug lets it): once it has finished, the next interaction opens the
store again (:func:`get_store`).

DuckDB allows one writing process and takes a lock on the file: a read-only connection
held open would hold ``cbec load`` up (it waits for readers, ``etl.load.open_staging``),
and a load in progress makes our open fail. So every staging read opens, reads and closes;
a read that meets a load's lock raises
:class:`StagingBusy`, which pages show as a message, never as a hang.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

import pandas as pd
import streamlit as st

__all__ = ["workspace", "backend_name", "get_store", "store_version", "graph_stamp",
           "graph_writer_present", "crashed_load_help", "StagingBusy", "StagingMissing",
           "staging_frames", "staging_mtime", "memo", "STORE_HELP", "read_staging", "favicon",
           "data_window", "warm_up"]

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


def graph_stamp(ws: str) -> tuple | None:
    """The embedded graph's stamp (:func:`graph.store.file_state.stamp`: the file and its
    write-ahead log), or None (Neo4j, whose server gives each read a consistent view).
    Part of the store's cache key: see :func:`get_store`."""
    if os.environ.get("NEO4J_URI"):
        return None
    from graph.store.file_state import stamp

    return stamp(Path(ws) / "graph")


def graph_writer_present(ws: str) -> bool:
    """A live process holds the embedded graph's write lock (a ``cbec load`` syncing). A
    killed load's leftover files do not count (:mod:`graph.store.file_state`)."""
    if os.environ.get("NEO4J_URI"):
        return False
    from graph.store.file_state import writer_present

    return writer_present(Path(ws) / "graph")


def crashed_load_help(ws: str) -> str:
    """What to do when the graph cannot be opened and a killed load's files are beside
    it, or ''."""
    if os.environ.get("NEO4J_URI"):
        return ""
    from graph.store.file_state import left_by_crash

    left = left_by_crash(Path(ws) / "graph")
    if not left:
        return ""
    return (f"The last load into {ws} stopped before it finished (it was killed: "
            f"{', '.join(f.name for f in left)} left beside the graph, and no process is "
            f"writing it). Run the same `cbec load DIR --workspace {ws}` again: it resumes "
            f"where it stopped. Then reload this page.")


_OPENED: dict[str, tuple] = {}  # ws -> stamp of the store get_store serves


def get_store(ws: str):
    """The workspace's store, read-only, with its adjacency index on the embedded store.

    A read-only Ladybug connection does not survive a load that writes the file under it
    (its queries fail on pages rewritten by the writer's checkpoint): when the graph file
    has changed since the store was opened and no writer holds it any more, the store is
    opened again (and the index rebuilt, as on the first page load). While a load is still
    writing, the store opened before it keeps serving (:func:`graph_writer_present`).
    """
    stamp = graph_stamp(ws)
    opened = _OPENED.get(ws)
    if opened is not None and opened != stamp and not graph_writer_present(ws):
        _store.clear()  # the old store (and its index, GiBs at 1M) goes once unused
        _OPENED[ws] = stamp
    return _store(ws, _OPENED.setdefault(ws, stamp))


def store_version(ws: str) -> tuple | None:
    """The stamp of the store :func:`get_store` serves: query caches key on it, so answers
    cached before a load are not served after it."""
    get_store(ws)
    return _OPENED.get(ws)


@st.cache_resource(max_entries=4, show_spinner="Opening the graph store and building its "
                   "index (first page load after start, or after a load)...")
def _store(ws: str, stamp: tuple | None):
    """One opened store per (workspace, graph stamp); ``use_adjacency`` returns None on
    Neo4j, whose server walks its own adjacency."""
    from graph.store import open_store

    store = open_store(ws, read_only=True)
    warm_up(ws)  # statistics in the background while the index builds
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


_CACHE: OrderedDict = OrderedDict()  # key -> value; bounded, LRU
_CACHE_MAX = 32
_LOCK = threading.Lock()


def memo(key: tuple, compute):
    """``compute()``, kept for ``key`` among the last :data:`_CACHE_MAX` answers. A
    process-wide cache rather than ``st.cache_data`` so that the warm-up thread started
    with the store (:func:`warm_up`) fills it too; keys hold the state they derive from
    (the staging file's mtime), so a load's new data is never answered from before it.
    Values are shared, not copied: callers do not change them."""
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    value = compute()
    with _LOCK:
        _CACHE[key] = value
        while len(_CACHE) > _CACHE_MAX:
            _CACHE.popitem(last=False)
    return value


def staging_frames(ws: str | Path, queries: dict[str, str]) -> dict[str, pd.DataFrame]:
    """:func:`read_staging`, cached (:func:`memo`) until the staging file changes."""
    return memo(("staging", str(ws), staging_mtime(ws), tuple(sorted(queries.items()))),
                lambda: read_staging(ws, queries))


def warm_up(ws: str | Path) -> threading.Thread:
    """Compile the drawing's template, and compute the statistics (figures and charts)
    and data-quality figures, in the background once the store is open: aggregating 1M
    declarations takes seconds, and the first visit to those pages should not wait for
    it. Errors (a load holding the lock) are left for the page to say."""
    from ui.components.stats_sql import DATA_QUALITY, quarantine_sample

    def run():
        from ui.components.network import warm_template
        from ui.components.stats_charts import MEASURES, statistics_specs

        warm_template()
        try:
            for measure in MEASURES:
                statistics_specs(ws, measure)
            staging_frames(ws, {**DATA_QUALITY, **quarantine_sample()})
        except Exception:  # noqa: BLE001 - the page shows it when visited
            return

    t = threading.Thread(target=run, name="cbec-staging-warm-up", daemon=True)
    t.start()
    return t


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


def data_window(ws: str | Path):
    """First and last declaration dates in staging (the time filter's default), or the
    last 180 days when staging cannot be read now."""
    from datetime import date, timedelta

    try:
        f = staging_frames(ws, {"w": "SELECT min(decl_time) AS a, max(decl_time) AS b "
                                     "FROM node_Declaration"})["w"]
        if not f.empty and f["a"].notna().all():
            return f["a"].iloc[0].date(), f["b"].iloc[0].date()
    except (StagingBusy, StagingMissing):
        pass
    today = date.today()
    return today - timedelta(days=180), today
