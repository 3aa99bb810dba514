"""Choosing the combination weights on the validation month's few inspected lists."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graph.detection.pipeline import choose_weights


def _scores(n: int, signal: dict[str, float], seed: int = 1):
    rng = np.random.default_rng(seed)
    y = pd.Series((rng.random(n) < 0.15).astype(int), index=range(n))
    return {k: pd.Series(rng.random(n) + s * y.to_numpy(), index=y.index)
            for k, s in signal.items()}, y


def test_noise_keeps_the_default_equal_mix():
    # no model carries signal: no grid point can beat equal weights reliably
    scores, y = _scores(150, {"trees+graph": 0.0, "rules": 0.0, "gnn": 0.0})
    w, _ = choose_weights(scores, y)
    assert w == {"trees+graph": 1.0, "rules": 1.0, "gnn": 0.0}


def test_a_clearly_better_model_earns_its_weight():
    scores, y = _scores(600, {"trees+graph": 0.0, "rules": 2.0, "gnn": 0.0})
    w, ap = choose_weights(scores, y)
    assert w["rules"] > 0 and w["trees+graph"] == 0 and w["gnn"] == 0
    assert ap > 0.8
