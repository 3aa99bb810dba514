"""Search candidates from the adjacency index's text columns, for ``store.search``.

Same rule as the Cypher candidates (:meth:`graph.store.queries.Q.text_candidates`: values
containing the query's pieces, those containing more and longer pieces first), run on Arrow
arrays instead of a table scan in the store; and, for fuzzy searches, every value scored by
rapidfuzz as well, so that a typo in a common name is not crowded out of the candidates by
thousands of values sharing a piece. 287k person names: ~35 ms for the scoring.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from graph.store.adjacency import Adjacency

__all__ = ["text_candidates", "FUZZY_CUTOFF"]

FUZZY_CUTOFF = 50.0  # rapidfuzz ratio (0-100) below which a value is no candidate


def _values(adj: Adjacency, label: str, prop: str) -> list[str]:
    """The text column as a Python list (rapidfuzz scans sequences), cached on the index."""
    cache = adj.__dict__.setdefault("_text_lists", {})
    if (label, prop) not in cache:
        cache[(label, prop)] = [v or "" for v in adj.texts[(label, prop)].to_pylist()]
    return cache[(label, prop)]


def text_candidates(adj: Adjacency, label: str, prop: str, norm: str, pieces: list[str],
                    fuzzy: bool, limit: int) -> list[str]:
    """Keys of candidate nodes of ``label`` for a query in normal form ``norm``: up to
    ``limit`` by containment of ``pieces`` and, when ``fuzzy``, up to ``limit`` more by
    rapidfuzz ratio against ``norm``."""
    values = adj.texts[(label, prop)]
    rank = np.zeros(len(values), np.int64)
    for p in pieces:
        if p:
            rank += len(p) * pc.fill_null(pc.match_substring(values, p), False).to_numpy(
                zero_copy_only=False)
    hit = np.flatnonzero(rank)
    chosen = hit[np.argsort(-rank[hit], kind="stable")][:limit].tolist()
    if fuzzy and norm:
        chosen += [i for _, _, i in process.extract(norm, _values(adj, label, prop),
                                                    scorer=fuzz.ratio, limit=limit,
                                                    score_cutoff=FUZZY_CUTOFF)]
    chosen = list(dict.fromkeys(chosen))
    i = adj.labels.index(label)
    return adj.keys[i].take(pa.array(chosen, pa.int64())).to_pylist() if chosen else []
