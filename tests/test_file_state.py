"""Whether a process is writing the embedded graph, from outside it: a live writer's lock is
seen, a killed writer's leftover write-ahead log is told apart from it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from graph.store.file_state import left_by_crash, stamp, writer_pid
from tests.conftest import make_store

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from graph.store.ladybug_store import LadybugStore
    s = LadybugStore({path!r})
    s.query("CREATE NODE TABLE IF NOT EXISTS Probe(k STRING, PRIMARY KEY (k))")
    s.query("CREATE (:Probe {{k: 'x'}})")
    print("WRITING", flush=True)
    sys.stdin.readline()
""")


def test_a_killed_writer_is_told_apart_from_a_live_one(tmp_path):
    store = make_store("ladybug", tmp_path)
    path = store.path
    store.close()
    before = stamp(path)
    assert writer_pid(path) is None and left_by_crash(path) == []
    p = subprocess.Popen([sys.executable, "-c", _WRITER.format(root=ROOT, path=str(path))],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().startswith("WRITING")
        assert writer_pid(path) == p.pid
        assert left_by_crash(path) == []  # its log is there, and so is its lock
        assert stamp(path) != before
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
    assert writer_pid(path) is None
    assert [f.name for f in left_by_crash(path)] == [path.name + ".wal"]
