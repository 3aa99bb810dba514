"""Statistics (WCO Standard 14): volumes and values by channel, trade mode, direction,
destination and month; indicator hits; inspections, hit rates and seizures. Plots, built
once per load (:mod:`ui.components.stats_charts`)."""

from __future__ import annotations

import streamlit as st

from ui.components.data import StagingBusy, StagingMissing
from ui.components.stats_charts import MEASURES, statistics_specs
from ui.components.widgets import ws

st.title("Statistics")
st.caption("Declarations as staged by the last load; values in RMB at the reference rates "
           "of the three-list checks (other currencies left out of the sums).")
measure = st.radio("Measure", list(MEASURES), horizontal=True, key="st_measure",
                   format_func=MEASURES.get)
try:
    specs = statistics_specs(ws(), measure)
except (StagingBusy, StagingMissing) as exc:
    st.warning(str(exc))
    st.stop()


def chart(name: str, empty: str | None = None) -> None:
    """Draw one chart; say ``empty`` (when given) if it has no data."""
    if specs[name] is not None:
        st.vega_lite_chart(specs[name], width="stretch")
    elif empty:
        st.caption(empty)


c1, c2 = st.columns(2)
with c1:
    chart("by_channel", "By channel and month: no data")
    chart("by_direction", "By direction and month: no data")
with c2:
    chart("by_trade_mode", "By trade mode and month: no data")
    chart("by_destination")

st.subheader("Indicator hits (three-list checks not passed)")
chart("indicator_hits", "No three-list failure recorded.")

st.subheader("Inspections, hit rates and seizures")
a, b = st.columns(2)
with a:
    chart("rates")
with b:
    chart("outcomes")
chart("seizure_reasons")
