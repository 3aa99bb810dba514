"""Train the heterogeneous GNN on inspection outcomes and score declarations with it.

Protocol (``docs/detection.md``, GNN section):

- the training graph holds only declarations declared before ``train_end`` and their edges;
  labels are ``graph.detection.labels.training_labels(con, train_end)`` (declarations
  declared and inspected before ``train_end``; seized or amended = 1, clean = 0);
- early stopping: the labelled declarations of the last month before ``train_end`` (or from
  ``valid_start``) are held out and the epoch with the best average precision on them is
  kept; with ``refit`` the model is then retrained on every label for that many epochs;
- scoring builds the graph as of ``predict_end`` (the later declarations and their edges
  join, their labels never do) and returns the scores of [predict_start, predict_end);
- class imbalance: positive weight n_negative / n_positive in the cross-entropy;
- fixed seeds; ``torch.set_num_threads(config.threads)``, restored afterwards. Default 1:
  with 2 threads an epoch took 20 s instead of 0.6-1.2 s on our shared 2-core machine at
  load average 12 (OpenMP threads spin while the other core is taken).
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from graph.detection.gnn.deps import require_pyg
from graph.detection.gnn.hetero_graph import DECL, read_graph
from graph.detection.gnn.node_features import FeatureSpec, fit_spec, transform
from graph.detection.labels import training_labels

__all__ = ["GnnConfig", "GnnResult", "fit_predict_gnn", "load_gnn", "MODEL_VERSION"]

torch, _ = require_pyg()
from graph.detection.gnn.model import (  # noqa: E402
    HeteroSage,
    adjacency_dict,
    build_hetero_data,
    targets,
)

MODEL_VERSION = "gnn-sage-1"


@dataclass
class GnnConfig:
    """Hyper-parameters (the defaults are what BENCHMARKS.md measured)."""

    hidden: int = 32
    layers: int = 2
    dropout: float = 0.2
    lr: float = 0.005
    weight_decay: float = 1e-4
    max_epochs: int = 150
    patience: int = 15
    cap: int = 200            # most messages a node receives per relation (hub handling)
    refit: bool = True        # retrain on all labels for the best epoch count
    relations: list[str] | None = None   # declaration relations (hetero_graph); None: all
    threads: int = 1          # 2 threads ran 20x slower than 1 on our loaded 2-core machine


@dataclass
class GnnResult:
    """Scores of the predicted window, the model card, and the model to score more with."""

    scores: pd.DataFrame
    card: dict
    spec: FeatureSpec
    config: GnnConfig
    in_dims: dict[str, int]
    edge_types: list[tuple[str, str, str]]
    state: dict = field(repr=False, default_factory=dict)

    def model(self) -> HeteroSage:
        m = HeteroSage(self.in_dims, self.edge_types, self.config.hidden, self.config.layers,
                       self.config.dropout)
        m.load_state_dict(self.state)
        return m.eval()

    def predict(self, con, predict_start, predict_end, features: pd.DataFrame | None = None
                ) -> pd.DataFrame:
        """Score declarations declared in [predict_start, predict_end) with this model."""
        with _threads(self.config.threads):
            return _score(con, self.model(), self.spec, self.config, predict_start,
                          predict_end, features, self.card.get("seed", 0))[0]

    def save(self, path) -> Path:
        """Write the artefact: ``model.pt`` (weights), ``gnn.json`` (card, features,
        scaling, configuration) and ``scores.parquet``. Returns the folder."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        torch.save(self.state, path / "model.pt")
        meta = {"model_version": MODEL_VERSION, "card": self.card, "spec": self.spec.to_dict(),
                "config": asdict(self.config), "in_dims": self.in_dims,
                "edge_types": [list(e) for e in self.edge_types]}
        (path / "gnn.json").write_text(json.dumps(meta, indent=1, default=str) + "\n",
                                       encoding="utf-8")
        self.scores.to_parquet(path / "scores.parquet", index=False)
        return path


def load_gnn(path) -> GnnResult:
    """Read an artefact written by :meth:`GnnResult.save`."""
    path = Path(path)
    if not (path / "gnn.json").exists():
        raise FileNotFoundError(f"{path}: no gnn.json here; train first (fit_predict_gnn) "
                                "and save the result there")
    meta = json.loads((path / "gnn.json").read_text(encoding="utf-8"))
    return GnnResult(scores=pd.read_parquet(path / "scores.parquet"), card=meta["card"],
                     spec=FeatureSpec.from_dict(meta["spec"]), config=GnnConfig(**meta["config"]),
                     in_dims=meta["in_dims"], edge_types=[tuple(e) for e in meta["edge_types"]],
                     state=torch.load(path / "model.pt", weights_only=True))


