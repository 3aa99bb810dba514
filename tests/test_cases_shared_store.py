"""The app's case workspace on the embedded store (CaseWorkspace.open_shared): it reads
through a read-only store and takes the write lock only while it writes, so a `cbec load`
(another process writing the graph) can run beside the app; a page write during a load waits
briefly, then says why it was not saved."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from graph.store import NodeRef
from investigations import audit, cases
from investigations.context import CaseWorkspace
from investigations.short_write import WorkspaceBusy
from tests.cases_world import make_world
from tests.conftest import make_store

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# another process opening the graph for writing, as `cbec load` does: it writes one Alert
# node and then holds the lock until told to go (a line on stdin)
_WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from graph.store.ladybug_store import LadybugStore
    from investigations.context import put_node
    try:
        s = LadybugStore({path!r})
    except RuntimeError as exc:
        print("LOCKED", exc, flush=True)
        sys.exit(3)
    put_node(s, "Alert", {{"alert_id": "FROM-LOAD", "name": "written by another process"}})
    print("WRITING", flush=True)
    sys.stdin.readline()
    s.close()
""")


def _writer(path):
    return subprocess.Popen([sys.executable, "-c", _WRITER.format(root=ROOT, path=str(path))],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


@pytest.fixture
def shared(tmp_path, monkeypatch):
    monkeypatch.setenv("CBEC_PASSWORD_HASH", "cheapest")
    monkeypatch.delenv("NEO4J_URI", raising=False)
    store = make_store("ladybug", tmp_path)
    w = make_world(store, tmp_path)
    store.close()
    ws = CaseWorkspace.open_shared(tmp_path)
    ws.store.wait_s = 1.0
    yield w, ws
    ws.close()


def test_a_load_can_write_while_the_app_reads_and_writes(shared):
    w, ws = shared
    view = cases.get_case(ws, w.investigator, w.case_id)  # a read and an audited view
    assert view["case"]["case_id"] == w.case_id
    cases.add_note(ws, w.investigator, w.case_id, "seen at the port")
    p = _writer(ws.root / "graph")  # the app is open: a writer gets the lock all the same
    try:
        assert p.stdout.readline().startswith("WRITING")
        # meanwhile the app still reads
        notes = ws.store.find_nodes("CaseNote", {"case_id": w.case_id})
        assert "seen at the port" in [n["text"] for n in notes]
    finally:
        p.stdin.write("\n")
        p.stdin.close()
        assert p.wait(timeout=60) == 0
    ws.refresh()  # the next page run sees what the load wrote
    assert ws.store.get_node(NodeRef("Alert", "FROM-LOAD")) is not None
    assert audit.verify_chain(ws).ok


def test_a_write_during_a_load_waits_then_says_why(shared):
    w, ws = shared
    p = _writer(ws.root / "graph")
    try:
        assert p.stdout.readline().startswith("WRITING")
        assert ws.store.get_node(NodeRef("Case", w.case_id)) is not None  # reads go on
        with pytest.raises(WorkspaceBusy, match="cbec load.*not saved"):
            cases.add_note(ws, w.investigator, w.case_id, "during the load")
    finally:
        p.stdin.write("\n")
        p.stdin.close()
        assert p.wait(timeout=60) == 0
    cases.add_note(ws, w.investigator, w.case_id, "after the load")  # the lock is free again
    notes = [n["text"] for n in cases.get_case(ws, w.investigator, w.case_id)["notes"]]
    assert "after the load" in notes and "during the load" not in notes
    assert audit.verify_chain(ws).ok


def test_own_writes_are_read_back_at_once(shared):
    w, ws = shared
    with ws.writing():  # a block of writes under one lock, read back inside it too
        cases.add_note(ws, w.investigator, w.case_id, "first")
        cases.add_note(ws, w.investigator, w.case_id, "second")
        assert len(cases.get_case(ws, w.investigator, w.case_id)["notes"]) >= 2
    notes = [n["text"] for n in cases.get_case(ws, w.investigator, w.case_id)["notes"]]
    assert {"first", "second"} <= set(notes)
    # between writes the app holds no lock: another process can take it
    p = _writer(ws.root / "graph")
    p.stdin.write("\n")
    p.stdin.close()
    assert p.stdout.readline().startswith("WRITING") and p.wait(timeout=60) == 0


def test_the_reader_reopens_only_when_the_graph_changed(shared):
    w, ws = shared
    case = NodeRef("Case", w.case_id)
    assert ws.store.get_node(case) is not None
    before = ws.store.reopens
    for _ in range(3):  # page runs with nothing written meanwhile
        ws.refresh()
        assert ws.store.get_node(case) is not None
    assert ws.store.reopens == before
    p = _writer(ws.root / "graph")  # another process writes (a load)
    assert p.stdout.readline().startswith("WRITING")
    p.stdin.write("\n")
    p.stdin.close()
    assert p.wait(timeout=60) == 0
    ws.refresh()
    assert ws.store.get_node(NodeRef("Alert", "FROM-LOAD")) is not None
    assert ws.store.reopens == before + 1
    cases.add_note(ws, w.investigator, w.case_id, "own write")  # own writes: read back
    ws.refresh()
    assert "own write" in [n["text"] for n in cases.get_case(ws, w.investigator,
                                                              w.case_id)["notes"]]
    assert ws.store.get_node(case) is not None  # after the view's audit record (a write)
    reopened = ws.store.reopens
    assert reopened > before + 1
    ws.refresh()
    assert ws.store.get_node(case) is not None
    assert ws.store.reopens == reopened
