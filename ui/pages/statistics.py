"""Statistics (WCO Standard 14): volumes and values by channel, trade mode, direction,
destination and month; indicator hits; inspections, hit rates and seizures. Plots."""

from __future__ import annotations

import altair as alt
import streamlit as st

from ui.components.data import StagingBusy, StagingMissing, staging_frames
from ui.components.profile import check_words
from ui.components.stats_sql import STATISTICS
from ui.components.widgets import ws

st.title("Statistics")
st.caption("Declarations as staged by the last load; values in RMB at the reference rates "
           "of the three-list checks (other currencies left out of the sums).")
try:
    f = staging_frames(ws(), STATISTICS)
except (StagingBusy, StagingMissing) as exc:
    st.warning(str(exc))
    st.stop()

measure = st.radio("Measure", ["declarations", "value_cny"], horizontal=True, key="st_measure",
                   format_func={"declarations": "Declarations",
                                "value_cny": "Value (RMB)"}.get)


def stacked(df, dim: str, title: str):
    if df.empty:
        st.caption(f"{title}: no data")
        return
    st.altair_chart(alt.Chart(df, title=title).mark_bar().encode(
        x=alt.X("month:O", title=None), y=alt.Y(f"{measure}:Q", title=None),
        color=alt.Color(f"{dim}:N", title=dim.replace("_", " ")),
        tooltip=["month", dim, "declarations", alt.Tooltip("value_cny:Q", format=",.0f")]),
        width="stretch")


c1, c2 = st.columns(2)
with c1:
    stacked(f["by_channel"], "channel", "By channel and month")
    stacked(f["by_direction"], "direction", "By direction and month")
with c2:
    stacked(f["by_trade_mode"], "trade_mode", "By trade mode and month")
    dest = f["by_destination"]
    if not dest.empty:
        st.altair_chart(alt.Chart(dest, title="Countries (destination for exports, dispatch "
                                              "for imports), top 40").mark_bar().encode(
            y=alt.Y("country:N", sort="-x", title=None), x=alt.X(f"{measure}:Q", title=None),
            color="direction:N"), width="stretch")

st.subheader("Indicator hits (three-list checks not passed)")
hits = f["indicator_hits"]
if hits.empty:
    st.caption("No three-list failure recorded.")
else:
    hits["check"] = [f"{c} {check_words(c)[0]}" for c in hits["check_id"]]
    st.altair_chart(alt.Chart(hits).mark_bar().encode(
        x=alt.X("month:O", title=None), y=alt.Y("hits:Q"), color=alt.Color("check:N"),
        tooltip=["check", "month", "hits"]), width="stretch")

st.subheader("Inspections, hit rates and seizures")
insp = f["inspections"]
if not insp.empty:
    per_month = insp.groupby("month", as_index=False)[["declarations", "inspected", "seized",
                                                       "amended"]].sum()
    per_month["inspection rate"] = per_month["inspected"] / per_month["declarations"]
    per_month["hit rate"] = (per_month["seized"] + per_month["amended"]) \
        / per_month["inspected"].where(per_month["inspected"] > 0)
    rates = per_month.melt("month", ["inspection rate", "hit rate"], "rate", "value")
    a, b = st.columns(2)
    a.altair_chart(alt.Chart(rates, title="Inspection rate and hit rate (seized or amended "
                                         "per inspection)").mark_line(point=True).encode(
        x=alt.X("month:O", title=None), y=alt.Y("value:Q", axis=alt.Axis(format="%"),
                                                title=None), color="rate:N"),
        width="stretch")
    counts = per_month.melt("month", ["inspected", "seized", "amended"], "what", "n")
    b.altair_chart(alt.Chart(counts, title="Inspections and outcomes").mark_bar().encode(
        x=alt.X("month:O", title=None), xOffset="what:N", y=alt.Y("n:Q", title=None),
        color="what:N"), width="stretch")
sz = f["seizure_reasons"]
if not sz.empty:
    st.altair_chart(alt.Chart(sz, title="Seizures by reason").mark_bar().encode(
        y=alt.Y("reason:N", sort="-x", title=None), x="seizures:Q",
        tooltip=["reason", "seizures", alt.Tooltip("value_cny:Q", format=",.0f")]),
        width="stretch")
