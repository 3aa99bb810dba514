"""The staging-derived part of the base tables kept between runs of ``cbec score``, so one
more day reads one more day from staging instead of the whole history.

``<workspace>/detection/base.duckdb`` holds ``d0``, ``checks``, ``lines`` and ``links``
(``graph.detection.base.staging_rows``) of every declaration before the last run's
``until``, and the load ids of the staging rows they were read from. ``update`` reads again
only the declarations that need it (*refresh set*):

- declared in ``[since, until)`` (the new data);
- staged, or with lines or three-list results, from a load not seen before (a corrected
  list; the loader re-checks earlier lists of the people and firms a new load touches);
- with an order, waybill or payment edge from an unseen load (a payment arriving after its
  list), or a person given an ID number by an unseen load.

It deletes their old rows, inserts the new ones and points the temp views ``det_d0``,
``det_checks``, ``det_lines`` and ``det_links`` at the cache. The rows are then what a full
read of staging gives (``tests/test_detection_incremental.py``); staging tables without a
``_load_id`` column (hand-made test data) are taken as unchanged.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from graph.detection.base import drop_temp, staging_rows

__all__ = ["BaseCache", "PARTS"]

PARTS = ("d0", "checks", "lines", "links")
# staging tables whose unseen load ids mark declarations to read again, and the column
# holding the declaration's key
_DECL_TABLES = (("stg_declarations", "invt_no"), ("stg_declaration_lines", "invt_no"),
                ("stg_check_results", "invt_no"))
# edge tables whose new rows change an earlier declaration's links: decl-side key column
_EDGE_TABLES = ("FOR_ORDER", "SHIPPED_AS", "BUYER", "PAYS", "CONSIGNEE", "SHIP_TO", "CONTACT",
                "FROM_ACCOUNT", "PAYEE", "PAID_BY", "PROCESSED_BY", "HAS_ID")


class BaseCache:
    """The cache file of one workspace (see module doc)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.stats: dict[str, float] = {}

    def update(self, con, until: datetime, since: datetime | None) -> None:
        """Bring the cache to ``until`` and make the ``det_*`` views; ``since``: the last
        run's ``until`` (None: rebuild from the whole of staging)."""
        con.execute("DETACH DATABASE IF EXISTS detb")
        path = str(self.path).replace("'", "''")
        con.execute(f"ATTACH '{path}' AS detb (READ_WRITE)")
        prev = self._until(con)
        if since is None or prev is None or prev != since:
            self._rebuild(con, until)
        else:
            self._refresh(con, until, since)
        for part in PARTS:
            drop_temp(con, f"det_{part}")
            con.execute(f"CREATE OR REPLACE TEMP VIEW det_{part} AS SELECT * FROM detb.{part}")

    def _until(self, con) -> datetime | None:
        if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = "
                           "'detb' AND table_name = 'meta'").fetchone()[0]:
            return None
        row = con.execute("SELECT until FROM detb.meta").fetchone()
        return row[0] if row else None

    def _rebuild(self, con, until: datetime) -> None:
        staging_rows(con, "det_new_", "decl_time < $until", {"until": until})
        _load_ids(con, "detb_now")
        n = con.execute("SELECT count(*) FROM det_new_d0").fetchone()[0]
        con.execute("BEGIN")
        for part in PARTS:
            con.execute(f"CREATE OR REPLACE TABLE detb.{part} AS SELECT * FROM det_new_{part}")
        self._finish(con, until)
        self.stats = {"refreshed": n, "rebuilt": 1}

    def _refresh(self, con, until: datetime, since: datetime) -> None:
        _load_ids(con, "detb_now")
        con.execute("""CREATE OR REPLACE TEMP TABLE det_unseen AS
                       SELECT id FROM detb_now EXCEPT SELECT id FROM detb.loads""")
        keys = ["SELECT invt_no AS decl_key FROM stg_declarations WHERE decl_time >= $since "
                "AND decl_time < $until"]
        if con.execute("SELECT count(*) FROM det_unseen").fetchone()[0]:
            keys += _changed_keys(con)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE det_refresh AS
            SELECT DISTINCT k.decl_key FROM ({' UNION ALL '.join(keys)}) k
            JOIN stg_declarations s ON s.invt_no = k.decl_key AND s.decl_time < $until
        """, {"since": since, "until": until})
        staging_rows(con, "det_new_", "decl_time < $until AND invt_no IN "
                     "(SELECT decl_key FROM det_refresh)", {"until": until})
        con.execute("BEGIN")
        for part in PARTS:
            con.execute(f"DELETE FROM detb.{part} WHERE decl_key IN "
                        "(SELECT decl_key FROM det_refresh)")
            con.execute(f"INSERT INTO detb.{part} SELECT * FROM det_new_{part}")
        self._finish(con, until)
        self.stats = {"refreshed": con.execute("SELECT count(*) FROM det_refresh").fetchone()[0],
                      "rebuilt": 0}

    def _finish(self, con, until: datetime) -> None:
        con.execute("CREATE OR REPLACE TABLE detb.loads AS SELECT id FROM detb_now")
        con.execute("CREATE OR REPLACE TABLE detb.meta AS SELECT $until::TIMESTAMP AS until",
                    {"until": until})
        con.execute("COMMIT")
        for part in PARTS:
            con.execute(f"DROP TABLE IF EXISTS temp.det_new_{part}")


def _has_load_id(con, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND "
                            "column_name = '_load_id' AND database_name <> 'detb' "
                            "AND schema_name = 'main'",
                            [table]).fetchone()[0])


def _load_ids(con, name: str) -> None:
    """Temp table ``name(id)``: the load ids in the staging tables the cache reads."""
    tables = [t for t, _ in _DECL_TABLES] + [f"edge_{e}" for e in _EDGE_TABLES]
    parts = [f"SELECT DISTINCT _load_id AS id FROM {t}" for t in tables if _has_load_id(con, t)]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS "
                + (" UNION ".join(parts) if parts else "SELECT NULL::VARCHAR AS id LIMIT 0"))


def _changed_keys(con) -> list[str]:
    """SQL selects of the declarations an unseen load changed (see module doc)."""
    new = "_load_id IN (SELECT id FROM det_unseen)"
    out = [f"SELECT {col} FROM {t} WHERE {new}" for t, col in _DECL_TABLES
           if _has_load_id(con, t)]
    if not all(_has_load_id(con, f"edge_{e}") for e in _EDGE_TABLES):
        return out
    # decl-side keys of new edges: declarations, orders, waybills, payments, people
    con.execute("CREATE OR REPLACE TEMP TABLE det_newkeys AS "
                + " UNION ".join(f"SELECT from_key AS k FROM edge_{e} WHERE {new}"
                                 for e in _EDGE_TABLES)
                + f" UNION SELECT to_key FROM edge_PAYS WHERE {new}")
    out += [
        "SELECT k FROM det_newkeys",
        "SELECT e.from_key FROM edge_FOR_ORDER e JOIN det_newkeys n ON n.k = e.to_key",
        "SELECT e.from_key FROM edge_SHIPPED_AS e JOIN det_newkeys n ON n.k = e.to_key",
        "SELECT o.from_key FROM edge_PAYS p JOIN det_newkeys n ON n.k = p.from_key "
        "JOIN edge_FOR_ORDER o ON o.to_key = p.to_key",
        "SELECT l.decl_key FROM detb.links l JOIN det_newkeys n ON n.k = l.key "
        "WHERE l.label = 'Person'",
    ]
    return out
