"""Widgets several pages share: the entity picker, the network panel (drawing, legend,
size guard, table and downloads) and the page header with the store in use."""

from __future__ import annotations

import streamlit as st

from graph.store.base import NodeRef, Subgraph
from ui.components import queries
from ui.components.data import (
    STORE_HELP,
    backend_name,
    crashed_load_help,
    get_store,
    graph_writer_present,
    workspace,
)
from ui.components.exports import subgraph_csv_zip, subgraph_graphml
from ui.components.network import TooLarge, legend_html, node_caption, render_html

__all__ = ["ws", "store_or_stop", "entity_picker", "network_panel", "ref_label", "focus",
           "set_focus"]

FOCUS = "cbec_focus"  # session key: the entity another page asked to show


def ws() -> str:
    return str(workspace())


def store_or_stop():
    """The cached store, or an error naming what to do, and the page stops."""
    try:
        return get_store(ws())
    except FileNotFoundError as exc:
        st.error(f"{exc}\n\n{STORE_HELP}")
    except RuntimeError as exc:  # a killed load, a load writing, Neo4j unreachable, old schema
        st.error(f"Cannot open the graph ({backend_name()}): {exc}\n\n{_open_hint(exc)}")
    st.stop()


def _open_hint(exc: Exception) -> str:
    """What to do about a store that would not open, from the files beside it first (a
    killed load reads like an old workspace: the tables it had not made yet are missing)."""
    crashed = crashed_load_help(ws())
    if crashed:
        return crashed
    if graph_writer_present(ws()):
        return ("A load (`cbec load`) is writing the graph right now: reload this page when "
                "it has finished.")
    if "does not exist" in str(exc):
        return ("The workspace was loaded by an older version (a table is missing): run "
                "`cbec load` on it again.")
    return ""


def ref_label(ref: NodeRef, props: dict | None = None) -> str:
    return f"{ref.label} · {node_caption(ref, props, 40)} ({ref.key})"


def set_focus(ref: NodeRef) -> None:
    st.session_state[FOCUS] = (ref.label, ref.key)


def focus() -> NodeRef | None:
    v = st.session_state.get(FOCUS)
    return NodeRef(*v) if v else None


def entity_picker(key: str, label: str = "Search an entity (name, phone, ID number, "
                  "address, e-mail, code; typos are fine)", default: str = "") -> NodeRef | None:
    """A search box and the matches to choose from; returns the chosen node or None.
    ``Label:key`` (e.g. ``Enterprise:3301960A2K``) picks a node directly."""
    store = store_or_stop()
    text = st.text_input(label, value=default, key=f"{key}_text").strip()
    if not text:
        return None
    lab, sep, k = text.partition(":")
    if sep and lab in store.schema.nodes and k:
        ref = NodeRef(lab, k)
        if queries.get_node(ws(), (lab, k)) is not None:
            return ref
    hits = queries.search(ws(), text)
    if not hits:
        st.warning(f"Nothing matches {text!r}. Try part of a name, a phone in any format, "
                   f"or `Label:key`.")
        return None
    options = {f"{h.ref.label} · {h.display} — {h.score:.0f} ({h.matched_on})": h.ref
               for h in hits}
    choice = st.selectbox(f"{len(hits)} matches", list(options), key=f"{key}_hit")
    return options[choice]


def network_panel(sg: Subgraph, *, key: str, risk: dict | None = None,
                  path: list[NodeRef] | None = None, focus_refs=(), height: int = 620,
                  downloads: bool = True) -> None:
    """Draw ``sg`` (or say why not), with its legend, its tables and downloads."""
    if not sg.nodes:
        st.info("Nothing to draw.")
        return
    st.caption(f"{len(sg.nodes):,} nodes, {len(sg.edges):,} edges"
               + (" — cut short by the node limit" if sg.truncated else "")
               + (f" — {len(sg.hubs)} hub(s) shown but not expanded (dashed border)"
                  if sg.hubs else ""))
    try:
        page = _cached_html(sg, risk, path, tuple(focus_refs), height)
    except TooLarge as exc:
        st.warning(str(exc))
    else:
        st.markdown(legend_html(r.label for r in sg.nodes), unsafe_allow_html=True)
        st.iframe(page, height=height + 10)
    nodes_tab, edges_tab = st.tabs(["Nodes (table)", "Edges (table)"])
    with nodes_tab:
        st.dataframe(sg.nodes_df(), hide_index=True, height=260)
    with edges_tab:
        st.dataframe(sg.edges_df(), hide_index=True, height=260)
    if downloads:
        c1, c2 = st.columns(2)
        c1.download_button("Download CSV (nodes + edges, zip)", subgraph_csv_zip(sg),
                           file_name="subgraph.zip", mime="application/zip",
                           key=f"{key}_csv")
        c2.download_button("Download GraphML", subgraph_graphml(sg),
                           file_name="subgraph.graphml", mime="application/graphml+xml",
                           key=f"{key}_graphml")


def _cached_html(sg: Subgraph, risk, path, focus_refs, height) -> str:
    """The drawing, kept in the session while the same graph is shown (a page rerun for
    an unrelated widget must not rebuild 700 KiB of HTML)."""
    sig = (tuple(sg.nodes), len(sg.edges), tuple(path or ()), focus_refs, height,
           tuple(sorted((risk or {}).items())))
    cache = st.session_state.setdefault("_cbec_html", {})
    if sig not in cache:
        if len(cache) > 8:
            cache.clear()
        cache[sig] = render_html(sg, risk=risk, path=path, focus=focus_refs, height=height)
    return cache[sig]
