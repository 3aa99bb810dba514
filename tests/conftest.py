"""Shared fixtures: a graph store per available backend, and a tiny fraud ring to load into it.

``store`` runs each test on the embedded Ladybug store (in ``tmp_path``), again on it with
its adjacency index (``ladybug-index``: traversals walk the index, rebuilt after every
write) and on Neo4j: the server ``NEO4J_URI`` names, else a local Neo4j 5.26 server that
``neo4j_env`` starts for the session (one per test worker) when Java and its jars are there
(``make neo4j-jars``). Without either the Neo4j half is skipped, unless
``CBEC_REQUIRE_NEO4J=1`` (CI), which turns that skip into a failure. The Neo4j database is
emptied before and after each test, so point ``NEO4J_*`` at a throwaway database.
"""

from __future__ import annotations

import os
from datetime import datetime

import pyarrow as pa
import pytest

from etl.normalise import normalise_address, normalise_name
from graph.store.base import NodeRef

STORES = ["ladybug", "ladybug-index", "neo4j"]
SMALL_POOL = 128 * 1024**2  # Ladybug buffer pool for tests: small worlds need little, but
# a star walked in one frontier query once filled 64 MiB ("buffer pool is full") in a full run


# Each wipe of the (one per worker) Neo4j database bumps this, so fixtures that left data
# there can tell whether a later test emptied it under them (see ``ring_store``).
NEO4J_WIPES = {"count": 0}


def _wipe(store) -> None:
    store.query("MATCH (n) DETACH DELETE n")
    if store.dialect.name == "neo4j":
        NEO4J_WIPES["count"] += 1


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


# -- Neo4j: the server NEO4J_URI names, or a local one per test session (worker) ---------
REQUIRE_NEO4J = os.environ.get("CBEC_REQUIRE_NEO4J") == "1"
# the machine is shared: a small heap and page cache per worker hold the test worlds
TEST_HEAP = os.environ.get("CBEC_TEST_NEO4J_HEAP", "768m")
TEST_PAGE_CACHE_MB = int(os.environ.get("CBEC_TEST_NEO4J_PAGECACHE_MB", "128"))


def _no_neo4j(why: str):
    if REQUIRE_NEO4J:
        pytest.fail(f"CBEC_REQUIRE_NEO4J=1 but {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="session")
def neo4j_env(tmp_path_factory):
    """The ``NEO4J_*`` settings of the Neo4j the tests use: ``NEO4J_URI``'s server when set,
    else a local Neo4j 5.26 started here (and stopped at the end of the session)."""
    from graph.store.neo4j_store import ENV_VARS

    if os.environ.get("NEO4J_URI"):
        yield {k: os.environ[k] for k in ENV_VARS if os.environ.get(k)}
        return
    from graph.store import neo4j_local_server as local

    if not local.jars_ready():
        missing = local.tools_missing()
        if missing:
            _no_neo4j(f"the local Neo4j server needs {', '.join(missing)} (Java 17 and Maven)")
        if not REQUIRE_NEO4J:
            _no_neo4j("no NEO4J_URI and the local server's jars are not fetched: run "
                      "`make neo4j-jars` once (or set NEO4J_URI)")
    try:
        server = local.start(tmp_path_factory.mktemp("neo4j-server"), heap=TEST_HEAP,
                             page_cache_mb=TEST_PAGE_CACHE_MB, log=lambda _m: None)
    except local.LocalServerError as exc:
        _no_neo4j(str(exc))
    print(f"\nlocal Neo4j {local.NEO4J_VERSION} up in {server.started_s:.1f} s at {server.uri}")
    yield server.env
    server.stop()


def make_store(kind: str, tmp_path, neo4j_env: dict[str, str] | None = None):
    """A fresh, empty store with its schema; the caller closes it. ``neo4j_env``: the
    ``neo4j_env`` fixture's settings (required for ``kind="neo4j"``)."""
    if kind in ("ladybug", "ladybug-index"):
        from graph.store.ladybug_store import LadybugStore

        cls = LadybugStore if kind == "ladybug" else _auto_indexed()
        store = cls(tmp_path / "graph", buffer_pool_bytes=SMALL_POOL)
    else:
        from graph.store.neo4j_store import Neo4jStore

        store = Neo4jStore.from_env(neo4j_env)
        _wipe(store)
    store.ensure_schema()
    return store


def _env_for(request) -> dict[str, str] | None:
    """The Neo4j settings when this parametrisation is the Neo4j one (starts the server)."""
    return request.getfixturevalue("neo4j_env") if request.param == "neo4j" else None


def _close(kind: str, store) -> None:
    if kind == "neo4j":
        _wipe(store)
    store.close()


@pytest.fixture(params=STORES)
def store(request, tmp_path):
    """An empty store with its schema, one per backend (see ``neo4j_env`` for Neo4j)."""
    s = make_store(request.param, tmp_path, _env_for(request))
    yield s
    _close(request.param, s)


@pytest.fixture(params=STORES, scope="module")
def _ring_store_module(request, tmp_path_factory):
    s = make_store(request.param, tmp_path_factory.mktemp(request.param), _env_for(request))
    write_tiny_ring(s)
    s.ring_written_at = NEO4J_WIPES["count"]
    yield s
    _close(request.param, s)


@pytest.fixture
def ring_store(_ring_store_module):
    """A store holding :func:`write_tiny_ring`, shared by a module's read-only tests. On
    Neo4j, one database serves a worker's every test: the ring is written again when a
    ``store`` test emptied it in between."""
    s = _ring_store_module
    if s.dialect.name == "neo4j" and s.ring_written_at != NEO4J_WIPES["count"]:
        _wipe(s)
        s.ensure_schema()
        write_tiny_ring(s)
        s.ring_written_at = NEO4J_WIPES["count"]
    return s


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
