"""Projection of tiny inline staging into node_/edge_ tables."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest
from stg_factory import put_staging

from etl.keys import person_key
from etl.project import project
from graph.schema import load_schema

VALID_ID = "110105199203074514"
MASKED_ID = "110105********4518"
PHONE_SHARED = "+8613800138000"


def world() -> dict[str, list[dict]]:
    """Two orders to one phone, a masked ID shared by two names, name variants of one ID."""
    order = dict(ebp_code="EBP1", ebc_code="EBC1", ie_flag="I", currency="CNY",
                 goods_value=100.0, freight=10.0, actual_paid=110.0, pay_code="PAY1",
                 order_time=datetime(2025, 6, 11, 9, 30))
    return {
        "enterprises": [dict(enterprise_code="EBC1", enterprise_name="Starlight Co",
                             enterprise_name_norm="STARLIGHT CO", roles="ebc", country="CN",
                             telephone_e164="+8657985551234", address_key="akE",
                             address_norm="NO 88 RD")],
        "persons": [
            dict(person_ref="P1", name="Li Na", name_norm="LINA", id_number=VALID_ID,
                 id_number_norm=VALID_ID, id_number_valid=True, telephone_e164=PHONE_SHARED,
                 email="LiNa@example.cn "),
            dict(person_ref="P2", name="Lee Na", name_norm="LEENA", id_number=VALID_ID,
                 id_number_norm=VALID_ID, id_number_valid=True),
            dict(person_ref="P3", name="Wang Wei", name_norm="WANGWEI", id_number=MASKED_ID,
                 id_number_norm=MASKED_ID),
            dict(person_ref="P4", name="Zhang San", name_norm="ZHANGSAN", id_number=MASKED_ID,
                 id_number_norm=MASKED_ID),
        ],
        "orders": [
            dict(order, order_no="O1", buyer_name="LI NA", buyer_name_norm="LINA",
                 buyer_id_number_norm=VALID_ID, buyer_id_number_valid=True,
                 consignee="Li Na", consignee_norm="LINA", consignee_telephone_e164=PHONE_SHARED,
                 consignee_address="Rm 1, 5 Rd", consignee_address_norm="RM 1 5 RD",
                 consignee_address_key="ak1", pay_transaction_id="T1"),
            dict(order, order_no="O2", buyer_name="Zhao Li", buyer_name_norm="ZHAOLI",
                 buyer_id_number_norm=MASKED_ID, consignee="Zhao Li", consignee_norm="ZHAOLI",
                 consignee_telephone_e164=PHONE_SHARED, consignee_address_key="ak1",
                 consignee_address="RM 1, 5 ROAD", consignee_address_norm="RM 1 5 RD",
                 pay_transaction_id="T2"),
        ],
        "payments": [dict(pay_code="PAY1", pay_transaction_id="T1", order_no="O1",
                          ebp_code="EBP1", payer_name="Li Na", payer_name_norm="LINA",
                          payer_id_number_norm=VALID_ID, payer_id_number_valid=True,
                          payer_account_no="ACC9", amount_paid=110.0, currency="CNY")],
        "declarations": [
            dict(invt_no="D1", order_no="O1", ebp_code="EBP1", ebc_code="EBC1",
                 logistics_code="LOG1", logistics_no="W1", agent_code="AGT1", ie_flag="I",
                 channel="cbec", country="US", owner_code="NO", currency="CNY"),
            dict(invt_no="D2", order_no="O404", ebp_code="EBP1", ebc_code="EBC1",
                 logistics_code="LOG1", logistics_no="W2", agent_code="AGT1", ie_flag="E",
                 channel="express", country="GB", currency="CNY"),
        ],
        "declaration_lines": [
            dict(invt_no="D1", gnum=2, gcode="9503008900", gname="doll", qty=1.0,
                 total_price=40.0, brand_type=0, bar_code="690001"),
            dict(invt_no="D1", gnum=1, gcode="9503008900", gname="plush toy", qty=2.0,
                 total_price=60.0, brand_type=1, brand="POP MART", bar_code="690001"),
        ],
        "check_results": [
            dict(invt_no="D1", check_id="TL-05", status="fail", severity="B", delta=5.0),
            dict(invt_no="D1", check_id="TL-03", status="pass", severity="B"),
            dict(invt_no="D1", check_id="TL-22", status="risk", severity="R"),
        ],
        "inspections": [dict(inspection_id="I1", invt_no="D1", outcome="seized",
                             method="physical")],
        "seizures": [dict(seizure_id="S1", inspection_id="I1", invt_no="D1", qty=30.0,
                          reason="ipr")],
    }


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "staging.duckdb"))
    put_staging(c, world())
    project(c, "L1")
    yield c
    c.close()


def rows(con, sql):
    return con.execute(sql).fetchall()


def test_every_schema_type_gets_a_table(con):
    s = load_schema()
    have = {r[0] for r in rows(con, "SELECT table_name FROM information_schema.tables")}
    # derived types (rings) are detection's, never projected
    assert {f"node_{n}" for n, t in s.nodes.items() if not t.derived} <= have
    assert {f"edge_{e}" for e, t in s.edges.items() if not t.derived} <= have
    assert "node_Ring" not in have and "edge_RING_MEMBER" not in have
    cols = [r[0] for r in rows(con, "SELECT column_name FROM information_schema.columns WHERE "
                                    "table_name = 'edge_CLASSIFIED_AS' ORDER BY ordinal_position")]
    assert cols == ["from_label", "from_key", "to_label", "to_key", "source", "gnum", "qty",
                    "price", "_load_id"]


def test_shared_phone_is_one_node_with_edges_from_both_orders(con):
    assert rows(con, f"SELECT count(*) FROM node_Phone WHERE phone = '{PHONE_SHARED}'") == [(1,)]
    contact = rows(con, "SELECT from_key, role, source FROM edge_CONTACT "
                        f"WHERE to_key = '{PHONE_SHARED}' ORDER BY ALL")
    assert contact == [("EBP1|O1", "consignee", "orders"), ("EBP1|O2", "consignee", "orders")]
    owners = rows(con, "SELECT DISTINCT from_key FROM edge_HAS_PHONE "
                       f"WHERE to_key = '{PHONE_SHARED}' ORDER BY 1")
    # Li Na by her ID; consignees carry no ID, so "Li Na" and "Zhao Li" on the orders are
    # keyed by name + phone: three owners of one phone (resolution may link the Li Nas)
    assert owners == sorted([(f"id:{VALID_ID}",), (person_key(None, None, "LINA", PHONE_SHARED),),
                             (person_key(None, None, "ZHAOLI", PHONE_SHARED),)])
    assert rows(con, f"SELECT country, is_mobile FROM node_Phone "
                     f"WHERE phone = '{PHONE_SHARED}'") == [("CN", True)]


def test_masked_id_does_not_merge_two_people_nor_make_an_id_node(con):
    keys = rows(con, "SELECT person_key FROM node_Person WHERE name_norm IN "
                     "('WANGWEI', 'ZHANGSAN') ORDER BY name_norm")
    assert len(keys) == 2 and keys[0] != keys[1]
    assert keys[0][0] == person_key(MASKED_ID, None, "WANGWEI", None)
    assert rows(con, f"SELECT count(*) FROM node_IdNumber WHERE id_key = '{MASKED_ID}'") == [(0,)]


def test_valid_id_merges_name_variants_across_sources(con):
    pk = f"id:{VALID_ID}"
    assert rows(con, f"SELECT name, birth_year, region_code, id_valid FROM node_Person "
                     f"WHERE person_key = '{pk}'") == [("Li Na", 1992, "110105", True)]
    assert rows(con, "SELECT count(*) FROM node_Person WHERE name_norm = 'LEENA'") == [(0,)]
    sources = rows(con, f"SELECT source FROM edge_HAS_ID WHERE from_key = '{pk}' ORDER BY 1")
    assert sources == [("orders",), ("payments",), ("persons",)]
    assert rows(con, "SELECT from_label, from_key FROM edge_BUYER "
                     f"WHERE to_key = '{pk}'") == [("Order", "EBP1|O1")]
    assert rows(con, "SELECT from_key, to_key FROM edge_PAID_BY") == [("PAY1|T1", pk)]
    assert rows(con, "SELECT to_key FROM edge_HAS_EMAIL") == [("lina@example.cn",)]


def test_check_results_only_for_non_passing_and_declaration_aggregates(con):
    assert rows(con, "SELECT check_key, status FROM node_CheckResult ORDER BY 1") == [
        ("D1|TL-05", "fail"), ("D1|TL-22", "risk")]
    assert rows(con, "SELECT count(*) FROM edge_HAS_CHECK") == [(2,)]
    d1 = rows(con, "SELECT line_count, total_qty, total_value, brand_types, brands, gnames, "
                   "tl_failed, tl_fail_count, inspected, outcome FROM node_Declaration "
                   "WHERE invt_no = 'D1'")
    assert d1 == [(2, 3.0, 100.0, "1|0", "POP MART", "plush toy|doll", "TL-05|TL-22", 2,
                   True, "seized")]
    assert rows(con, "SELECT seized_qty, seizure_reason FROM node_Inspection") == [
        (30.0, "ipr")]


def test_edges_need_both_ends_and_references_make_nodes(con):
    # D2 names an order nobody sent: no FOR_ORDER edge to it, no Order node invented.
    assert rows(con, "SELECT from_key, to_key FROM edge_FOR_ORDER") == [("D1", "EBP1|O1")]
    # unregistered codes become stub enterprises with the roles they were seen in
    assert rows(con, "SELECT code, roles, name FROM node_Enterprise ORDER BY 1") == [
        ("AGT1", "agent", None), ("EBC1", "ebc", "Starlight Co"), ("EBP1", "ebp", None),
        ("LOG1", "logistics", None), ("PAY1", "payment", None)]
    assert rows(con, "SELECT from_key, to_key FROM edge_DESTINED_TO") == [("D2", "GB")]
    assert rows(con, "SELECT iso2, name FROM node_Country ORDER BY 1") == [
        ("GB", "United Kingdom"), ("US", "United States")]
    assert rows(con, "SELECT count(*) FROM edge_OWNED_BY") == [(0,)]
    # two lines, same HS code: two CLASSIFIED_AS edges told apart by gnum, one HsCode node
    assert rows(con, "SELECT gnum FROM edge_CLASSIFIED_AS ORDER BY 1") == [(1,), (2,)]
    assert rows(con, "SELECT gcode, chapter FROM node_HsCode") == [("9503008900", "95")]
    assert rows(con, "SELECT account_key, pay_code, account_no FROM node_PaymentAccount") == [
        ("PAY1|ACC9", "PAY1", "ACC9")]
    assert rows(con, "SELECT address_key, address_norm FROM node_Address ORDER BY 1") == [
        ("ak1", "RM 1 5 RD"), ("akE", "NO 88 RD")]


def dump(con) -> dict[str, list]:
    """Every graph table's content without lineage, sorted."""
    s = load_schema()
    out = {}
    for t in [f"node_{n}" for n in s.projected_nodes] + [f"edge_{e}" for e in s.projected_edges]:
        out[t] = rows(con, f"SELECT * EXCLUDE (_load_id) FROM {t} ORDER BY ALL")
    return out


