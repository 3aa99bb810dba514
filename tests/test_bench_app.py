"""bench/bench_app.py's argument checks (the browser walk itself is the benchmark)."""

from __future__ import annotations

from tests.bench_modules import load_bench


def test_a_folder_without_neo4j_data_is_refused_before_anything_starts(tmp_path, capsys):
    (tmp_path / "data").mkdir()  # a data folder with no databases in it
    assert load_bench("bench_app").main(["--neo4j-data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "cannot run:" in err and "holds no Neo4j data" in err
