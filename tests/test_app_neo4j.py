"""The app on Neo4j: the same pages over a world ``cbec load`` wrote into Neo4j (the
``neo4j_env`` server: ``NEO4J_URI``'s, or the local one the session starts)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from conftest import _wipe  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from graph.store.neo4j_store import Neo4jStore  # noqa: E402
from ui.browser_check import pick_entities  # noqa: E402

APP = str(Path(__file__).resolve().parents[1] / "app.py")
pytestmark = pytest.mark.slow


def test_pages_work_on_neo4j(neo4j_env, tmp_path, monkeypatch):
    from etl.load import load
    from synthetic.config import GenConfig
    from synthetic.world import generate

    generate(GenConfig(declarations=800, seed=3), tmp_path / "world")
    for k, v in neo4j_env.items():
        monkeypatch.setenv(k, v)
    with Neo4jStore.from_env(neo4j_env) as s:
        _wipe(s)
    ws = tmp_path / "ws"
    try:
        load(tmp_path / "world", ws, say=lambda m: None)
        code, name, person = pick_entities(ws)[0]
        monkeypatch.setenv("CBEC_WORKSPACE", str(ws))
        at = AppTest.from_file(APP, default_timeout=180)
        at.run()
        assert any("No rings" in i.value for i in at.info) or not at.exception
        assert "Neo4j at" in " ".join(c.value for c in at.sidebar.caption)

        at.switch_page("ui/pages/explorer.py").run()
        at.text_input(key="ex_search_text").input(name).run()
        at.button(key="ex_draw").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert code in at.get("iframe")[0].proto.srcdoc
        at.text_input(key="ex_to_text").input(person).run()
        at.button(key="ex_path").click().run()
        assert at.success and at.success[0].value.startswith("Path of"), \
            [w.value for w in at.warning]

        at.switch_page("ui/pages/profile.py").run()
        assert not at.exception, [e.value for e in at.exception]
        assert name in at.header[0].value

        at.switch_page("ui/pages/query.py").run()
        at.button(key="q_run").click().run()
        assert not at.error, [e.value for e in at.error]
        assert at.get("iframe"), "returned nodes are drawn on Neo4j too"
        at.text_area(key="q_text").input("MATCH (n) DETACH DELETE n").run()
        at.button(key="q_run").click().run()
        assert any("read-only" in e.value for e in at.error)
    finally:
        with Neo4jStore.from_env(neo4j_env) as s:
            _wipe(s)
