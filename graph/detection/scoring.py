"""``cbec score``: score declarations with the current model, write risk, reasons, indicator
hits and rings into the store (both backends) and ``<workspace>/detection/``.

The first run scores every declaration; later runs score only the declarations declared
after the last scored one (``detection/state.json``): staging is read only for the new
lists and earlier ones a later load changed (``base_cache``), the entities those lists
touch get their history and risk again (``entity_risk``), the model runs on the new rows,
and the rings are rebuilt from the stored scores of every declaration (docs/detection.md,
"One more day"). ``--full`` rescores everything (after ``cbec train`` made a new model
version, say).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from graph.detection.base_cache import BaseCache
from graph.detection.entity_risk import RING_ROLES, EntityRisk
from graph.detection.features import build_features
from graph.detection.indicators import INDICATORS, indicator_values, reasons_for
from graph.detection.labels import training_labels
from graph.detection.model import TreeModel, load_model, train_trees
from graph.detection.results import RISK_LABELS, detection_dir, write_rings, write_risk
from graph.detection.rings import build_rings

__all__ = ["ScoreReport", "score_workspace", "current_model", "train_current",
           "RISK_THRESHOLD"]

RISK_THRESHOLD = 0.5  # a declaration scoring above this is "flagged" (shown on rings)
STATE = "state.json"
BASE_CACHE = "base.duckdb"  # graph.detection.base_cache


@dataclass
class ScoreReport:
    model_version: str
    incremental: bool
    scored: int
    entities: int
    rings: int
    since: datetime | None
    until: datetime
    timings: dict = field(default_factory=dict)


def models_dir(workspace: Path) -> Path:
    return Path(workspace) / "models"


def current_model(workspace: Path) -> TreeModel | None:
    """The newest model artefact of the workspace, or None."""
    d = models_dir(workspace)
    cards = sorted(d.glob("*/card.json")) if d.exists() else []
    if not cards:
        return None
    latest = max(cards, key=lambda p: json.loads(p.read_text(encoding="utf-8"))
                 .get("trained_at", ""))
    return load_model(latest.parent)


def _until(con, cutoff: datetime | None = None) -> datetime:
    """Just after the last declaration (before ``cutoff`` when given)."""
    t = con.execute("SELECT max(decl_time) FROM stg_declarations WHERE decl_time < "
                    "coalesce($c, 'infinity'::TIMESTAMP)", {"c": cutoff}).fetchone()[0]
    if t is None:
        raise ValueError("staging holds no declarations" + (f" before {cutoff}" if cutoff else "")
                         + ": run `cbec load` first")
    return t + timedelta(microseconds=1)


def train_current(con, workspace: Path, *, seed: int = 7, labels=training_labels,
                  label_source: str = "inspections", fs=None,
                  cutoff: datetime | None = None) -> TreeModel:
    """Train the scoring model (trees with graph features) on every label known now and
    save it as a new version under ``<workspace>/models/``; ``fs``: the features of every
    declaration as of now, when the caller has them already; ``cutoff``: as if the data
    ended there."""
    until = _until(con, cutoff)
    fs = fs or build_features(con, until, label_end=until, seed=seed)
    lab = labels(con, until)
    lab = lab[lab.decl_key.isin(fs.X.index)]
    model = train_trees(fs.X.loc[lab.decl_key], lab.set_index("decl_key")["label"],
                        variant="graph", seed=seed, window=(None, until),
                        label_source=label_source)
    version = f"trees-graph-{datetime.now():%Y%m%d-%H%M%S}"
    model.card["version"] = version
    model.save(models_dir(workspace) / version)
    return model


def _state(workspace: Path) -> dict:
    p = Path(workspace) / "detection" / STATE
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}


def score_workspace(workspace: str | Path, *, full: bool = False, seed: int = 7,
                    top_rings: int = 200, progress=None,
                    cutoff: datetime | None = None) -> ScoreReport:
    """Score (see module doc); returns what was done. ``cutoff``: score as if the data
    ended there (declarations from then on are left out): the benchmark scores all but
    the last day, then the last day as the next run."""
    import duckdb

    from graph.store import open_store

    workspace = Path(workspace)
    db = workspace / "staging.duckdb"
    if not db.exists():
        raise FileNotFoundError(f"{db} not found: run `cbec load DIR --workspace {workspace}`")
    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    con = duckdb.connect(str(db), read_only=True)
    try:
        model = current_model(workspace)
        state = _state(workspace)
        until = _until(con, cutoff)
        since = None
        if (not full and model is not None and state.get("model_version") == model.version
                and state.get("until")):
            since = datetime.fromisoformat(state["until"])
            if since >= until:
                say("nothing new to score")
        say(f"features as of {until:%Y-%m-%d %H:%M}" + (f", new since {since}" if since else ""))
        out = detection_dir(workspace=workspace)
        out.mkdir(parents=True, exist_ok=True)
        cached = _load_graph(out) if since is not None else None
        cache = BaseCache(out / BASE_CACHE)
        fs = build_features(con, until, since=since, label_end=until, seed=seed,
                            graph=cached, cache=cache)
        if model is None:
            say("no model yet: training one on the inspections known so far")
            model = train_current(con, workspace, seed=seed, fs=fs, cutoff=cutoff)
        if cached is None:
            _save_graph(out, fs)
        t1 = time.perf_counter()
        score = model.predict(fs.X)
        iv = indicator_values(fs.X)
        reasons = reasons_for(iv)
        prior = _prior_keys(out) if since is not None else None
        all_scores = _merge_scores(out, score, since is not None)
        # entity risk from the cached tables when the day only adds lists (entity_risk)
        fresh = (prior is not None and not prior.isin(score.index).any()
                 and cache.stats.get("refreshed") == len(score)
                 and _has_risk_tables(con))
        hits = pd.DataFrame({n: iv[n] >= INDICATORS[n].threshold for n in iv.columns})
        _merge_parquet(out / "indicator_hits.parquet",
                       hits.assign(**{f"{n}_value": iv[n] for n in iv.columns}),
                       since is not None)
        t2 = time.perf_counter()
        store = open_store(workspace)
        try:
            say(f"writing {len(score)} declaration scores")
            write_risk(store, "Declaration", list(score.index), score.tolist(), reasons,
                       model.version, workspace=workspace,
                       parquet_mode="merge" if since else "replace")
            # entities touched by the scored declarations: risk from all their lists
            all_risk, ring_risk = EntityRisk("all"), EntityRisk("ring", RING_ROLES)
            ent = all_risk.update(con, score) if fresh else all_risk.rebuild(con, all_scores)
            n_ent = 0
            for label in RISK_LABELS:
                if label == "Declaration":
                    continue
                e = ent[ent.label == label]
                if len(e):
                    why = [[f"top declarations score {r:.2f} over {n} lists"]
                           for r, n in zip(e.risk, e.n_decl, strict=True)]
                    n_ent += write_risk(store, label, e.key.tolist(), e.risk.tolist(), why,
                                        model.version, workspace=workspace,
                                        parquet_mode="merge" if since else "replace")
            t3 = time.perf_counter()
            say("rings")
            # rings over every scored declaration; fs's graph is as of now either way
            if fresh:
                ring_risk.update(con, score)
                ring_ent = ring_risk.all(con)
            else:
                ring_ent = ring_risk.rebuild(con, all_scores)
            rings = build_rings(con, fs, all_scores, model_version=model.version,
                                threshold=RISK_THRESHOLD, top=top_rings, indicator_values=
                                _stored_indicators(out), ent=ring_ent)
            write_rings(store, rings, workspace=workspace)
        finally:
            store.close()
        state = {"model_version": model.version, "until": until.isoformat(),
                 "scored_at": datetime.now().isoformat()}
        (out / STATE).write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        t4 = time.perf_counter()
        return ScoreReport(model.version, since is not None, len(score), n_ent, len(rings),
                           since, until, {"features_s": t1 - t0, "model_s": t2 - t1,
                                          "risk_write_s": t3 - t2, "rings_s": t4 - t3,
                                          **{k: round(v, 2) for k, v in fs.timings.items()},
                                          **{f"base_{k}": v for k, v in cache.stats.items()},
                                          "entity_risk_incremental": fresh})
    finally:
        con.close()


def _prior_keys(out: Path) -> pd.Index | None:
    """Declarations scored by earlier runs (None when there are none)."""
    p = out / "scores.parquet"
    return pd.read_parquet(p, columns=[]).index if p.exists() else None


def _has_risk_tables(con) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'detb' "
                       "AND table_name IN ('risk_all', 'risk_ring', 'risk_top_all', "
                       "'risk_top_ring')").fetchone()[0] == 4


def _save_graph(out: Path, fs) -> None:
    """The identifier graph and its node features, for the next incremental run."""
    fs.nodes.to_parquet(out / "graph_nodes.parquet")
    pd.DataFrame({"src": fs.graph.src, "dst": fs.graph.dst}).to_parquet(
        out / "graph_edges.parquet")


def _load_graph(out: Path):
    from graph.detection.idgraph import IdGraph

    n, e = out / "graph_nodes.parquet", out / "graph_edges.parquet"
    if not (n.exists() and e.exists()):
        return None
    nodes = pd.read_parquet(n)
    edges = pd.read_parquet(e)
    return IdGraph(nodes[["label", "key", "hub"]].copy(), edges.src.to_numpy(),
                   edges.dst.to_numpy()), nodes


def _merge_parquet(path: Path, df: pd.DataFrame, merge: bool) -> pd.DataFrame:
    if merge and path.exists():
        old = pd.read_parquet(path)
        df = pd.concat([old[~old.index.isin(df.index)], df])
    tmp = path.with_suffix(".tmp")
    df.to_parquet(tmp)
    tmp.replace(path)
    return df


def _merge_scores(out: Path, score: pd.Series, merge: bool) -> pd.Series:
    df = _merge_parquet(out / "scores.parquet", score.rename("score").to_frame(), merge)
    return df["score"]


def _stored_indicators(out: Path) -> pd.DataFrame:
    df = pd.read_parquet(out / "indicator_hits.parquet")
    return df[[f"{n}_value" for n in INDICATORS]].set_axis(list(INDICATORS), axis=1)
