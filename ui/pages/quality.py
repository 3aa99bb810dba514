"""Data quality: load history with reconciliation, quarantine by reason with a sample of
rows, three-list failure rates by check and month."""

from __future__ import annotations

import altair as alt
import streamlit as st

from ui.components.data import StagingBusy, StagingMissing, staging_frames
from ui.components.profile import check_words
from ui.components.stats_sql import DATA_QUALITY, quarantine_sample
from ui.components.widgets import ws

st.title("Data quality")
try:
    f = staging_frames(ws(), {**DATA_QUALITY, **quarantine_sample()})
except (StagingBusy, StagingMissing) as exc:
    st.warning(str(exc))
    st.stop()

st.subheader("Loads")
st.dataframe(f["loads"], hide_index=True, width="stretch")
rec = f["reconciliation"]
if not rec.empty:
    bad = int((rec["unaccounted"] != 0).sum())
    (st.error if bad else st.success)(
        f"Reconciliation: rows in = inserted + updated + unchanged + quarantined "
        f"{'fails for ' + str(bad) + ' table(s)' if bad else 'holds for every table and load'}.")
    st.dataframe(rec, hide_index=True, width="stretch")

st.subheader("Quarantine")
qr = f["quarantine_reasons"]
if qr.empty:
    st.success("No row was quarantined.")
else:
    st.metric("Rows quarantined", f"{int(qr['rows'].sum()):,}")
    qr["why"] = qr["table_name"] + "." + qr["field"].fillna("-") + ": " + qr["reason"]
    st.altair_chart(alt.Chart(qr.head(25), title="Quarantined rows by reason (top 25)")
                    .mark_bar().encode(y=alt.Y("why:N", sort="-x", title=None), x="rows:Q",
                                       tooltip=["table_name", "field", "reason", "rows"]),
                    width="stretch")
    st.caption("A sample of quarantined rows (file, row, field, reason, the row as read):")
    st.dataframe(f["quarantine_sample"], hide_index=True, width="stretch")

st.subheader("Three-list failure rates by check and month")
cr = f["check_rates"]
if cr.empty:
    st.caption("No three-list results in staging.")
else:
    cr["rate"] = (cr["failed"] + cr["risk"]) / cr["checked"]
    cr["check"] = [f"{c} {check_words(c)[0]}" for c in cr["check_id"]]
    st.altair_chart(alt.Chart(cr).mark_rect().encode(
        x=alt.X("month:O", title=None), y=alt.Y("check:N", title=None),
        color=alt.Color("rate:Q", scale=alt.Scale(scheme="orangered"), legend=alt.Legend(
            format="%")),
        tooltip=["check", "month", "checked", "failed", "risk",
                 alt.Tooltip("rate:Q", format=".2%")]), width="stretch")
