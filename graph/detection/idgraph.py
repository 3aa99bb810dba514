"""The shared-identifier graph: people, enterprises and the identifiers they share.

Nodes are persons, enterprises, addresses, phones, payment accounts and ID numbers; an edge
joins a person to each identifier used on the same declaration (their address, phone,
account, the payee, the ID), other persons on it (payer, consignee), and every register
link (an enterprise's phone, address, representative and accounts; resolution's SAME_AS).
Declarations, sellers' customers and big firms are not nodes of it: a shop is not evidence
that its customers know each other.

**Hubs** are cut out before components, communities and rings: an identifier (or person)
used by many people *of many different sellers* (a parcel locker, a campus gate, an office
reception) joins strangers. A drop point a ring uses is busy too, but for one or two
sellers; that is the difference the rule keys on (``is_hub``).

networkx is the API for small graphs (``to_networkx``); at a million edges the components,
Leiden communities and personalised PageRank run on python-igraph (networkx's Louvain took
over 30 min at that size, igraph's Leiden 8 s: stack-notes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["IdGraph", "build_idgraph", "is_hub", "HUB_MIN_SELLERS", "HUB_MIN_PERSONS",
           "HUB_ANY_PERSONS", "PIVOT_LABELS"]

PIVOT_LABELS = ("Address", "Phone", "PaymentAccount", "IdNumber")
HUB_MIN_SELLERS = 4  # distinct sellers behind the declarations an identifier appears on...
HUB_MIN_PERSONS = 8  # ...and distinct people using it: strangers meet there
HUB_ANY_PERSONS = 60  # this many people make a hub whatever the sellers
# A declaring agent, carrier or payment firm working for at most this many sellers is a
# private provider (domain.md T6 "1-2 agents", T9 complicit carrier): it links its sellers.
PROVIDER_MAX_SELLERS = 3
PROVIDER_MIN_LISTS = 5  # lists a seller sent through it


def is_hub(n_sellers, n_persons):
    """Vectorised hub rule (see module doc); works on scalars and arrays."""
    n_sellers, n_persons = np.asarray(n_sellers), np.asarray(n_persons)
    return ((n_sellers >= HUB_MIN_SELLERS) & (n_persons >= HUB_MIN_PERSONS)) | \
        (n_persons >= HUB_ANY_PERSONS)


@dataclass
class IdGraph:
    """Node table (``label``, ``key``, ``hub``) and edge index arrays over it."""

    nodes: pd.DataFrame
    src: np.ndarray
    dst: np.ndarray

    def index(self) -> dict[tuple[str, str], int]:
        return {(lab, k): i for i, (lab, k) in enumerate(zip(self.nodes.label, self.nodes.key,
                                                                strict=True))}

    def igraph(self, *, without_hubs: bool = True):
        """An undirected ``igraph.Graph`` (hub nodes keep their index but lose their edges)."""
        import igraph as ig

        src, dst = self.src, self.dst
        if without_hubs:
            hub = self.nodes.hub.to_numpy()
            keep = ~(hub[src] | hub[dst])
            src, dst = src[keep], dst[keep]
        g = ig.Graph(n=len(self.nodes), edges=np.column_stack([src, dst]).tolist(),
                     directed=False)
        return g

    def to_networkx(self, *, without_hubs: bool = True):
        """The same graph for networkx (small graphs: tests, explanations)."""
        import networkx as nx

        g = nx.Graph()
        for i, (lab, k, h) in enumerate(zip(self.nodes.label, self.nodes.key, self.nodes.hub,
                                            strict=True)):
            g.add_node(i, label=lab, key=k, hub=bool(h))
        hub = self.nodes.hub.to_numpy()
        for a, b in zip(self.src.tolist(), self.dst.tolist(), strict=True):
            if not without_hubs or not (hub[a] or hub[b]):
                g.add_edge(a, b)
        return g


def build_idgraph(con) -> IdGraph:
    """From ``det_links``, ``det_static`` and ``det_ent`` (the same ``until``)."""
    pivots = ", ".join(f"'{p}'" for p in PIVOT_LABELS)
    edges = con.execute(f"""
        WITH tx AS (
            SELECT DISTINCT a.label AS al, a.key AS ak, b.label AS bl, b.key AS bk
            FROM det_links a JOIN det_links b USING (decl_key)
            WHERE a.label = 'Person' AND (b.label IN ({pivots}) OR
                  (b.label = 'Person' AND a.key < b.key))),
        st AS (SELECT from_label AS al, from_key AS ak, to_label AS bl, to_key AS bk
               FROM det_static),
        prov AS (
            SELECT 'Enterprise' AS al, s.key AS ak, 'Enterprise' AS bl, p.key AS bk
            FROM det_links s JOIN det_links p USING (decl_key)
            JOIN det_ent e ON e.label = 'Enterprise' AND e.key = p.key
            WHERE s.role = 'seller' AND p.role IN ('agent', 'carrier', 'payfirm')
              AND s.key <> p.key AND e.n_sellers <= {PROVIDER_MAX_SELLERS}
            GROUP BY ALL HAVING count(DISTINCT decl_key) >= {PROVIDER_MIN_LISTS})
        SELECT DISTINCT * FROM (SELECT * FROM tx UNION ALL SELECT * FROM st
                                UNION ALL SELECT * FROM prov)
        WHERE ak IS NOT NULL AND bk IS NOT NULL AND NOT (al = bl AND ak = bk)
        -- a fixed order: node ids, and so Leiden's communities, follow the edge order,
        -- which DuckDB's parallel DISTINCT would otherwise change from run to run
        ORDER BY al, ak, bl, bk
    """).df()
    ends = pd.concat([edges[["al", "ak"]].set_axis(["label", "key"], axis=1),
                      edges[["bl", "bk"]].set_axis(["label", "key"], axis=1)])
    nodes = ends.drop_duplicates().reset_index(drop=True)
    fan = con.execute("SELECT label, key, n_sellers, n_persons FROM det_ent").df()
    nodes = nodes.merge(fan, on=["label", "key"], how="left")
    nodes["hub"] = is_hub(nodes.n_sellers.fillna(0), nodes.n_persons.fillna(0)) & \
        nodes.label.isin([*PIVOT_LABELS, "Person"]).to_numpy()
    idx = pd.Series(np.arange(len(nodes)), index=pd.MultiIndex.from_frame(nodes[["label",
                                                                                 "key"]]))
    src = idx.reindex(pd.MultiIndex.from_frame(edges[["al", "ak"]])).to_numpy()
    dst = idx.reindex(pd.MultiIndex.from_frame(edges[["bl", "bk"]])).to_numpy()
    return IdGraph(nodes[["label", "key", "hub"]].copy(), src.astype(np.int64),
                   dst.astype(np.int64))
