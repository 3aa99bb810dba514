"""Blocking in SQL: which pairs of nodes are worth scoring, and which nodes changed.

A block is every node sharing one ``(kind, value)`` of ``res_ident``. A block larger than
its kind's cap is a **hub** (a parcel locker, a drop phone, a common firm-name prefix): it
forms no pairs and is no evidence. Caps keep the pair count linear in the number of nodes
(at most ``cap * (cap - 1) / 2`` pairs per block) and are the guard against gluing
hundreds of innocent people into one "person" through the one identifier they share.

Incremental runs: each node's fingerprint (its attributes, identifiers, whether each
identifier is a hub and the size of each block it shares) is kept in ``resolution_state``;
only nodes whose fingerprint is new or changed (the *delta*) are compared, against every
node that shares a block with them. The delta also takes in every member of an ``idsig``
block one of its nodes is in, since a masked ID's links depend on the whole block; so an
incremental run ends where a fresh run on the same data ends.
"""

from __future__ import annotations

import duckdb

__all__ = ["CAPS", "STATE_TABLE", "ensure_state", "mark_hubs", "compute_delta", "candidate_pairs"]

STATE_TABLE = "resolution_state"

# Largest block that still counts as evidence, per identifier kind.
CAPS: dict[str, int] = {
    "phone": 10, "email": 5, "account": 5, "address": 10, "id": 10, "idhash": 10, "idsig": 10,
    "uscc": 10, "rep": 10,
    "name_head": 50, "name_tail": 50, "name_tokens": 50,
    "num_street": 100, "num_district": 100,
}
DEFAULT_CAP = 10


def ensure_state(con: duckdb.DuckDBPyConnection) -> None:
    """Create the fingerprint ledger if it does not exist yet."""
    con.execute(f"""CREATE TABLE IF NOT EXISTS {STATE_TABLE} (
        label VARCHAR, key VARCHAR, fingerprint VARCHAR, _load_id VARCHAR)""")


def mark_hubs(con: duckdb.DuckDBPyConnection) -> int:
    """Add block sizes to ``res_ident`` (as ``res_block``) and return the number of hubs."""
    cases = " ".join(f"WHEN '{k}' THEN {v}" for k, v in CAPS.items())
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE res_block AS
        SELECT key, kind, value, n, n <= (CASE kind {cases} ELSE {DEFAULT_CAP} END) AS usable
        FROM (SELECT *, count(*) OVER (PARTITION BY kind, value) AS n FROM res_ident)
    """)
    return con.execute("SELECT count(DISTINCT (kind, value)) FROM res_block "
                   "WHERE NOT usable").fetchall()[0][0]


def compute_delta(con: duckdb.DuckDBPyConnection, label: str,
                  attr_columns: list[str]) -> tuple[int, int]:
    """Fingerprint every node; create ``res_fp`` and ``res_delta(key)`` (new or changed).

    Also creates ``res_removed(key)``: nodes in the ledger that the projection no longer has.
    Returns ``(delta count, removed count)``.
    """
    attrs = ", ".join(f'coalesce(CAST(a."{c}" AS VARCHAR), \'\')' for c in attr_columns)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE res_fp AS
        SELECT a.key, md5(concat_ws('|', {attrs})) || ':' || coalesce(CAST(i.h AS VARCHAR), '')
               AS fingerprint
        FROM res_attr a LEFT JOIN (
            -- order-free digest of the node's identifiers, whether each is a hub and, if
            -- not, who else is in the block: a newcomer to a block re-scores its members
            -- (a masked ID is exclusive, so a second fitting clear ID changes old links)
            SELECT key, bit_xor(hash(kind, value, usable, CASE WHEN usable THEN n END)) AS h
            FROM res_block GROUP BY key
        ) i ON i.key = a.key
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE res_delta AS
        SELECT f.key FROM res_fp f LEFT JOIN {STATE_TABLE} s
          ON s.label = '{label}' AND s.key = f.key
        WHERE s.fingerprint IS DISTINCT FROM f.fingerprint
    """)
    # A masked ID's links depend on every documented person its signature fits (scoring's
    # exclusive-signature rule), not only on the two ends: when one member of an ``idsig``
    # block changes (a new displayed name), the whole block is re-scored, or the result
    # would depend on the order the loads came in.
    con.execute("""
        INSERT INTO res_delta
        SELECT DISTINCT b.key FROM res_block b
        SEMI JOIN (SELECT kind, value FROM res_block x SEMI JOIN res_delta d ON d.key = x.key
                   WHERE x.kind = 'idsig' AND x.usable) t ON t.kind = b.kind AND t.value = b.value
        ANTI JOIN res_delta d2 ON d2.key = b.key
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE res_removed AS
        SELECT s.key FROM {STATE_TABLE} s ANTI JOIN res_fp f ON f.key = s.key
        WHERE s.label = '{label}'
    """)
    n_delta = con.execute("SELECT count(*) FROM res_delta").fetchall()[0][0]
    n_removed = con.execute("SELECT count(*) FROM res_removed").fetchall()[0][0]
    return n_delta, n_removed


def candidate_pairs(con: duckdb.DuckDBPyConnection) -> int:
    """Create ``res_pairs(a, b, kinds)``: node pairs sharing a usable block, one in the delta.

    ``a < b``; ``kinds`` lists the identifier kinds the two share. Returns the pair count.
    """
    con.execute("""
        CREATE OR REPLACE TEMP TABLE res_live AS
        SELECT b.key, b.kind, b.value, d.key IS NOT NULL AS is_delta
        FROM res_block b LEFT JOIN res_delta d ON d.key = b.key
        WHERE b.usable AND b.n >= 2
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE res_pairs AS
        WITH touched AS (SELECT DISTINCT kind, value FROM res_live WHERE is_delta),
        live AS (SELECT l.* FROM res_live l SEMI JOIN touched t
                 ON t.kind = l.kind AND t.value = l.value)
        SELECT x.key AS a, y.key AS b, list(DISTINCT x.kind ORDER BY x.kind) AS kinds
        FROM live x JOIN live y
          ON x.kind = y.kind AND x.value = y.value AND x.key < y.key
        WHERE x.is_delta OR y.is_delta
        GROUP BY x.key, y.key
    """)
    return con.execute("SELECT count(*) FROM res_pairs").fetchall()[0][0]
