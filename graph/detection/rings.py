"""Candidate fraud rings from the shared-identifier graph, scored and explained.

1. **Candidates**: connected components of the identifier graph *without its hubs*
   (``graph.detection.idgraph``: a parcel locker, campus or office used by the customers
   of many sellers joins strangers and is cut out); a component larger than
   ``MAX_RING`` is split into its Leiden communities. Leaves that carry nothing (an
   identifier only one member uses, a person with no declaration in the window) are pruned:
   a lone seller's own phone is not a ring. Every seller with declarations in the window is
   a candidate too (a one-seller scheme: undervaluation, misdescription).
2. **Members**: the candidate's people, enterprises and identifiers, plus the seller that
   sells to it when that seller's business is mostly this group (a shell seller, not a shop
   some of whose customers happen to be linked).
3. **Score** (0..1): member risk (the mean of the top declaration scores), indicator hits
   (share of the ring's declarations hitting a typology indicator) and the value at stake
   (duty and VAT at ``DUTY_RATE``), ``0.6 / 0.25 / 0.15``.
4. **Evidence**: members and roles, the shared identifiers with the members they join,
   the top indicators with their values, destinations, channels, months, model version and
   threshold.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import numpy as np
import pandas as pd

from graph.detection.indicators import INDICATORS
from graph.detection.results import Ring, ring_id_for
from graph.store import NodeRef

__all__ = ["candidate_groups", "build_rings", "MAX_RING", "DUTY_RATE", "entity_scores"]

MAX_RING = 80  # members; a bigger component is split into its communities
DUTY_RATE = 0.2  # rough duty + VAT share of value, for "duty at stake"
SELLER_SHARE = 0.3  # a seller joins a group's ring when this share of its lists goes to it
ROLE_OF_LABEL = {"Address": "address", "Phone": "phone", "PaymentAccount": "account",
                 "IdNumber": "id", "Email": "email"}
TX_ROLES = ("seller", "buyer", "consignee", "payer", "address", "phone", "account", "payee",
            "id")


def _window_links(con) -> pd.DataFrame:
    roles = ", ".join(f"'{r}'" for r in TX_ROLES)
    return con.execute(f"""
        SELECT l.decl_key, l.label, l.key, l.role FROM det_links l
        JOIN det_decl d USING (decl_key) WHERE d.in_window AND l.role IN ({roles})
    """).df()


def candidate_groups(fs, links: pd.DataFrame) -> pd.DataFrame:
    """``label, key, group`` of every candidate's members (pruned, see module doc)."""
    nodes = fs.nodes
    g = fs.graph
    hub = nodes.hub.to_numpy()
    keep = ~(hub[g.src] | hub[g.dst])
    src, dst = g.src[keep], g.dst[keep]
    has_decl = pd.MultiIndex.from_frame(nodes[["label", "key"]]).isin(
        pd.MultiIndex.from_frame(links[["label", "key"]].drop_duplicates()))
    # group: the component, or the community inside a too-big component
    comp_size = nodes.groupby("comp")["key"].transform("size").to_numpy()
    group = np.where(comp_size > MAX_RING, nodes.comm.to_numpy() + nodes.comp.max() + 1,
                     nodes.comp.to_numpy())
    same = group[src] == group[dst]
    src, dst = src[same], dst[same]
    deg = np.bincount(np.concatenate([src, dst]), minlength=len(nodes))
    # prune leaves that carry nothing: identifiers one member uses, people with no lists
    is_pivot = nodes.label.isin(list(ROLE_OF_LABEL)).to_numpy()
    leaf_ok = ~((deg <= 1) & (is_pivot | (~has_decl & (nodes.label == "Person").to_numpy())))
    alive = (~hub) & leaf_ok
    out = pd.DataFrame({"label": nodes.label, "key": nodes.key, "group": group})[alive]
    sizes = out.groupby("group")["key"].transform("size")
    out = out[sizes >= 2]
    # one-seller candidates
    sellers = links.loc[links.role == "seller", ["label", "key"]].drop_duplicates()
    base = int(group.max()) + 1 if len(group) else 0
    sellers = sellers.assign(group=np.arange(base, base + len(sellers)))
    return pd.concat([out, sellers], ignore_index=True)


