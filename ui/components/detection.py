"""Access to the detection results (ranked rings, entity risk) for the pages, tolerant of
their absence: before ``cbec score`` has run (or where the detection package is not
installed) the pages say how to get them instead of failing."""

from __future__ import annotations

import importlib

import pandas as pd

from graph.store.base import NodeRef

__all__ = ["results_api", "HOW_TO_SCORE", "rings_frame", "entity_risk", "ring_refs",
           "all_rings", "risk_of_drawn", "RISK_PROPERTIES"]

RISK_PROPERTIES = ("risk_score", "risk")  # node properties a scoring run may set

HOW_TO_SCORE = ("No rings have been scored in this workspace yet. Score it with "
                "`cbec score --workspace W` (then `cbec rings --workspace W` lists them on the "
                "command line) and reload this page.")


def results_api():
    """``graph.detection.results``, or None while the detection package lacks it."""
    try:
        return importlib.import_module("graph.detection.results")
    except ModuleNotFoundError as exc:
        if exc.name and "graph.detection.results".startswith(exc.name):
            return None
        raise


def rings_frame(rings) -> pd.DataFrame:
    """One row per ring for the ranked list (filters apply to these columns)."""
    rows = [{
        "rank": r.rank, "ring_id": r.ring_id, "score": r.score, "typology": r.typology,
        "size": len(r.members), "destinations": ", ".join(r.destinations[:5]),
        "channels": ", ".join(r.channels), "months": ", ".join(r.months),
        "declarations": r.declarations, "value_rmb": r.value_rmb,
        "duty_at_stake_rmb": r.duty_at_stake_rmb,
    } for r in rings]
    cols = ["rank", "ring_id", "score", "typology", "size", "destinations", "channels",
            "months", "declarations", "value_rmb", "duty_at_stake_rmb"]
    return pd.DataFrame(rows, columns=cols)


def entity_risk(store, ref: NodeRef) -> dict | None:
    """The detection service's risk of one entity, or None (not scored, or no service)."""
    api = results_api()
    if api is None:
        return None
    try:
        return api.entity_risk(store, ref)
    except Exception:  # noqa: BLE001 - an unscored store must not break a profile
        return None


def ring_refs(ring) -> list[NodeRef]:
    """Members and shared identifiers of a ring: the nodes of its network."""
    refs = [m["ref"] for m in ring.members]
    refs += [s["identifier"] for s in ring.shared]
    return list(dict.fromkeys(refs))


def all_rings(store) -> list:
    """Every scored ring, best first; [] before scoring or without the detection package."""
    api = results_api()
    if api is None:
        return []
    try:
        return api.list_rings(store)
    except Exception:  # noqa: BLE001 - no ring tables yet in this store
        return []


def risk_of_drawn(store, sg) -> dict[NodeRef, float]:
    """Risk to show on drawn nodes: a node's own risk property where scoring set one, else
    its highest risk as a member of a scored ring."""
    out: dict[NodeRef, float] = {}
    for ref, props in sg.nodes.items():
        for k in RISK_PROPERTIES:
            if isinstance(props.get(k), (int, float)):
                out[ref] = float(props[k])
                break
    own = set(out)
    for ring in _rings_cached(store):
        for m in ring.members:
            ref, risk = m["ref"], m.get("risk")
            if ref in sg.nodes and ref not in own and risk is not None:
                out[ref] = max(float(risk), out.get(ref, 0.0))
    return out


def _rings_cached(store) -> list:
    """Rings read once a minute at most per store (scoring runs are minutes apart)."""
    import time

    cache = getattr(store, "_cbec_app_rings", None)
    if cache is None or time.monotonic() - cache[0] > 60:
        cache = (time.monotonic(), all_rings(store))
        try:
            store._cbec_app_rings = cache
        except AttributeError:
            return cache[1]
    return cache[1]
