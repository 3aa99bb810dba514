"""The point-in-time base tables every detection step reads, built in DuckDB from staging.

``build_base(con, until)`` makes three temporary tables in the staging connection, from
declarations declared before ``until`` only (nothing later is ever read, so a feature of a
month does not change when a later month is loaded):

``det_decl``
    one row per declaration: time, direction, channel, destination, seller, agent,
    carrier, weights, value in CNY, line aggregates (brand omitted, generic names, unit
    value against the as-of reference price, weight-implied quantity) and three-list flags.
``det_links``
    ``(decl_key, decl_time, label, key, role)``: who and what each declaration involves
    (seller, agent, carrier, buyer, consignee address and phone, payer, accounts, ID).
``det_static``
    register links between entities (an enterprise's phone, address, legal representative
    and accounts; a person's ID, phone, address, accounts; entity resolution's SAME_AS),
    kept only for entities active before ``until``.

The inspection outcome (``node_Declaration.outcome``) is never read here: it is the label.
"""

from __future__ import annotations

from datetime import datetime

from etl.checks.amounts import FX_TO_CNY

__all__ = ["build_base", "staging_rows", "drop_temp", "GENERIC_WORDS", "TL_FLAGS",
           "generic_name_sql", "exact_agg"]

# A goods name made only of these words says nothing a customs officer can check ("plastic
# toy", "vinyl figure", "gift"): domain.md T5/T6 "generic names".
GENERIC_WORDS = ("toy", "toys", "article", "articles", "sample", "samples", "goods", "gift",
                 "gifts", "part", "parts", "accessory", "accessories", "figure", "figures",
                 "item", "items", "product", "products", "plastic", "vinyl", "plush", "rubber",
                 "metal", "cloth", "textile", "daily", "necessities", "sundries", "general",
                 "merchandise", "doll", "dolls", "ornament", "ornaments", "decoration")
# Three-list checks whose failure is a feature of its own (the rest only count).
TL_FLAGS = ("TL-00", "TL-06", "TL-07", "TL-08", "TL-10", "TL-12", "TL-15", "TL-18", "TL-19",
            "TL-22", "EX-01", "EX-02", "EX-03", "EX-04")


def generic_name_sql(col: str) -> str:
    """SQL: TRUE when every word of ``col`` is a generic word."""
    words = ", ".join(f"'{w}'" for w in GENERIC_WORDS)
    return (f"(list_count(list_filter(string_split(lower(trim(coalesce({col}, ''))), ' '), "
            f"lambda w: w <> '' AND NOT list_contains([{words}], w))) = 0)")


def exact_agg(fn: str, expr: str) -> str:
    """SQL ``fn`` (``sum`` or ``avg``) of a DOUBLE expression summed as a decimal (6
    places): a parallel float sum depends on DuckDB's row order in its last bits, and the
    features must be the same in every run (``tests/test_detection_reproducible.py``)."""
    return f"CAST({fn}(CAST({expr} AS DECIMAL(38, 6))) AS DOUBLE)"


def _fx_case(col: str) -> str:
    whens = " ".join(f"WHEN '{c}' THEN {r}" for c, r in FX_TO_CNY.items())
    return f"(CASE upper({col}) {whens} ELSE NULL END)"


def build_base(con, until: datetime, *, since: datetime | None = None,
               cache=None) -> dict[str, int]:
    """Create ``det_decl``, ``det_links`` and ``det_static`` as of ``until`` (exclusive).

    ``since`` does not limit what is read (history is needed); it only marks the rows to
    score (``det_decl.in_window``). ``cache``: a ``graph.detection.base_cache.BaseCache``
    holding the staging-derived rows of earlier runs; only the rows it lacks are read from
    staging (incremental scoring). Returns row counts.
    """
    if cache is None:
        staging_rows(con, "det_", "decl_time < $until", {"until": until})
    else:
        cache.update(con, until, since)
    derived_tables(con, since)
    _static(con, until)
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("det_decl", "det_links", "det_static")}


def drop_temp(con, name: str) -> None:
    """Drop the temp table or view ``name`` if there is one."""
    kind = con.execute("SELECT 'VIEW' FROM duckdb_views() WHERE temporary AND view_name = $n "
                       "UNION ALL SELECT 'TABLE' FROM duckdb_tables() WHERE temporary AND "
                       "table_name = $n", {"n": name}).fetchone()
    if kind:
        con.execute(f"DROP {kind[0]} temp.{name}")


