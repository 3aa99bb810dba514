"""The investigator app: ``streamlit run app.py`` (or ``cbec app --workspace W``).

Pages live in ``ui/pages/``, one module each, UI only. To add a page, add one line to
``PAGES`` (section, module path, title, icon).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `streamlit run` from anywhere

from ui.components.data import backend_name, favicon  # noqa: E402
from ui.components.preload import preload_html  # noqa: E402

# (section, page module, title, icon): the page registry
PAGES: list[tuple[str, str, str, str]] = [
    ("Investigate", "ui/pages/rings.py", "Rings", ":material/hub:"),
    ("Investigate", "ui/pages/explorer.py", "Network explorer", ":material/share:"),
    ("Investigate", "ui/pages/profile.py", "Entity profile", ":material/badge:"),
    ("Monitor", "ui/pages/statistics.py", "Statistics", ":material/bar_chart:"),
    ("Monitor", "ui/pages/quality.py", "Data quality", ":material/fact_check:"),
    ("Analyse", "ui/pages/query.py", "Query", ":material/terminal:"),
    ("Cases", "ui/pages/cases_list.py", "Cases", ":material/folder_open:"),
    ("Cases", "ui/pages/cases_case.py", "Case", ":material/gavel:"),
    ("Cases", "ui/pages/cases_exports.py", "Approvals and exports", ":material/outbox:"),
    ("Cases", "ui/pages/cases_bundles.py", "Partner bundles", ":material/move_to_inbox:"),
    ("Cases", "ui/pages/cases_audit.py", "Audit trail", ":material/receipt_long:"),
]

# The favicon is drawn here: a ":material/...:" or emoji icon is fetched from a CDN.
st.set_page_config(page_title="cbec-graph investigator", page_icon=favicon(), layout="wide")
root = Path(__file__).resolve().parent
sections: dict[str, list] = {}
for section, module, title, icon in PAGES:
    sections.setdefault(section, []).append(st.Page(str(root / module), title=title,
                                                    icon=icon))
nav = st.navigation(sections)
with st.sidebar:
    st.caption(f"cbec-graph · {backend_name()}")
    st.html(preload_html(), unsafe_allow_javascript=True)  # widgets' code, while idle
t0 = time.perf_counter()
try:
    nav.run()
finally:  # the benchmark separates the server's share of an interaction from the browser's
    if os.environ.get("CBEC_APP_TIMING"):
        print(f"cbec-app-timing {time.perf_counter() - t0:.4f} {nav.title}", file=sys.stderr,
              flush=True)
