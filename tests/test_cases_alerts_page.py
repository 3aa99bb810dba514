"""The Cases page's alerts (Streamlit AppTest): the saved alerts, what their runs after a
load or scoring did, and a run by hand that opens a case once and never twice; a partner
liaison, who may not manage alerts, sees none of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from investigations import alerts
from tests.cases_world import make_world
from tests.conftest import make_store

AppTest = pytest.importorskip("streamlit.testing.v1").AppTest
PAGE = str(Path(__file__).resolve().parents[1] / "ui" / "pages" / "cases_list.py")


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("CBEC_PASSWORD_HASH", "cheapest")
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.setenv("CBEC_WORKSPACE", str(tmp_path))
    store = make_store("ladybug", tmp_path)  # tmp_path/graph: tmp_path is the workspace
    w = make_world(store, tmp_path)
    alerts.create_alert(w.ws, w.investigator, "Chain Link", "search", {"text": "Chain Link 3"})
    # a run "after a load" (as `cbec load` does it) leaves its counts in the audit trail
    alerts.run_alerts(w.ws, w.investigator, trigger="load")
    alerts.create_alert(w.ws, w.investigator, "Lonely", "search", {"text": "Lonely Person"})
    store.close()
    return w


def _page(user):
    from investigations.app_session import USER_KEY, case_workspace

    case_workspace.clear()  # one workspace per test: the cache outlives the test's folder
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[USER_KEY] = user
    return at.run()


def _texts(at) -> str:
    return "\n".join(str(e.value) for e in [*at.success, *at.markdown, *at.caption])


def test_alerts_are_listed_with_their_runs_and_run_by_hand_once(world):
    at = _page(world.investigator)
    assert not at.exception, at.exception
    assert "Alerts" in [h.value for h in at.subheader]
    saved = at.dataframe[1].value   # [0] the cases, [1] the alerts, [2] their runs
    assert set(saved["alert"]) == {"Chain Link", "Lonely"}
    runs = at.dataframe[2].value
    assert list(runs["trigger"])[:1] == ["load"] and int(runs["opened"].iloc[0]) == 1
    at.button(key="cl_run_alerts").click().run()
    assert not at.exception, at.exception
    assert "alert 'Lonely': opened case" in _texts(at)
    at.button(key="cl_run_alerts").click().run()
    said = _texts(at)
    assert "opened case" not in said and "nothing new" in said   # no duplicate alert


def test_a_partner_liaison_sees_no_alerts(world):
    at = _page(world.liaison)
    assert not at.exception, at.exception
    assert "Alerts" not in [h.value for h in at.subheader]
