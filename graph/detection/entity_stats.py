"""Per-entity history as of a point in time, in DuckDB: what each seller, agent, carrier,
person, address, phone, account and ID did before ``until``.

Reads ``det_decl`` and ``det_links`` (``graph.detection.base``) and writes ``det_ent``:
one row per ``(label, key)`` with its volume, newness and bursts, destination concentration
(entropy, top-3 share, surge against its own past), channel mix, brand omission and generic
names, value per kg and against the reference price, weight-implied quantity, closeness to
the value thresholds, three-list failures, and its fan-out (distinct sellers, persons,
addresses) that tells a hub (a parcel locker used by hundreds of unrelated buyers) from a
drop point (a dozen IDs of one seller's orders).
"""

from __future__ import annotations

from datetime import datetime

from graph.detection.base import exact_agg

__all__ = ["build_entity_stats", "ENTITY_COLUMNS", "near_threshold_sql"]

# (low, high) value bands just under a limit, in CNY: RMB 5,000 per order and RMB 1,000 per
# postal parcel (import); EUR 150 and USD 800 abroad (export), at the reference rates.
THRESHOLD_BANDS = ((4500.0, 5000.0), (900.0, 1000.0), (150 * 7.8 * 0.9, 150 * 7.8),
                   (800 * 7.2 * 0.9, 800 * 7.2))


def near_threshold_sql(col: str) -> str:
    """SQL: TRUE when ``col`` (CNY) lies in a band just under a threshold."""
    return "(" + " OR ".join(f"({col} >= {lo:.2f} AND {col} < {hi:.2f})"
                             for lo, hi in THRESHOLD_BANDS) + ")"


ENTITY_COLUMNS = [
    "n_decl", "age_days", "active_days", "recent_share", "burst_share", "dormant_days",
    "n_sellers", "n_persons", "n_addresses", "n_countries", "dest_entropy", "top3_share",
    "dest_surge", "express_share", "postal_share", "cbec_share", "export_share",
    "brand_omit", "generic", "low_price_share", "implied_qty", "vpk_median", "near_thr_share",
    "tl_fail_rate", "value_sum",
]


PROVIDER_ROLES = ("agent", "carrier", "payfirm", "owner")
_LD_COLUMNS = ("decl_key", "decl_time", "seller", "country", "channel", "ie_flag",
               "brand_omit_share", "generic_share", "min_price_ratio", "implied_qty_ratio",
               "value_per_kg", "tl_fail_count", "value_cny")


