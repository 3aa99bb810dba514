"""Heterogeneous GNN over declarations and the parties and identifiers they share.

``fit_predict_gnn(con, train_end=..., predict_start=..., predict_end=...)`` trains on
inspection outcomes before ``train_end`` and scores later declarations; ``load_gnn(path)``
reads a saved model. Needs torch and torch-geometric (the ``ml`` extra); importing this
package without them works, and using it raises :class:`GnnUnavailable` saying what to
install. Modules: ``hetero_graph`` (edge lists from DuckDB staging), ``node_features``,
``model`` (HeteroConv + SAGEConv), ``train``, ``deps``. Labels come from
``graph.detection.labels``.
"""

from __future__ import annotations

from graph.detection.gnn.deps import GnnUnavailable

__all__ = ["fit_predict_gnn", "load_gnn", "GnnResult", "GnnConfig", "GnnUnavailable"]


def __getattr__(name: str):
    if name in ("fit_predict_gnn", "load_gnn", "GnnResult", "GnnConfig"):
        from graph.detection.gnn import train
        return getattr(train, name)
    raise AttributeError(name)
