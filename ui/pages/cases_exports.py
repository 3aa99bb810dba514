"""Approvals and exports: supervisors approve or reject export requests; the approved ones
are written as signed bags and offered for download."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from investigations import exports
from investigations.app_session import require_login
from investigations.roles import PermissionDenied, can

st.title("Approvals and exports")
ws, user = require_login()
try:
    rows = exports.list_exports(ws, user)
except PermissionDenied as exc:
    st.error(str(exc))
    st.stop()
if not rows:
    st.info("No export request yet (request one on a case's Exports tab).")
    st.stop()
st.dataframe(pd.DataFrame(rows), hide_index=True, use_container_width=True)

waiting = [r["export_id"] for r in rows if r["status"] == "requested"]
if can(user, "export.approve") and waiting:
    st.subheader("Awaiting approval")
    eid = st.selectbox("Request", waiting, key="ex_wait")
    reason = st.text_input("Reason (needed to reject)")
    a, b = st.columns(2)
    try:
        if a.button("Approve"):
            with ws.writing():
                exports.approve_export(ws, user, eid)
            st.rerun()
        if b.button("Reject"):
            with ws.writing():
                exports.approve_export(ws, user, eid, approve=False, reason=reason)
            st.rerun()
    except (PermissionError, ValueError) as exc:
        st.error(str(exc))

approved = [r["export_id"] for r in rows if r["status"] == "approved"]
if can(user, "export.write") and approved:
    st.subheader("Approved: write the signed bundle")
    eid = st.selectbox("Export", approved, key="ex_ok")
    key = st.text_input("Signing key", "default")
    if st.button("Write the bundle"):
        try:
            # not one write block: drawing and signing take seconds, and a load may write
            # meanwhile; each of its few writes takes the lock on its own
            res = exports.export_case(ws, user, eid, key_name=key)
            st.success(f"{len(res.files)} files, signed by {res.fingerprint}")
            st.code("\n".join(res.files))
            st.download_button("Download the zip", res.archive.read_bytes(),
                               file_name=res.archive.name)
        except (PermissionError, LookupError, ValueError) as exc:
            st.error(str(exc))