def staging_rows(con, prefix: str, where: str, params: dict) -> None:
    """Temp tables ``{prefix}d0``, ``{prefix}checks``, ``{prefix}lines`` and
    ``{prefix}links`` of the declarations of ``stg_declarations`` matching ``where``: the
    part of the base tables read from staging, one row set per declaration."""
    tl_cols = ", ".join(
        f"max(CASE WHEN check_id = '{c}' AND status <> 'pass' THEN 1 ELSE 0 END) AS "
        f"tl_{c.replace('-', '').lower()}" for c in TL_FLAGS)
    for part in ("d0", "checks", "lines", "links"):  # views on a cache of an earlier run
        drop_temp(con, f"{prefix}{part}")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {prefix}d0 AS
        SELECT invt_no AS decl_key, decl_time, ie_flag, channel, trade_mode, country,
               ebc_code AS seller, agent_code AS agent, logistics_code AS carrier,
               ebp_code AS platform, nullif(owner_code, 'NO') AS owner, order_no,
               gross_weight, net_weight, currency,
               {_fx_case('currency')} AS fx, customs_code
        FROM stg_declarations WHERE {where}
    """, params)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {prefix}checks AS
        SELECT c.invt_no AS decl_key, count(*) FILTER (WHERE status <> 'pass') AS tl_fail_count,
               {tl_cols}
        FROM stg_check_results c JOIN {prefix}d0 d ON d.decl_key = c.invt_no
        GROUP BY c.invt_no
    """)
    generic = generic_name_sql("l.gname")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {prefix}lines AS
        SELECT l.invt_no AS decl_key, d.ie_flag, l.gcode, l.unit, l.gname, l.brand_type,
               l.brand, l.qty, l.price * coalesce({_fx_case('l.currency')}, d.fx) AS price_cny,
               l.total_price * coalesce({_fx_case('l.currency')}, d.fx) AS total_cny,
               {generic} AS generic, d.net_weight, d.decl_time
        FROM stg_declaration_lines l JOIN {prefix}d0 d ON d.decl_key = l.invt_no
    """)
    _links(con, prefix)


def derived_tables(con, since: datetime | None) -> None:
    """``det_ref``, ``det_lineagg`` and ``det_decl`` from ``det_d0``, ``det_lines`` and
    ``det_checks``. Recomputed over the whole history on every run: the as-of reference
    prices move with every list, and so do the price ratios of earlier lists."""
    # As-of reference unit prices and unit weights (per HS code, unit and direction), from
    # the lines declared before `until`: a robust median, so a ring cannot move it alone.
    con.execute("""
        CREATE OR REPLACE TEMP TABLE det_ref AS
        WITH single AS (SELECT decl_key FROM det_lines GROUP BY 1 HAVING count(*) = 1)
        SELECT l.gcode, l.unit, l.ie_flag, median(l.price_cny) AS ref_price,
               median(CASE WHEN s.decl_key IS NOT NULL AND l.qty > 0
                           THEN l.net_weight / l.qty END) AS ref_unit_weight,
               count(*) AS ref_n
        FROM det_lines l LEFT JOIN single s USING (decl_key)
        WHERE l.price_cny > 0
        GROUP BY ALL HAVING count(*) >= 20
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE det_lineagg AS
        SELECT l.decl_key, count(*) AS n_lines, {exact_agg("sum", "l.qty")} AS total_qty,
               {exact_agg("sum", "l.total_cny")} AS lines_value_cny,
               avg(CASE WHEN coalesce(l.brand_type, 0) = 0 OR l.brand IS NULL
                        THEN 1.0 ELSE 0.0 END) AS brand_omit_share,
               avg(CASE WHEN l.generic THEN 1.0 ELSE 0.0 END) AS generic_share,
               max(coalesce(l.brand_type, 0)) AS max_brand_type,
               min(l.price_cny / nullif(r.ref_price, 0)) AS min_price_ratio,
               {exact_agg("sum", "l.qty * r.ref_unit_weight")} AS ref_weight,
               count(DISTINCT l.gcode) AS n_hs
        FROM det_lines l LEFT JOIN det_ref r USING (gcode, unit, ie_flag)
        GROUP BY 1
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE det_decl AS
        SELECT d.*, strftime(d.decl_time, '%Y-%m') AS month,
               d.decl_time >= $since AS in_window,
               coalesce(a.lines_value_cny, 0) AS value_cny,
               coalesce(a.n_lines, 0) AS n_lines, coalesce(a.total_qty, 0) AS total_qty,
               coalesce(a.brand_omit_share, 1) AS brand_omit_share,
               coalesce(a.generic_share, 0) AS generic_share,
               coalesce(a.max_brand_type, 0) AS max_brand_type,
               a.min_price_ratio, coalesce(a.n_hs, 0) AS n_hs,
               -- units the net weight implies at the reference weight per unit, over units
               -- declared: > 1 when the parcel weighs more than the declared goods
               d.net_weight / nullif(a.ref_weight, 0) AS implied_qty_ratio,
               coalesce(a.lines_value_cny, 0) / greatest(d.gross_weight, 0.01) AS value_per_kg,
               c.* EXCLUDE (decl_key)
        FROM det_d0 d LEFT JOIN det_lineagg a USING (decl_key)
        LEFT JOIN det_checks c USING (decl_key)
    """, {"since": since or datetime(1900, 1, 1)})


def _links(con, prefix: str) -> None:
    """Declaration -> entity links through orders, waybills and payments, of the
    declarations of ``{prefix}d0``."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {prefix}links AS
        WITH d AS (SELECT decl_key, decl_time, seller, agent, carrier, owner FROM {prefix}d0),
        ord AS (SELECT e.from_key AS decl_key, e.to_key AS order_key
                FROM edge_FOR_ORDER e JOIN d ON d.decl_key = e.from_key),
        wb AS (SELECT e.from_key AS decl_key, e.to_key AS wb_key
               FROM edge_SHIPPED_AS e JOIN d ON d.decl_key = e.from_key),
        pay AS (SELECT o.decl_key, e.from_key AS pay_key
                FROM edge_PAYS e JOIN ord o ON o.order_key = e.to_key),
        raw AS (
            SELECT decl_key, 'Enterprise' AS label, seller AS key, 'seller' AS role FROM d
            UNION ALL SELECT decl_key, 'Enterprise', agent, 'agent' FROM d
            UNION ALL SELECT decl_key, 'Enterprise', carrier, 'carrier' FROM d
            UNION ALL SELECT decl_key, 'Enterprise', owner, 'owner' FROM d
            UNION ALL SELECT e.from_key, 'Person', e.to_key, 'buyer'
                      FROM edge_BUYER e JOIN d ON d.decl_key = e.from_key
                      WHERE e.from_label = 'Declaration'
            UNION ALL SELECT o.decl_key, 'Person', e.to_key, 'consignee'
                      FROM edge_CONSIGNEE e JOIN ord o ON o.order_key = e.from_key
            UNION ALL SELECT o.decl_key, 'Address', e.to_key, 'address'
                      FROM edge_SHIP_TO e JOIN ord o ON o.order_key = e.from_key
            UNION ALL SELECT w.decl_key, 'Address', e.to_key, 'address'
                      FROM edge_SHIP_TO e JOIN wb w ON w.wb_key = e.from_key
            UNION ALL SELECT o.decl_key, 'Phone', e.to_key, 'phone'
                      FROM edge_CONTACT e JOIN ord o ON o.order_key = e.from_key
            UNION ALL SELECT w.decl_key, 'Phone', e.to_key, 'phone'
                      FROM edge_CONTACT e JOIN wb w ON w.wb_key = e.from_key
            UNION ALL SELECT p.decl_key, 'Phone', e.to_key, 'phone'
                      FROM edge_CONTACT e JOIN pay p ON p.pay_key = e.from_key
            UNION ALL SELECT p.decl_key, 'PaymentAccount', e.to_key, 'account'
                      FROM edge_FROM_ACCOUNT e JOIN pay p ON p.pay_key = e.from_key
            UNION ALL SELECT p.decl_key, 'PaymentAccount', e.to_key, 'payee'
                      FROM edge_PAYEE e JOIN pay p ON p.pay_key = e.from_key
            UNION ALL SELECT p.decl_key, 'Person', e.to_key, 'payer'
                      FROM edge_PAID_BY e JOIN pay p ON p.pay_key = e.from_key
            UNION ALL SELECT p.decl_key, 'Enterprise', e.to_key, 'payfirm'
                      FROM edge_PROCESSED_BY e JOIN pay p ON p.pay_key = e.from_key
        )
        SELECT DISTINCT r.decl_key, d.decl_time, r.label, r.key, r.role
        FROM raw r JOIN d USING (decl_key) WHERE r.key IS NOT NULL
    """)
    # a person's ID number is the same human: linked to the declaration as role "id"
    con.execute(f"""
        INSERT INTO {prefix}links
        SELECT DISTINCT l.decl_key, l.decl_time, 'IdNumber', h.to_key, 'id'
        FROM {prefix}links l JOIN edge_HAS_ID h ON h.from_key = l.key
        WHERE l.label = 'Person'
    """)


def _static(con, until: datetime) -> None:
    """Register links between entities seen before ``until``."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE det_active AS
        SELECT DISTINCT label, key FROM det_links
    """)
    # A person's register phone and home address are left out: a stolen ID's real home
    # (and the family living there) is not part of the ring that abuses the ID; what people
    # do together shows in their declarations.
    types = ("HAS_PHONE", "LOCATED_AT", "REPRESENTED_BY", "HOLDS", "HAS_ID", "SAME_AS")
    parts = [f"SELECT from_label, from_key, to_label, to_key, '{t}' AS type FROM edge_{t}"
             + (" WHERE from_label = 'Enterprise'" if t in ("HAS_PHONE", "LOCATED_AT")
                else "") for t in types]
    # an enterprise's register entry counts from its registration on, whether or not it
    # declared anything yet (a dormant predecessor shares its phone with its successor)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE det_static AS
        SELECT DISTINCT e.* FROM ({' UNION ALL '.join(parts)}) e
        WHERE (e.from_label, e.from_key) IN (SELECT label, key FROM det_active)
           OR (e.from_label = 'Enterprise' AND e.from_key IN (
                   SELECT enterprise_code FROM stg_enterprises
                   WHERE registered_date IS NULL OR registered_date < $until))
    """, {"until": until})
