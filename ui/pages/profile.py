"""Entity profile: attributes, resolved aliases, declarations over time, destinations,
channel mix, three-list failures in plain words, linked entities, risk with reasons."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ui.components import queries, worldmap
from ui.components.profile import PROFILE_LIMIT, check_words
from ui.components.widgets import entity_picker, focus, set_focus, store_or_stop, ws

st.title("Entity profile")
store_or_stop()
pre = focus()
ref = entity_picker("pf_search", default=f"{pre.label}:{pre.key}" if pre else "")
if ref is None:
    st.info("Search an entity (a seller, a buyer, a phone, an address...) to see its "
            "profile.")
    st.stop()
set_focus(ref)
prof = queries.profile(ws(), (ref.label, ref.key))
if prof is None:
    st.error(f"{ref.label} {ref.key} is not in the graph.")
    st.stop()

p = prof.props
st.header(f"{ref.label}: {p.get('name') or p.get('address') or ref.key}")
left, right = st.columns([3, 2])
with left:
    st.subheader("Attributes")
    st.dataframe(pd.DataFrame({"property": list(p), "value": [str(v) for v in p.values()]}),
                 hide_index=True, width="stretch")
with right:
    st.subheader("Risk")
    if prof.risk:
        st.metric("Risk score", f"{prof.risk['score']:.2f}",
                  help=f"model {prof.risk.get('model_version', '?')}")
        for reason in prof.risk.get("reasons", [])[:5]:
            st.markdown(f"- {reason}")
    else:
        st.caption("Not scored (run `cbec score`), or below every threshold.")
    if st.button("Open in the network explorer", key="pf_explore"):
        st.switch_page("ui/pages/explorer.py")

st.subheader("Resolved aliases (SAME_AS)")
if prof.aliases.empty:
    st.caption("No other record was resolved to this entity.")
else:
    st.dataframe(prof.aliases, hide_index=True, width="stretch")

d = prof.declarations
st.subheader(f"Declarations ({len(d):,}"
             + (f", the first {PROFILE_LIMIT:,} nodes walked" if prof.truncated else "") + ")")
if d.empty:
    st.caption("No declaration reaches this entity.")
else:
    t1, t3 = st.columns(2)
    with t1:
        st.caption("Timeline: declarations per month")
        by_month = d.groupby("month").size().rename("declarations").reset_index()
        st.altair_chart(alt.Chart(by_month).mark_bar().encode(
            x=alt.X("month:O", title=None), y="declarations:Q"), width="stretch")
    with t3:
        st.caption("Channel mix")
        if "channel" in d:
            ch = d.groupby("channel").size().rename("declarations").reset_index()
            st.altair_chart(alt.Chart(ch).mark_arc().encode(
                theta="declarations:Q", color="channel:N"), width="stretch")
    if "country" in d:
        st.caption("Countries (destination for exports, dispatch for imports)")
        c = worldmap.country_frame(d)
        m1, m2 = st.columns([3, 1]) if worldmap.map_available() else (None, st.container())
        if m1 is not None:
            with m1:
                st.altair_chart(worldmap.world_map(c), width="stretch")
                off = worldmap.not_on_map(c)
                if off:
                    st.caption(f"Not on the map (no border for them): {', '.join(off)}")
        with m2:
            st.altair_chart(alt.Chart(c).mark_bar().encode(
                y=alt.Y("country:N", sort="-x", title=None), x="declarations:Q",
                tooltip=["name:N", "declarations:Q"]), width="stretch")
    if "inspected" in d:
        insp = d[d["inspected"].fillna(False).astype(bool)]
        seized = int((insp.get("outcome") == "seized").sum()) if not insp.empty else 0
        st.caption(f"Inspected {len(insp):,} of {len(d):,}; seized {seized:,}.")

    st.subheader("Three-list failures")
    fails = d.get("tl_failed", pd.Series(dtype=str)).dropna()
    counts = fails[fails != ""].str.split("|").explode().value_counts()
    if counts.empty:
        st.caption("Every three-list check passed on these declarations.")
    for check_id, n in counts.items():
        title, means = check_words(check_id)
        st.markdown(f"- **{check_id} {title}** failed on {n:,} of {len(d):,} declarations"
                    + (f": {means}" if means else ""))
    with st.expander("The declarations"):
        st.dataframe(d, hide_index=True)

st.subheader("Linked entities (sharing a phone, address, account, ID or e-mail)")
if prof.shared.empty:
    st.caption("Shares no identifier with anyone.")
else:
    st.dataframe(prof.shared, hide_index=True, width="stretch")
