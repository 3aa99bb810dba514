"""The SQL behind the Statistics and Data quality pages, over the workspace's staging.

Statistics (in the spirit of WCO Standard 14, CBEC data for risk management and statistics)
read the graph projection's ``node_Declaration`` (one row per declaration, with its value,
channel, trade mode, direction, country, three-list failures and inspection outcome);
data quality reads the load bookkeeping (``loads``, ``load_reports``, ``quarantine``) and
the three-list results (``stg_check_results``). Plain SQL, aggregated in DuckDB: the page
receives tens of rows, never the declarations themselves.
"""

from __future__ import annotations

from etl.checks.amounts import FX_TO_CNY

__all__ = ["STATISTICS", "DATA_QUALITY", "quarantine_sample"]

_FX = ("(SELECT * FROM (VALUES " + ", ".join(f"('{k}', {v})" for k, v in FX_TO_CNY.items())
       + ") fx(currency, rate))")
# declarations with their value in CNY (reference rates; other currencies NULL) and month
_DECL = f"""(SELECT d.*, strftime(d.decl_time, '%Y-%m') AS month,
    CASE d.ie_flag WHEN 'I' THEN 'import' WHEN 'E' THEN 'export' ELSE d.ie_flag END AS direction,
    d.total_value * fx.rate AS value_cny
  FROM node_Declaration d LEFT JOIN {_FX} fx ON upper(d.currency) = fx.currency)"""


def _by(dim: str) -> str:
    return (f"SELECT coalesce(CAST({dim} AS VARCHAR), '(none)') AS {dim}, month, "
            f"count(*) AS declarations, round(sum(value_cny), 2) AS value_cny FROM {_DECL} "
            f"GROUP BY ALL ORDER BY month, {dim}")


# Ties broken by name and sums rounded to the fen: the same staging gives the same rows in
# the same order, so the charts' specs (cached per staging state) compare equal.
STATISTICS: dict[str, str] = {
    "by_channel": _by("channel"),
    "by_trade_mode": _by("trade_mode"),
    "by_direction": _by("direction"),
    "by_destination": f"""SELECT coalesce(country, '(none)') AS country, direction,
        count(*) AS declarations, round(sum(value_cny), 2) AS value_cny FROM {_DECL}
        GROUP BY ALL ORDER BY declarations DESC, country, direction LIMIT 40""",
    "indicator_hits": f"""SELECT check_id, month, count(*) AS hits FROM (
        SELECT unnest(string_split(tl_failed, '|')) AS check_id, month FROM {_DECL}
        WHERE tl_failed IS NOT NULL AND tl_failed <> '') GROUP BY ALL ORDER BY check_id, month""",
    "inspections": f"""SELECT month, channel, count(*) AS declarations,
        count(*) FILTER (WHERE inspected) AS inspected,
        count(*) FILTER (WHERE outcome = 'seized') AS seized,
        count(*) FILTER (WHERE outcome = 'amended') AS amended
        FROM {_DECL} GROUP BY ALL ORDER BY month, channel""",
    "seizure_reasons": """SELECT reason, count(*) AS seizures, round(sum(value), 2) AS value_cny
        FROM stg_seizures GROUP BY ALL ORDER BY seizures DESC, reason""",
}

DATA_QUALITY: dict[str, str] = {
    "loads": """SELECT load_id, run, started, finished, status, input_dir, files
        FROM loads ORDER BY started DESC""",
    "reconciliation": """SELECT load_id, table_name, sum(rows_in) AS rows_in,
        sum(inserted) AS inserted, sum(updated) AS updated, sum(unchanged) AS unchanged,
        sum(quarantined) AS quarantined,
        sum(rows_in) - sum(inserted) - sum(updated) - sum(unchanged) - sum(quarantined)
          AS unaccounted
        FROM load_reports GROUP BY ALL ORDER BY load_id DESC, table_name""",
    "quarantine_reasons": """SELECT table_name, field,
        regexp_replace(reason, '[0-9]+(\\.[0-9]+)?', 'N', 'g') AS reason, count(*) AS rows
        FROM quarantine GROUP BY ALL ORDER BY rows DESC""",
    # Failure rates per check and month: non-passing results over the month's declarations
    # of the check's direction. From the projection's tl_failed (1M rows) rather than by
    # joining the 11M rows of stg_check_results to the declarations (20 s at 1M, loaded).
    "check_rates": f"""WITH fails AS (SELECT check_id, month, count(*) AS failed FROM (
          SELECT unnest(string_split(tl_failed, '|')) AS check_id, month FROM {_DECL}
          WHERE tl_failed IS NOT NULL AND tl_failed <> '') GROUP BY ALL),
        per_month AS (SELECT month, ie_flag, count(*) AS n FROM {_DECL} GROUP BY ALL),
        scope AS (SELECT * FROM (VALUES {{scopes}}) s(check_id, ie_flag))
        SELECT s.check_id, p.month, sum(p.n) AS in_scope,
               coalesce(max(f.failed), 0) AS failed
        FROM scope s JOIN per_month p USING (ie_flag)
        LEFT JOIN fails f ON f.check_id = s.check_id AND f.month = p.month
        GROUP BY ALL ORDER BY s.check_id, p.month""",
}


def _scopes() -> str:
    from etl.three_list import CHECKS

    return ", ".join(f"('{c.id}', '{f}')" for c in CHECKS for f in c.ie_flags)


DATA_QUALITY["check_rates"] = DATA_QUALITY["check_rates"].replace("{scopes}", _scopes())


def quarantine_sample(limit: int = 200) -> dict[str, str]:
    """The latest quarantined rows with file, row, field and reason."""
    return {"quarantine_sample": f"""SELECT load_id, table_name, source_file, source_row,
        field, reason, row_json FROM quarantine ORDER BY load_id DESC, source_file,
        source_row LIMIT {int(limit)}"""}
