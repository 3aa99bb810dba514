"""The trees' stacked rule columns: computed from the model's own columns only."""

from __future__ import annotations

import pandas as pd

from graph.detection.model import RULE_PREFIX, _with_rules, columns_for


def test_tabular_rules_see_no_graph_column():
    # 10 people's orders funnelled onto one address of one seller: a graph fact (T1)
    X = pd.DataFrame({"addr_n_persons": [10.0], "addr_n_sellers": [1.0], "pivot_hub": [0.0],
                      "value_cny": [100.0]})
    graph = _with_rules(X, columns_for("graph", rules=True))
    tab = _with_rules(X, columns_for("tabular", rules=True))
    assert graph[RULE_PREFIX + "T1_id_funnel"].iloc[0] == 10
    assert tab[RULE_PREFIX + "T1_id_funnel"].iloc[0] == 0
    assert not any(c.startswith(RULE_PREFIX) for c in columns_for("graph", rules=False))
