"""Rings: the ranked list with filters, and a ring card with its evidence and network."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.components import queries
from ui.components.detection import HOW_TO_SCORE, all_rings, ring_refs, rings_frame
from ui.components.network import node_id
from ui.components.widgets import network_panel, ref_label, set_focus, store_or_stop, ws

st.title("Fraud rings")
store = store_or_stop()
rings = all_rings(store)
if not rings:
    st.info(HOW_TO_SCORE)
    st.stop()

df = rings_frame(rings)
by_id = {r.ring_id: r for r in rings}
with st.sidebar:
    st.subheader("Filter rings")
    typ = st.multiselect("Typology", sorted(df["typology"].unique()), key="rg_typ")
    channels = sorted({c for r in rings for c in r.channels})
    chan = st.multiselect("Channel", channels, key="rg_chan")
    dests = sorted({c for r in rings for c in r.destinations})
    dest = st.multiselect("Destination", dests, key="rg_dest")
    months = sorted({m for r in rings for m in r.months})
    month = st.multiselect("Month active", months, key="rg_month")
    min_score = st.slider("Minimum score", 0.0, 1.0, 0.0, 0.05, key="rg_min")

keep = [r for r in rings
        if (not typ or r.typology in typ) and (not chan or set(chan) & set(r.channels))
        and (not dest or set(dest) & set(r.destinations))
        and (not month or set(month) & set(r.months)) and r.score >= min_score]
view = rings_frame(keep)
c1, c2, c3 = st.columns(3)
c1.metric("Rings shown", f"{len(keep):,} of {len(rings):,}")
c2.metric("Duty at stake (RMB)", f"{view['duty_at_stake_rmb'].sum():,.0f}")
c3.metric("Declared value (RMB)", f"{view['value_rmb'].sum():,.0f}")
st.caption(f"Model {rings[0].model_version}, threshold {rings[0].threshold:.2f}, scored "
           f"{rings[0].scored_at:%Y-%m-%d %H:%M}. Click a row to open its card.")
sel = st.dataframe(
    view, hide_index=True, on_select="rerun", selection_mode="single-row", key="rg_table",
    column_config={"score": st.column_config.ProgressColumn("score", min_value=0, max_value=1,
                                                            format="%.2f"),
                   "value_rmb": st.column_config.NumberColumn(format="%.0f"),
                   "duty_at_stake_rmb": st.column_config.NumberColumn(format="%.0f")})
rows = sel.selection.rows if sel and sel.selection else []
labels = {r.ring_id: f"#{r.rank} {r.typology} score {r.score:.2f} ({len(r.members)} members)"
          for r in keep}
picked = st.selectbox("Ring card", list(labels), format_func=labels.get, key="rg_pick",
                      index=None, placeholder="Pick a ring (or click a row above)")
if rows:
    picked = view.iloc[rows[0]]["ring_id"]
if picked is None:
    st.stop()
ring = by_id[picked]

st.header(f"Ring #{ring.rank} — {ring.typology}, score {ring.score:.2f}")
m1, m2, m3, m4 = st.columns(4)
m1.metric("Members", len(ring.members))
m2.metric("Declarations", f"{ring.declarations:,}")
m3.metric("Value (RMB)", f"{ring.value_rmb:,.0f}")
m4.metric("Duty at stake (RMB)", f"{ring.duty_at_stake_rmb:,.0f}")
st.caption(f"Destinations {', '.join(ring.destinations) or '-'}; channels "
           f"{', '.join(ring.channels) or '-'}; active {', '.join(ring.months) or '-'}; "
           f"model {ring.model_version} (threshold {ring.threshold:.2f}); ring id "
           f"{ring.ring_id}")

st.subheader("Evidence: indicators")
for ind in ring.indicators:
    st.markdown(f"- **{ind['name']}** = {ind['value']:.3g} (threshold {ind['threshold']:.3g}):"
                f" {ind['sentence']}")
left, right = st.columns(2)
with left:
    st.subheader("Members and roles")
    st.dataframe(pd.DataFrame([{"role": m["role"], "label": m["ref"].label,
                                "key": m["ref"].key, "risk": m.get("risk")}
                               for m in ring.members]), hide_index=True)
with right:
    st.subheader("Shared identifiers")
    st.dataframe(pd.DataFrame([{"identifier": f"{s['identifier'].label} {s['identifier'].key}",
                                "shared by": len(s["members"]),
                                "members": ", ".join(m.key for m in s["members"][:6])}
                               for s in ring.shared]), hide_index=True)

st.subheader("The ring's network")
refs = ring_refs(ring)
sg = queries.subgraph(ws(), tuple((r.label, r.key) for r in refs))
risk = {m["ref"]: float(m["risk"]) for m in ring.members if m.get("risk") is not None}
network_panel(sg, key="rg", risk=risk, focus_refs=[m["ref"] for m in ring.members])
members = {node_id(m["ref"]): m["ref"] for m in ring.members}
member = members[st.selectbox("Member", list(members), key="rg_member",
                              format_func=lambda i: ref_label(members[i],
                                                              sg.nodes.get(members[i])))]
b1, b2 = st.columns(2)
if b1.button("Explore this member's network", key="rg_explore"):
    set_focus(member)
    st.switch_page("ui/pages/explorer.py")
if b2.button("Open this member's profile", key="rg_profile"):
    set_focus(member)
    st.switch_page("ui/pages/profile.py")
