"""The Neo4j load benchmark: usage without a server, and a tiny dry run through a fake runner."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_neo4j_load.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_neo4j_load", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_without_neo4j_uri_it_explains_and_exits_0(bench, monkeypatch, capsys):
    monkeypatch.delenv("NEO4J_URI", raising=False)
    assert bench.main([]) == 0
    out = capsys.readouterr().out
    assert "NEO4J_URI is not set" in out and "--dry-run" in out


def test_dry_run_loads_every_label_and_pair(bench, capsys):
    assert bench.main(["--dry-run", "--rows", "30", "--batch-size", "7"]) == 0
    out = capsys.readouterr().out
    assert "node │ Declaration" in out and "edge │ SAME_AS Address Address" in out
    schema = bench.load_schema()
    tables = len(schema.nodes) + sum(len(e.pairs) for e in schema.edges.values())
    assert f"{tables * 30:,}" in out.splitlines()[-2]  # the "all" row counts every row


def test_generated_keys_join_up(bench):
    schema = bench.load_schema()
    data = list(bench.generated(schema, 5))
    keys = {what[0]: set(t.column(schema.node(what[0]).key).to_pylist())
            for kind, what, t in data if kind == "node"}
    for kind, what, t in data:
        if kind == "edge":
            assert set(t.column("from_key").to_pylist()) <= keys[what[1]]
            assert set(t.column("to_key").to_pylist()) <= keys[what[2]]
