"""Network explorer: search, draw a neighbourhood, expand picked nodes, shortest path,
filters by time window and entity type, the subgraph as a table, downloads."""

from __future__ import annotations

from datetime import datetime, time

import streamlit as st

from ui.components import queries
from ui.components.data import data_window
from ui.components.detection import risk_of_drawn
from ui.components.network import DRAW_MAX, filter_labels, merge, node_id
from ui.components.widgets import (
    entity_picker,
    focus,
    network_panel,
    ref_label,
    set_focus,
    store_or_stop,
    ws,
)

STATE = "explorer"

st.title("Network explorer")
store = store_or_stop()
state = st.session_state.setdefault(STATE, {"graph": None, "seeds": [], "path": []})

with st.sidebar:
    st.subheader("Drawing")
    hops = st.slider("Hops", 1, 3, 2, key="ex_hops")
    limit = st.slider("Node limit", 25, DRAW_MAX, 150, step=25, key="ex_limit",
                      help="Walks stop at this many nodes (hubs are not expanded).")
    windowed = st.checkbox("Only a time window", key="ex_windowed",
                           help="Dated nodes (orders, payments, waybills, declarations) "
                                "outside the window are left out and not expanded.")
    since = until = None
    if windowed:
        first, last = data_window(ws())
        d0, d1 = st.date_input("Window", value=(first, last), key="ex_window")
        since, until = datetime.combine(d0, time.min), datetime.combine(d1, time.max)
    labels = sorted(store.schema.nodes)
    shown = st.multiselect("Entity types shown", labels, default=[], key="ex_labels",
                           help="Empty: all types. The searched entity is always shown.")

pre = focus()
default = f"{pre.label}:{pre.key}" if pre else ""
ref = entity_picker("ex_search", default=default)
c1, c2 = st.columns([1, 3])
if c1.button("Draw neighbourhood", type="primary", disabled=ref is None, key="ex_draw"):
    state.update(graph=queries.neighbourhood(ws(), (ref.label, ref.key), hops, limit, since,
                                             until), seeds=[ref], path=[], expanded=None)
    set_focus(ref)
if state["graph"] is not None and c2.button("Clear drawing", key="ex_clear"):
    state.update(graph=None, seeds=[], path=[], expanded=None)

sg = state["graph"]
if sg is None:
    st.info("Search an entity above and draw its neighbourhood. Then pick drawn nodes to "
            "expand them, or find the shortest path to another entity.")
    st.stop()

def _ids(g):
    """Drawn nodes as ``Label:key`` strings (widget options), with their captions."""
    return {node_id(r): r for r in g.nodes}, {node_id(r): ref_label(r, p)
                                            for r, p in g.nodes.items()}


by_id, names = _ids(sg)

@st.fragment
def expand_panel(sg, by_id, names) -> None:
    """Picking nodes, hops and hubs reruns only this panel (not the drawing, 800 KiB of
    page sent again); the Expand button reruns the page to draw the grown graph."""
    with st.expander("Expand picked nodes", expanded=True):
        picked = [by_id[i] for i in st.multiselect("Nodes to expand", list(by_id),
                                                    format_func=names.get, key="ex_pick")]
        k = st.slider("by k hops", 1, 3, 1, key="ex_k")
        with_hubs = st.checkbox("Expand hubs too (lockers, platforms, countries: thousands "
                                "of edges)", key="ex_hubs")
        if st.button("Expand", disabled=not picked, key="ex_expand"):
            hubs = set(sg.hubs)
            skipped = [r for r in picked if r in hubs and not with_hubs]
            grown = [queries.neighbourhood(ws(), (r.label, r.key), k, limit, since, until)
                     for r in picked if r not in skipped]
            grown_sg = merge(sg, *grown)
            state.update(graph=grown_sg, seeds=list(dict.fromkeys(state["seeds"] + picked)),
                         expanded=(len(grown), k, len(grown_sg.nodes) - len(sg.nodes),
                                   [names[node_id(r)] for r in skipped]))
            st.rerun()
        if state.get("expanded"):
            n, hops_, added, skipped = state["expanded"]
            st.caption(f"Expanded {n} node(s) by {hops_} hop(s): {added:,} new nodes drawn.")
            if skipped:
                st.warning("Not expanded (hubs; tick 'Expand hubs too' to expand them): "
                           + ", ".join(skipped))


expand_panel(sg, by_id, names)

with st.expander("Shortest path", expanded=True):
    a = by_id[st.selectbox("From", list(by_id), format_func=names.get, key="ex_from")]
    b = entity_picker("ex_to", label="To (search any entity)")
    if st.button("Find path", disabled=b is None, key="ex_path"):
        res = queries.shortest_path(ws(), (a.label, a.key), (b.label, b.key))
        if isinstance(res, str):
            st.warning(f"The bounded path search gave up before it could tell: {res}")
        elif res is None:
            st.warning("No path of at most 6 hops (hubs and very busy nodes are not "
                       "crossed).")
        else:
            sg = merge(sg, queries.subgraph(ws(), tuple((r.label, r.key) for r in res.nodes)))
            state.update(graph=sg, path=res.nodes)
            by_id, names = _ids(sg)
    if state["path"]:
        p = state["path"]
        st.success(f"Path of {len(p) - 1} hops: "
                   + " → ".join(names.get(node_id(r), r.key) for r in p))

view = filter_labels(sg, shown, keep=state["seeds"] + state["path"])
network_panel(view, key="ex", risk=risk_of_drawn(store, view), path=state["path"],
              focus_refs=state["seeds"])
if state["seeds"] and st.button("Open the profile of " + names[node_id(state["seeds"][0])],
                                key="ex_profile"):
    set_focus(state["seeds"][0])
    st.switch_page("ui/pages/profile.py")
