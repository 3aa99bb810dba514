"""``resolve(con, load_id)``: link near-duplicate persons, enterprises and addresses.

Exact duplicates already share a node key (``etl.keys``). Resolution links what keys
cannot: spelling variants, re-ordered or mistyped names, abbreviated addresses. Per label:

1. attribute frame and identifiers (``identifiers``), hubs marked (``blocking``);
2. fingerprints against ``resolution_state``: only new or changed nodes (the delta) are
   compared, with every node sharing a block with them;
3. candidate pairs scored (``scoring``);
4. in one transaction: the delta's old ``SAME_AS`` edges are deleted, the new ones written,
   the fingerprints stored. A rerun with nothing changed finds an empty delta and writes
   nothing, so ``resolve`` is idempotent.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import duckdb
import pandas as pd

from etl.keys import HASHED_RE
from etl.resolution.blocking import (
    STATE_TABLE,
    candidate_pairs,
    compute_delta,
    ensure_state,
    mark_hubs,
)
from etl.resolution.identifiers import (
    MATCH_COLUMNS,
    SPECS,
    build_identifiers,
    load_attributes,
    table_columns,
)
from etl.resolution.scoring import EVIDENCE, score_pairs

__all__ = ["resolve", "ResolutionSummary", "LabelSummary", "SAME_AS_TABLE", "LABELS"]

SAME_AS_TABLE = "edge_SAME_AS"
_TEMP_TABLES = ("res_raw", "res_attr", "res_ident", "res_block", "res_fp", "res_delta",
                "res_removed", "res_live", "res_pairs", "res_nphone", "res_touched")
LABELS = ("Person", "Enterprise", "Address")

# Attributes each label's scoring rule reads, as a_<col> / b_<col> (see scoring.py).
_PAIR_COLUMNS = {
    "Person": {"name": "m_name", "tokens": "m_tokens", "birth_year": "birth_year"},
    "Enterprise": {"name": "m_name", "tokens": "m_tokens", "uscc": "uscc",
                   "country": "country"},
    "Address": {"text": "m_text", "numbers": "m_numbers", "district": "district",
                "city": "city", "country": "country"},
}


@dataclass
class LabelSummary:
    """What resolution did for one label."""

    label: str
    nodes: int = 0
    delta: int = 0
    removed: int = 0
    hubs: int = 0
    pairs: int = 0
    links: int = 0
    deleted: int = 0
    seconds: float = 0.0
    skipped: str | None = None


@dataclass
class ResolutionSummary:
    """Per-label counts and timings of one ``resolve`` call."""

    load_id: str
    labels: dict[str, LabelSummary] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def pairs(self) -> int:
        return sum(s.pairs for s in self.labels.values())

    @property
    def links(self) -> int:
        return sum(s.links for s in self.labels.values())

    def as_dict(self) -> dict:
        return {"load_id": self.load_id, "seconds": round(self.seconds, 3),
                "labels": {k: asdict(v) for k, v in self.labels.items()}}


def _ensure_same_as(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""CREATE TABLE IF NOT EXISTS {SAME_AS_TABLE} (
        from_label VARCHAR, from_key VARCHAR, to_label VARCHAR, to_key VARCHAR,
        score DOUBLE, method VARCHAR, _load_id VARCHAR)""")


def _pair_sql(label: str) -> str:
    """Candidate pairs joined to both ends' attributes and the shared-identifier flags."""
    cols = [f"list_contains(p.kinds, '{k}') AS s_{k}" for k in EVIDENCE[label]]
    for out, src in _PAIR_COLUMNS[label].items():
        cols += [f'x."{src}" AS a_{out}', f'y."{src}" AS b_{out}']
    joins = ""
    if label == "Person":
        strong = ("CASE WHEN T.key LIKE 'id:%' THEN CASE WHEN regexp_matches("
                  f"upper(substr(T.key, 4)), '{HASHED_RE}') THEN 'hash' ELSE 'clear' END END")
        cols += [strong.replace("T.", "x.") + " AS a_strong",
                 strong.replace("T.", "y.") + " AS b_strong",
                 "coalesce(xp.n, 0) AS a_phones", "coalesce(yp.n, 0) AS b_phones"]
        joins = ("LEFT JOIN res_nphone xp ON xp.key = p.a "
                 "LEFT JOIN res_nphone yp ON yp.key = p.b")
    return (f"SELECT p.a, p.b, {', '.join(cols)} FROM res_pairs p "
            f"JOIN res_attr x ON x.key = p.a JOIN res_attr y ON y.key = p.b {joins}")


