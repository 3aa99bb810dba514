"""Entity risk (``rings.entity_scores``: the mean of an entity's 3 best declaration scores,
and its number of lists) kept between runs of ``cbec score``, so one more day updates the
entities the day touches instead of re-reading every link.

Two tables in the base cache (``graph.detection.base_cache``, attached as ``detb``) per
role set: ``risk_top_<name>`` (the 3 best scores of each entity, one row each) and
``risk_<name>`` (risk, n_decl). A day's lists only add scores (earlier lists keep theirs
until ``--full``), so an entity's 3 best are the 3 best of its old 3 and its new ones, and
the mean is taken over the same values in the same order as a full recompute: the result
is identical. When earlier lists changed (a late load refreshed them in the base cache) or
the day's lists were scored before, the tables are rebuilt from every link.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from graph.detection.rings import TX_ROLES, entity_scores, top_rows

__all__ = ["EntityRisk", "RING_ROLES"]

RING_ROLES = TX_ROLES  # the rings' entity risk: people, identifiers and sellers


class EntityRisk:
    """The risk tables of one role set (``roles`` None: every role)."""

    def __init__(self, name: str, roles: tuple[str, ...] | None = None) -> None:
        self.name, self.roles = name, roles
        self.top, self.risk = f"detb.risk_top_{name}", f"detb.risk_{name}"

    def _links(self, con, window_only: bool) -> pd.DataFrame:
        where = []
        if self.roles is not None:
            where.append("role IN (" + ", ".join(f"'{r}'" for r in self.roles) + ")")
        if window_only:
            where.append("decl_key IN (SELECT decl_key FROM det_decl WHERE in_window)")
        return con.execute("SELECT decl_key, label, key FROM det_links"
                           + (" WHERE " + " AND ".join(where) if where else "")).df()

    def rebuild(self, con, decl_score: pd.Series) -> pd.DataFrame:
        """From every link; returns the risk of every entity."""
        top, n = top_rows(self._links(con, False), decl_score)
        return self._store(con, top[["label", "key", "score"]], entity_scores(top, None, n),
                           replace=True)

    def update(self, con, new_score: pd.Series) -> pd.DataFrame:
        """Add the window's lists (scored ``new_score``); returns the touched entities."""
        new = self._links(con, True)
        new = new[new.decl_key.isin(new_score.index)]
        touched = new[["label", "key"]].drop_duplicates()
        con.register("det_touched", touched)
        try:
            old_top = con.execute(f"SELECT t.label, t.key, t.score FROM {self.top} t "
                                  "JOIN det_touched USING (label, key)").df()
            old_n = con.execute(f"SELECT r.label, r.key, r.n_decl FROM {self.risk} r "
                                "JOIN det_touched USING (label, key)").df()
        finally:
            con.unregister("det_touched")
        top, n = top_rows(new, new_score)
        rows = pd.concat([old_top, top[["label", "key", "score"]]], ignore_index=True)
        top, _ = top_rows(rows[["label", "key"]].assign(decl_key=np.arange(len(rows))),
                          pd.Series(rows["score"].to_numpy()))
        n = n.add(old_n.set_index(["label", "key"])["n_decl"], fill_value=0).astype("int64")
        return self._store(con, top[["label", "key", "score"]], entity_scores(top, None, n),
                           replace=False)

    def all(self, con) -> pd.DataFrame:
        """Every entity's risk and lists, ordered as ``entity_scores`` orders them."""
        return con.execute(f"SELECT label, key, risk, n_decl FROM {self.risk} "
                           "ORDER BY label, key").df()

    def _store(self, con, top: pd.DataFrame, ent: pd.DataFrame, *,
               replace: bool) -> pd.DataFrame:
        con.register("det_new_top", top)
        con.register("det_new_risk", ent[["label", "key", "risk", "n_decl"]])
        try:
            if replace:
                con.execute(f"CREATE OR REPLACE TABLE {self.top} AS SELECT * FROM det_new_top")
                con.execute(f"CREATE OR REPLACE TABLE {self.risk} AS "
                            "SELECT * FROM det_new_risk")
            else:
                for t, src in ((self.top, "det_new_top"), (self.risk, "det_new_risk")):
                    con.execute(f"DELETE FROM {t} WHERE (label, key) IN "
                                f"(SELECT label, key FROM {src})")
                    con.execute(f"INSERT INTO {t} SELECT * FROM {src}")
        finally:
            con.unregister("det_new_top")
            con.unregister("det_new_risk")
        return ent
