"""graph/schema.py: the YAML loads, names are checked, DDL runs on Ladybug, Neo4j text is right."""

from __future__ import annotations

import pytest
import yaml

from graph.schema import (
    BATCH_PROPERTY,
    SCHEMA_PATH,
    SchemaError,
    _parse,
    ident,
    ladybug_ddl,
    load_schema,
    neo4j_constraints,
)


def test_packaged_schema_loads_with_pivots():
    s = load_schema()
    assert set(s.pivots()) == {"Phone", "Address", "PaymentAccount", "IdNumber", "Email"}
    assert s.node("Order").key == "order_key"
    assert ("Payment", "Phone") in s.edge("CONTACT").pairs
    assert "_batch" not in s.edge("CONTACT").properties
    assert s.edge("CONTACT").all_properties()[BATCH_PROPERTY] == "STRING"
    assert s.neighbour_labels("IdNumber") == ["Case", "Person", "Ring"]  # Case, Ring: derived
    assert s.far_labels("Order", outgoing=False) == ["Declaration", "PartnerEntity", "Payment"]


def test_unknown_names_are_rejected():
    s = load_schema()
    with pytest.raises(SchemaError, match="unknown node label 'Persn'.*Person"):
        s.node("Persn")
    with pytest.raises(SchemaError, match="unknown edge type"):
        s.edge("KNOWS")


@pytest.mark.parametrize("name", ["Person`) DETACH DELETE n //", "a b", "1abc", "", "x-y",
                                  "名字"])
def test_identifiers_are_checked(name):
    with pytest.raises(SchemaError, match="not a valid identifier"):
        ident(name)


def _doc():
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["nodes"].update({"Bad Label": {"key": "k", "properties": {"k": "STRING"}}}),
     "not a valid identifier"),
    (lambda d: d["nodes"]["Phone"]["properties"].update({"x": "TEXT"}), "has type 'TEXT'"),
    (lambda d: d["nodes"]["Phone"].update({"key": "nope"}), "key 'nope'"),
    (lambda d: d["edges"]["PAYS"].update({"pairs": [["Payment", "Invoice"]]}),
     "unknown label 'Invoice'"),
    (lambda d: d["edges"]["PAYS"]["properties"].update({"_batch": "STRING"}), "implicit"),
    (lambda d: d["edges"]["PAYS"]["properties"].update({"x;y": "STRING"}),
     "not a valid identifier"),
])
def test_malformed_schema_is_rejected(mutate, message):
    doc = _doc()
    mutate(doc)
    with pytest.raises(SchemaError, match=message):
        _parse(doc, "schema.yaml")


def test_ladybug_ddl_executes_and_is_idempotent(tmp_path):
    import ladybug

    s = load_schema()
    ddl = ladybug_ddl(s)
    derived = sum(len(n.derived_properties) for n in s.nodes.values())  # ALTER ... ADD
    assert len(ddl) == len(s.nodes) + len(s.edges) + derived
    db = ladybug.Database(str(tmp_path / "g"), buffer_pool_size=64 * 1024**2)
    conn = ladybug.Connection(db)
    for _ in range(2):
        for statement in ddl:
            conn.execute(statement)
    tables = {row[1]: row[2] for row in conn.execute("CALL show_tables() RETURN *").get_all()}
    assert {k for k, v in tables.items() if v == "NODE"} == set(s.nodes)
    assert {k for k, v in tables.items() if v == "REL"} == set(s.edges)
    cols = conn.execute("CALL table_info('CONTACT') RETURN *").get_all()
    assert {c[1] for c in cols} == {"source", "role", "_batch"}
    conn.close()
    db.close()


def test_ladybug_ddl_text():
    ddl = ladybug_ddl(load_schema())
    assert ("CREATE REL TABLE IF NOT EXISTS `HAS_PHONE`(FROM `Person` TO `Phone`, "
            "FROM `Enterprise` TO `Phone`, `source` STRING, `_batch` STRING)") in ddl
    assert any(d.startswith("CREATE NODE TABLE IF NOT EXISTS `Order`(`order_key` STRING")
               and d.endswith("PRIMARY KEY(`order_key`))") for d in ddl)


def test_neo4j_constraints_golden():
    s = load_schema()
    text = neo4j_constraints(s)
    assert ("CREATE CONSTRAINT phone_phone_unique IF NOT EXISTS "
            "FOR (n:`Phone`) REQUIRE n.`phone` IS UNIQUE") in text
    assert ("CREATE INDEX person_name_norm IF NOT EXISTS "
            "FOR (n:`Person`) ON (n.`name_norm`)") in text
    assert ("CREATE INDEX contact_batch IF NOT EXISTS "
            "FOR ()-[r:`CONTACT`]-() ON (r.`_batch`)") in text
    n_index = sum(len(n.index) for n in s.nodes.values())
    assert len(text) == len(s.nodes) + n_index + len(s.edges)
    assert all("IF NOT EXISTS" in t for t in text)
