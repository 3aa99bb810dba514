"""Shared fixtures: a graph store per available backend, and a tiny fraud ring to load into it.

``store`` runs each test on the embedded Ladybug store (in ``tmp_path``), again on it with
its adjacency index (``ladybug-index``: traversals walk the index, rebuilt after every
write) and, when ``NEO4J_URI`` is set, on Neo4j too. The Neo4j database is emptied before
and after each test, so point ``NEO4J_*`` at a throwaway database.
"""

from __future__ import annotations

import os
from datetime import datetime

import pyarrow as pa
import pytest

from etl.normalise import normalise_address, normalise_name
from graph.store.base import NodeRef

STORES = ["ladybug", "ladybug-index", "neo4j"]
SMALL_POOL = 64 * 1024**2  # Ladybug buffer pool for tests: the tiny ring needs little


def _wipe(store) -> None:
    store.query("MATCH (n) DETACH DELETE n")


def _auto_indexed():
    from graph.store.ladybug_store import LadybugStore

    class AutoIndexed(LadybugStore):
        """Builds its adjacency index before each traversal or search that finds none (a
        write drops it), so that every contract test of those also runs on the index."""

    def indexed_first(name):
        def call(self, *args, **kwargs):
            self.use_adjacency()
            return getattr(LadybugStore, name)(self, *args, **kwargs)
        return call

    for name in ("neighbourhood", "shortest_path", "subgraph", "search"):
        setattr(AutoIndexed, name, indexed_first(name))
    return AutoIndexed


def make_store(kind: str, tmp_path):
    """A fresh, empty store with its schema; the caller closes it."""
    if kind in ("ladybug", "ladybug-index"):
        from graph.store.ladybug_store import LadybugStore

        cls = LadybugStore if kind == "ladybug" else _auto_indexed()
        store = cls(tmp_path / "graph", buffer_pool_bytes=SMALL_POOL)
    else:
        if not os.environ.get("NEO4J_URI"):
            pytest.skip("Neo4j contract tests need NEO4J_URI (and NEO4J_USER, NEO4J_PASSWORD)")
        from graph.store.neo4j_store import Neo4jStore

        store = Neo4jStore.from_env()
        _wipe(store)
    store.ensure_schema()
    return store


def _close(kind: str, store) -> None:
    if kind == "neo4j":
        _wipe(store)
    store.close()


@pytest.fixture(params=STORES)
def store(request, tmp_path):
    """An empty store with its schema, one per backend (Neo4j skipped without NEO4J_URI)."""
    s = make_store(request.param, tmp_path)
    yield s
    _close(request.param, s)


@pytest.fixture(params=STORES, scope="module")
def ring_store(request, tmp_path_factory):
    """A store holding :func:`write_tiny_ring`, shared by a module's read-only tests."""
    s = make_store(request.param, tmp_path_factory.mktemp(request.param))
    write_tiny_ring(s)
    yield s
    _close(request.param, s)


# -- the tiny ring ---------------------------------------------------------------------
PHONE = "+8613800138000"  # shared by both sellers
ADDRESS = "addr-nanshan-1"  # shared by both sellers
ACCOUNT = "PAYCO|6222021203004567891"  # pays for two buyers' orders
P1_ID = "110105199203074518"
CHAIN = [f"chain-{i}" for i in range(8)]  # Persons chained by SAME_AS: 7 hops end to end


def _t(**cols) -> pa.Table:
    return pa.table(cols)


