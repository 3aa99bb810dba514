"""Node features of the GNN's graph, and their scaling.

Declarations: numbers from staging (value in CNY, weights, quantities, three-list failures,
channel, brand types from ``gmodel``, time of day), log-scaled; or, when the caller gives
one, the tree model's feature table. Never ``inspected`` nor ``outcome``: they are the
labels' side of the data. Other nodes: the log of their degree per relation in the graph
as of the cut (how many declarations used this phone, this seller), since an identifier's
reach is what makes it a hub or a ring pivot; identities themselves do not generalise to
entities never seen in training.

Scaling (means, deviations, vocabularies) is fitted on the training graph and stored in the
model artefact, so scoring applies exactly the training transformation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from etl.checks.amounts import FX_TO_CNY
from graph.detection.gnn.hetero_graph import DECL, GraphTables

__all__ = ["FeatureSpec", "staging_declaration_frame", "fit_spec", "transform"]

_FX = ("(SELECT * FROM (VALUES " + ", ".join(f"('{k}', {v})" for k, v in FX_TO_CNY.items())
       + ") fx(currency, rate))")

# One row per declaration of the graph (joined on key): raw numbers and categories.
_DECL_SQL = f"""
SELECT n.invt_no AS decl_key,
       n.total_value * coalesce(fx.rate, 1.0) AS value_cny,
       n.gross_weight, n.net_weight, n.line_count, n.total_qty, n.tl_fail_count,
       s.freight * coalesce(fx.rate, 1.0) AS freight_cny,
       n.channel, n.ie_flag, n.trade_mode, s.traf_mode,
       coalesce(n.tl_failed, '') AS tl_failed, coalesce(n.brand_types, '') AS brand_types,
       coalesce(n.brands, '') AS brands,
       extract(hour FROM n.decl_time) + extract(minute FROM n.decl_time) / 60.0 AS hour
FROM node_Declaration n
LEFT JOIN stg_declarations s USING (invt_no)
LEFT JOIN {_FX} fx ON upper(n.currency) = fx.currency
WHERE n.decl_time < $cut
"""

_CATEGORIES = {"channel": ["cbec", "express", "postal"], "ie_flag": ["I", "E"],
               "trade_mode": ["9610", "1210", "1239", "9710", "9810"],
               "traf_mode": ["air", "road", "sea", "rail", "post"]}
_NUMERIC_LOG = ["value_cny", "gross_weight", "net_weight", "line_count", "total_qty",
                "tl_fail_count", "freight_cny"]
_MAX_CHECKS = 40  # three-list checks kept as indicator columns (most frequent in training)


def _slog(x: np.ndarray) -> np.ndarray:
    """Signed log: heavy-tailed amounts on a scale a network can use."""
    return np.sign(x) * np.log1p(np.abs(x))


def staging_declaration_frame(con, g: GraphTables) -> pd.DataFrame:
    """Raw staging numbers of the declarations of ``g``, in ``g``'s declaration order."""
    df = con.execute(_DECL_SQL, {"cut": g.cut}).df().set_index("decl_key")
    return df.reindex(pd.Index(g.keys[DECL], name="decl_key"))


def _staging_matrix(df: pd.DataFrame, checks: list[str]) -> tuple[np.ndarray, list[str]]:
    cols, names = [], []
    for c in _NUMERIC_LOG:
        cols.append(_slog(pd.to_numeric(df[c], errors="coerce").fillna(0).to_numpy(float)))
        names.append(f"log_{c}")
    value = pd.to_numeric(df["value_cny"], errors="coerce").fillna(0).to_numpy(float)
    net = pd.to_numeric(df["net_weight"], errors="coerce").fillna(0).to_numpy(float)
    gross = pd.to_numeric(df["gross_weight"], errors="coerce").fillna(0).to_numpy(float)
    lines = np.maximum(pd.to_numeric(df["line_count"], errors="coerce").fillna(1), 1)
    cols += [_slog(value / np.maximum(net, 0.01)), net / np.maximum(gross, 0.01),
             ((value > 4500) & (value <= 5000)).astype(float),   # just under RMB 5,000/order
             ((value > 900) & (value <= 1000)).astype(float)]    # just under RMB 1,000/parcel
    names += ["log_value_per_kg", "net_gross_ratio", "near_5000", "near_1000"]
    for c, values in _CATEGORIES.items():
        s = df[c].astype("string")
        for v in values:
            cols.append((s == v).fillna(False).to_numpy(float))
            names.append(f"{c}={v}")
    bt = df["brand_types"].astype(str)
    for v in "01234":
        cols.append(bt.str.count(v).to_numpy(float) / lines.to_numpy(float))
        names.append(f"brand_type_{v}_share")
    named = df["brands"].astype(str).map(lambda s: len([b for b in s.split("|") if b]))
    cols.append(named.to_numpy(float) / lines.to_numpy(float))
    names.append("brand_named_share")
    hour = pd.to_numeric(df["hour"], errors="coerce").fillna(12).to_numpy(float)
    cols += [np.sin(2 * np.pi * hour / 24), np.cos(2 * np.pi * hour / 24)]
    names += ["hour_sin", "hour_cos"]
    failed = df["tl_failed"].astype(str)
    for chk in checks:
        cols.append(failed.str.contains(chk, regex=False).to_numpy(float))
        names.append(f"failed_{chk}")
    return np.column_stack(cols), names


