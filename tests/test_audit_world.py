"""The world audit (``bench/audit_world.py``) on a small world: no giveaway, and it finds one.

Thresholds are issue 7's, loosened for a 12,000-declaration world (few rows per typology
make single values and the model noisier): no column separates "malicious" at ROC-AUC
above 0.9, no single value covers 40 % of a typology (of at least 30 rows) at precision
0.95, the row-only model stays at ROC-AUC 0.92 or below. A planted giveaway (one barcode that
no honest line carries, on every malicious line, as the generator once wrote T6) must be
reported.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from synthetic.config import GenConfig
from synthetic.world import generate
from tests.bench_modules import load_bench

audit_world = load_bench("audit_world")
N = 12_000


@pytest.fixture(scope="module")
def small_world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("audit") / "w"
    generate(GenConfig(declarations=N, seed=5), out)
    return out


@pytest.fixture(scope="module")
def result(small_world):
    return audit_world.audit(small_world, progress=False)


@pytest.mark.xfail(strict=True, reason=(
    "issue 7 is not met yet (world v4): here T6's documented shared legal representative "
    "(ebc.firms_sharing_legal_rep_id_number) still hits a firm count no honest subsidiary "
    "group with declarations has, and at 100k the row-only model still recalls more than "
    "half of some ring typologies (T6, T2, T7, T8) in its top 5 % (BENCHMARKS.md, World "
    "audit); strict, so it must be un-marked the day the generator passes"))
def test_no_column_value_or_row_model_gives_fraud_away(result):
    bad = audit_world.violations(result, max_auc=0.9, max_cov=0.4, min_precision=0.95,
                                 max_model_auc=0.92, max_recall=1.01)
    # the time-structure checks need a full-size world: judged in BENCHMARKS.md
    bad = [b for b in bad if "starts no scheme" not in b and "no declarations in" not in b]
    small = {g for g, n in result.counts.items() if n < 30}
    bad = [b for b in bad if b.split(":")[0] not in small]
    assert not bad, "\n".join(bad)
    assert result.model["test_malicious"] > 20       # the model was really tested


def test_labels_follow_suspicion_not_truth(result):
    p = result.labels["p_malicious_by_method"]
    # a physical check finds fraud more often (it is chosen for high suspicion) but the
    # method alone does not reveal the truth
    assert max(p.values()) < 0.6
    assert result.labels["seizures_benign"] > 0


PLANTED = "2000000000015"   # an in-store GTIN: no catalogue item carries it


def test_the_audit_reports_a_planted_barcode(small_world, tmp_path):
    w = tmp_path / "w"
    shutil.copytree(small_world, w)
    # the genuine items' GTINs are on counterfeit and honest lines alike (issue 7), so the
    # planted value must be one the world does not hold already
    lines = pq.read_table(w / "declaration_lines")
    assert not pc.any(pc.equal(lines["bar_code"], PLANTED)).as_py()
    truth = pq.read_table(w / "ground_truth" / "declarations.parquet")
    bad = set(truth.filter(pc.field("is_malicious"))["invt_no"].to_pylist())
    for f in (w / "declaration_lines").glob("*.parquet"):
        t = pq.read_table(f)
        hit = pc.is_in(t["invt_no"], pa.array(sorted(bad)))
        col = pc.if_else(hit, PLANTED, t["bar_code"])
        pq.write_table(t.set_column(t.column_names.index("bar_code"), "bar_code", col), f)
    a = audit_world.audit(w, model=False, progress=False)
    found = audit_world.violations(a)
    assert any(f"line.bar_code = {PLANTED}" in b for b in found), found
