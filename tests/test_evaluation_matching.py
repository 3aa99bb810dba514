"""Ring matching in `cbec evaluate`: true members no detector could attribute (not named by
the data up to the test end, shared providers) are left out of both sides."""

from __future__ import annotations

from types import SimpleNamespace

import duckdb
import pandas as pd

from graph.evaluation.evaluate import _attributable
from graph.evaluation.metrics import ring_metrics


def test_unnamed_members_and_shared_carriers_are_left_out_of_the_match():
    con = duckdb.connect()
    con.register("ent", pd.DataFrame({
        "label": ["Enterprise", "Enterprise", "Enterprise", "Phone"],
        "key": ["SELLER", "BIGCARRIER", "PRIVCARRIER", "+861"],
        "n_sellers": [1, 40, 2, 1]}))
    con.execute("CREATE TEMP TABLE det_ent AS SELECT * FROM ent")
    exp = SimpleNamespace(ring_fs=None)
    truth = {"S1": {"E:SELLER", "E:BIGCARRIER", "E:PRIVCARRIER", "T:+861", "E:FUTURE",
                    "I:GONE"},
             "S2": {"E:FUTURE2"}}
    fair, left_out = _attributable(con, exp, truth, {})
    assert fair == {"S1": {"E:SELLER", "E:PRIVCARRIER", "T:+861"}}  # S2: nothing named
    assert "E:BIGCARRIER" in left_out and "E:PRIVCARRIER" not in left_out
    pred = [{"E:SELLER", "E:PRIVCARRIER", "T:+861"}]
    # every true member: Jaccard 3/6 with S1 is a hit, but S2 is never found; one more
    # unnamed member and S1 is missed too. Attributable: S1 is the only ring, found.
    assert ring_metrics(pred, truth, 10)["recall"] == 0.5
    truth["S1"].add("I:GONE2")
    assert ring_metrics(pred, truth, 10)["recall"] == 0.0
    assert ring_metrics([p - left_out for p in pred], fair, 10)["recall"] == 1.0