def build_entity_stats(con, until: datetime, *, recent_days: int = 30,
                       touched_only: bool = False) -> int:
    """Create ``det_ent`` (see module doc); returns its rows. ``touched_only``: only the
    entities of the declarations in the window (incremental scoring: the cost follows the
    new data, not the history); those the window involves only as an agent, carrier,
    payment firm or owner get only ``n_decl`` and ``n_sellers``, all the features read of
    them (a carrier's history is a large share of all lists)."""
    near = near_threshold_sql("d.value_cny")
    only = ""
    if touched_only:
        roles = ", ".join(f"'{r}'" for r in PROVIDER_ROLES)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE det_touch AS
            SELECT label, key, bool_and(role IN ({roles})) AS light
            FROM det_links JOIN det_decl USING (decl_key) WHERE in_window GROUP BY ALL
        """)
        only = "WHERE (l.label, l.key) IN (SELECT label, key FROM det_touch WHERE NOT light)"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE det_ld AS
        -- only the columns read below: a link per row, ~6 per list (3 GB at 1M with d.*)
        SELECT l.label, l.key, l.role, {", ".join(f"d.{c}" for c in _LD_COLUMNS)},
               {near} AS near_thr
        FROM det_links l JOIN det_decl d USING (decl_key) {only}
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE det_fan AS
        WITH p AS (SELECT DISTINCT decl_key, key AS person FROM det_links WHERE label = 'Person'),
             a AS (SELECT DISTINCT decl_key, key AS addr FROM det_links WHERE label = 'Address')
        SELECT l.label, l.key, count(DISTINCT p.person) AS n_persons,
               count(DISTINCT a.addr) AS n_addresses
        FROM (SELECT DISTINCT label, key, decl_key FROM det_ld) l
        LEFT JOIN p USING (decl_key) LEFT JOIN a USING (decl_key)
        GROUP BY 1, 2
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE det_dest AS
        WITH c AS (SELECT label, key, country, count(DISTINCT decl_key) AS n,
                          count(DISTINCT decl_key) FILTER (WHERE decl_time >= $recent) AS nr
                   FROM det_ld WHERE ie_flag = 'E' GROUP BY ALL),
        t AS (SELECT label, key, sum(n) AS tot, sum(nr) AS totr FROM c GROUP BY ALL),
        r AS (SELECT c.*, t.tot, t.totr,
                     row_number() OVER (PARTITION BY c.label, c.key ORDER BY c.n DESC,
                                        c.country) AS rk
              FROM c JOIN t USING (label, key))
        SELECT label, key,
               -sum((n / tot) * ln(n / tot)) AS dest_entropy,
               sum(CASE WHEN rk <= 3 THEN n ELSE 0 END) / any_value(tot) AS top3_share,
               -- recent share of the top-3 destinations against the whole history's
               CASE WHEN any_value(totr) > 0 THEN
                   sum(CASE WHEN rk <= 3 THEN nr ELSE 0 END) / any_value(totr)
                   - sum(CASE WHEN rk <= 3 THEN n ELSE 0 END) / any_value(tot) END AS dest_surge
        FROM r GROUP BY 1, 2
    """, {"recent": _minus_days(until, recent_days)})
    con.execute("""
        CREATE OR REPLACE TEMP TABLE det_days AS
        SELECT label, key, max(n) AS max_day, count(*) AS n_days,
               max(gap) AS max_gap
        FROM (SELECT label, key, day, n,
                     date_diff('day', lag(day) OVER (PARTITION BY label, key ORDER BY day),
                               day) AS gap
              FROM (SELECT label, key, CAST(decl_time AS DATE) AS day,
                           count(DISTINCT decl_key) AS n
                    FROM det_ld GROUP BY ALL))
        GROUP BY 1, 2
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE det_ent AS
        WITH s AS (
            SELECT label, key, count(DISTINCT decl_key) AS n_decl,
                   min(decl_time) AS first_seen, max(decl_time) AS last_seen,
                   count(DISTINCT decl_key) FILTER (WHERE decl_time >= $recent) AS n_recent,
                   count(DISTINCT seller) AS n_sellers, count(DISTINCT country) AS n_countries,
                   avg(CASE WHEN channel = 'express' THEN 1.0 ELSE 0.0 END) AS express_share,
                   avg(CASE WHEN channel = 'postal' THEN 1.0 ELSE 0.0 END) AS postal_share,
                   avg(CASE WHEN channel = 'cbec' THEN 1.0 ELSE 0.0 END) AS cbec_share,
                   avg(CASE WHEN ie_flag = 'E' THEN 1.0 ELSE 0.0 END) AS export_share,
                   {exact_agg("avg", "brand_omit_share")} AS brand_omit,
                   {exact_agg("avg", "generic_share")} AS generic,
                   avg(CASE WHEN min_price_ratio < 0.5 THEN 1.0 ELSE 0.0 END)
                       AS low_price_share,
                   {exact_agg("avg", "implied_qty_ratio")} AS implied_qty,
                   median(value_per_kg) AS vpk_median,
                   avg(CASE WHEN near_thr THEN 1.0 ELSE 0.0 END) AS near_thr_share,
                   avg(CASE WHEN tl_fail_count > 0 THEN 1.0 ELSE 0.0 END) AS tl_fail_rate,
                   {exact_agg("sum", "value_cny")} AS value_sum
            FROM det_ld GROUP BY 1, 2)
        SELECT s.label, s.key, s.n_decl,
               date_diff('day', coalesce(least(CAST(e.registered_date AS TIMESTAMP),
                                               s.first_seen), s.first_seen), $until) AS age_days,
               date_diff('day', s.first_seen, s.last_seen) + 1 AS active_days,
               s.n_recent / s.n_decl AS recent_share,
               dd.max_day / s.n_decl AS burst_share,
               coalesce(dd.max_gap, 0) AS dormant_days,
               s.n_sellers, coalesce(f.n_persons, 0) AS n_persons,
               coalesce(f.n_addresses, 0) AS n_addresses, s.n_countries,
               coalesce(ds.dest_entropy, 0) AS dest_entropy, ds.top3_share, ds.dest_surge,
               s.express_share, s.postal_share, s.cbec_share, s.export_share, s.brand_omit,
               s.generic, s.low_price_share, s.implied_qty, s.vpk_median, s.near_thr_share,
               s.tl_fail_rate, s.value_sum
        FROM s LEFT JOIN det_fan f USING (label, key)
        LEFT JOIN det_dest ds USING (label, key)
        LEFT JOIN det_days dd USING (label, key)
        LEFT JOIN stg_enterprises e ON s.label = 'Enterprise' AND e.enterprise_code = s.key
    """, {"recent": _minus_days(until, recent_days), "until": until})
    if touched_only:
        con.execute("""
            INSERT INTO det_ent (label, key, n_decl, n_sellers)
            SELECT l.label, l.key, count(DISTINCT l.decl_key), count(DISTINCT d.seller)
            FROM det_links l JOIN det_decl d USING (decl_key)
            WHERE (l.label, l.key) IN (SELECT label, key FROM det_touch WHERE light)
            GROUP BY ALL
        """)
        con.execute("DROP TABLE det_touch")
    for t in ("det_ld", "det_fan", "det_dest", "det_days"):  # held to the end of scoring
        con.execute(f"DROP TABLE {t}")
    return con.execute("SELECT count(*) FROM det_ent").fetchone()[0]


def _minus_days(t: datetime, days: int) -> datetime:
    from datetime import timedelta

    return t - timedelta(days=days)
