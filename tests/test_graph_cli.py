"""The query commands of ``cbec`` (graph/cli.py) on a workspace holding the tiny ring."""

from __future__ import annotations

import pytest
from conftest import PHONE, SMALL_POOL, write_tiny_ring
from typer.testing import CliRunner

from cbec_cli import app
from graph.store.ladybug_store import LadybugStore


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, monkeypatch_module):
    ws = tmp_path_factory.mktemp("ws")
    with LadybugStore(ws / "graph", buffer_pool_bytes=SMALL_POOL) as s:
        s.ensure_schema()
        write_tiny_ring(s)
    return ws


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    mp.delenv("NEO4J_URI", raising=False)  # these tests are about the embedded store
    yield mp
    mp.undo()


def cbec(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_search(workspace):
    r = cbec("search", "Zhang Wie", "-w", str(workspace))
    assert r.exit_code == 0, r.output
    assert "Zhang Wei" in r.output and "id:110105199203074518" in r.output
    r = cbec("search", "138 0013 8000", "-w", str(workspace), "-l", "Enterprise")
    assert "S1" in r.output and "S2" in r.output and PHONE not in r.output


def test_neighbours_and_shared(workspace):
    r = cbec("neighbours", "Enterprise", "S1", "--hops", "1", "-w", str(workspace))
    assert r.exit_code == 0, r.output
    assert "HAS_PHONE" in r.output and "4 nodes" in r.output
    r = cbec("shared", "Enterprise", "S1", "-w", str(workspace))
    assert "Enterprise:S2" in r.output and "LOCATED_AT" in r.output


def test_path(workspace):
    r = cbec("path", "Enterprise:S1", "Enterprise:S2", "-w", str(workspace))
    assert r.exit_code == 0 and "2 hops" in r.output
    r = cbec("path", "Person:nm:loner", "Enterprise:S1", "-w", str(workspace))
    assert r.exit_code == 2 and "no path" in r.output
    r = cbec("path", "Person:nobody", "Enterprise:S1", "-w", str(workspace))
    assert r.exit_code == 2 and "not in the graph: Person:nobody" in r.output
    r = cbec("path", "S1", "Enterprise:S2", "-w", str(workspace))
    assert r.exit_code != 0 and "LABEL:KEY" in r.output


def test_helpful_errors(workspace, tmp_path):
    r = cbec("search", "x", "-w", str(tmp_path / "empty"))
    assert r.exit_code == 1 and "run `cbec load DIR` first" in r.output
    r = cbec("neighbours", "Persn", "x", "-w", str(workspace))
    assert r.exit_code == 1 and "unknown node label 'Persn'" in r.output
    r = cbec("neighbours", "Person", "nobody", "-w", str(workspace))
    assert r.exit_code == 1 and "cbec search" in r.output


def test_path_says_when_the_search_gave_up(workspace, monkeypatch):
    import graph.store.paths as paths

    monkeypatch.setattr(paths.bidirectional_bfs, "__defaults__", (0,))
    r = cbec("path", "Enterprise:S1", "Enterprise:S2", "-w", str(workspace))
    assert r.exit_code == 3 and "gave up" in r.output, r.output
