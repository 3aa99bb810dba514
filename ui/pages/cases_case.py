"""One case: status and deadlines, members, network, timeline, IPR seizure record, evidence,
notes and export requests. A partner liaison sees the redacted view."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from investigations import cases, evidence, exports
from investigations.app_session import require_login
from investigations.roles import PermissionDenied, can

st.title("Case")
ws, user = require_login()
ids = [c["case_id"] for c in cases.list_cases(ws, user)]
if not ids:
    st.info("No case yet: open one on the Cases page.")
    st.stop()
default = st.session_state.get("cbec_case")
case_id = st.selectbox("Case", ids, index=ids.index(default) if default in ids else 0)
st.session_state["cbec_case"] = case_id
try:
    view = cases.get_case(ws, user, case_id)
except PermissionDenied as exc:
    st.error(str(exc))
    st.stop()
c = view["case"]
st.subheader(c.get("title", ""))
if view["redacted"]:
    st.warning("Redacted view (partner liaison): third parties pseudonymised, ID numbers and "
               "phones masked, addresses to district, account numbers dropped; no notes.")
m1, m2, m3, m4 = st.columns(4)
m1.metric("Status", c.get("status", ""))
m2.metric("Assignee", c.get("assignee", ""))
m3.metric("Members", len(view["members"]))
m4.metric("Origin", f"{c.get('origin', '')} {c.get('origin_ref') or ''}")
for d in view["deadlines"]:
    msg = f"{d['deadline']}: due {d['due']} ({d['working_days_left']} working days left)"
    (st.error if d["overdue"] else st.info)(msg)
if c.get("summary"):
    st.caption(c["summary"])

left, right = st.columns([3, 2])
with left:
    st.markdown("**Network**")
    net = cases.case_network(ws, user, case_id)
    if net.nodes:
        from investigations.report import network_png

        caps = {r: (p.get("name") or p.get("masked") or p.get("district") or r.key)
                for r, p in net.nodes.items()}
        png = network_png(net.nodes, net.edges, caps,
                          Path(tempfile.mkdtemp()) / "net.png", f"Case {case_id}")
        st.image(str(png), use_container_width=True)
with right:
    st.markdown("**Members**")
    st.dataframe(pd.DataFrame([{k: m.get(k) for k in ("label", "display", "role", "key")}
                               for m in view["members"]]), hide_index=True,
                 height=min(640, 35 * (len(view["members"]) + 1) + 3))

tabs = st.tabs(["Timeline", "IPR seizure record", "Evidence", "Notes", "Work", "Exports"])
with tabs[0]:
    from investigations.report import timeline_rows

    st.dataframe(pd.DataFrame(timeline_rows(net.nodes, [
        {"time": c.get("created_at", "")[:19], "event": "case opened", "detail": c.get("origin")}
    ])), hide_index=True, use_container_width=True)
with tabs[1]:
    ipr = c.get("ipr") or {}
    if ipr:
        st.table(pd.DataFrame([{"field": k, "value": str(v)} for k, v in ipr.items()]))
    if can(user, "case.ipr"):
        with st.form("ipr"):
            vals = {f: st.text_input(f, value=str(ipr.get(f, "") or "")) for f in cases.IPR_FIELDS}
            if st.form_submit_button("Save the IPR record"):
                try:
                    with ws.writing():
                        cases.set_ipr_record(ws, user, case_id,
                                             **{k: v for k, v in vals.items() if v})
                    st.rerun()
                except ValueError as exc:
                    st.error(str(exc))
with tabs[2]:
    ev = view["evidence"]
    if ev:
        st.dataframe(pd.DataFrame(ev)[[k for k in ("sha256", "filename", "kind", "labels",
                                                   "confidence", "source", "shareable")
                                       if k in ev[0]]], hide_index=True)
    if can(user, "evidence.write"):
        up = st.file_uploader("Add evidence (stored by its SHA-256)")
        kind = st.selectbox("Kind", evidence.EVIDENCE_KINDS)
        share = st.checkbox("May travel to a partner")
        if up and st.button("Attach"):
            with ws.writing():
                sha = evidence.add_evidence(ws, user, case_id, up.getvalue(), filename=up.name,
                                            kind=kind, shareable=share)
            st.success(f"stored as {sha}")
with tabs[3]:
    for n in view["notes"]:
        st.markdown(f"*{n['created_at']} · {n['author']}*  \n{n['text']}")
    if can(user, "case.write"):
        text = st.text_area("New note")
        if st.button("Add note") and text.strip():
            with ws.writing():
                cases.add_note(ws, user, case_id, text)
            st.rerun()
with tabs[4]:
    if can(user, "case.write"):
        nxt = sorted(cases.TRANSITIONS[c.get("status", "open")])
        new = st.selectbox("Move to", nxt)
        reason = st.text_input("Reason (needed for referred / closed)")
        if st.button("Change status"):
            try:
                with ws.writing():
                    cases.set_status(ws, user, case_id, new, reason=reason or None)
                st.rerun()
            except ValueError as exc:
                st.error(str(exc))
with tabs[5]:
    if view["exports"]:
        st.dataframe(pd.DataFrame(view["exports"]), hide_index=True)
    if can(user, "export.request"):
        with st.form("req"):
            partner = st.text_input("Recipient administration")
            agreement = st.text_input("Agreement", "EU-China CMAA 2004")
            article = st.text_input("Article")
            purpose = st.text_input("Purpose")
            retention = st.text_input("Retention date (YYYY-MM-DD)")
            contact = st.text_input("Recipient contact officer")
            sender = st.text_input("Sending administration", user.administration)
            if st.form_submit_button("Request export (a supervisor approves)"):
                try:
                    with ws.writing():
                        eid = exports.request_export(
                            ws, user, case_id, partner, agreement=agreement, article=article,
                            purpose=purpose, offence_type=c.get("offence") or "not stated",
                            summary_of_facts=c.get("summary") or purpose,
                            retention_date=retention, recipient_contact=contact,
                            sender_administration=sender)
                    st.success(f"export {eid} requested")
                except ValueError as exc:
                    st.error(str(exc))
