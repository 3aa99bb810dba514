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
            f"count(*) AS declarations, sum(value_cny) AS value_cny FROM {_DECL} "
            f"GROUP BY ALL ORDER BY month, {dim}")


STATISTICS: dict[str, str] = {
    "by_channel": _by("channel"),
    "by_trade_mode": _by("trade_mode"),
    "by_direction": _by("direction"),
    "by_destination": f"""SELECT coalesce(country, '(none)') AS country, direction,
        count(*) AS declarations, sum(value_cny) AS value_cny FROM {_DECL}
        GROUP BY ALL ORDER BY declarations DESC LIMIT 40""",
    "indicator_hits": f"""SELECT check_id, month, count(*) AS hits FROM (
        SELECT unnest(string_split(tl_failed, '|')) AS check_id, month FROM {_DECL}
        WHERE tl_failed IS NOT NULL AND tl_failed <> '') GROUP BY ALL ORDER BY check_id, month""",
    "inspections": f"""SELECT month, channel, count(*) AS declarations,
        count(*) FILTER (WHERE inspected) AS inspected,
        count(*) FILTER (WHERE outcome = 'seized') AS seized,
        count(*) FILTER (WHERE outcome = 'amended') AS amended
        FROM {_DECL} GROUP BY ALL ORDER BY month, channel""",
    "seizure_reasons": """SELECT reason, count(*) AS seizures, sum(value) AS value_cny
        FROM stg_seizures GROUP BY ALL ORDER BY seizures DESC""",
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
    "check_rates": """SELECT r.check_id, strftime(d.decl_time, '%Y-%m') AS month,
        count(*) AS checked, count(*) FILTER (WHERE r.status = 'fail') AS failed,
        count(*) FILTER (WHERE r.status = 'risk') AS risk
        FROM stg_check_results r JOIN stg_declarations d USING (invt_no)
        GROUP BY ALL ORDER BY r.check_id, month""",
}


def quarantine_sample(limit: int = 200) -> dict[str, str]:
    """The latest quarantined rows with file, row, field and reason."""
    return {"quarantine_sample": f"""SELECT load_id, table_name, source_file, source_row,
        field, reason, row_json FROM quarantine ORDER BY load_id DESC, source_file,
        source_row LIMIT {int(limit)}"""}
