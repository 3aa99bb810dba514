"""Candidate fraud rings from the shared-identifier graph, scored and explained.

1. **Candidates**: connected components of the identifier graph *without its hubs*
   (``graph.detection.idgraph``: a parcel locker, campus or office used by the customers
   of many sellers joins strangers and is cut out) nor its business centres
   (``register_hubs``: an office where many unrelated firms register); a component larger
   than ``MAX_RING`` is split into its Leiden communities. Leaves that carry nothing (an
   identifier only one member uses, a person with no declaration in the window) are pruned:
   a lone seller's own phone is not a ring. Every seller with declarations in the window is
   a candidate too (a one-seller scheme: undervaluation, misdescription).
2. **Fringe**: people and identifiers whose own lists score well under the candidate's
   core are dropped (``_trim``): a component reaches past a ring into ordinary customers.
3. **Members**: the candidate's people, enterprises and identifiers, plus the seller that
   sells to it when that seller's business is mostly this group (a shell seller, not a shop
   some of whose customers happen to be linked); pieces sharing that seller are one ring.
4. **Score** (0..1): member risk (top declaration scores and the mean of all), indicator
   hits (share of the ring's declarations hitting a typology indicator) and the value at
   stake (duty and VAT at ``DUTY_RATE``), ``0.6 / 0.25 / 0.15``.
5. **Evidence**: members and roles (aliases apart, ``_tidy``), the shared identifiers with
   the members they join, the top indicators with their values, destinations, channels,
   months, model version and threshold.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import numpy as np
import pandas as pd

from graph.detection.indicators import INDICATORS
from graph.detection.results import Ring, ring_id_for
from graph.store import NodeRef

__all__ = ["candidate_groups", "build_rings", "MAX_RING", "DUTY_RATE", "entity_scores",
           "top_rows", "TX_ROLES"]

MAX_RING = 80  # members; a bigger component is split into its communities
DUTY_RATE = 0.2  # rough duty + VAT share of value, for "duty at stake"
OVERLAP = 0.5  # share of a candidate's members already in better rings that drops it
SELLER_SHARE = 0.3  # a seller joins a group's ring when this share of its lists goes to it
SHELL_SHARE = 0.8  # ...and with this share it is that ring's shell, not a ring of its own
ROLE_OF_LABEL = {"Address": "address", "Phone": "phone", "PaymentAccount": "account",
                 "IdNumber": "id", "Email": "email"}
REG_HUB_FIRMS = 6  # firms registered at one address or phone that make it a business centre
LEIDEN_SEED = 7
QUIET_QUANTILE = 0.8  # lists under this quantile are quiet (0.5: 0.33, 0.8: 0.44 at 100k seed 7)
ALL_WEIGHT = 0.5  # weight of the mean of all a ring's lists in its member risk
TOP_LISTS = 5  # a ring's riskiest lists whose mean is the other half of its member risk;
# a ring with fewer lists has the missing ones at the window's median score
RARE_DIGITS = 3.0  # an indicator hitting 1 list in 10^this or fewer counts fully
CORE_TOP = 3  # members whose mean risk is a candidate's core
CORE_SHARE = 0.6  # a member with lists scoring under this share of the core is fringe
NAME_ONLY = "nm:"  # person keys without an ID number (etl.keys)
TX_ROLES = ("seller", "buyer", "consignee", "payer", "address", "phone", "account", "payee",
            "id")


def _scored_links(con, decl_score: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Links and meta (value, month, country, channel) of the scored declarations."""
    roles = ", ".join(f"'{r}'" for r in TX_ROLES)
    con.register("det_scored", pd.DataFrame({"decl_key": decl_score.index.astype(str)}))
    try:
        links = con.execute(f"""
            SELECT l.decl_key, l.label, l.key, l.role FROM det_links l
            JOIN det_scored s USING (decl_key) WHERE l.role IN ({roles})
            ORDER BY l.decl_key, l.label, l.key, l.role  -- group ids follow this order
        """).df()
        meta = con.execute("""
            SELECT d.decl_key, d.value_cny, d.month, d.country, d.channel FROM det_decl d
            JOIN det_scored s USING (decl_key)
        """).df().set_index("decl_key")
    finally:
        con.unregister("det_scored")
    return links, meta


