"""Entity resolution on a small generated world, staged and projected by the real pipeline.

Scored against the generator's ground truth with ``bench/eval_resolution.py`` (the
resolver itself never reads it): links must be precise, must find the variants keys miss,
and a second run must change nothing.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def _evaluator():
    spec = importlib.util.spec_from_file_location("eval_resolution",
                                                  ROOT / "bench" / "eval_resolution.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["eval_resolution"] = mod
    spec.loader.exec_module(mod)
    return mod


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
