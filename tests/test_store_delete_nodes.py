"""``GraphStore.delete_nodes``, the write the sync retracts nodes with: part of the store
contract, run on every store (Ladybug always, Neo4j when NEO4J_URI is set)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from graph.schema import SchemaError

PHONES = ["+8613800138000", "+8613900139000", "+8613700137000"]


def _three_phones_one_linked(store) -> None:
    store.write_nodes("Phone", pa.table({"phone": PHONES}))
    store.write_nodes("Person", pa.table({"person_key": ["p1"], "name": ["Li Na"]}))
    store.write_edges("HAS_PHONE", "Person", "Phone",
                      pa.table({"from_key": ["p1"], "to_key": [PHONES[2]]}), batch="b1")


def _phones(store) -> list[str]:
    return sorted(r["p"] for r in store.query("MATCH (n:Phone) RETURN n.phone AS p"))


def test_delete_nodes_deletes_the_given_keys_only(store):
    _three_phones_one_linked(store)
    assert store.delete_nodes("Phone", [PHONES[0]]) == 1
    assert _phones(store) == sorted(PHONES[1:])
    assert store.count_nodes("Person") == 1


def test_delete_nodes_is_idempotent_and_ignores_unknown_and_repeated_keys(store):
    _three_phones_one_linked(store)
    assert store.delete_nodes("Phone", [PHONES[0], PHONES[0], "+10000000000"]) == 1
    assert store.delete_nodes("Phone", [PHONES[0]]) == 0
    assert store.delete_nodes("Phone", []) == 0
    assert store.count_nodes("Phone") == 2


def test_delete_nodes_keeps_a_node_that_still_has_an_edge(store):
    _three_phones_one_linked(store)
    assert store.delete_nodes("Phone", [PHONES[1], PHONES[2]]) == 1
    assert _phones(store) == sorted([PHONES[0], PHONES[2]])
    assert store.count_edges("HAS_PHONE") == 1
    store.write_edges("HAS_PHONE", "Person", "Phone", pa.table({"from_key": pa.array(
        [], pa.string()), "to_key": pa.array([], pa.string())}), batch="b1")  # edge retracted
    assert store.delete_nodes("Phone", [PHONES[2]]) == 1
    assert _phones(store) == [PHONES[0]]


def test_delete_nodes_refuses_unknown_labels_and_non_string_keys(store):
    _three_phones_one_linked(store)
    with pytest.raises(SchemaError):
        store.delete_nodes("Vessel", ["x"])
    with pytest.raises(ValueError, match="keys must be strings"):
        store.delete_nodes("Phone", [None])
    assert store.count_nodes("Phone") == 3