def quiet_nodes(ent: pd.DataFrame, decl_score: pd.Series) -> pd.DataFrame:
    """``label, key`` of people and identifiers whose lists in the window all score under
    the ``QUIET_QUANTILE`` of the window's lists. Cut before components are taken: the real
    owner of a stolen ID brings their own family, accounts and addresses into the ring's
    component, which then exceeds ``MAX_RING`` and is split by Leiden across the ring (the
    100k world of seed 7 lost half of a T1 ring's IDs that way)."""
    cut = float(decl_score.quantile(QUIET_QUANTILE)) if len(decl_score) else 0.0
    q = ent[(ent.label != "Enterprise") & (ent.risk < cut)]
    return q[["label", "key"]]


def register_hubs(con) -> pd.DataFrame:
    """``label, key`` of business centres: an address or phone in the register entries of at
    least ``REG_HUB_FIRMS`` enterprises of at least two different owners (legal
    representatives; a firm without one counts as its own). The hub rule counts the people
    on declarations, so an office tower many unrelated firms register at is not one; two
    rings registered there would be glued (seen on the 30k world of seed 8)."""
    return con.execute(f"""
        WITH reg AS (SELECT to_label AS label, to_key AS key, from_key AS firm FROM det_static
                     WHERE from_label = 'Enterprise' AND type IN ('LOCATED_AT', 'HAS_PHONE')),
        rep AS (SELECT from_key AS firm, min(to_key) AS owner FROM det_static
                WHERE type = 'REPRESENTED_BY' GROUP BY ALL)
        SELECT label, key FROM reg LEFT JOIN rep USING (firm) GROUP BY label, key
        HAVING count(DISTINCT firm) >= {REG_HUB_FIRMS}
           AND count(DISTINCT coalesce(owner, 'firm:' || firm)) >= 2
    """).df()


def candidate_groups(fs, links: pd.DataFrame, extra_hubs: pd.DataFrame | None = None,
                     quiet: pd.DataFrame | None = None) -> pd.DataFrame:
    """``label, key, group`` of every candidate's members (pruned, see module doc);
    ``extra_hubs``: ``label, key`` cut out besides the graph's hubs (``register_hubs``);
    ``quiet``: people and identifiers cut before components are taken (``quiet_nodes``)."""
    nodes = fs.nodes
    g = fs.graph
    hub = nodes.hub.to_numpy()
    idx = pd.MultiIndex.from_frame(nodes[["label", "key"]])
    if extra_hubs is not None and len(extra_hubs):
        hub = hub | idx.isin(pd.MultiIndex.from_frame(extra_hubs[["label", "key"]]))
    if quiet is not None and len(quiet):
        hub = hub | idx.isin(pd.MultiIndex.from_frame(quiet[["label", "key"]]))
    keep = ~(hub[g.src] | hub[g.dst])
    src, dst = g.src[keep], g.dst[keep]
    has_decl = pd.MultiIndex.from_frame(nodes[["label", "key"]]).isin(
        pd.MultiIndex.from_frame(links[["label", "key"]].drop_duplicates()))
    # group: the component of what is left once hubs and quiet nodes are cut (the graph's
    # own components and communities include them), split by Leiden above MAX_RING
    group = _components(len(nodes), src, dst)
    group = _split_big(group, src, dst)
    # connected pieces of each group: a Leiden community can be cut in two
    same = group[src] == group[dst]
    group = _components(len(nodes), src[same], dst[same])
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


def _components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    adj = coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
    return connected_components(adj, directed=False)[1]


def _split_big(group: np.ndarray, src: np.ndarray, dst: np.ndarray,
               rounds: int = 3) -> np.ndarray:
    """Split groups still above ``MAX_RING`` by Leiden on their own subgraph (a community
    of a huge component can itself be huge); at most ``rounds`` times."""
    import random

    import igraph as ig

    random.seed(LEIDEN_SEED)
    ig.set_random_number_generator(random)  # Leiden is randomised: same input, same rings
    group = group.copy()
    for _ in range(rounds):
        sizes = np.bincount(group)
        big = np.flatnonzero(sizes > MAX_RING)
        if not len(big):
            break
        nxt = int(group.max()) + 1
        changed = False
        for b in big:
            members = np.flatnonzero(group == b)
            local = -np.ones(len(group), dtype=np.int64)
            local[members] = np.arange(len(members))
            e = (local[src] >= 0) & (local[dst] >= 0)
            sub = ig.Graph(n=len(members), edges=np.column_stack(
                [local[src[e]], local[dst[e]]]).tolist())
            memb = np.asarray(sub.community_leiden(objective_function="modularity",
                                                   n_iterations=2).membership)
            if memb.max() > 0:
                group[members] = nxt + memb
                nxt += int(memb.max()) + 1
                changed = True
        if not changed:
            break
    return group