@contextmanager
def _threads(n: int):
    old = torch.get_num_threads()
    torch.set_num_threads(max(1, min(n, os.cpu_count() or 1)))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _seed_all(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)


def _average_precision(y: np.ndarray, s: np.ndarray) -> float:
    from sklearn.metrics import average_precision_score
    return float(average_precision_score(y, s)) if 0 < y.sum() < len(y) else float("nan")


def _labels_on(g, labels: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Indices of labelled declarations in ``g`` and their labels (others are dropped)."""
    pos = pd.Index(g.keys[DECL]).get_indexer(labels["decl_key"])
    ok = pos >= 0
    return pos[ok].astype(np.int64), labels["label"].to_numpy()[ok].astype(np.float32)


def _fit(data, idx, y, cfg: GnnConfig, seed: int, epochs: int, val=None, bar=None):
    """Train a fresh model; with ``val`` = (idx, y) keep the best epoch on it."""
    _seed_all(seed)
    in_dims = {t: data[t].x.shape[1] for t in data.node_types}
    model = HeteroSage(in_dims, list(data.edge_types), cfg.hidden, cfg.layers, cfg.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    yt = torch.from_numpy(y)
    train_target = targets(data, idx)
    val_target = targets(data, val[0]) if val is not None else None
    n_pos = float(y.sum())
    pos_weight = torch.tensor(max(1.0, (len(y) - n_pos) / max(n_pos, 1.0)))
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    x, ei = data.x_dict, adjacency_dict(data)
    best = (-1.0, 0, None)
    curve = []
    for epoch in range(1, epochs + 1):
        model.train()
        opt.zero_grad()
        loss = loss_fn(model(x, ei, train_target), yt)
        loss.backward()
        opt.step()
        ap = float("nan")
        if val is not None:
            model.eval()
            with torch.no_grad():
                s = model(x, ei, val_target).numpy()
            ap = _average_precision(val[1], s)
            if ap > best[0]:
                best = (ap, epoch, {k: v.clone() for k, v in model.state_dict().items()})
            elif epoch - best[1] >= cfg.patience:
                curve.append((epoch, loss.item(), ap))
                break
        curve.append((epoch, loss.item(), ap))
        if bar is not None:
            bar(epoch, loss.item(), ap)
    if val is not None and best[2] is not None:
        model.load_state_dict(best[2])
        return model, best[1], best[0], curve
    return model, len(curve), float("nan"), curve


def _score(con, model, spec, cfg, predict_start, predict_end, features, seed):
    g = read_graph(con, predict_end, relations=cfg.relations)
    x = transform(con, g, spec, features)
    data = build_hetero_data(g, x, cfg.cap, seed)
    t = g.decl_time
    rows = np.flatnonzero((t >= np.datetime64(pd.Timestamp(predict_start))) & (
        t < np.datetime64(pd.Timestamp(predict_end))))
    model.eval()
    with torch.no_grad():
        p = torch.sigmoid(model(data.x_dict, adjacency_dict(data), targets(data, rows))).numpy()
    scores = pd.DataFrame({"decl_key": g.keys[DECL][rows], "gnn_score": p.astype(float)})
    return scores, g


class _Bar:
    """A rich progress bar over epochs (or nothing when progress is off)."""

    def __init__(self, on: bool, total: int, label: str):
        self.on, self.total, self.label = on, total, label

    def __enter__(self):
        if self.on:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
            self.p = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                              TextColumn("epoch {task.completed}/{task.total}"),
                              TimeElapsedColumn(), transient=True)
            self.p.__enter__()
            self.task = self.p.add_task(self.label, total=self.total)
        return self

    def __call__(self, epoch, loss, ap):
        if self.on:
            tail = f" loss {loss:.3f}" + ("" if np.isnan(ap) else f" valid AP {ap:.3f}")
            self.p.update(self.task, completed=epoch, description=self.label + tail)

    def __exit__(self, *exc):
        if self.on:
            self.p.__exit__(*exc)


def fit_predict_gnn(con, *, train_end, predict_start, predict_end,
                    features: pd.DataFrame | None = None, seed: int = 7,
                    epochs: int | None = None, progress: bool = True,
                    valid_start=None, config: GnnConfig | None = None) -> GnnResult:
    """Train on declarations before ``train_end``; score those in [predict_start, predict_end).

    ``features``: optional DataFrame indexed by decl_key (numeric columns) used as the
    declaration node features instead of the staging numbers. ``epochs``: most epochs
    (default ``config.max_epochs``); early stopping on the validation month still applies.
    ``valid_start``: first day of the held-out labels (default: one month before
    ``train_end``). Returns scores (decl_key, gnn_score in 0..1), a model card and the model.
    """
    cfg = config or GnnConfig()
    train_end, predict_start, predict_end = (pd.Timestamp(train_end), pd.Timestamp(
        predict_start), pd.Timestamp(predict_end))
    if predict_end <= predict_start:
        raise ValueError(f"predict_end {predict_end:%Y-%m-%d} must come after predict_start "
                         f"{predict_start:%Y-%m-%d}")
    valid_start = (pd.Timestamp(valid_start) if valid_start is not None
                   else train_end - pd.DateOffset(months=1))
    max_epochs = epochs or cfg.max_epochs
    timings = {}
    with _threads(cfg.threads):
        t0 = time.perf_counter()
        g = read_graph(con, train_end, relations=cfg.relations)
        labels = training_labels(con, train_end)
        idx, y = _labels_on(g, labels)
        if len(y) == 0 or y.sum() == 0:
            raise ValueError(f"no positive label (seized or amended) among the {len(y)} "
                             f"declarations inspected before "
                             f"{train_end:%Y-%m-%d}: the GNN has nothing to learn from; move "
                             "train_end later or load inspection outcomes")
        spec = fit_spec(con, g, features)
        data = build_hetero_data(g, transform(con, g, spec, features), cfg.cap, seed)
        timings["graph_s"] = time.perf_counter() - t0
        is_val = g.decl_time[idx] >= np.datetime64(valid_start)
        tr, va = ~is_val, is_val
        use_val = 0 < y[va].sum() < va.sum() and y[tr].sum() > 0
        t1 = time.perf_counter()
        with _Bar(progress, max_epochs, "GNN training") as bar:
            if use_val:
                model, best_epoch, val_ap, curve = _fit(data, idx[tr], y[tr], cfg, seed,
                                                        max_epochs, (idx[va], y[va]), bar)
            else:
                model, best_epoch, val_ap, curve = _fit(data, idx, y, cfg, seed, max_epochs,
                                                        None, bar)
        timings["early_stop_s"] = time.perf_counter() - t1
        refit = bool(use_val and cfg.refit)
        if refit:
            with _Bar(progress, best_epoch, "GNN refit on all labels") as bar:
                model, _, _, _ = _fit(data, idx, y, cfg, seed, best_epoch, None, bar)
        timings["train_s"] = time.perf_counter() - t1   # early stopping and refit
        timings["refit_s"] = timings["train_s"] - timings["early_stop_s"]
        t2 = time.perf_counter()
        scores, gp = _score(con, model, spec, cfg, predict_start, predict_end, features, seed)
        timings["score_s"] = time.perf_counter() - t2
        threads = torch.get_num_threads()
    card = {
        "model": "heterogeneous GraphSAGE (torch-geometric HeteroConv, mean aggregation)",
        "model_version": MODEL_VERSION, "seed": seed,
        "window": {"train_end": f"{train_end:%Y-%m-%d}", "valid_start": f"{valid_start:%Y-%m-%d}",
                   "predict_start": f"{predict_start:%Y-%m-%d}",
                   "predict_end": f"{predict_end:%Y-%m-%d}"},
        "labels": {"train": {"positive": int(y[tr].sum()), "negative": int((1 - y[tr]).sum())},
                   "valid": {"positive": int(y[va].sum()), "negative": int((1 - y[va]).sum())},
                   "dropped_not_in_graph": int(len(labels) - len(y))},
        "early_stopping": bool(use_val), "refit_on_all_labels": refit,
        "best_epoch": int(best_epoch), "epochs_run": len(curve),
        "valid_average_precision": None if np.isnan(val_ap) else round(val_ap, 4),
        "features": {"declaration_source": spec.source, "names": spec.names},
        "config": asdict(cfg),
        "graph_train": g.summary(), "graph_scored": gp.summary(),
        "scored": len(scores), "timings_s": {k: round(v, 2) for k, v in timings.items()},
        "threads": threads,
    }
    return GnnResult(scores=scores, card=card, spec=spec, config=cfg,
                     in_dims={t: int(data[t].x.shape[1]) for t in data.node_types},
                     edge_types=list(data.edge_types),
                     state={k: v.clone() for k, v in model.state_dict().items()})
