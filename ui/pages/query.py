"""Query: an analyst's read-only Cypher with parameters, a row limit and a timeout, run in
a read-only connection (embedded) or session (Neo4j); results as a table and a graph."""

from __future__ import annotations

import json

import streamlit as st

from graph.store.read_query import ReadOnlyQueryError, node_refs
from ui.components import queries
from ui.components.widgets import network_panel, store_or_stop, ws

EXAMPLE = ("MATCH (e:Enterprise)<-[:SOLD_BY]-(d:Declaration)\n"
           "WHERE d.total_value > $min_value\n"
           "RETURN e, count(*) AS declarations ORDER BY declarations DESC")

st.title("Query (read-only Cypher)")
store = store_or_stop()
st.caption("Runs in a read-only connection: writing clauses are refused. Values go in "
           "`$parameters` (JSON below). Node objects returned are drawn as a graph. "
           f"Dialect: {store.dialect.name} (no `shortestPath()` on the embedded store; use "
           "`-[* SHORTEST 1..6]-`).")
text = st.text_area("Cypher", EXAMPLE, height=130, key="q_text")
c1, c2, c3 = st.columns([3, 1, 1])
params_text = c1.text_input("Parameters (JSON object)", '{"min_value": 1000}', key="q_params")
limit = c2.number_input("Row limit", 1, 100_000, 200, key="q_limit")
timeout = c3.number_input("Timeout (s)", 1, 600, 10, key="q_timeout")
if st.button("Run", type="primary", key="q_run"):
    try:
        params = json.loads(params_text or "{}")
        if not isinstance(params, dict):
            raise ValueError("parameters must be a JSON object, e.g. {\"name\": \"Li Na\"}")
        st.session_state["q_result"] = queries.read_query(ws(), text, params, int(limit),
                                                          float(timeout))
    except (ValueError, ReadOnlyQueryError) as exc:  # JSONDecodeError is a ValueError
        st.error(str(exc))
        st.session_state.pop("q_result", None)
    except Exception as exc:  # noqa: BLE001 - syntax errors, timeouts: shown, not raised
        st.error(f"The query failed:\n\n{exc}")
        st.session_state.pop("q_result", None)

res = st.session_state.get("q_result")
if res is not None:
    st.caption(f"{len(res.rows):,} rows in {res.seconds:.2f} s"
               + (f" — cut at the row limit of {len(res.rows):,}" if res.truncated else ""))
    df = res.to_df()
    st.dataframe(df.map(lambda v: json.dumps(v, default=str) if isinstance(v, (dict, list))
                        else v), hide_index=True)
    refs = node_refs(res, store.schema)
    if refs:
        st.subheader("As a graph")
        sg = queries.subgraph(ws(), tuple((r.label, r.key) for r in refs[:1500]))
        network_panel(sg, key="q")
