"""The query API as the pages call it: through the cached store, with results cached
(bounded in entries and time) so that going back and forth between pages answers at once.

Arguments are plain tuples and strings (``(label, key)`` for a node) so Streamlit can hash
them; results are the store's own types. Every cached answer is keyed on the version of
the store it came from (:func:`~ui.components.data.store_version`): after a load, the
reopened store answers, not the cache.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from graph.store.base import EntityHit, NodeRef, PathResult, Subgraph
from ui.components.data import get_store, store_version

__all__ = ["search", "neighbourhood", "shortest_path", "subgraph", "profile", "get_node",
           "read_query"]

_BOUND = dict(max_entries=256, ttl=900, show_spinner=False)


def search(ws: str, text: str, labels: tuple[str, ...] = (), limit: int = 20
           ) -> list[EntityHit]:
    return _search(ws, store_version(ws), text, labels, limit)


def get_node(ws: str, ref: tuple[str, str]) -> dict | None:
    return _get_node(ws, store_version(ws), ref)


def neighbourhood(ws: str, ref: tuple[str, str], hops: int, limit: int,
                  since: datetime | None = None, until: datetime | None = None,
                  edge_types: tuple[str, ...] = ()) -> Subgraph:
    return _neighbourhood(ws, store_version(ws), ref, hops, limit, since, until, edge_types)


def shortest_path(ws: str, a: tuple[str, str], b: tuple[str, str], max_hops: int = 6
                  ) -> PathResult | None | str:
    """The path, None if there is none, or the reason the bounded search gave up."""
    return _shortest_path(ws, store_version(ws), a, b, max_hops)


def subgraph(ws: str, refs: tuple[tuple[str, str], ...]) -> Subgraph:
    return _subgraph(ws, store_version(ws), refs)


def profile(ws: str, ref: tuple[str, str]):
    return _profile(ws, store_version(ws), ref)


def read_query(ws: str, query: str, params: dict, limit: int, timeout_s: float):
    """Not cached: an analyst re-running a query wants it run again."""
    return get_store(ws).read_query(query, params, limit=limit, timeout_s=timeout_s)


# -- cached, keyed on (workspace, store version, arguments): `version` is only a key (a
# name starting with "_" would be left out of the key by Streamlit) ---------------------
@st.cache_data(**_BOUND)
def _search(ws, version, text, labels, limit) -> list[EntityHit]:
    return get_store(ws).search(text, labels=list(labels) or None, limit=limit)


@st.cache_data(**_BOUND)
def _get_node(ws, version, ref) -> dict | None:
    return get_store(ws).get_node(NodeRef(*ref))


@st.cache_data(**_BOUND)
def _neighbourhood(ws, version, ref, hops, limit, since, until, edge_types) -> Subgraph:
    return get_store(ws).neighbourhood(NodeRef(*ref), hops=hops, limit=limit, since=since,
                                       until=until, edge_types=list(edge_types) or None)


@st.cache_data(**_BOUND)
def _shortest_path(ws, version, a, b, max_hops) -> PathResult | None | str:
    from graph.store.paths import PathSearchGaveUp

    try:
        return get_store(ws).shortest_path(NodeRef(*a), NodeRef(*b), max_hops=max_hops)
    except PathSearchGaveUp as exc:
        return str(exc)


@st.cache_data(**_BOUND)
def _subgraph(ws, version, refs) -> Subgraph:
    return get_store(ws).subgraph([NodeRef(*r) for r in refs])


@st.cache_data(max_entries=64, ttl=900, show_spinner=False)
def _profile(ws, version, ref):
    from ui.components.detection import entity_risk
    from ui.components.profile import build_profile

    return build_profile(get_store(ws), NodeRef(*ref), entity_risk)
