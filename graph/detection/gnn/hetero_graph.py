"""The GNN's heterogeneous graph, read straight from the DuckDB staging projection.

Edge lists come from the ``edge_*`` tables of staging, not from the graph store (exporting
3M edges through Ladybug takes 2.4 s, from DuckDB 0.06 s: stack-notes). The graph is
declaration-centred: messages that hang off an order, a waybill or a payment (consignee,
ship-to address, contact phone, payer, payer account) are folded onto the declaration that
declares that order, so one hop links a declaration to every identifier it used and two
hops link declarations that share one.

Point in time: a graph *as of* ``cut`` holds the declarations declared before ``cut`` and
the edges they make; register edges (an enterprise's phone, address and legal
representative, a person's registered phone and address, an account's holder) have no
date and are kept as they are. Edges derived from messages (an order buyer's phone, say)
are deliberately not taken from the register tables, since they would reveal identifiers
first used after ``cut``.

Hubs: parcel lockers, campuses, platforms and big agents touch thousands of declarations.
Aggregation is a mean, so a hub passes on an average rather than a sum, and the messages
into any node are capped at ``cap`` (a seeded sample), so a hub neither dominates its
neighbours nor the memory; its full degree stays visible as a node feature.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["DECL", "NODE_TYPES", "DECL_RELATIONS", "REGISTER_RELATIONS", "GraphTables",
           "read_graph", "cap_in_degree"]

DECL = "declaration"

#: node type -> the staging node table holding its keys
NODE_TYPES = {
    "enterprise": "node_Enterprise", "person": "node_Person", "address": "node_Address",
    "phone": "node_Phone", "account": "node_PaymentAccount", "hscode": "node_HsCode",
    "country": "node_Country",
}

_DO = "SELECT from_key AS d, to_key AS o FROM edge_FOR_ORDER"  # declaration -> order
_DW = "SELECT from_key AS d, to_key AS w FROM edge_SHIPPED_AS"  # declaration -> waybill
_DP = ("SELECT x.d, p.from_key AS p FROM edge_PAYS p JOIN (" + _DO + ") x "
       "ON p.to_key = x.o")  # declaration -> payment (through the order it pays)


def _direct(edge: str, to_label: str) -> str:
    return (f"SELECT from_key AS d, to_key AS k FROM edge_{edge} "
            f"WHERE from_label = 'Declaration' AND to_label = '{to_label}'")


def _via(edge: str, frm: str, hop: str, col: str, to_label: str, where: str = "TRUE") -> str:
    """Declaration -> node reached through its order/waybill/payment (``hop`` yields d, col)."""
    return (f"SELECT h.d, e.to_key AS k FROM edge_{edge} e JOIN ({hop}) h "
            f"ON e.from_key = h.{col} WHERE e.from_label = '{frm}' "
            f"AND e.to_label = '{to_label}' AND {where}")


#: relation -> (target node type, SQL yielding ``d`` (declaration key), ``k`` (target key))
DECL_RELATIONS: dict[str, tuple[str, str]] = {
    "seller": ("enterprise", _direct("SOLD_BY", "Enterprise")),
    "platform": ("enterprise", _direct("ON_PLATFORM", "Enterprise")),
    "agent": ("enterprise", _direct("DECLARED_BY", "Enterprise")),
    "carrier": ("enterprise", _direct("CARRIED_BY", "Enterprise")),
    "owner": ("enterprise", _direct("OWNED_BY", "Enterprise")),
    "buyer": ("person", _direct("BUYER", "Person")),
    "consignee": ("person", _via("CONSIGNEE", "Order", _DO, "o", "Person") + " UNION "
                  + _via("CONSIGNEE", "Waybill", _DW, "w", "Person")),
    "payer": ("person", _via("PAID_BY", "Payment", _DP, "p", "Person")),
    "ship_to": ("address", _via("SHIP_TO", "Order", _DO, "o", "Address") + " UNION "
                + _via("SHIP_TO", "Waybill", _DW, "w", "Address")),
    "contact": ("phone", _via("CONTACT", "Order", _DO, "o", "Phone") + " UNION "
                + _via("CONTACT", "Waybill", _DW, "w", "Phone") + " UNION "
                + _via("CONTACT", "Payment", _DP, "p", "Phone")),
    "pays_from": ("account", _via("FROM_ACCOUNT", "Payment", _DP, "p", "PaymentAccount")),
    "pays_to": ("account", _via("PAYEE", "Payment", _DP, "p", "PaymentAccount")),
    "hs": ("hscode", _direct("CLASSIFIED_AS", "HsCode")),
    "country": ("country", _direct("DESTINED_TO", "Country") + " UNION "
                + _direct("DISPATCHED_FROM", "Country")),
}

_REGISTERS = "('persons', 'enterprises', 'phones', 'payment_accounts', 'addresses')"


def _register(edge: str, frm: str, to: str) -> str:
    return (f"SELECT DISTINCT from_key AS a, to_key AS b FROM edge_{edge} "
            f"WHERE from_label = '{frm}' AND to_label = '{to}' AND source IN {_REGISTERS}")


#: relation -> (source type, target type, SQL yielding ``a``, ``b``): undated register links
REGISTER_RELATIONS: dict[str, tuple[str, str, str]] = {
    "firm_phone": ("enterprise", "phone", _register("HAS_PHONE", "Enterprise", "Phone")),
    "firm_address": ("enterprise", "address", _register("LOCATED_AT", "Enterprise", "Address")),
    "legal_rep": ("enterprise", "person", _register("REPRESENTED_BY", "Enterprise", "Person")),
    "firm_account": ("enterprise", "account", _register("HOLDS", "Enterprise", "PaymentAccount")),
    "person_phone": ("person", "phone", _register("HAS_PHONE", "Person", "Phone")),
    "person_address": ("person", "address", _register("LOCATED_AT", "Person", "Address")),
    "holder": ("person", "account", _register("HOLDS", "Person", "PaymentAccount")),
}


@dataclass
class GraphTables:
    """A graph as of ``cut``: node keys per type and integer edge lists per relation.

    ``edges[(src_type, relation, dst_type)] = (src_index, dst_index)``, indices into
    ``keys[type]`` (sorted, so the same nodes always get the same indices). Only the forward
    direction is stored; the model adds the reverse edges.
    """

    cut: pd.Timestamp
    keys: dict[str, np.ndarray]
    decl_time: np.ndarray                      # datetime64 per declaration, aligned to keys
    edges: dict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict)

    def num_nodes(self, node_type: str) -> int:
        return len(self.keys[node_type])

    def summary(self) -> dict:
        return {"nodes": {t: len(k) for t, k in self.keys.items()},
                "edges": {r: int(len(s)) for (_, r, _), (s, _) in self.edges.items()}}


def _has_table(con, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_name = $n", {"n": name}).fetchone()[0])


def read_graph(con, cut, relations: list[str] | None = None,
               registers: list[str] | None = None) -> GraphTables:
    """Read the declaration-centred graph as of ``cut`` (declarations with decl_time < cut).

    ``relations`` / ``registers`` choose a subset of ``DECL_RELATIONS`` /
    ``REGISTER_RELATIONS`` (all by default). Key-to-index mapping runs in DuckDB (temporary
    tables prefixed ``_gnn_``, dropped afterwards), so only integer arrays cross to Python.
    """
    cut = pd.Timestamp(cut)
    if not _has_table(con, "node_Declaration"):
        raise ValueError("staging has no node_Declaration table: load extracts first "
                         "(`cbec load EXTRACTS --workspace WS`)")
    relations = list(DECL_RELATIONS) if relations is None else relations
    registers = list(REGISTER_RELATIONS) if registers is None else registers
    con.execute("CREATE OR REPLACE TEMP TABLE _gnn_decl AS SELECT invt_no AS key, decl_time, "
                "row_number() OVER (ORDER BY invt_no) - 1 AS i FROM node_Declaration "
                "WHERE decl_time < $cut", {"cut": cut})
    try:
        return _read(con, cut, relations, registers)
    finally:
        for t in ["_gnn_decl", "_gnn_de", "_gnn_rg", *(f"_gnn_n_{t}" for t in NODE_TYPES)]:
            con.execute(f"DROP TABLE IF EXISTS {t}")


def _read(con, cut, relations, registers) -> GraphTables:
    decl = con.sql("SELECT key, decl_time FROM _gnn_decl ORDER BY i").df()
    # A relation whose edge tables this workspace lacks (no payments in a real
    # administration's extract, say) is left out, not an error.
    tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables"
                                        ).fetchall()}
    relations = [r for r in relations
                 if set(re.findall(r"edge_\w+", DECL_RELATIONS[r][1])) <= tables]
    registers = [r for r in registers
                 if set(re.findall(r"edge_\w+", REGISTER_RELATIONS[r][2])) <= tables]
    rel_sql, reg_sql = [], []
    for r in relations:
        typ, sql = DECL_RELATIONS[r]
        rel_sql.append(f"SELECT '{r}' AS rel, '{typ}' AS typ, d, k FROM ({sql})")
    for r in registers:
        a, b, sql = REGISTER_RELATIONS[r]
        reg_sql.append(f"SELECT '{r}' AS rel, '{a}' AS ta, a, '{b}' AS tb, b FROM ({sql})")
    # Declaration edges of the declarations in the graph; DISTINCT since a declaration may
    # reach the same phone through its order and its waybill.
    union = " UNION ALL ".join(rel_sql) or \
        "SELECT NULL::VARCHAR rel, NULL::VARCHAR typ, NULL::VARCHAR d, NULL::VARCHAR k LIMIT 0"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _gnn_de AS SELECT DISTINCT e.rel, e.typ, "
                f"g.i AS di, e.k FROM ({union}) e JOIN _gnn_decl g ON e.d = g.key "
                f"WHERE e.k IS NOT NULL")
    union = " UNION ALL ".join(reg_sql) or ("SELECT NULL::VARCHAR rel, NULL::VARCHAR ta, "
                                            "NULL::VARCHAR a, NULL::VARCHAR tb, "
                                            "NULL::VARCHAR b LIMIT 0")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _gnn_rg AS SELECT * FROM ({union}) "
                f"WHERE a IS NOT NULL AND b IS NOT NULL")
    keys = {DECL: decl["key"].to_numpy(dtype=object)}
    for t in NODE_TYPES:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _gnn_n_{t} AS SELECT k, "
                    f"row_number() OVER (ORDER BY k) - 1 AS i FROM ("
                    f"SELECT k FROM _gnn_de WHERE typ = '{t}' UNION "
                    f"SELECT a FROM _gnn_rg WHERE ta = '{t}' UNION "
                    f"SELECT b FROM _gnn_rg WHERE tb = '{t}')")
        keys[t] = con.sql(f"SELECT k FROM _gnn_n_{t} ORDER BY i").df()["k"].to_numpy(
            dtype=object)
    g = GraphTables(cut=cut, keys=keys,
                    decl_time=decl["decl_time"].to_numpy(dtype="datetime64[ns]"))
    for r in relations:
        typ = DECL_RELATIONS[r][0]
        arr = con.execute(f"SELECT e.di, n.i FROM _gnn_de e JOIN _gnn_n_{typ} n ON e.k = n.k "
                          f"WHERE e.rel = $r ORDER BY e.di, n.i", {"r": r}).fetchnumpy()
        g.edges[(DECL, r, typ)] = (arr["di"].astype(np.int64), arr["i"].astype(np.int64))
    for r in registers:
        a, b, _ = REGISTER_RELATIONS[r]
        arr = con.execute(f"SELECT x.i AS ai, y.i AS bi FROM _gnn_rg e "
                          f"JOIN _gnn_n_{a} x ON e.a = x.k JOIN _gnn_n_{b} y ON e.b = y.k "
                          f"WHERE e.rel = $r ORDER BY ai, bi", {"r": r}).fetchnumpy()
        g.edges[(a, r, b)] = (arr["ai"].astype(np.int64), arr["bi"].astype(np.int64))
    return g


def cap_in_degree(src: np.ndarray, dst: np.ndarray, cap: int, seed: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Keep at most ``cap`` edges into each destination node: a seeded uniform sample.

    Deterministic for a given edge list and seed. Edges into nodes under the cap all stay.
    """
    if cap <= 0 or len(dst) == 0:
        return src, dst
    counts = np.bincount(dst)
    if counts.max() <= cap:
        return src, dst
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(dst))
    order = order[np.argsort(dst[order], kind="stable")]   # grouped by dst, shuffled within
    d_sorted = dst[order]
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    rank = np.arange(len(d_sorted)) - starts[d_sorted]
    keep = np.sort(order[rank < cap])
    return src[keep], dst[keep]
