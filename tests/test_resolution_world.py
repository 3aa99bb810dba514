"""Entity resolution on a small generated world, staged and projected by the real pipeline.

Scored against the generator's ground truth with ``bench/eval_resolution.py`` (the
resolver itself never reads it): links must be precise, must find the variants keys miss,
and a second run must change nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.bench_modules import load_bench

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def _evaluator():
    return load_bench("eval_resolution")


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    from etl.load import open_staging, stage
    from etl.project import project
    from etl.resolution import resolve
    from synthetic.config import GenConfig
    from synthetic.world import generate

    root = tmp_path_factory.mktemp("erworld")
    world, ws = root / "world", root / "ws"
    generate(GenConfig(declarations=3000, seed=11), world)
    con = open_staging(ws)
    load = stage(world, ws, con=con)
    project(con, load.load_id)
    first = resolve(con, load.load_id)
    edges = con.execute("SELECT * FROM edge_SAME_AS ORDER BY ALL").fetchall()
    again = resolve(con, load.load_id)
    truth = pd.read_parquet(world / "ground_truth" / "entity_identity.parquet")
    scores = _evaluator().evaluate(con, truth)
    after = con.execute("SELECT * FROM edge_SAME_AS ORDER BY ALL").fetchall()
    yield {"first": first, "again": again, "scores": scores, "edges": edges, "after": after}
    con.close()


@pytest.mark.parametrize("etype", ["person", "enterprise", "address"])
def test_links_are_precise_and_find_what_keys_miss(resolved, etype):
    r = resolved["scores"][etype]
    keys, linked = r["keys"], r["keys_same_as"]
    assert linked["precision"] >= 0.99, r
    assert linked["recall"] >= 0.95, r
    if keys["true_pairs"]:
        assert linked["correct_pairs"] > keys["correct_pairs"], r


def test_no_chain_of_links_glues_two_id_holders(resolved):
    assert resolved["scores"]["person"]["conflicting_components"] == 0


def test_candidate_pairs_stay_linear(resolved):
    for label, s in resolved["first"].labels.items():
        assert s.pairs <= 10 * max(s.nodes, 1), (label, s)


def test_second_run_changes_nothing(resolved):
    assert resolved["again"].links == 0
    assert all(s.delta == 0 for s in resolved["again"].labels.values())
    assert resolved["after"] == resolved["edges"]


# -- determinism: same projection, same SAME_AS --------------------------------------------
@pytest.fixture(scope="module")
def projection(tmp_path_factory):
    """A 6,000-declaration world staged and projected once; the file is copied per run."""
    from etl.load import open_staging, stage
    from etl.project import project
    from synthetic.config import GenConfig
    from synthetic.world import generate

    root = tmp_path_factory.mktemp("erdet")
    generate(GenConfig(declarations=6000, seed=5), root / "world")
    con = open_staging(root / "ws")
    project(con, stage(root / "world", root / "ws", con=con).load_id)
    con.close()
    return root / "ws" / "staging.duckdb"


_PROJECTED = ("node_%", "edge_%", "stg_%")
_NODES = {"node_Person": ("person_key", "name = name || ' Q', name_norm = name_norm || 'Q'"),
          "node_Enterprise": ("code", "name = name || ' Q', name_norm = name_norm || 'Q'"),
          "node_Address": ("address_key", "address = address || ' 9', "
                                          "address_norm = address_norm || ' 9'")}


def _same_as_of(projection, tmp_path, name, prepare=None):
    """Resolve a fresh copy of the projection with 2 threads, as a load does; its SAME_AS."""
    from etl.resolution import resolve

    db = tmp_path / f"{name}.duckdb"
    shutil.copy(projection, db)
    con = duckdb.connect(str(db))
    con.execute("SET threads = 2")
    con.execute("SET preserve_insertion_order = false")
    try:
        if prepare:
            prepare(con)
        resolve(con, "R")
        return con.execute("SELECT * FROM edge_SAME_AS ORDER BY ALL").fetchall()
    finally:
        con.close()


def _shuffled(con):
    """Every projected and staged table rewritten in a random row order (scan order)."""
    con.execute("SELECT setseed(0.42)")
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND ("
        + " OR ".join(f"table_name LIKE '{p}'" for p in _PROJECTED) + ")").fetchall()]
    con.execute("SET preserve_insertion_order = true")
    for t in tables:
        con.execute(f'CREATE TABLE "_shuffled" AS SELECT * FROM "{t}" ORDER BY random()')
        con.execute(f'DROP TABLE "{t}"')
        con.execute(f'ALTER TABLE "_shuffled" RENAME TO "{t}"')
    con.execute("SET preserve_insertion_order = false")


def _built_up_over_two_loads(con):
    """A first resolve sees ~30% of the names/addresses spelt otherwise; the second the
    real projection: an incremental run, which must end where a fresh one ends."""
    from etl.resolution import resolve

    for table, (key, change) in _NODES.items():
        con.execute(f'CREATE TEMP TABLE "real_{table}" AS SELECT * FROM "{table}"')
        con.execute(f'UPDATE "{table}" SET {change} WHERE hash({key}) % 10 < 3')
    resolve(con, "R0")
    for table in _NODES:
        con.execute(f'DELETE FROM "{table}"')
        con.execute(f'INSERT INTO "{table}" SELECT * FROM "real_{table}"')


def test_two_runs_on_one_projection_give_identical_same_as(projection, tmp_path):
    first = _same_as_of(projection, tmp_path, "a")
    assert len(first) > 1000  # a world with many links, blocks and equal scores
    assert len({r[4] for r in first}) < len(first) / 10
    assert _same_as_of(projection, tmp_path, "b") == first


def test_row_order_of_the_projection_does_not_change_same_as(projection, tmp_path):
    assert _same_as_of(projection, tmp_path, "shuffled", _shuffled) == \
        _same_as_of(projection, tmp_path, "plain")


def test_same_as_built_up_over_loads_equals_a_fresh_run(projection, tmp_path):
    # (the masked-ID case this once missed shows at 1M declarations only: unit test in
    # test_resolution.py)
    fresh = _same_as_of(projection, tmp_path, "fresh")
    built = _same_as_of(projection, tmp_path, "built", _built_up_over_two_loads)
    # _load_id names the run that last wrote an edge: compare the links themselves
    assert [r[:6] for r in built] == [r[:6] for r in fresh]
