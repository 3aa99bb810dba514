"""The time split and the only labels detection learns from: inspection outcomes.

Customs knows whether a declaration was fraudulent only when it inspected it, so training
labels are the outcomes of inspections (``stg_inspections``), never the synthetic answer key.
The split follows evaluation.md: the last two months are the test months, the month before
them validates (model choice, combination weights, thresholds), the rest trains.

Example
-------
>>> import duckdb
>>> con = duckdb.connect()
>>> _ = con.execute("CREATE TABLE stg_declarations AS SELECT 'D' || i AS invt_no, "
...     "TIMESTAMP '2025-01-15' + INTERVAL (i) MONTH AS decl_time FROM range(6) t(i)")
>>> s = month_split(con)
>>> s.train_months, s.valid_month, s.test_months
(['2025-01', '2025-02', '2025-03'], '2025-04', ['2025-05', '2025-06'])
>>> s.train_end, s.test_start
(datetime.datetime(2025, 4, 1, 0, 0), datetime.datetime(2025, 5, 1, 0, 0))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

__all__ = ["Split", "month_split", "training_labels", "month_start", "next_month",
           "POSITIVE_OUTCOMES"]

# "amended" is a finding too: the declaration was wrong and the duty reassessed.
POSITIVE_OUTCOMES = ("seized", "amended")


def month_start(month: str) -> datetime:
    """``"2025-04"`` -> ``datetime(2025, 4, 1)``."""
    y, m = month.split("-")
    return datetime(int(y), int(m), 1)


def next_month(month: str) -> str:
    """``"2025-12"`` -> ``"2026-01"``."""
    y, m = (int(x) for x in month.split("-"))
    return f"{y + (m == 12):04d}-{m % 12 + 1:02d}"


@dataclass(frozen=True)
class Split:
    """Months (``YYYY-MM``) for training, validation and test, and their boundaries."""

    train_months: list[str]
    valid_month: str
    test_months: list[str]

    @property
    def train_end(self) -> datetime:
        """Start of the validation month: training sees only what came before."""
        return month_start(self.valid_month)

    @property
    def valid_start(self) -> datetime:
        return month_start(self.valid_month)

    @property
    def test_start(self) -> datetime:
        """Start of the first test month (end of validation)."""
        return month_start(self.test_months[0])

    @property
    def test_end(self) -> datetime:
        """Start of the month after the last test month."""
        return month_start(next_month(self.test_months[-1]))

    @property
    def months(self) -> list[str]:
        return [*self.train_months, self.valid_month, *self.test_months]


def month_split(con) -> Split:
    """The split from the months that have declarations in ``stg_declarations``.

    Needs at least four months (one to train, one to validate, two to test); fewer raise a
    ``ValueError`` saying how many there are.
    """
    rows = con.execute("SELECT DISTINCT strftime(decl_time, '%Y-%m') AS m FROM stg_declarations "
                       "WHERE decl_time IS NOT NULL ORDER BY m").fetchall()
    months = [r[0] for r in rows]
    if len(months) < 4:
        raise ValueError(f"the time split needs declarations in at least 4 months (train, "
                         f"validation, two test months); staging has {len(months)}: {months}")
    return Split(months[:-3], months[-3], months[-2:])


def training_labels(con, train_end: datetime) -> pd.DataFrame:
    """Labels from inspections: ``decl_key`` (the list's ``invt_no``), ``label`` (1 seized or
    amended, 0 clean), ``outcome`` and ``decl_time``.

    Only declarations declared **and** inspected before ``train_end`` (an outcome not known
    yet at ``train_end`` is not a label yet). A list inspected twice takes its last outcome
    before ``train_end``.
    """
    return con.execute("""
        SELECT d.invt_no AS decl_key,
               CAST(i.outcome IN ('seized', 'amended') AS INTEGER) AS label,
               i.outcome, d.decl_time
        FROM stg_declarations d
        JOIN (SELECT invt_no, arg_max(outcome, inspection_time) AS outcome
              FROM stg_inspections
              WHERE inspection_time < $end AND outcome IS NOT NULL
              GROUP BY invt_no) i USING (invt_no)
        WHERE d.decl_time < $end
        ORDER BY d.decl_time, d.invt_no
    """, {"end": train_end}).df()
