"""The audit trail: verify the hash chain and its anchors; browse the records."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from investigations import audit
from investigations.app_session import require_login
from investigations.roles import PermissionDenied

st.title("Audit trail")
ws, user = require_login()
try:
    if st.button("Verify the chain"):
        r = audit.verify_audit(ws, user)
        (st.success if r.ok else st.error)(r.summary())
    case = st.text_input("Only this case id")
    recs = audit.list_audit(ws, user, case_id=case or None, limit=1000)
except PermissionDenied as exc:
    st.error(str(exc))
    st.stop()
st.dataframe(pd.DataFrame(recs)[["seq", "at", "actor", "action", "case_id", "target",
                                 "hash"]] if recs else pd.DataFrame(), hide_index=True,
             use_container_width=True)
