"""Cases: the list with deadlines, and opening a case from a ring or a selection."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from graph.store import NodeRef
from investigations import alerts, cases
from investigations.app_session import require_login
from investigations.roles import PermissionDenied, can

st.title("Cases")
ws, user = require_login()
try:
    rows = cases.list_cases(ws, user)
except PermissionDenied as exc:
    st.error(str(exc))
    st.stop()
status = st.multiselect("Status", cases.STATUSES, default=["open", "investigating", "referred"])
df = pd.DataFrame([r for r in rows if r["status"] in status])
st.metric("Cases shown", f"{len(df):,} of {len(rows):,}")
if len(df):
    st.dataframe(df, hide_index=True, use_container_width=True)
    pick = st.selectbox("Open a case", df["case_id"], index=None, key="cl_pick")
    if pick:
        st.session_state["cbec_case"] = pick
        st.page_link("ui/pages/cases_case.py", label=f"Go to case {pick}")
else:
    st.info("No case yet.")


def _alerts_section() -> None:
    """Saved alerts, what their last runs (after each load and scoring) opened, and a run
    by hand: the app's side of what `cbec load` and `cbec score` print."""
    st.subheader("Alerts")
    saved = alerts.list_alerts(ws, user)
    if not saved:
        st.caption("No saved alert. `cbec alerts add NAME --kind score --min-score 0.8` saves "
                   "one; saved alerts run after every `cbec load` and `cbec score`.")
        return
    st.dataframe(pd.DataFrame([{
        "alert": a["name"], "kind": a["kind"],
        "rule": ", ".join(f"{k} {v}" for k, v in a["spec"].items()),
        "active": bool(a.get("active")), "last run": a.get("last_run"),
        "saved by": a.get("created_by")} for a in saved]), hide_index=True,
        width="stretch")
    runs = alerts.alert_runs(ws, user, limit=10)
    if runs:
        st.caption("Last runs (after loads and scorings, or by hand)")
        st.dataframe(pd.DataFrame(runs), hide_index=True, width="stretch")
    if can(user, "alert.run") and st.button("Run the alerts now", key="cl_run_alerts"):
        with ws.writing():
            done = alerts.run_alerts(ws, user)
        for o in done:
            (st.success if o["action"] in ("opened", "added") else st.write)(o["message"])
        if not done:
            st.write("No active alert.")


if can(user, "alert.manage"):
    _alerts_section()

if can(user, "case.write"):
    st.subheader("New case")
    tab_ring, tab_sel = st.tabs(["From a ring", "From a selection"])
    with tab_ring:
        try:
            from graph.detection.results import list_rings

            rings = list_rings(ws.store, top=200)
        except Exception:  # noqa: BLE001 - no scoring yet
            rings = []
        if not rings:
            st.caption("No rings scored yet (`cbec score`).")
        else:
            opts = {r.ring_id: f"#{r.rank} {r.typology} score {r.score:.2f} "
                               f"({len(r.members)} members)" for r in rings}
            rid = st.selectbox("Ring", list(opts), format_func=opts.get, key="cl_ring")
            if st.button("Open a case from this ring"):
                with ws.writing():  # one short write lock for the case and its members
                    st.session_state["cbec_case"] = cases.create_case_from_ring(ws, user, rid)
                st.success(f"Case {st.session_state['cbec_case']} opened.")
    with tab_sel:
        title = st.text_input("Title", key="cl_title")
        text = st.text_area("Members, one per line: Label:key:role", key="cl_members")
        if st.button("Open the case") and title:
            members = []
            for line in text.splitlines():
                ref, _, role = line.strip().rpartition(":")
                lab, _, key = ref.partition(":")
                if lab and key:
                    members.append((NodeRef(lab, key), role))
            try:
                with ws.writing():
                    st.session_state["cbec_case"] = cases.create_case(ws, user, title,
                                                                      members=members)
                st.success(f"Case {st.session_state['cbec_case']} opened.")
            except (ValueError, LookupError) as exc:
                st.error(str(exc))
