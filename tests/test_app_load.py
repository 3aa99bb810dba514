"""The app never blocks a load: ``cbec load`` into the workspace the app is serving, while
the app holds the graph store open (read-only, with its adjacency index) and while one of
its staging reads is in progress. The app keeps answering from what it opened, and sees
the new load once the store is reopened."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from etl.faults import ENV
from tests.app_world import build_app_world

APP = str(Path(__file__).resolve().parents[1] / "app.py")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_app_world(tmp_path_factory.mktemp("loadworld"))


def _load(world_dir: Path, ws: Path, crash_at: str | None = None) -> subprocess.Popen:
    """``cbec load`` in a child process; ``crash_at``: the step where it kills itself
    (SIGKILL, :mod:`etl.faults`)."""
    env = {k: v for k, v in os.environ.items() if k != ENV}
    if crash_at:
        env[ENV] = crash_at
    return subprocess.Popen([sys.executable, "-m", "cbec_cli", "load", str(world_dir),
                             "--workspace", str(ws), "--no-alerts"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_load_runs_while_the_app_holds_the_store(world, tmp_path, monkeypatch):
    import duckdb

    ws, at = _explorer_on_a_copy(world, tmp_path, monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    from ui.components.data import get_store

    store = get_store(str(ws))
    assert store.read_only and store.adjacency is not None
    nodes = store.count_nodes()

    from synthetic.config import GenConfig
    from synthetic.world import generate

    generate(GenConfig(declarations=500, seed=8), tmp_path / "more")  # new nodes to write
    # a page's staging read in progress as the load starts: the load waits for it
    reader = duckdb.connect(str(ws / "staging.duckdb"), read_only=True)
    released = threading.Timer(3.0, reader.close)
    released.start()
    t0 = time.monotonic()
    proc = _load(tmp_path / "more", ws)
    out, _ = proc.communicate(timeout=600)
    released.join()
    assert proc.returncode == 0, out[-3000:]
    assert "waiting" in out.lower(), out[-3000:]  # it said why it paused
    assert time.monotonic() - t0 >= 3.0

    # the app answers after the load, from the store opened again (the one opened before
    # the load cannot read pages the load's checkpoint rewrote)
    assert get_store(str(ws)) is not store
    at.button(key="ex_draw").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "vis-network" in at.get("iframe")[0].proto.srcdoc
    assert get_store(str(ws)).count_nodes() > nodes
    at.text_input(key="ex_search_text").input("Enterprise:no such key").run()
    assert not at.exception, [e.value for e in at.exception]


def _explorer_on_a_copy(world, tmp_path, monkeypatch) -> tuple[Path, AppTest]:
    """The app on a copy of the world's workspace, the explorer open on its seller."""
    ws = tmp_path / "ws"
    shutil.copytree(world.workspace, ws)
    monkeypatch.setenv("CBEC_WORKSPACE", str(ws))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("ui/pages/explorer.py").run()
    at.text_input(key="ex_search_text").input(world.seller_name).run()
    return ws, at


def test_the_app_reopens_the_store_after_a_load_was_killed(world, tmp_path, monkeypatch):
    """A load killed while it writes the graph leaves its write-ahead log beside it, with no
    process holding the lock: the app must not wait for that writer for ever (it kept the
    store opened before the load, and a new page never saw the load's writes)."""
    from synthetic.config import GenConfig
    from synthetic.world import generate
    from ui.components.data import get_store, graph_writer_present

    ws, at = _explorer_on_a_copy(world, tmp_path, monkeypatch)
    store = get_store(str(ws))
    nodes = store.count_nodes()

    generate(GenConfig(declarations=500, seed=8), tmp_path / "more")
    proc = _load(tmp_path / "more", ws, crash_at="push:Enterprise")  # updates: a log kept
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == -9, out[-3000:]
    assert (ws / "graph.wal").exists()  # what the killed load left
    assert not graph_writer_present(str(ws))  # ... and nobody writes any more

    at.button(key="ex_draw").click().run()  # the open session goes on
    assert not at.exception, [e.value for e in at.exception]
    assert "vis-network" in at.get("iframe")[0].proto.srcdoc
    reopened = get_store(str(ws))
    assert reopened is not store
    assert reopened.count_nodes() > nodes  # what the killed load had committed
    fresh = AppTest.from_file(APP, default_timeout=120)  # so does a new session
    fresh.run()
    assert not fresh.exception and not fresh.error, [e.value for e in fresh.error]

    proc = _load(tmp_path / "more", ws)  # run again, the load finishes
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out[-3000:]
    assert not (ws / "graph.wal").exists()
    at.text_input(key="ex_search_text").input(world.person_name).run()
    assert not at.exception, [e.value for e in at.exception]
    assert get_store(str(ws)) is not reopened


def test_the_app_says_what_to_do_when_the_store_will_not_open(world, tmp_path, monkeypatch):
    """Where the graph cannot be opened, the message follows from the files and the lock:
    a load writing it (wait), a killed load's log with nobody holding the lock (run the load
    again). The open's failure is simulated: a killed load whose log a reader cannot replay
    is not reproducible at will."""
    import signal
    import textwrap

    import graph.store

    ws = tmp_path / "ws"
    shutil.copytree(world.workspace, ws)
    monkeypatch.setenv("CBEC_WORKSPACE", str(ws))
    monkeypatch.delenv("NEO4J_URI", raising=False)

    def will_not_open(*_a, **_k):
        raise RuntimeError("Binder exception: Table Address does not exist.")

    monkeypatch.setattr(graph.store, "open_store", will_not_open)
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from graph.store.ladybug_store import LadybugStore
        s = LadybugStore({str(ws / "graph")!r})
        s.query("CREATE NODE TABLE IF NOT EXISTS Probe(k STRING, PRIMARY KEY (k))")
        s.query("CREATE (:Probe {{k: 'a write in its log'}})")
        print("WRITING", flush=True)
        time.sleep(120)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().startswith("WRITING")
        at = AppTest.from_file(APP, default_timeout=120)
        at.run()
        assert any("is writing the graph right now" in e.value for e in at.error), \
            [e.value for e in at.error]
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert (ws / "graph.wal").exists()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    msg = " ".join(e.value for e in at.error)
    assert "stopped before it finished" in msg and "graph.wal" in msg, msg
    assert f"cbec load DIR --workspace {ws}" in msg, msg
