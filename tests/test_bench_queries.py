"""The query benchmark runs end to end on a tiny synthetic store, in both walk modes: it is
the evidence behind the traversal figures in BENCHMARKS.md."""

from __future__ import annotations

import pytest

from tests.bench_modules import load_bench


@pytest.mark.parametrize("walks", ["index", "cypher"])
def test_bench_queries_prints_every_figure(walks, tmp_path, capsys):
    bench = load_bench("bench_queries")
    bench.console.width = 200  # one table row per line
    bench.main(["--store", str(tmp_path / "g"), "--scale", "0.01", "--neighbourhoods", "6",
                "--paths", "6", "--buffer-pool-gib", "0.25", "--walks", walks])
    out = capsys.readouterr().out
    for row in ("2-hop neighbourhood", "shortest path", "subgraph of a", "search a name"):
        assert row in out, out
    assert "gave up" in out and (("adjacency index: built" in out) == (walks == "index"))