def _table_matrix(features: pd.DataFrame, keys: np.ndarray, columns: list[str]) -> np.ndarray:
    """The caller's feature table on the graph's declarations (missing rows: NaN -> 0)."""
    df = features.reindex(pd.Index(keys, name="decl_key"))
    out = np.zeros((len(keys), len(columns)))
    for j, c in enumerate(columns):
        v = pd.to_numeric(df[c], errors="coerce").to_numpy(float) if c in df else np.nan
        out[:, j] = _slog(np.nan_to_num(v, nan=0.0))
    return out


def _degree_features(g: GraphTables) -> dict[str, tuple[np.ndarray, list[str]]]:
    """log(1 + degree) of every node per incident relation, plus a constant column."""
    cols: dict[str, list] = {t: [np.ones(g.num_nodes(t))] for t in g.keys}
    names: dict[str, list] = {t: ["bias"] for t in g.keys}
    for (s, r, d), (si, di) in g.edges.items():
        for t, idx, tag in ((s, si, "out"), (d, di, "in")):
            if t == DECL:
                continue
            cols[t].append(np.log1p(np.bincount(idx, minlength=g.num_nodes(t))))
            names[t].append(f"deg_{tag}_{r}")
    return {t: (np.column_stack(cols[t]), names[t]) for t in g.keys}


@dataclass
class FeatureSpec:
    """How raw numbers became model inputs: column names, vocabularies and scaling."""

    source: str                                   # "staging" or "table"
    table_columns: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    names: dict[str, list[str]] = field(default_factory=dict)
    mean: dict[str, list[float]] = field(default_factory=dict)
    std: dict[str, list[float]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return self.__dict__.copy()

    @classmethod
    def from_dict(cls, d: dict) -> FeatureSpec:
        return cls(**d)


def _raw(con, g: GraphTables, spec: FeatureSpec, features: pd.DataFrame | None
         ) -> dict[str, np.ndarray]:
    out = {t: m for t, (m, _) in _degree_features(g).items()}
    if spec.source == "table":
        if features is None:
            raise ValueError("this GNN was trained on a feature table: pass the same "
                             "features (a DataFrame indexed by decl_key) to score with it")
        out[DECL] = _table_matrix(features, g.keys[DECL], spec.table_columns)
    else:
        out[DECL], _ = _staging_matrix(staging_declaration_frame(con, g), spec.checks)
    return out


def fit_spec(con, g: GraphTables, features: pd.DataFrame | None) -> FeatureSpec:
    """Choose the columns and fit the scaling on the training graph ``g``."""
    if features is not None:
        num = [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])
               or pd.api.types.is_bool_dtype(features[c])]
        if not num:
            raise ValueError("features: no numeric column to use as declaration features")
        spec = FeatureSpec(source="table", table_columns=[str(c) for c in num])
    else:
        failed = staging_declaration_frame(con, g)["tl_failed"].astype(str)
        counts = failed.str.split("|").explode().value_counts()
        checks = sorted(c for c in counts.index[:_MAX_CHECKS] if c)
        spec = FeatureSpec(source="staging", checks=checks)
    raw = _raw(con, g, spec, features)
    names = {t: n for t, (_, n) in _degree_features(g).items()}
    names[DECL] = (spec.table_columns if spec.source == "table"
                   else _staging_matrix(staging_declaration_frame(con, g).iloc[:0],
                                        spec.checks)[1])
    spec.names = names
    for t, m in raw.items():
        mu = m.mean(axis=0) if len(m) else np.zeros(m.shape[1])
        sd = m.std(axis=0) if len(m) else np.ones(m.shape[1])
        spec.mean[t] = mu.tolist()
        spec.std[t] = np.where(sd > 1e-9, sd, 1.0).tolist()
    return spec


def transform(con, g: GraphTables, spec: FeatureSpec, features: pd.DataFrame | None
              ) -> dict[str, np.ndarray]:
    """Scaled float32 feature matrices per node type, columns as in ``spec.names``."""
    raw = _raw(con, g, spec, features)
    out = {}
    for t, m in raw.items():
        if t not in spec.mean:
            raise ValueError(f"node type {t!r} was not in the training graph")
        if m.shape[1] != len(spec.mean[t]):
            raise ValueError(f"{t}: {m.shape[1]} feature columns, the model expects "
                             f"{len(spec.mean[t])} (a relation missing from this workspace?)")
        z = (m - np.asarray(spec.mean[t])) / np.asarray(spec.std[t])
        out[t] = np.clip(z, -10, 10).astype(np.float32)
    return out
