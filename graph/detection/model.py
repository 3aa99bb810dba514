"""Gradient-boosted trees (LightGBM) on declaration features, trained only on inspection
outcomes, as versioned artefacts with a model card.

Two variants are measured on the same split: ``tabular`` (the declaration and its seller's
history) and ``graph`` (the same plus :data:`~graph.detection.features.GRAPH_COLUMNS`).
An artefact is a folder ``<workspace>/models/<version>/`` with ``model.txt`` (LightGBM's
own text format), ``card.json`` (features, training window, label counts, metrics, seed,
timings) and ``categories.json`` (the category levels seen in training).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from graph.detection.features import CATEGORICAL, GRAPH_COLUMNS, TABULAR_COLUMNS
from graph.detection.indicators import INDICATORS, indicator_values

__all__ = ["TreeModel", "train_trees", "load_model", "columns_for", "PARAMS"]

# Tried for few positives and kept out (validation PR-AUC of trees+graph, June and July
# inspections, each month trained on the labels known at its start): min_child_samples
# 50 and lambda_l2 10 helped the 30k worlds of seeds 7 and 8 (0.315 -> 0.326) but not the
# 100k world of seed 7 (0.472 -> 0.458); 100 collapsed the 30k world of seed 8 to 0.26.
PARAMS = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 15,
          "min_child_samples": 20, "feature_fraction": 0.8, "bagging_fraction": 0.8,
          "bagging_freq": 1, "lambda_l2": 1.0, "verbose": -1, "deterministic": True,
          "force_row_wise": True,
          # one thread: on a busy 2-core machine two threads ran 20x slower (0.7 s vs 13 s)
          "num_threads": 1}
ROUNDS = 300
# positives weigh (negatives / positives) ** this: 0.5 between none and balanced
POS_WEIGHT_POWER = 0.5
# the rules' indicator values as features too (``rule_*``), computed from the model's own
# columns only: the tabular variant's rules see no graph column. Off: on the validation
# months it moved trees+graph by -0.02..+0.01 (30k seeds 7, 8; 100k seed 7), noise
STACK_RULES = False
RULE_PREFIX = "rule_"


def columns_for(variant: str, *, rules: bool | None = None) -> list[str]:
    """Feature columns of a variant: ``tabular`` or ``graph`` (plus the ``rule_*`` columns
    when ``rules``, by default ``STACK_RULES``)."""
    if variant == "tabular":
        cols = list(TABULAR_COLUMNS)
    elif variant == "graph":
        cols = list(TABULAR_COLUMNS) + list(GRAPH_COLUMNS)
    else:
        raise ValueError(f"unknown variant {variant!r}: use 'tabular' or 'graph'")
    if STACK_RULES if rules is None else rules:
        cols += [RULE_PREFIX + n for n in INDICATORS]
    return cols


def _with_rules(X: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``X`` plus the ``rule_*`` columns ``columns`` asks for, from ``columns``' own
    features (an indicator reading a column the model lacks sees its neutral default)."""
    wanted = [c for c in columns if c.startswith(RULE_PREFIX)]
    if not wanted:
        return X
    own = X[[c for c in columns if c in X.columns]]
    iv = indicator_values(own)
    return X.assign(**{RULE_PREFIX + n: iv[n] for n in iv.columns
                       if RULE_PREFIX + n in wanted})


@dataclass
class TreeModel:
    """A trained booster, the columns it reads and its card."""

    booster: object
    columns: list[str]
    categories: dict[str, list[str]]
    card: dict = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.card.get("version", "unsaved")

    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        X = _with_rules(X, self.columns).reindex(columns=self.columns).copy()
        for c in self.columns:
            if c in self.categories:
                v = X[c].astype("object")
                v = v.where(v.isin(self.categories[c]))  # unseen levels: missing
                X[c] = pd.Categorical(v, categories=self.categories[c])
            else:
                X[c] = pd.to_numeric(X[c], errors="coerce").astype("float64")
        return X

    def predict(self, X: pd.DataFrame) -> pd.Series:
        if len(X) == 0:
            return pd.Series([], dtype="float64", index=X.index)
        return pd.Series(self.booster.predict(self._frame(X)), index=X.index, name="score")

    def top_features(self, n: int = 15) -> list[tuple[str, float]]:
        gain = self.booster.feature_importance("gain")
        order = np.argsort(-gain)[:n]
        return [(self.columns[i], float(gain[i])) for i in order]

    def save(self, folder: Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(folder / "model.txt"))
        (folder / "categories.json").write_text(json.dumps(self.categories), encoding="utf-8")
        (folder / "card.json").write_text(json.dumps(self.card, indent=2, default=str) + "\n",
                                          encoding="utf-8")
        return folder


def load_model(folder: Path) -> TreeModel:
    """A saved artefact (``TreeModel.save``)."""
    import lightgbm as lgb

    folder = Path(folder)
    if not (folder / "model.txt").exists():
        raise FileNotFoundError(f"no model in {folder}: run `cbec train` first")
    card = json.loads((folder / "card.json").read_text(encoding="utf-8"))
    cats = json.loads((folder / "categories.json").read_text(encoding="utf-8"))
    booster = lgb.Booster(model_file=str(folder / "model.txt"))
    return TreeModel(booster, card["features"], cats, card)


def train_trees(X: pd.DataFrame, y: pd.Series, *, variant: str = "graph", seed: int = 7,
                window: tuple[datetime | None, datetime | None] = (None, None),
                label_source: str = "inspections", rounds: int = ROUNDS) -> TreeModel:
    """Fit LightGBM on the labelled rows ``X`` (index ``decl_key``) and ``y`` (0/1)."""
    import lightgbm as lgb

    cols = columns_for(variant)
    y = y.astype(int)
    if y.nunique() < 2:
        raise ValueError(f"training needs both outcomes; the labels have only {set(y)}: "
                         f"widen the training window or check the label column")
    cats = {c: sorted(map(str, X[c].dropna().astype(str).unique())) for c in cols
            if c in CATEGORICAL}
    model = TreeModel(None, cols, cats)
    t = time.perf_counter()
    ds = lgb.Dataset(model._frame(X), label=y.to_numpy(), categorical_feature=list(cats),
                     free_raw_data=True)
    params = dict(PARAMS, seed=seed, bagging_seed=seed, feature_fraction_seed=seed,
                  scale_pos_weight=float(max(1.0, (y == 0).sum() / max(1, (y == 1).sum())
                                             ) ** POS_WEIGHT_POWER))
    model.booster = lgb.train(params, ds, num_boost_round=rounds)
    model.card = {
        "kind": "lightgbm", "variant": variant, "features": cols, "seed": seed,
        "params": params, "rounds": rounds, "label_source": label_source,
        "training_window": [str(w) if w else None for w in window],
        "labels": {"rows": int(len(y)), "positive": int(y.sum()),
                   "negative": int((y == 0).sum())},
        "train_seconds": round(time.perf_counter() - t, 2),
        "trained_at": datetime.now().replace(microsecond=0).isoformat(),
    }
    model.card["top_features"] = model.top_features()
    return model
