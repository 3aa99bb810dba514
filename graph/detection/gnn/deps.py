"""Optional dependencies of the GNN: torch and torch-geometric (the ``ml`` extra)."""

from __future__ import annotations

import importlib
import warnings

__all__ = ["GnnUnavailable", "require_pyg"]


class GnnUnavailable(ImportError):
    """torch or torch-geometric is not installed: the GNN cannot run."""


def require_pyg():
    """Import torch and torch_geometric, or raise a clear error saying how to install them."""
    try:
        torch = importlib.import_module("torch")
        with warnings.catch_warnings():  # torch_geometric warns on import (stack-notes)
            warnings.simplefilter("ignore", DeprecationWarning)
            pyg = importlib.import_module("torch_geometric")
    except ImportError as exc:
        raise GnnUnavailable(
            f"the GNN needs torch and torch-geometric ({exc.name} is missing): install the ml "
            "extra with `pip install -e '.[ml]'` (or `make setup`), or leave the GNN out"
        ) from exc
    return torch, pyg
