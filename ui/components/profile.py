"""What an entity profile shows, gathered through the query API (so it works on both
stores): the entity, its resolved aliases, the declarations it takes part in, what it
shares with others, and its risk."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from graph.store.base import NodeRef, Subgraph

__all__ = ["DECLARATION_ROUTES", "Profile", "build_profile", "declarations_frame",
           "check_words", "PROFILE_LIMIT"]

PROFILE_LIMIT = 3000  # nodes walked to find an entity's declarations

# How each kind of entity reaches its declarations: (hops, edge types). Only these edge
# types are walked, so a seller's declarations do not lead on to every other seller.
DECLARATION_ROUTES: dict[str, tuple[int, list[str]]] = {
    "Person": (2, ["BUYER", "CONSIGNEE", "FOR_ORDER", "SHIPPED_AS"]),
    "Enterprise": (1, ["SOLD_BY", "ON_PLATFORM", "DECLARED_BY", "CARRIED_BY", "OWNED_BY"]),
    "Address": (2, ["SHIP_TO", "FOR_ORDER", "SHIPPED_AS"]),
    "Phone": (2, ["CONTACT", "FOR_ORDER", "SHIPPED_AS"]),
    "PaymentAccount": (3, ["FROM_ACCOUNT", "PAYS", "FOR_ORDER"]),
    "IdNumber": (2, ["HAS_ID", "BUYER"]),
    "Email": (3, ["HAS_EMAIL", "BUYER"]),
    "Order": (1, ["FOR_ORDER"]),
    "Waybill": (1, ["SHIPPED_AS"]),
    "Payment": (2, ["PAYS", "FOR_ORDER"]),
    "Country": (1, ["DESTINED_TO", "DISPATCHED_FROM"]),
    "HsCode": (1, ["CLASSIFIED_AS"]),
    "Product": (1, ["CONTAINS"]),
}


@dataclass
class Profile:
    ref: NodeRef
    props: dict
    aliases: pd.DataFrame  # label, key, name, score, method
    declarations: pd.DataFrame
    truncated: bool  # the declaration walk hit PROFILE_LIMIT
    shared: pd.DataFrame  # other entity, via edge, pivot
    risk: dict | None = None
    notes: list[str] = field(default_factory=list)


def _aliases(store, ref: NodeRef) -> pd.DataFrame:
    cols = ["label", "key", "name", "score", "method"]
    if ref.label not in ("Person", "Enterprise", "Address"):
        return pd.DataFrame(columns=cols)
    sg = store.neighbourhood(ref, hops=1, limit=200, edge_types=["SAME_AS"])
    rows = []
    for a, _t, b, p in sg.edges:
        other = b if a == ref else a
        props = sg.nodes.get(other, {})
        rows.append({"label": other.label, "key": other.key,
                     "name": props.get("name") or props.get("address"),
                     "score": p.get("score"), "method": p.get("method")})
    return pd.DataFrame(rows, columns=cols).sort_values("score", ascending=False)


def declarations_frame(sg: Subgraph) -> pd.DataFrame:
    """The Declaration nodes of a subgraph as a frame (one row per declaration)."""
    rows = [{"invt_no": r.key, **p} for r, p in sg.nodes.items() if r.label == "Declaration"]
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    if "decl_time" in df:
        df["decl_time"] = pd.to_datetime(df["decl_time"])
        df["month"] = df["decl_time"].dt.strftime("%Y-%m")
    return df


def _declarations(store, ref: NodeRef) -> tuple[pd.DataFrame, bool]:
    if ref.label == "Declaration":
        props = store.get_node(ref) or {}
        return declarations_frame(Subgraph({ref: props})), False
    route = DECLARATION_ROUTES.get(ref.label)
    if route is None:
        return pd.DataFrame(), False
    hops, types = route
    sg = store.neighbourhood(ref, hops=hops, limit=PROFILE_LIMIT, edge_types=types)
    return declarations_frame(sg), sg.truncated


def _shared(store, ref: NodeRef) -> pd.DataFrame:
    cols = ["entity", "label", "key", "via", "pivot_label", "pivot"]
    pivots = set(store.schema.pivots())
    if ref.label in pivots:  # a pivot's "sharers" are its direct neighbours
        sg = store.neighbourhood(ref, hops=1, limit=300)
        rows = [(o, t, ref) for a, t, b, _ in sg.edges for o in (a, b) if o != ref]
        names = sg.nodes
    else:
        rows = store.sharing_identifier(ref, limit=100)
        names = {}
    out = [{"entity": (names.get(o) or {}).get("name", ""), "label": o.label, "key": o.key,
            "via": t, "pivot_label": p.label, "pivot": p.key} for o, t, p in rows]
    return pd.DataFrame(out, columns=cols)


def build_profile(store, ref: NodeRef, risk_lookup=None) -> Profile | None:
    """Everything the profile page shows for ``ref``, or None if the store lacks it.
    ``risk_lookup(store, ref)`` is the detection service's ``entity_risk`` when present."""
    props = store.get_node(ref)
    if props is None:
        return None
    decls, truncated = _declarations(store, ref)
    risk = risk_lookup(store, ref) if risk_lookup else None
    return Profile(ref, props, _aliases(store, ref), decls, truncated, _shared(store, ref),
                   risk)


def check_words(check_id: str) -> tuple[str, str]:
    """A three-list check's title and what its failure means, in an officer's words."""
    try:
        from etl.three_list import check_by_id

        c = check_by_id(check_id)
        return c.title, c.fail_means
    except KeyError:
        return check_id, ""