def entity_scores(links: pd.DataFrame, decl_score: pd.Series) -> pd.DataFrame:
    """Per entity in the window: its risk (mean of its top-3 declaration scores), lists."""
    s = links.merge(decl_score.rename("score"), left_on="decl_key", right_index=True)
    s = s.sort_values("score", ascending=False)
    top = s.groupby(["label", "key"]).head(3).groupby(["label", "key"])["score"].mean()
    n = s.groupby(["label", "key"])["decl_key"].nunique()
    return pd.DataFrame({"risk": top, "n_decl": n}).reset_index()


def build_rings(con, fs, decl_score: pd.Series, *, model_version: str, threshold: float,
                top: int = 200, indicator_values: pd.DataFrame | None = None,
                scored_at: datetime | None = None) -> list[Ring]:
    """Ranked rings for the declarations of the feature window (see module doc).

    ``decl_score``: score per ``decl_key`` in the window (the model's); ``indicator_values``:
    the indicators per declaration (computed from ``fs.X`` when not given).
    """
    from graph.detection.indicators import indicator_values as ind_values

    links = _window_links(con)
    links = links[links.decl_key.isin(decl_score.index)]
    groups = candidate_groups(fs, links)
    iv = indicator_values if indicator_values is not None else ind_values(fs.X)
    hits = pd.DataFrame({n: iv[n] >= INDICATORS[n].threshold for n in iv.columns})
    any_hit = hits.any(axis=1)
    # declarations of each group: through its non-enterprise members, and its sellers
    gl = links.merge(groups, on=["label", "key"])
    gd = gl[["group", "decl_key"]].drop_duplicates()
    gd = gd.assign(score=decl_score.reindex(gd.decl_key).to_numpy())
    # attach the dominant seller of groups with no enterprise
    seller_of = links[links.role == "seller"].set_index("decl_key")["key"]
    seller_total = seller_of.value_counts()
    gd["seller"] = seller_of.reindex(gd.decl_key).to_numpy()
    has_ent = groups[groups.label == "Enterprise"].group.unique()
    sg = gd[~gd.group.isin(has_ent)].groupby(["group", "seller"]).size().rename("n")
    sg = sg.reset_index()
    sg["share"] = sg.n / seller_total.reindex(sg.seller).to_numpy()
    add = sg[sg.share >= SELLER_SHARE][["group", "seller"]]
    extra = pd.DataFrame({"label": "Enterprise", "key": add.seller, "group": add.group})
    members_all = pd.concat([groups, extra], ignore_index=True).drop_duplicates()
    # pre-score every group vectorised, then build evidence for the best only
    gd = gd.sort_values("score", ascending=False)
    top_mean = gd.groupby("group").head(5).groupby("group")["score"].mean()
    gd["hit"] = any_hit.reindex(gd.decl_key).to_numpy()
    value = fs.meta.value_cny.reindex(gd.decl_key).to_numpy()
    gd["value"] = value
    agg = gd.groupby("group").agg(n=("decl_key", "size"), hit_share=("hit", "mean"),
                                  value=("value", "sum"))
    agg["member_risk"] = top_mean
    agg["duty"] = agg.value * DUTY_RATE
    duty_norm = np.log1p(agg.duty) / np.log1p(max(float(agg.duty.max()), 1.0))
    agg["score"] = (0.6 * agg.member_risk.fillna(0) + 0.25 * agg.hit_share.fillna(0)
                    + 0.15 * duty_norm.fillna(0))
    agg = agg.sort_values("score", ascending=False)
    ent = entity_scores(links, decl_score).set_index(["label", "key"])
    role_of = (links.groupby(["label", "key"])["role"]
               .agg(lambda r: Counter(r).most_common(1)[0][0]))
    rings: list[Ring] = []
    seen: set[str] = set()
    scored_at = scored_at or datetime.now().replace(microsecond=0)
    meta = fs.meta
    edges = _Adjacency(fs)
    by_group = members_all.groupby("group")
    decls_by_group = gd.groupby("group")["decl_key"]
    for gid, row in agg.iterrows():
        if len(rings) >= top:
            break
        mem = by_group.get_group(gid)
        refs = [NodeRef(lab, k) for lab, k in zip(mem.label, mem.key, strict=True)]
        rid = ring_id_for(refs)
        if rid in seen:
            continue
        seen.add(rid)
        dk = decls_by_group.get_group(gid).to_numpy()
        rings.append(_ring(rid, refs, dk, row, ent, role_of, edges, meta, iv, hits,
                           model_version, threshold, scored_at))
    for i, r in enumerate(rings, 1):
        r.rank = i
    return rings


