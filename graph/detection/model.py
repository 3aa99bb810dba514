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

__all__ = ["TreeModel", "train_trees", "load_model", "columns_for", "PARAMS"]

PARAMS = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 15,
          "min_child_samples": 20, "feature_fraction": 0.8, "bagging_fraction": 0.8,
          "bagging_freq": 1, "lambda_l2": 1.0, "verbose": -1, "deterministic": True,
          "force_row_wise": True, "num_threads": 2}
ROUNDS = 300


def columns_for(variant: str) -> list[str]:
    """Feature columns of a variant: ``tabular`` or ``graph``."""
    if variant == "tabular":
        return list(TABULAR_COLUMNS)
    if variant == "graph":
        return list(TABULAR_COLUMNS) + list(GRAPH_COLUMNS)
    raise ValueError(f"unknown variant {variant!r}: use 'tabular' or 'graph'")


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
        X = X.reindex(columns=self.columns).copy()
        for c in self.columns:
            if c in self.categories:
                X[c] = pd.Categorical(X[c].astype("object"), categories=self.categories[c])
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
                                             ) ** 0.5))
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
