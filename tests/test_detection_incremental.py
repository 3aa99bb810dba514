"""Incremental scoring reads only what is new, and gives the features a full read gives."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from graph.detection.base_cache import BaseCache
from graph.detection.entity_risk import RING_ROLES, EntityRisk
from graph.detection.features import TABULAR_COLUMNS, build_features
from graph.detection.rings import entity_scores
from tests.detection_world import decl, make_staging

T0 = datetime(2025, 4, 1)
CUT = T0 + timedelta(days=20)  # the last run scored everything before this
END = T0 + timedelta(days=21)  # ...and this run scores one more day


def _world() -> list[dict]:
    ds = []
    for i in range(21):  # one list a day per seller, each buyer back every third day
        for s in ("S1", "S2"):
            ds.append(decl(f"{s}D{i}", T0 + timedelta(days=i, hours=10), s,
                           buyer=f"id:{s}P{i % 3}", address=f"{s}A{i % 2}",
                           phone=f"{s}PH", account=f"{s}AC{i % 4}", value=100 + 10 * i,
                           ie="E" if i % 2 else "I", country=("US", "DE", "FR")[i % 3],
                           channel=("express", "postal")[i % 2], weight=1 + i % 3,
                           checks=("TL-19",) if i % 5 == 0 else ()))
    # a third seller new on the last day, sharing an address with S1
    ds.append(decl("S3D20", T0 + timedelta(days=20, hours=12), "S3", buyer="id:N1",
                   address="S1A0", value=4900))
    return ds


def _stamp(con, load: str) -> None:
    """Give every staging and edge table a ``_load_id`` column, as the loader does."""
    for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND "
                            "(table_name LIKE 'stg_%' OR table_name LIKE 'edge_%')").fetchall():
        con.execute(f"ALTER TABLE {t} ADD COLUMN _load_id VARCHAR DEFAULT '{load}'")


def _late_load(con) -> None:
    """A later load re-checks an earlier list of S1 and adds a payment account to one."""
    con.execute("INSERT INTO stg_check_results VALUES ('S1D3', 'TL-18', 'fail', 'L2')")
    con.execute("INSERT INTO edge_FROM_ACCOUNT VALUES ('Payment', 'PS1D4', 'PaymentAccount', "
                "'S1LATE', 'L2')")


@pytest.mark.parametrize("late", [False, True])
def test_one_more_day_from_the_cache_equals_a_full_read(tmp_path, late):
    con = make_staging(_world())
    _stamp(con, "L1")
    cache = BaseCache(tmp_path / "base.duckdb")
    first = build_features(con, CUT, label_end=CUT, cache=cache)
    assert cache.stats["rebuilt"] == 1
    if late:
        _late_load(con)
    graph = (first.graph, first.nodes)
    inc = build_features(con, END, since=CUT, label_end=END, graph=graph, cache=cache)
    assert cache.stats["rebuilt"] == 0
    # the new day's 3 lists, plus the 2 earlier ones the late load changed
    assert cache.stats["refreshed"] == 3 + (2 if late else 0)
    assert list(inc.X.index) == ["S1D20", "S2D20", "S3D20"]
    ref = make_staging(_world())
    _stamp(ref, "L1")
    if late:
        _late_load(ref)
    full = build_features(ref, END, since=CUT, label_end=END)
    pd.testing.assert_frame_equal(inc.X[TABULAR_COLUMNS], full.X[TABULAR_COLUMNS])
    # graph columns come from the earlier run's graph: as a full read given that graph
    same_graph = build_features(ref, END, since=CUT, label_end=END, graph=graph)
    pd.testing.assert_frame_equal(inc.X, same_graph.X)
    if late:  # the late load matters, so a cache that missed it would fail above
        before = build_features(make_staging(_world()), END, since=CUT, label_end=END)
        assert (before.X.loc["S1D20", "seller_tl_fail_rate"]
                != full.X.loc["S1D20", "seller_tl_fail_rate"])


def test_a_cache_of_another_point_in_time_is_rebuilt(tmp_path):
    con = make_staging(_world())
    _stamp(con, "L1")
    cache = BaseCache(tmp_path / "base.duckdb")
    build_features(con, CUT - timedelta(days=2), label_end=CUT, cache=cache)
    build_features(con, END, since=CUT, label_end=END, cache=cache)
    assert cache.stats["rebuilt"] == 1


def test_entity_risk_of_one_more_day_equals_a_full_recompute(tmp_path):
    con = make_staging(_world())
    _stamp(con, "L1")
    cache = BaseCache(tmp_path / "base.duckdb")
    first = build_features(con, CUT, label_end=CUT, cache=cache)
    # any scores will do, with ties (value-based) and a new best for some entities
    old = (first.X["value_cny"] % 70 / 70).rename("score")
    risk = EntityRisk("ring", RING_ROLES)
    risk.rebuild(con, old)
    day = build_features(con, END, since=CUT, label_end=END, graph=(first.graph, first.nodes),
                         cache=cache)
    new = (day.X["value_cny"] % 70 / 70 + 0.5).rename("score")
    touched = risk.update(con, new)
    assert len(touched) and touched.risk.max() > 0.5
    links = con.execute("SELECT decl_key, label, key FROM det_links WHERE role IN "
                        f"{tuple(RING_ROLES)}").df()
    full = entity_scores(links, pd.concat([old, new]))
    pd.testing.assert_frame_equal(risk.all(con), full, check_dtype=False)