class _Adjacency:
    """Neighbours of a graph node by (label, key), over a CSR matrix of the id graph."""

    def __init__(self, fs) -> None:
        from scipy.sparse import csr_matrix

        n = len(fs.nodes)
        g = fs.graph
        a = np.concatenate([g.src, g.dst])
        b = np.concatenate([g.dst, g.src])
        m = csr_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
        self.indptr, self.indices = m.indptr, m.indices
        self.labels, self.keys = fs.nodes.label.to_numpy(), fs.nodes.key.to_numpy()
        self.index = pd.Series(np.arange(n), index=pd.MultiIndex.from_arrays(
            [self.labels, self.keys]))

    def neighbours(self, ref: NodeRef) -> set[NodeRef]:
        i = self.index.get((ref.label, ref.key))
        if i is None:
            return set()
        nb = self.indices[self.indptr[i]:self.indptr[i + 1]]
        return {NodeRef(str(self.labels[j]), str(self.keys[j])) for j in nb}


def _ring(rid, refs, dk, row, ent, role_of, edges, meta, iv, hits, model_version, threshold,
          scored_at) -> Ring:
    members = []
    for r in refs:
        risk = ent.risk.get((r.label, r.key), np.nan) if len(ent) else np.nan
        role = role_of.get((r.label, r.key)) or ROLE_OF_LABEL.get(r.label, r.label.lower())
        if r.label == "Enterprise" and role not in ("seller", "agent", "carrier"):
            role = "enterprise"
        members.append({"ref": r, "role": role,
                        "risk": float(0.0 if pd.isna(risk) else risk)})
    members.sort(key=lambda m: -m["risk"])
    refset = set(refs)
    shared = []
    for p in (r for r in refs if r.label in ROLE_OF_LABEL):
        nb = sorted(x for x in edges.neighbours(p) & refset if x.label not in ROLE_OF_LABEL)
        if len(nb) >= 2:
            shared.append({"identifier": p, "members": nb})
    m = meta.reindex(dk)
    h = hits.reindex(dk)
    v = iv.reindex(dk)
    indicators = []
    for name in h.columns[h.any(axis=0).to_numpy()]:
        share = float(h[name].mean())
        val = float(v.loc[h[name], name].mean())
        ind = INDICATORS[name]
        indicators.append({"name": name, "value": round(val, 3), "threshold": ind.threshold,
                           "sentence": f"{share:.0%} of the ring's lists: " + ind.sentence(val),
                           "_share": share})
    indicators.sort(key=lambda i: -i["_share"])
    typ = Counter()
    for i in indicators:
        typ[INDICATORS[i["name"]].typology] += i["_share"]
    for i in indicators:
        i.pop("_share")
    if not typ:
        typology = "unknown"
    else:
        (best, a), *rest = typ.most_common(2) + [(None, 0.0)]
        typology = best if a >= 1.5 * (rest[0][1] if rest else 0) else "mixed"
    dest = [c for c, _ in Counter(m.country.dropna()).most_common()]
    return Ring(
        ring_id=rid, rank=0, score=float(row.score), typology=typology, members=members,
        shared=shared, indicators=indicators[:5], destinations=dest[:5],
        channels=[c for c, _ in Counter(m.channel.dropna()).most_common()],
        months=sorted(set(m.month.dropna())), declarations=int(len(dk)),
        value_rmb=float(row.value), duty_at_stake_rmb=float(row.duty),
        model_version=model_version, threshold=float(threshold), scored_at=scored_at,
        extra={"decl_keys": list(dk)})
