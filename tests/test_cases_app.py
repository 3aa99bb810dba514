"""The case pages in a real headless browser (Debian Chromium through Playwright): sign in,
open the case page, see its members, deadlines and network; the partner liaison sees the
redacted view. ``CBEC_SCREENSHOTS=DIR`` keeps the screenshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cases_world import PASSWORD, approved_export, make_world
from tests.conftest import make_store

pytestmark = pytest.mark.slow


@pytest.fixture
def served(tmp_path, monkeypatch):
    from ui.browser_check import chromium_missing, serve

    why = chromium_missing()
    if why:
        pytest.skip(why)
    monkeypatch.setenv("CBEC_PASSWORD_HASH", "cheapest")
    monkeypatch.delenv("NEO4J_URI", raising=False)
    store = make_store("ladybug", tmp_path)  # tmp_path/graph: tmp_path is the workspace
    w = make_world(store, tmp_path)
    approved_export(w)
    store.close()
    with serve(tmp_path, log=tmp_path / "streamlit.log") as url:
        yield url, w


def _sign_in(walk, url, user):
    walk.page.goto(url)
    # the first page's run under way before waiting for its end (idle() alone could return
    # before the run had started, and a click then raced the first page's run)
    walk.page.get_by_role("heading", name="Fraud rings").wait_for(timeout=90_000)
    walk.idle(90)
    link = walk.page.get_by_role("link", name="Case", exact=True).first
    walk.timed("open Case", link.click, walk.text("Sign in"), 90)
    walk.page.get_by_label("User").first.fill(user)
    walk.page.get_by_label("Password").first.fill(PASSWORD)
    walk.timed("sign in", walk.page.get_by_role("button", name="Sign in").first.click,
               walk.text("Signed in as"), 90)


def test_case_page_in_a_browser(served):
    from ui.browser_check import Walk

    url, w = served
    shots = Path(os.environ["CBEC_SCREENSHOTS"]) if os.environ.get("CBEC_SCREENSHOTS") else None
    with Walk.open(shots, width=1500, height=1300) as walk:
        _sign_in(walk, url, "ivan")
        walk.page.get_by_role("heading", name="LABUBU look-alikes via Star Light").wait_for(
            timeout=60_000)
        walk.text("rights holder's application")(30)
        walk.idle(90)
        # the data grid draws on a canvas; its cells are in the DOM for accessibility
        walk.page.get_by_text("Li Na").first.wait_for(state="attached", timeout=30_000)
        # the network picture (an image draws after the page's text: wait for it)
        walk.page.locator("img").first.wait_for(state="attached", timeout=30_000)
        walk.page.wait_for_timeout(500)
        walk.shot("cases-case")
        assert not walk.outside_requests, walk.outside_requests
        # the app has signed in, viewed and audited the case, and still runs: a load (this
        # process, opening the graph for writing) gets the write lock all the same
        from graph.store.ladybug_store import LadybugStore

        LadybugStore(w.ws.root / "graph").close()
    with Walk.open(shots, width=1500, height=1300) as walk:
        _sign_in(walk, url, "lia")
        walk.text("Redacted view")(60)
        walk.idle(90)
        walk.page.get_by_text("+86 138****8000").first.wait_for(state="attached",
                                                              timeout=30_000)
        body = walk.page.content()
        assert "Li Na" not in body and "13800138000" not in body
        assert "+86 138****8000" in body
        walk.shot("cases-case-liaison")