def _resolve_label(con: duckdb.DuckDBPyConnection, label: str, load_id: str) -> LabelSummary:
    spec = SPECS[label]
    out = LabelSummary(label)
    if not table_columns(con, spec.table):
        out.skipped = f"no table {spec.table}"
        return out
    out.nodes = load_attributes(con, spec)
    try:
        build_identifiers(con, label)
        out.hubs = mark_hubs(con)
        attr_cols = [*spec.columns, *MATCH_COLUMNS[label]]
        out.delta, out.removed = compute_delta(con, label, attr_cols)
        if label == "Person":
            con.execute("CREATE OR REPLACE TEMP TABLE res_nphone AS SELECT key, count(*) AS n "
                        "FROM res_ident WHERE kind = 'phone' GROUP BY key")
        out.pairs = candidate_pairs(con) if out.delta else 0
        # through Arrow: several times faster than .df() for string columns
        pairs = (con.sql(_pair_sql(label)).to_arrow_table().to_pandas() if out.pairs
                 else pd.DataFrame())
        scored = score_pairs(label, pairs)
        links = scored[scored["linked"]]
        out.links = len(links)
        con.register("res_links", links[["a", "b", "score", "method"]])
        out.deleted = _write(con, label, load_id)
    finally:
        try:
            con.unregister("res_links")
        except duckdb.Error:
            pass
    return out


def _write(con: duckdb.DuckDBPyConnection, label: str, load_id: str) -> int:
    """Replace the delta's SAME_AS edges and fingerprints; return the edges deleted."""
    con.execute("CREATE OR REPLACE TEMP TABLE res_touched AS "
                "SELECT key FROM res_delta UNION SELECT key FROM res_removed")
    deleted = con.execute(f"""
        DELETE FROM {SAME_AS_TABLE} WHERE from_label = ? AND to_label = ?
          AND (from_key IN (SELECT key FROM res_touched) OR to_key IN (SELECT key FROM res_touched))
    """, [label, label]).fetchall()[0][0]
    con.execute(f"""INSERT INTO {SAME_AS_TABLE}
        (from_label, from_key, to_label, to_key, score, method, _load_id)
        SELECT ?, a, ?, b, round(score, 4), method, ? FROM res_links""",
                [label, label, load_id])
    con.execute(f"DELETE FROM {STATE_TABLE} WHERE label = ? "
                f"AND key IN (SELECT key FROM res_touched)", [label])
    con.execute(f"""INSERT INTO {STATE_TABLE} (label, key, fingerprint, _load_id)
        SELECT ?, f.key, f.fingerprint, ? FROM res_fp f SEMI JOIN res_delta d ON d.key = f.key""",
                [label, load_id])
    return int(deleted)


def resolve(con: duckdb.DuckDBPyConnection, load_id: str, *,
            labels: tuple[str, ...] = LABELS, progress: bool = False) -> ResolutionSummary:
    """Link near-duplicate nodes with scored ``SAME_AS`` edges in ``edge_SAME_AS``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The staging database, after projection (``node_Person``, ``edge_HAS_PHONE``, ...).
    load_id : str
        Written to the new edges' and fingerprints' ``_load_id``.
    labels : tuple of str
        Which of ``Person``, ``Enterprise``, ``Address`` to resolve.
    progress : bool
        Show a progress bar (one step per label).

    Returns
    -------
    ResolutionSummary
        Nodes, delta, hubs, candidate pairs and links per label, and timings.

    Examples
    --------
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE node_Address AS SELECT * FROM (VALUES "
    ...   "('k1', 'Rm 1203, Bldg 5, 18 Jianguo Rd, Chaoyang District, Beijing'), "
    ...   "('k2', 'Room 1203, Building 5, No. 18 Jianguo Road, Chaoyang, Beijing')) "
    ...   "t(address_key, address)")
    >>> resolve(con, "L1").links
    1
    >>> resolve(con, "L1").links  # nothing changed: nothing to do
    0
    """
    unknown = set(labels) - set(LABELS)
    if unknown:
        raise ValueError(f"resolve: unknown label(s) {sorted(unknown)}; choose from {LABELS}")
    t0 = time.perf_counter()
    summary = ResolutionSummary(load_id)
    ensure_state(con)
    _ensure_same_as(con)
    bar = None
    if progress:
        from rich.progress import Progress
        bar = Progress(transient=True)
        bar.start()
        task = bar.add_task("entity resolution", total=len(labels))
    try:
        for label in labels:
            t1 = time.perf_counter()
            if bar is not None:
                bar.update(task, description=f"entity resolution: {label}")
            con.execute("BEGIN TRANSACTION")
            try:
                summary.labels[label] = _resolve_label(con, label, load_id)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            summary.labels[label].seconds = round(time.perf_counter() - t1, 3)
            if bar is not None:
                bar.advance(task)
    finally:
        if bar is not None:
            bar.stop()
        for table in _TEMP_TABLES:  # free the working tables of a large run
            con.execute(f"DROP TABLE IF EXISTS temp.{table}")
    summary.seconds = time.perf_counter() - t0
    return summary
