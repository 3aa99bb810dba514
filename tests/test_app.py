"""The investigator app, page by page, with Streamlit's AppTest over a loaded small world
(the JavaScript drawing itself is checked in a real browser: test_app_browser.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graph.store import NodeRef, Subgraph
from tests.app_world import build_app_world

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from ui.components.network import (  # noqa: E402
    DRAW_MAX,
    TooLarge,
    remote_references,
    render_html,
)

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_app_world(tmp_path_factory.mktemp("appworld"))


@pytest.fixture
def app(world, monkeypatch):
    monkeypatch.setenv("CBEC_WORKSPACE", str(world.workspace))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _page(at, module: str):
    at.switch_page(f"ui/pages/{module}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _drawn(at) -> int:
    """Nodes drawn, from the caption above the drawing (``1,234 nodes, ...``)."""
    m = next(re.match(r"([\d,]+) nodes, ", c.value) for c in at.caption
             if re.match(r"[\d,]+ nodes, ", c.value))
    return int(m.group(1).replace(",", ""))


def _id(option: str) -> str:
    """``Label · caption (key)`` (an option as shown) back to its value ``Label:key``."""
    return option.split(" · ")[0] + ":" + re.search(r"\(([^()]*)\)$", option).group(1)


def test_rings_page_lists_rings_or_says_how_to_score(app, world):
    at = _page(app, "rings")
    if not world.rings_written:
        assert any("cbec score" in i.value for i in at.info), [i.value for i in at.info]
        pytest.skip(f"no rings to open: {world.rings_reason}")
    at.selectbox(key="rg_pick").select("ring-0").run()
    assert not at.exception
    assert any("Ring #1" in h.value for h in at.header)
    assert any("three sellers answer on one phone" in m.value for m in at.markdown)
    frame = at.get("iframe")[0].proto
    assert world.seller.key in frame.srcdoc  # the ring's network holds its members
    at.slider(key="rg_min").set_value(0.8).run()
    assert "1 of 2" in [m.value for m in at.metric][0]


def test_explorer_searches_draws_expands_and_finds_a_path(app, world):
    at = _page(app, "explorer")
    at.text_input(key="ex_search_text").input(world.seller_name[:-2] + "xx").run()  # a typo
    hit = at.selectbox(key="ex_search_hit")
    assert hit.value.startswith(f"Enterprise · {world.seller_name} "), hit.options[:3]
    at.button(key="ex_draw").click().run()
    assert not at.exception
    page = at.get("iframe")[0].proto.srcdoc
    assert "vis-network" in page and world.seller.key in page
    assert remote_references(page) == []
    n0 = _drawn(at)

    pick = at.multiselect(key="ex_pick")
    person = next(o for o in pick.options if o.startswith("Declaration"))
    pick.select(_id(person)).run()
    at.slider(key="ex_k").set_value(2).run()
    at.button(key="ex_expand").click().run()
    assert not at.exception
    assert _drawn(at) > n0
    assert any("new nodes drawn" in c.value for c in at.caption)

    at.text_input(key="ex_to_text").input(world.person_name).run()
    at.button(key="ex_path").click().run()
    assert not at.exception
    assert at.success and at.success[0].value.startswith("Path of"), \
        [w.value for w in at.warning]
    assert "#d62728" in at.get("iframe")[0].proto.srcdoc  # the path drawn in red
    assert len(at.get("download_button")) == 2


def test_explorer_filters_by_entity_type(app, world):
    at = _page(app, "explorer")
    at.text_input(key="ex_search_text").input(world.seller_name).run()
    at.button(key="ex_draw").click().run()
    at.multiselect(key="ex_labels").select("Phone").run()
    labels = set(at.dataframe[0].value["label"])
    assert labels <= {"Phone", "Enterprise"}, labels  # the searched seller stays
    n_all = len(at.dataframe[0].value)
    at.checkbox(key="ex_windowed").check().run()
    d0, d1 = at.date_input(key="ex_window").value
    at.date_input(key="ex_window").set_value((d1, d1)).run()  # one day only
    at.button(key="ex_draw").click().run()
    assert not at.exception
    assert len(at.dataframe[0].value) <= n_all


def test_profile_shows_declarations_checks_and_links(app, world):
    at = _page(app, "profile")
    at.text_input(key="pf_search_text").input(f"Enterprise:{world.seller.key}").run()
    assert not at.exception
    assert world.seller_name in at.header[0].value
    subs = [s.value for s in at.subheader]
    assert any(s.startswith("Declarations (") and "(0" not in s for s in subs), subs
    assert len(at.get("vega_lite_chart")) >= 2  # timeline and countries at least
    assert any("Linked entities" in s for s in subs)
    assert not any("geoshape" in c.proto.spec for c in at.get("arrow_vega_lite_chart")
                   or at.get("vega_lite_chart"))  # no static serving here: no map


def test_profile_draws_an_offline_world_map(app, world, monkeypatch):
    from ui.components import worldmap

    monkeypatch.setattr(worldmap, "map_available", lambda: True)  # as under `cbec app`
    at = _page(app, "profile")
    at.text_input(key="pf_search_text").input(f"Enterprise:{world.seller.key}").run()
    assert not at.exception, [e.value for e in at.exception]
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    maps = [s for s in specs if "geoshape" in s]
    assert len(maps) == 1, specs
    import json

    urls = re.findall(r'"url": "([^"]*)"', json.dumps(json.loads(maps[0])))
    assert urls and all(u == "/app/static/countries-50m.json" for u in urls), urls  # no CDN


def test_world_map_frame_and_borders():
    import pandas as pd

    from ui.components import worldmap

    d = pd.DataFrame({"country": ["HK", "HK", "US", "ZZ"]})
    c = worldmap.country_frame(d).set_index("country")
    assert c.loc["HK", "id"] == "344" and c.loc["HK", "declarations"] == 2
    assert c.loc["US", "name"] == "United States" and pd.isna(c.loc["ZZ", "id"])
    assert worldmap.not_on_map(c.reset_index()) == ["ZZ"]  # HK and SG have borders at 1:50m
    assert worldmap.iso_numeric("sg") == "702" and worldmap.iso_numeric("") is None


def test_statistics_page_plots(app):
    at = _page(app, "statistics")
    assert not at.warning, [w.value for w in at.warning]
    assert len(at.get("vega_lite_chart")) >= 5


def test_statistics_charts_are_built_once_per_load(app, world, tmp_path):
    """A visit after the first draws the charts built then; a load (staging written) has
    them built again, from its figures."""
    import duckdb

    from ui.components.stats_charts import statistics_specs

    ws = str(world.workspace)
    at = _page(app, "statistics")
    first = statistics_specs(ws, "declarations")
    _page(at, "query")
    _page(at, "statistics")
    assert statistics_specs(ws, "declarations") is first  # not built again
    at.radio(key="st_measure").set_value("value_cny").run()
    assert not at.exception and len(at.get("vega_lite_chart")) >= 5
    assert statistics_specs(ws, "value_cny") is not first

    copy = tmp_path / "ws"
    copy.mkdir()
    (copy / "staging.duckdb").write_bytes((world.workspace / "staging.duckdb").read_bytes())
    before = statistics_specs(str(copy), "declarations")
    assert before == first and before is not first
    con = duckdb.connect(str(copy / "staging.duckdb"))  # a load: one declaration fewer
    con.execute("DELETE FROM node_Declaration WHERE invt_no = (SELECT min(invt_no) "
                "FROM node_Declaration)")
    con.close()
    after = statistics_specs(str(copy), "declarations")
    assert after is not before and after != before


def test_data_quality_reconciles(app):
    at = _page(app, "quality")
    assert any("holds for every table" in s.value for s in at.success), \
        [e.value for e in at.error]
    assert at.metric and int(at.metric[0].value.replace(",", "")) > 0  # quarantined rows


def test_query_page_runs_read_only_cypher(app):
    at = _page(app, "query")
    at.button(key="q_run").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any("rows in" in c.value for c in at.caption)
    assert at.get("iframe"), "the returned enterprises are drawn"
    at.text_area(key="q_text").input("MATCH (n:Person) SET n.name = 'x' RETURN n").run()
    at.button(key="q_run").click().run()
    assert any("read-only" in e.value for e in at.error)


def test_staging_busy_is_said_not_hung(world, monkeypatch, tmp_path):
    """A load holding DuckDB's write lock: the statistics say so instead of failing."""
    import subprocess
    import sys

    from ui.components.data import StagingBusy, read_staging

    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "staging.duckdb").write_bytes((world.workspace / "staging.duckdb").read_bytes())
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
        "print('locked', flush=True); time.sleep(60)"), str(ws / "staging.duckdb")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(StagingBusy, match="cbec load"):
            read_staging(ws, {"n": "SELECT 1"})
    finally:
        holder.kill()
        holder.wait()


