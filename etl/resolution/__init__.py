"""Entity resolution: scored ``SAME_AS`` links between near-duplicate nodes.

``resolve(con, load_id)`` is the entry point the load calls after projection; see
``docs/entity-resolution.md`` for the blocking rules, the scoring and measured quality.
"""

from __future__ import annotations

from etl.resolution.resolve import LABELS, SAME_AS_TABLE, LabelSummary, ResolutionSummary, resolve
from etl.resolution.scoring import THRESHOLD

__all__ = ["resolve", "ResolutionSummary", "LabelSummary", "SAME_AS_TABLE", "LABELS", "THRESHOLD"]
