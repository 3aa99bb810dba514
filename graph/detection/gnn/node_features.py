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

__all__ = ["FeatureSpec", "staging_matrix", "frequent_checks", "fit_spec", "transform"]

_FX = ("(SELECT * FROM (VALUES " + ", ".join(f"('{k}', {v})" for k, v in FX_TO_CNY.items())
       + ") fx(currency, rate))")

# One row per declaration before the cut: the raw numbers, computed in DuckDB (string
# parsing of 1M declarations in pandas cost more than the rest of the features together).
_BASE_SQL = f"""
SELECT n.invt_no AS decl_key, n.decl_time,
       coalesce(n.total_value * coalesce(fx.rate, 1.0), 0) AS value_cny,
       coalesce(n.gross_weight, 0) AS gross_weight, coalesce(n.net_weight, 0) AS net_weight,
       greatest(coalesce(n.line_count, 1), 1) AS line_count,
       coalesce(n.total_qty, 0) AS total_qty, coalesce(n.tl_fail_count, 0) AS tl_fail_count,
       coalesce(s.freight * coalesce(fx.rate, 1.0), 0) AS freight_cny,
       n.channel, n.ie_flag, n.trade_mode, s.traf_mode,
       '|' || coalesce(n.tl_failed, '') || '|' AS tl_failed,
       coalesce(n.brand_types, '') AS brand_types, coalesce(n.brands, '') AS brands
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


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _columns(checks: list[str]) -> list[tuple[str, str]]:
    """(name, SQL expression over ``_BASE_SQL``) of every staging feature column."""
    cols = [(f"log_{c}", c) for c in _NUMERIC_LOG]
    cols += [("log_value_per_kg", "value_cny / greatest(net_weight, 0.01)"),
             ("net_gross_ratio", "net_weight / greatest(gross_weight, 0.01)"),
             ("near_5000", "value_cny > 4500 AND value_cny <= 5000"),  # RMB 5,000 per order
             ("near_1000", "value_cny > 900 AND value_cny <= 1000")]   # RMB 1,000 per parcel
    cols += [(f"{c}={v}", f"coalesce({c} = {_q(v)}, false)")
             for c, values in _CATEGORIES.items() for v in values]
    cols += [(f"brand_type_{v}_share",   # brand types are one digit per line: count the digit
              f"(length(brand_types) - length(replace(brand_types, '{v}', ''))) / line_count")
             for v in "01234"]
    cols.append(("brand_named_share", "CASE WHEN brands = '' THEN 0 ELSE (length(brands) - "
                 "length(replace(brands, '|', '')) + 1) / line_count END"))
    hour = "(extract(hour FROM decl_time) + extract(minute FROM decl_time) / 60.0)"
    cols += [("hour_sin", f"sin(2 * pi() * {hour} / 24)"),
             ("hour_cos", f"cos(2 * pi() * {hour} / 24)")]
    cols += [(f"failed_{c}", f"contains(tl_failed, {_q('|' + c + '|')})") for c in checks]
    return cols


def frequent_checks(con, cut) -> list[str]:
    """The three-list checks most often failed before ``cut`` (indicator columns)."""
    rows = con.execute(
        "SELECT c, count(*) AS n FROM (SELECT unnest(string_split(tl_failed, '|')) AS c "
        "FROM node_Declaration WHERE decl_time < $cut AND tl_failed IS NOT NULL) "
        "WHERE c <> '' GROUP BY c ORDER BY n DESC, c LIMIT $k",
        {"cut": cut, "k": _MAX_CHECKS}).fetchall()
    return sorted(r[0] for r in rows)


def staging_matrix(con, g: GraphTables, checks: list[str]) -> tuple[np.ndarray, list[str]]:
    """Staging features of the declarations of ``g`` (in ``g``'s order) and their names."""
    cols = _columns(checks)
    select = ", ".join(f"CAST({e} AS DOUBLE) AS c{i}" for i, (_, e) in enumerate(cols))
    res = con.execute(f"SELECT decl_key, {select} FROM ({_BASE_SQL}) ORDER BY decl_key",
                      {"cut": g.cut}).fetchnumpy()
    m = np.column_stack([np.nan_to_num(np.asarray(res[f"c{i}"], dtype=float))
                         for i in range(len(cols))]) if len(cols) else np.zeros((0, 0))
    keys = np.asarray(res["decl_key"], dtype=object)
    if not np.array_equal(keys, g.keys[DECL]):   # same filter and order: a safety net only
        m = pd.DataFrame(m, index=keys).reindex(g.keys[DECL]).fillna(0).to_numpy()
    for j in range(len(_NUMERIC_LOG) + 1):        # amounts and value per kg
        m[:, j] = _slog(m[:, j])
    return m, [n for n, _ in cols]


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
        out[DECL], _ = staging_matrix(con, g, spec.checks)
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
        spec = FeatureSpec(source="staging", checks=frequent_checks(con, g.cut))
    raw = _raw(con, g, spec, features)
    names = {t: n for t, (_, n) in _degree_features(g).items()}
    names[DECL] = (spec.table_columns if spec.source == "table"
                   else [n for n, _ in _columns(spec.checks)])
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