def ring_nodes() -> dict[str, pa.Table]:
    """Node rows of the tiny ring, per label."""
    d = datetime
    return {
        "Enterprise": _t(
            code=["S1", "S2", "PLAT", "SF"],
            name=["Shenzhen Star Light Trading Co., Ltd.", "Guangzhou Bright Moon Trading Co.",
                  "Global Mall Platform", "Swift Freight Logistics"],
            name_norm=[normalise_name(n) for n in (
                "Shenzhen Star Light Trading Co., Ltd.", "Guangzhou Bright Moon Trading Co.",
                "Global Mall Platform", "Swift Freight Logistics")],
            roles=["ebc", "ebc", "ebp", "logistics"],
            uscc=["91440300MA5DXXXX1A", None, None, None]),
        "Person": _t(
            person_key=["id:" + P1_ID, "nm:lina", "nm:wangfang", "nm:loner", *CHAIN],
            name=["Zhang Wei", "Li Na", "Wang Fang", "Lonely Person",
                  *[f"Chain Link {i}" for i in range(8)]],
            name_norm=[normalise_name(n) for n in ("Zhang Wei", "Li Na", "Wang Fang",
                                                   "Lonely Person",
                                                   *[f"Chain Link {i}" for i in range(8)])]),
        "Phone": _t(phone=[PHONE, "+8613900139000"], country=["CN", "CN"]),
        "Address": _t(address_key=[ADDRESS, "addr-chaoyang-9"],
                      address=["深圳市南山区科技园1号", "北京市朝阳区建国路9号"],
                      address_norm=[normalise_address(a) for a in ("深圳市南山区科技园1号",
                                                                   "北京市朝阳区建国路9号")]),
        "IdNumber": _t(id_key=[P1_ID], masked=["110105-1992"]),
        "PaymentAccount": _t(account_key=[ACCOUNT, "PAYCO|6222000000000000002"],
                             holder_name=["Zhang Wei", "Wang Fang"]),
        "Order": _t(order_key=["PLAT|O1", "PLAT|O2", "PLAT|O3"],
                    order_time=[d(2024, 1, 10), d(2024, 2, 15), d(2024, 6, 1)],
                    goods_value=[120.0, 80.5, 300.0]),
        "Payment": _t(payment_key=["PAYCO|T1", "PAYCO|T2", "PAYCO|T3"],
                      pay_time=[d(2024, 1, 10, 9), d(2024, 2, 15, 9), d(2024, 6, 1, 9)],
                      amount_paid=[120.0, 80.5, 300.0]),
        "Declaration": _t(invt_no=["D1", "D2", "D3"],
                          decl_time=[d(2024, 1, 11), d(2024, 2, 16), d(2024, 6, 2)],
                          total_value=[120.0, 80.5, 300.0]),
        "Country": _t(iso2=["CN"], name=["China"]),
    }


def ring_edges() -> list[tuple[str, str, str, pa.Table]]:
    """(edge type, from label, to label, rows) of the tiny ring."""
    p1, p2, p3 = "id:" + P1_ID, "nm:lina", "nm:wangfang"
    o = ["PLAT|O1", "PLAT|O2", "PLAT|O3"]
    return [
        ("HAS_PHONE", "Enterprise", "Phone", _t(from_key=["S1", "S2"], to_key=[PHONE, PHONE])),
        ("HAS_PHONE", "Person", "Phone", _t(from_key=[p3], to_key=["+8613900139000"])),
        ("LOCATED_AT", "Enterprise", "Address",
         _t(from_key=["S1", "S2"], to_key=[ADDRESS, ADDRESS])),
        ("HAS_ID", "Person", "IdNumber", _t(from_key=[p1], to_key=[P1_ID])),
        ("BUYER", "Order", "Person", _t(from_key=o, to_key=[p1, p2, p1])),
        ("SOLD_BY", "Order", "Enterprise", _t(from_key=o, to_key=["S1", "S2", "S2"])),
        ("ON_PLATFORM", "Order", "Enterprise", _t(from_key=o, to_key=["PLAT"] * 3)),
        ("SHIP_TO", "Order", "Address", _t(from_key=o, to_key=["addr-chaoyang-9"] * 3)),
        ("FOR_ORDER", "Declaration", "Order", _t(from_key=["D1", "D2", "D3"], to_key=o)),
        ("DESTINED_TO", "Declaration", "Country",
         _t(from_key=["D1", "D2", "D3"], to_key=["CN"] * 3)),
        ("PAYS", "Payment", "Order", _t(from_key=["PAYCO|T1", "PAYCO|T2", "PAYCO|T3"],
                                        to_key=o)),
        ("FROM_ACCOUNT", "Payment", "PaymentAccount",
         _t(from_key=["PAYCO|T1", "PAYCO|T2", "PAYCO|T3"],
            to_key=[ACCOUNT, ACCOUNT, "PAYCO|6222000000000000002"])),
        ("HOLDS", "Person", "PaymentAccount", _t(from_key=[p1, p3],
                                                 to_key=[ACCOUNT, "PAYCO|6222000000000000002"])),
        ("SAME_AS", "Person", "Person",
         _t(from_key=CHAIN[:-1], to_key=CHAIN[1:], score=[0.9] * 7, method=["test"] * 7)),
    ]


def write_tiny_ring(store) -> None:
    """Write the tiny ring through the public write API (one batch per edge type and pair)."""
    for label, rows in ring_nodes().items():
        store.write_nodes(label, rows)
    for typ, f, t, rows in ring_edges():
        store.write_edges(typ, f, t, rows, batch=f"ring-{typ}-{f}-{t}")


def ref(label: str, key: str) -> NodeRef:
    return NodeRef(label, key)
