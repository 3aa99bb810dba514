"""Partner bundles: verify a received bundle against the sender's key, then import it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from investigations import bundle
from investigations.app_session import require_login
from investigations.roles import PermissionDenied, can

st.title("Partner bundles")
ws, user = require_login()
partners = sorted(p.stem for p in (ws.keys_dir / "partners").glob("*.pub"))
up = st.file_uploader("Received bundle (.zip)", type=["zip"])
partner = st.selectbox("Sender's registered key", partners, index=None,
                       placeholder="register keys with `cbec keys register`")
if up and partner:
    tmp = Path(tempfile.mkdtemp()) / up.name
    tmp.write_bytes(up.getvalue())
    key = ws.keys_dir / "partners" / f"{partner}.pub"
    try:
        report = bundle.verify_bundle(tmp, key)
        st.success("\n".join(report.lines()))
        st.dataframe(pd.DataFrame(report.files), hide_index=True)
        if can(user, "bundle.import") and st.button("Import"):
            s = bundle.import_bundle(ws, user, tmp, key)
            st.success(f"{s['entities']} entities imported, {s['linked']} linked; case "
                       f"{s['case_id']}")
    except bundle.BundleRefused as exc:
        st.error(f"REFUSED: {exc}")
try:
    imports = bundle.list_imports(ws, user)
    if imports:
        st.subheader("Imported")
        st.dataframe(pd.DataFrame(imports), hide_index=True)
except PermissionDenied as exc:
    st.caption(str(exc))
