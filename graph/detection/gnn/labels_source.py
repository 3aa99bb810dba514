"""Training labels for the GNN: inspected declarations before ``train_end`` only.

The labels are ``graph.detection.labels.training_labels`` (branch ``detect``). Until that
module is merged, :func:`inspection_labels` stands in with the agreed interface: seized = 1,
clean = 0, for declarations declared before ``train_end``; ``amended`` (duty reassessed, no
seizure) is left out.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["training_labels", "inspection_labels"]


def inspection_labels(con, train_end) -> pd.DataFrame:
    """decl_key, label: outcomes of inspected declarations declared before ``train_end``."""
    return con.execute(
        "SELECT d.invt_no AS decl_key, CAST(max(i.outcome = 'seized') AS INTEGER) AS label "
        "FROM stg_inspections i JOIN stg_declarations d USING (invt_no) "
        "WHERE d.decl_time < $cut AND i.outcome IN ('seized', 'clean') "
        "GROUP BY d.invt_no ORDER BY d.invt_no", {"cut": pd.Timestamp(train_end)}).df()


def training_labels(con, train_end) -> pd.DataFrame:
    """The detection package's labels when present, else :func:`inspection_labels`."""
    try:
        from graph.detection.labels import training_labels as detect_labels
    except ImportError:
        return inspection_labels(con, train_end)
    return detect_labels(con, train_end)