def top_rows(links: pd.DataFrame, decl_score: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """Each entity's 3 best-scored links (best first, with ``score``) and its lists."""
    s = links.merge(decl_score.rename("score"), left_on="decl_key", right_index=True)
    s = s.sort_values("score", ascending=False)
    return s.groupby(["label", "key"]).head(3), s.groupby(["label", "key"])["decl_key"].nunique()


def entity_scores(links: pd.DataFrame, decl_score: pd.Series,
                  n: pd.Series | None = None) -> pd.DataFrame:
    """Per entity in the window: its risk (mean of its top-3 declaration scores), lists.
    With ``n``, ``links`` are already the rows of ``top_rows`` and ``n`` its lists."""
    top, n = (links, n) if n is not None else top_rows(links, decl_score)
    top = top.groupby(["label", "key"])["score"].mean()
    return pd.DataFrame({"risk": top, "n_decl": n}).reset_index()


def build_rings(con, fs, decl_score: pd.Series, *, model_version: str, threshold: float,
                top: int = 200, indicator_values: pd.DataFrame | None = None,
                scored_at: datetime | None = None, ent: pd.DataFrame | None = None
                ) -> list[Ring]:
    """Ranked rings over the scored declarations (see module doc).

    ``decl_score``: score per ``decl_key`` (the model's), the declarations rings are made
    of; ``indicator_values``: the indicators per declaration (from ``fs.X`` when not
    given; declarations without any count as hitting none). ``con`` holds the ``det_*``
    tables ``fs`` was built from. ``ent``: ``entity_scores`` of the scored links when the
    caller keeps it (``graph.detection.entity_risk``).
    """
    from graph.detection.indicators import indicator_values as ind_values

    links, meta = _scored_links(con, decl_score)
    ent = entity_scores(links, decl_score) if ent is None else ent
    groups = candidate_groups(fs, links, register_hubs(con), quiet_nodes(ent, decl_score))
    iv = indicator_values if indicator_values is not None else ind_values(fs.X)
    iv = iv.reindex(decl_score.index).fillna(0.0)
    hits = pd.DataFrame({n: iv[n] >= INDICATORS[n].threshold for n in iv.columns})
    strength = _hit_strength(hits)
    groups = _trim(groups, ent)
    ent = ent.set_index(["label", "key"])
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
    # pieces of one ring (cut apart by a hub or a community split) that all sell through
    # the same seller are one candidate; only enterprise-free pieces (merging a seller's own
    # component with its customers' groups glued honest buyers to rings at 30k)
    merged = _merge_by_seller(add)
    members_all["group"] = members_all.group.map(merged).fillna(members_all.group)
    members_all = members_all.drop_duplicates()
    gd["group"] = gd.group.map(merged).fillna(gd.group)
    gd = gd.drop_duplicates(["group", "decl_key"])
    # a seller alone is no candidate when nearly all its lists go to one bigger candidate
    # (a shell seller of a ring); a seller a ring merely buys from stays one
    size = members_all.groupby("group")["key"].transform("size")
    to_rings = sg[sg.share >= SELLER_SHARE].groupby("seller")["share"].sum()
    shell = set(to_rings.index[to_rings >= SHELL_SHARE])
    # ...and a firm linked by register to other firms (shells sharing an owner, phone or
    # office; a successor and its predecessor) is shown with them, not alone
    firms = members_all[(members_all.label == "Enterprise") & (size > 1)]
    clustered = set(firms.key[firms.groupby("group")["key"].transform("size") >= 2])
    lone = (size == 1) & (members_all.label == "Enterprise") & \
        members_all.key.isin(shell | clustered)
    members_all = members_all[~lone]
    gd = gd[gd.group.isin(members_all.group.unique())]
    # pre-score every group vectorised, then build evidence for the best only
    gd = gd.sort_values("score", ascending=False)
    gd["hit"] = strength.reindex(gd.decl_key).to_numpy()
    value = meta.value_cny.reindex(gd.decl_key).fillna(0.0).to_numpy()
    gd["value"] = value
    agg = gd.groupby("group").agg(n=("decl_key", "size"), hits=("hit", "sum"),
                                  total=("score", "sum"), value=("value", "sum"))
    riskiest = gd.groupby("group").head(TOP_LISTS).groupby("group")["score"].agg(["sum", "size"])
    # one odd parcel is no ring: the top-lists mean of a ring with fewer than TOP_LISTS
    # lists is padded with the window's median list, so the buyer and consignee of one
    # high-scoring parcel, with its phone and address, do not outrank rings seen on many
    prior = float(decl_score.median()) if len(decl_score) else 0.0
    top_mean = (riskiest["sum"] + (TOP_LISTS - riskiest["size"]) * prior) / TOP_LISTS
    all_mean = agg.total / agg.n
    agg["hit_share"] = agg.hits / agg.n
    # the top lists say how bad a ring's worst is; the mean of all keeps a big honest shop
    # with a handful of odd lists below a ring whose every list is bad
    agg["member_risk"] = (1 - ALL_WEIGHT) * top_mean + ALL_WEIGHT * all_mean
    agg["duty"] = agg.value * DUTY_RATE
    duty_norm = np.log1p(agg.duty) / np.log1p(max(float(agg.duty.max()), 1.0))
    agg["score"] = (0.6 * agg.member_risk.fillna(0) + 0.25 * agg.hit_share.fillna(0)
                    + 0.15 * duty_norm.fillna(0))
    agg["size"] = members_all.groupby("group").size().reindex(agg.index).fillna(0)
    # equal scores (a shell seller alone and its ring share their lists): the ring first
    agg = agg.sort_values(["score", "size"], ascending=False)
    seen: set[str] = set()
    taken: set[NodeRef] = set()
    scored_at = scored_at or datetime.now().replace(microsecond=0)
    edges = _Adjacency(fs)
    by_group = members_all.groupby("group")
    decls_by_group = gd.groupby("group")["decl_key"]
    picked = []
    for gid, row in agg.iterrows():
        if len(picked) >= top:
            break
        mem = by_group.get_group(gid)
        refs, aliases = _tidy([NodeRef(lab, k) for lab, k in zip(mem.label, mem.key,
                                                                 strict=True)], ent, edges)
        if not _is_ring(refs):
            continue
        rid = ring_id_for(refs)
        # a candidate mostly inside a better-ranked ring (a seller of a ring on its own)
        # adds nothing new
        if rid in seen or len(taken.intersection(refs)) >= OVERLAP * len(refs):
            continue
        seen.add(rid)
        taken.update(refs)
        picked.append((gid, row, rid, refs, aliases))
    role_of = _main_roles(links, {r for p in picked for r in p[3]})
    rings: list[Ring] = []
    for gid, row, rid, refs, aliases in picked:
        dk = decls_by_group.get_group(gid).to_numpy()
        ring = _ring(rid, refs, dk, row, ent, role_of, edges, meta, iv, hits,
                     model_version, threshold, scored_at)
        ring.extra["aliases"] = [f"{a.label}:{a.key}" for a in aliases]
        rings.append(ring)
    for i, r in enumerate(rings, 1):
        r.rank = i
    return rings


def _hit_strength(hits: pd.DataFrame) -> pd.Series:
    """Per list, how telling its indicator hits are (0..1): the rarest hit indicator's
    ``-log10(share of the window's lists it hits) / RARE_DIGITS``, capped at 1. A check
    failing on one list in eight (payment records, generic names) says little; households
    sharing an account, whose lists hit those, outranked rings seen by rarer rules."""
    if not len(hits):
        return pd.Series(0.0, index=hits.index)
    rate = hits.mean().clip(lower=10.0 ** -RARE_DIGITS)
    weight = (-np.log10(rate) / RARE_DIGITS).clip(upper=1.0)
    return (hits * weight).max(axis=1).astype("float64")


def _main_roles(links: pd.DataFrame, refs: set[NodeRef]) -> dict[tuple[str, str], str]:
    """The role each of ``refs`` plays on most of its lists (on a tie, the role met first
    in ``links``), counted only for the rings' members: over every entity it took most of
    the ring step's time."""
    sub = links[links.key.isin({r.key for r in refs})]
    sub = sub[pd.MultiIndex.from_frame(sub[["label", "key"]]).isin(
        [(r.label, r.key) for r in refs])]
    c = (sub.assign(pos=np.arange(len(sub)))
         .groupby(["label", "key", "role"], sort=False)["pos"].agg(["size", "min"])
         .reset_index().sort_values(["size", "min"], ascending=[False, True])
         .drop_duplicates(["label", "key"]))
    return dict(zip(zip(c.label, c.key, strict=True), c.role, strict=True))


def _trim(groups: pd.DataFrame, ent: pd.DataFrame) -> pd.DataFrame:
    """Drop a candidate's low-risk fringe: a person or identifier whose own lists in the
    window score under ``CORE_SHARE`` of the candidate's core (the mean risk of its
    ``CORE_TOP`` riskiest members). A component reaches past a ring into the ordinary
    customers it once shared a phone or an address with; their lists are what tells them
    apart. Enterprises and members without lists in the window (register links, history)
    are left to ``_tidy``."""
    g = groups.merge(ent, on=["label", "key"], how="left")
    core = (g.sort_values("risk", ascending=False).groupby("group").head(CORE_TOP)
            .groupby("group")["risk"].mean())
    floor = CORE_SHARE * core.reindex(g.group).to_numpy()
    low = (g.risk.to_numpy() < floor) & (g.label != "Enterprise").to_numpy()
    return groups[~low]


def _merge_by_seller(attached: pd.DataFrame) -> pd.Series:
    """Group -> the smallest group sharing an attached seller with it (union-find)."""
    parent: dict = {}

    def find(x):
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for _, grp in attached.groupby("seller")["group"]:
        gs = sorted(find(g) for g in grp)
        for g in gs[1:]:
            parent[g] = gs[0]
    return pd.Series({g: find(g) for g in parent}, dtype="int64")


def _is_ring(refs: list[NodeRef]) -> bool:
    """An enterprise alone may be a scheme (undervaluation, misdescription); a person alone
    with their own ID, phone and account is not a ring."""
    people = {r.key.removeprefix("id:") for r in refs if r.label == "Person"}
    return any(r.label == "Enterprise" for r in refs) or len(people) >= 2


def _tidy(refs: list[NodeRef], ent: pd.DataFrame, edges: _Adjacency
          ) -> tuple[list[NodeRef], list[NodeRef]]:
    """The members a ring is shown with, and the aliases left out of them.

    - a person or identifier with no list in the window stays only when it is a register
      link of a member enterprise (its representative, phone, address): otherwise it is
      history the component dragged in (an earlier customer of a stolen ID);
    - a name-only person (no ID number) next to a member known by ID is an alias (the
      consignee name on that member's own lists), kept as evidence, not as another member;
    - then identifiers left joining fewer than two members are dropped (a member's own
      phone is no shared evidence).
    """
    ents = {r for r in refs if r.label == "Enterprise"}
    keep = []
    for r in refs:
        if r.label != "Enterprise" and (r.label, r.key) not in ent.index \
                and not (edges.neighbours(r) & ents):
            continue
        keep.append(r)
    kept = set(keep)
    known = {r for r in kept if r.label == "IdNumber"
             or (r.label == "Person" and not r.key.startswith(NAME_ONLY))}
    aliases = [r for r in keep if r.label == "Person" and r.key.startswith(NAME_ONLY)
               and edges.neighbours(r) & known]
    kept -= set(aliases)
    actors = {r for r in kept if r.label not in ROLE_OF_LABEL}
    out = [r for r in keep if r in kept and (r.label not in ROLE_OF_LABEL or r.label ==
                                             "IdNumber" or len(edges.neighbours(r) &
                                                               actors) >= 2)]
    return out, aliases


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
        typ[INDICATORS[i["name"]].typology] = max(typ[INDICATORS[i["name"]].typology],
                                                  i["_share"] * INDICATORS[i["name"]].weight)
    for i in indicators:
        i.pop("_share")
    # the typology whose indicator most of the ring's lists hit; "mixed" under half
    best = typ.most_common(1)
    typology = "unknown" if not best else (best[0][0] if best[0][1] >= 0.5 else "mixed")
    dest = [c for c, _ in Counter(m.country.dropna()).most_common()]
    return Ring(
        ring_id=rid, rank=0, score=float(row.score), typology=typology, members=members,
        shared=shared, indicators=indicators[:5], destinations=dest[:5],
        channels=[c for c, _ in Counter(m.channel.dropna()).most_common()],
        months=sorted(set(m.month.dropna())), declarations=int(len(dk)),
        value_rmb=float(row.value), duty_at_stake_rmb=float(row.duty),
        model_version=model_version, threshold=float(threshold), scored_at=scored_at,
        extra={"decl_keys": list(dk)})
