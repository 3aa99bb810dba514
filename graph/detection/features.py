"""Declaration features as of a point in time: tabular ones and graph ones, kept apart so the
graph's contribution is measured (trees with and without ``GRAPH_COLUMNS``).

``build_features(con, until, since=..., label_end=...)`` reads only declarations before
``until`` and labels (inspection outcomes) known before ``label_end``, and returns one row
per declaration declared in ``[since, until)``. A month's features are therefore the same
whether or not later months have been loaded (``tests/test_detection_features.py``).

Families (issue 10): shared-identifier counts with hub-aware weighting, component and
Leiden-community size and risk mix, personalised PageRank from labelled-bad entities,
destination concentration and surge, channel mix, value per kg and against the reference
price, brand omission and generic names, weight-implied quantity, three-list failures,
newness, bursts and dormancy, closeness to the value thresholds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from graph.detection.base import TL_FLAGS, build_base, exact_agg
from graph.detection.entity_stats import ENTITY_COLUMNS, build_entity_stats, near_threshold_sql
from graph.detection.idgraph import IdGraph, build_idgraph
from graph.detection.labels import training_labels

__all__ = ["FeatureSet", "build_features", "TABULAR_COLUMNS", "GRAPH_COLUMNS", "CATEGORICAL",
           "META_COLUMNS", "node_features", "personalized_pagerank"]

OWN = ["is_export", "ch_express", "ch_postal", "ch_cbec", "value_cny", "gross_weight",
       "net_weight", "n_lines", "total_qty", "brand_omit_share", "generic_share",
       "max_brand_type", "min_price_ratio", "implied_qty_ratio", "value_per_kg", "n_hs",
       "near_thr", "tl_fail_count", *[f"tl_{c.replace('-', '').lower()}" for c in TL_FLAGS]]
CATEGORICAL = ["trade_mode", "country"]
SELLER = [f"seller_{c}" for c in ENTITY_COLUMNS]
BUYER = ["buyer_n_decl", "buyer_value_sum", "buyer_near_thr_share", "buyer_age_days",
         "agent_n_decl", "agent_n_sellers", "carrier_n_decl", "carrier_n_sellers"]
TABULAR_COLUMNS = OWN + CATEGORICAL + SELLER + BUYER
GRAPH_COLUMNS = [
    "addr_n_persons", "addr_n_sellers", "addr_n_decl", "phone_n_persons", "phone_n_sellers",
    "acct_n_persons", "acct_n_sellers", "payee_n_persons", "id_n_addresses", "id_n_sellers",
    "pivot_hub", "pivot_weight", "comp_size", "comp_persons", "comp_enterprises",
    "comp_pos_rate", "comp_labelled", "comm_size", "comm_pos_rate", "ppr_max", "seller_ppr",
    "seller_linked", "seller_comp_pos_rate", "split_day_value", "split_day_lists"]
META_COLUMNS = ["decl_time", "month", "seller", "ie_flag", "channel", "country", "value_cny",
                "in_window"]


@dataclass
class FeatureSet:
    """Features (index ``decl_key``), meta columns, the graph and its node features."""

    X: pd.DataFrame
    meta: pd.DataFrame
    graph: IdGraph
    nodes: pd.DataFrame  # graph.nodes plus comp, comm, ppr, pos, labelled, n_decl...
    until: datetime
    label_end: datetime
    timings: dict = field(default_factory=dict)


def _entity_role_stats(con, role: str, label: str, cols: list[str], prefix: str) -> pd.DataFrame:
    """Per declaration, the max of ``cols`` of its entities of ``role``."""
    sel = ", ".join(f"max(e.{c}) AS {prefix}_{c}" for c in cols)
    return con.execute(f"""
        SELECT l.decl_key, {sel} FROM det_links l
        JOIN det_ent e ON e.label = l.label AND e.key = l.key
        WHERE l.role = '{role}' AND l.label = '{label}' AND l.decl_key IN
              (SELECT decl_key FROM det_decl WHERE in_window)
        GROUP BY 1
    """).df().set_index("decl_key")


def node_features(con, g: IdGraph, label_end: datetime, seed: int = 7) -> pd.DataFrame:
    """Per graph node: component, Leiden community, personalised PageRank from entities
    of seized/amended declarations known before ``label_end``, and label counts."""
    import igraph as ig

    nodes = g.nodes.copy()
    lab = training_labels(con, label_end)
    con.register("det_lab", lab[["decl_key", "label"]])
    counts = con.execute("""
        SELECT l.label, l.key, count(*) AS labelled, sum(b.label) AS pos
        FROM det_links l JOIN det_lab b USING (decl_key) GROUP BY 1, 2
    """).df()
    con.unregister("det_lab")
    nodes = nodes.merge(counts.rename(columns={"label": "label"}), on=["label", "key"],
                        how="left")
    nodes[["labelled", "pos"]] = nodes[["labelled", "pos"]].fillna(0)
    gi = g.igraph(without_hubs=True)
    nodes["comp"] = np.asarray(gi.connected_components().membership)
    random.seed(seed)
    ig.set_random_number_generator(random)  # Leiden is randomised: fixed seed, same result
    nodes["comm"] = np.asarray(gi.community_leiden(objective_function="modularity",
                                                   n_iterations=2).membership)
    seeds = np.flatnonzero((nodes.pos.to_numpy() > 0) & ~nodes.hub.to_numpy())
    if len(seeds) and gi.ecount():
        edges = np.asarray(gi.get_edgelist(), dtype=np.int64).reshape(-1, 2)
        ppr = personalized_pagerank(len(nodes), edges[:, 0], edges[:, 1], seeds)
        nodes["ppr"] = ppr * len(nodes)  # 1.0 = the average node's share
    else:
        nodes["ppr"] = 0.0
    nodes.loc[nodes.hub, "ppr"] = 0.0
    for by, pre in (("comp", "comp"), ("comm", "comm")):
        agg = nodes.groupby(by).agg(size=("key", "size"),
                                    persons=("label", lambda s: int((s == "Person").sum())),
                                    enterprises=("label",
                                                 lambda s: int((s == "Enterprise").sum())),
                                    pos=("pos", "sum"), labelled=("labelled", "sum"))
        agg["pos_rate"] = np.where(agg.labelled > 0, agg.pos / agg.labelled.clip(lower=1),
                                   np.nan)
        nodes = nodes.join(agg.add_prefix(f"{pre}_"), on=by)
    nodes.loc[nodes.hub, ["comp_size", "comm_size"]] = 1
    return nodes


def personalized_pagerank(n: int, src: np.ndarray, dst: np.ndarray, seeds: np.ndarray, *,
                          damping: float = 0.85, tol: float = 1e-12,
                          max_iter: int = 200) -> np.ndarray:
    """Personalised PageRank on an undirected graph by power iteration, restarting at
    ``seeds``; a node without edges hands its mass back to the seeds. Our own, not
    igraph's: PRPACK's parallel sums changed the last bits from run to run."""
    from scipy.sparse import csr_matrix

    a = np.concatenate([src, dst])
    b = np.concatenate([dst, src])
    deg = np.bincount(a, minlength=n).astype(np.float64)
    walk = csr_matrix((1.0 / deg[a], (b, a)), shape=(n, n))  # column-stochastic, x -> Wx
    reset = np.zeros(n)
    reset[seeds] = 1.0 / len(seeds)
    x = reset.copy()
    for _ in range(max_iter):
        moved = walk @ x
        nxt = damping * moved + (1.0 - damping * moved.sum()) * reset
        done = np.abs(nxt - x).sum() < tol
        x = nxt
        if done:
            break
    return x


def build_features(con, until: datetime, *, since: datetime | None = None,
                   label_end: datetime | None = None, seed: int = 7,
                   graph: tuple[IdGraph, pd.DataFrame] | None = None,
                   cache=None) -> FeatureSet:
    """Features of the declarations declared in ``[since, until)`` (see module doc).

    ``graph``: the identifier graph and node features of an earlier run, reused as they
    are (incremental scoring of a day: entities new since then have no graph features
    until the next full run); with it, only the window's entities get their history
    recomputed. ``cache``: the base tables of earlier runs (``graph.detection.base_cache``),
    extended by what is new instead of read again from staging.
    """
    import time

    t0 = time.perf_counter()
    label_end = label_end or until
    build_base(con, until, since=since, cache=cache)
    build_entity_stats(con, until, touched_only=graph is not None and since is not None)
    t1 = time.perf_counter()
    near = near_threshold_sql("value_cny")
    decl = con.execute(f"""
        SELECT decl_key, decl_time, month, seller, ie_flag, channel, country, trade_mode,
               in_window, value_cny,
               CAST(ie_flag = 'E' AS INTEGER) AS is_export,
               CAST(channel = 'express' AS INTEGER) AS ch_express,
               CAST(channel = 'postal' AS INTEGER) AS ch_postal,
               CAST(channel = 'cbec' AS INTEGER) AS ch_cbec,
               gross_weight, net_weight, n_lines, total_qty, brand_omit_share, generic_share,
               max_brand_type, min_price_ratio, implied_qty_ratio, value_per_kg, n_hs,
               CAST({near} AS INTEGER) AS near_thr, coalesce(tl_fail_count, 0) AS tl_fail_count,
               {", ".join(f"coalesce(tl_{c.replace('-', '').lower()}, 0) AS "
                          f"tl_{c.replace('-', '').lower()}" for c in TL_FLAGS)}
        FROM det_decl WHERE in_window ORDER BY decl_time, decl_key
    """).df().set_index("decl_key")
    parts = [decl,
             _entity_role_stats(con, "seller", "Enterprise", ENTITY_COLUMNS, "seller"),
             _entity_role_stats(con, "buyer", "Person", ["n_decl", "value_sum", "near_thr_share",
                                                         "age_days"], "buyer"),
             _entity_role_stats(con, "agent", "Enterprise", ["n_decl", "n_sellers"], "agent"),
             _entity_role_stats(con, "carrier", "Enterprise", ["n_decl", "n_sellers"],
                                "carrier")]
    for role, label, pre in (("address", "Address", "addr"), ("phone", "Phone", "phone"),
                             ("account", "PaymentAccount", "acct"),
                             ("payee", "PaymentAccount", "payee"), ("id", "IdNumber", "id")):
        parts.append(_entity_role_stats(con, role, label,
                                        ["n_persons", "n_sellers", "n_decl", "n_addresses"],
                                        pre))
    parts.append(_same_day_split(con))
    X = pd.concat(parts, axis=1, join="outer").loc[decl.index]
    t2 = time.perf_counter()
    if graph is not None:
        g, nodes = graph
    else:
        g = build_idgraph(con)
        nodes = node_features(con, g, label_end, seed)
    t3 = time.perf_counter()
    X = X.join(_graph_columns(con, nodes, X))
    for c in CATEGORICAL:
        X[c] = X[c].astype("category")
    for c in TABULAR_COLUMNS + GRAPH_COLUMNS:
        if c not in X:
            X[c] = np.nan
    meta = X[META_COLUMNS].copy()
    X = X[TABULAR_COLUMNS + GRAPH_COLUMNS]
    num = [c for c in X.columns if c not in CATEGORICAL]
    X[num] = X[num].astype("float64")
    return FeatureSet(X, meta, g, nodes, until, label_end,
                      {"base_s": t1 - t0, "tabular_s": t2 - t1, "graph_s": t3 - t2,
                       "join_s": time.perf_counter() - t3})


def _same_day_split(con) -> pd.DataFrame:
    """Per declaration: the lists of its seller to one of its addresses, phones or payment
    accounts on its day (``split_day_lists``, at least 2) and their summed value
    (``split_day_value``); a purchase split under the per-order limit (T4) adds up above
    it. Counted per seller, so a parcel locker's many shops do not add up. The day is the
    order's (``stg_orders``, when loaded): the lists of one purchase are declared over the
    next days."""
    orders = con.execute("SELECT count(*) FROM information_schema.tables "
                         "WHERE table_name = 'stg_orders'").fetchone()[0]
    order_time = ("(SELECT order_no, ebc_code AS seller, min(order_time) AS order_time "
                  "FROM stg_orders GROUP BY ALL)" if orders else
                  "(SELECT NULL AS order_no, NULL AS seller, NULL::TIMESTAMP AS order_time)")
    return con.execute(f"""
        WITH p AS (SELECT l.label, l.key, l.decl_key, d.seller, d.value_cny,
                          CAST(coalesce(o.order_time, d.decl_time) AS DATE) AS day
                   FROM det_links l JOIN det_decl d USING (decl_key)
                   LEFT JOIN {order_time} o ON o.order_no = d.order_no AND o.seller = d.seller
                   WHERE d.in_window AND l.role IN ('address', 'phone', 'account')),
        t AS (SELECT label, key, day, seller, count(DISTINCT decl_key) AS n,
                     {exact_agg("sum", "value_cny")} AS v
              FROM p GROUP BY ALL HAVING count(DISTINCT decl_key) >= 2)
        SELECT p.decl_key, max(t.v) AS split_day_value, max(t.n) AS split_day_lists
        FROM p JOIN t USING (label, key, day, seller) GROUP BY 1
    """).df().set_index("decl_key")


def _graph_columns(con, nodes: pd.DataFrame, X: pd.DataFrame) -> pd.DataFrame:
    """Per declaration: the graph features of the entities it involves."""
    nf = nodes[["label", "key", "hub", "comp", "comp_size", "comp_persons", "comp_enterprises",
                "comp_pos_rate", "comp_labelled", "comm_size", "comm_pos_rate", "ppr"]]
    con.register("det_nodes", nf)
    g = con.execute("""
        SELECT l.decl_key,
               max(CASE WHEN n.hub THEN 1 ELSE 0 END) AS pivot_hub,
               -- hub-aware weight: an identifier shared by few people weighs most
               max(CASE WHEN l.role IN ('address', 'phone', 'account', 'payee', 'id')
                        THEN 1.0 / ln(2 + coalesce(e.n_persons, 0)) END) AS pivot_weight,
               max(CASE WHEN NOT n.hub AND l.role NOT IN ('agent', 'carrier', 'owner')
                        THEN n.comp_size END) AS comp_size,
               max(CASE WHEN NOT n.hub THEN n.comp_persons END) AS comp_persons,
               max(CASE WHEN NOT n.hub THEN n.comp_enterprises END) AS comp_enterprises,
               max(CASE WHEN NOT n.hub THEN n.comp_pos_rate END) AS comp_pos_rate,
               max(CASE WHEN NOT n.hub THEN n.comp_labelled END) AS comp_labelled,
               max(CASE WHEN NOT n.hub THEN n.comm_size END) AS comm_size,
               max(CASE WHEN NOT n.hub THEN n.comm_pos_rate END) AS comm_pos_rate,
               max(CASE WHEN l.role NOT IN ('agent', 'carrier', 'owner') THEN n.ppr END)
                   AS ppr_max,
               max(CASE WHEN l.role = 'seller' THEN n.ppr END) AS seller_ppr,
               max(CASE WHEN l.role = 'seller' THEN n.comp_enterprises - 1 END)
                   AS seller_linked,
               max(CASE WHEN l.role = 'seller' THEN n.comp_pos_rate END)
                   AS seller_comp_pos_rate
        FROM det_links l JOIN det_nodes n ON n.label = l.label AND n.key = l.key
        LEFT JOIN det_ent e ON e.label = l.label AND e.key = l.key
        WHERE l.decl_key IN (SELECT decl_key FROM det_decl WHERE in_window)
        GROUP BY 1
    """).df().set_index("decl_key")
    con.unregister("det_nodes")
    return g.reindex(X.index)