def test_same_staging_in_another_load_order_gives_the_same_graph(con, tmp_path):
    other = duckdb.connect(str(tmp_path / "other.duckdb"))
    w = world()
    # the same rows, tables and rows reversed, split over two loads in the other order
    items = list(w.items())[::-1]
    put_staging(other, {t: r[::-1] for t, r in items[:4]}, load_id="L2")
    put_staging(other, {t: r[::-1] for t, r in items[4:]}, load_id="L1")
    counts = project(other, "L2")
    assert dump(other) == dump(con)
    # a first projection: every row is new; a second one with nothing new changes nothing
    assert counts["node_Declaration"] == 2 and counts["node_Order"] == 2
    assert set(project(other, "L3").values()) == {0}
    other.close()


def test_changed_row_counts_only_what_it_touched(con):
    put_staging(con, {"orders": [dict(rows_of(con, "stg_orders", "order_no = 'O2'"),
                                      note="618 promotion")]}, load_id="L9")
    counts = project(con, "L9")
    assert counts["node_Order"] == 1
    assert counts["node_Declaration"] == 0
    assert rows(con, "SELECT order_no, note, _load_id FROM node_Order ORDER BY 1") == [
        ("O1", None, "L1"), ("O2", "618 promotion", "L9")]


def test_a_table_gets_a_new_version_only_when_its_content_changed(con):
    q = "SELECT table_name, version FROM graph_table_versions"
    before = dict(rows(con, q))
    assert "node_Order" in before and "edge_SHIP_TO" in before
    project(con, "L8")  # nothing new
    assert dict(rows(con, q)) == before
    put_staging(con, {"orders": [dict(rows_of(con, "stg_orders", "order_no = 'O2'"),
                                      note="618 promotion")]}, load_id="L9")
    project(con, "L9")
    after = dict(rows(con, q))
    assert {t for t in before if after[t] != before[t]} == {"node_Order"}


def rows_of(con, table, where):
    cur = con.execute(f"SELECT * EXCLUDE (_load_id) FROM {table} WHERE {where}")
    names = [d[0] for d in cur.description]
    return dict(zip(names, cur.fetchall()[0], strict=True))


def test_no_edge_table_holds_a_row_twice(con):
    # only the MAY_REPEAT types are de-duplicated; every other block must yield each edge once
    put_staging(con, {"persons": [dict(person_ref="P5", name="Li Na", name_norm="LINA",
                                       id_number_norm=VALID_ID, id_number_valid=True,
                                       telephone_e164=PHONE_SHARED, email="lina@example.cn")]},
                load_id="L2")
    project(con, "L2")
    for e in load_schema().projected_edges:
        n, d = rows(con, f"SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT * EXCLUDE "
                         f"(_load_id) FROM edge_{e})) FROM edge_{e}")[0]
        assert n == d, e
    assert rows(con, "SELECT count(*) FROM edge_HAS_EMAIL") == [(1,)]