# -- the drawing, without a browser ---------------------------------------------------------
def _star(n: int) -> Subgraph:
    hub = NodeRef("Enterprise", "S")
    sg = Subgraph({hub: {"name": "Seller"}})
    for i in range(n - 1):
        r = NodeRef("Person", f"p{i}")
        sg.nodes[r] = {"name": f"P {i}"}
        sg.edges.append((r, "BUYER", hub, {}))
    return sg


@pytest.mark.parametrize("n", [5, 400])  # physics stabilised; computed layout, physics off
def test_drawing_is_self_contained(n):
    page = render_html(_star(n), risk={NodeRef("Enterprise", "S"): 0.9})
    assert remote_references(page) == [], remote_references(page)
    assert "cdn" not in page.lower().split("</script>")[-1]  # nothing after the inline JS
    assert "risk 0.90" in page and "BUYER" in page
    assert ('"physics": false' in page or '"enabled": false' in page) == (n > 100)


def test_size_guard_refuses_a_frozen_browser():
    with pytest.raises(TooLarge, match="lower the hops"):
        render_html(_star(DRAW_MAX + 1))


def test_cbec_app_command_is_registered():
    from typer.testing import CliRunner

    from cbec_cli import app

    out = CliRunner().invoke(app, ["app", "--help"])
    assert out.exit_code == 0 and "--workspace" in out.output and "--port" in out.output
