"""Detection is reproducible across processes: two runs of the same code on the same small
generated world, each in its own Python process (own hash seed, own DuckDB threads), give
identical features, scores and rings. Leiden's communities once followed DuckDB's row order,
and trees with graph features moved by 0.1 PR-AUC between runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("igraph")
pytest.importorskip("lightgbm")

ROOT = Path(__file__).resolve().parents[1]

# run in a child process: digests of everything the experiment produced
CHILD = r"""
import hashlib, json, sys
import duckdb
import pandas as pd
from graph.detection.pipeline import run_experiment
from graph.detection.rings import build_rings

def digest(obj):
    return hashlib.sha256(pd.util.hash_pandas_object(obj, index=True).values.tobytes()
                          ).hexdigest()

con = duckdb.connect(sys.argv[1], read_only=True)
exp = run_experiment(con, seed=7, with_gnn=False, with_rings=True)
fs = exp.ring_fs
out = {"X": digest(exp.X.astype({c: "float64" for c in exp.X.columns
                                 if str(exp.X[c].dtype) != "category"})),
       "nodes": digest(fs.nodes[["label", "key", "comp", "comm", "ppr"]]),
       "weights": exp.weights}
for name, s in exp.scores.items():
    out[name] = digest(s.sort_index())
rings = build_rings(con, fs, exp.scores["combined"].reindex(fs.X.index).fillna(0.0),
                    model_version="t", threshold=0.0, top=50)
out["rings"] = [[r.ring_id, round(r.score, 12)] for r in rings]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def staged_world(tmp_path_factory):
    from etl.load import open_staging, stage
    from etl.project import project
    from etl.resolution import resolve
    from etl.three_list import run_checks
    from synthetic.config import GenConfig
    from synthetic.world import generate

    root = tmp_path_factory.mktemp("reproworld")
    world, ws = root / "world", root / "ws"
    generate(GenConfig(declarations=6000, seed=7), world)
    con = open_staging(ws)
    try:
        load = stage(world, ws, con=con)
        run_checks(con, load.load_id)
        project(con, load.load_id)
        resolve(con, load.load_id)
    finally:
        con.close()
    return ws / "staging.duckdb"


def _run(db: Path, hash_seed: str) -> dict:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    res = subprocess.run([sys.executable, "-c", CHILD, str(db)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_two_processes_give_identical_features_scores_and_rings(staged_world):
    a = _run(staged_world, "1")
    b = _run(staged_world, "2")
    assert a["rings"], "the small world should give some rings"
    for k in a:
        assert a[k] == b[k], f"{k} differs between two runs of the same code"
