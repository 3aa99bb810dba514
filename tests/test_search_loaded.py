"""Search over a graph written by the real ``cbec load``: the query must be put in the same
normal form the ETL stored, whatever spelling the investigator types."""

from __future__ import annotations

import pytest

from etl.load import load
from graph.store import open_store
from tests.loader_world import write_world


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    base = tmp_path_factory.mktemp("loaded")
    load(write_world(base / "in", "csv"), base / "ws", say=lambda m: None)
    s = open_store(base / "ws", read_only=True)
    yield s
    s.close()


@pytest.mark.parametrize("query", [
    "Yiwu Starlight Trading Co., Ltd.",        # as registered
    "yiwu starlight trading company limited",  # other case and suffix
    "Yiwu Starlite Trading",                    # a typo
])
def test_firm_names_are_found_in_any_spelling(store, query):
    hits = store.search(query, labels=["Enterprise"])
    assert hits and hits[0].ref.key == "3301960A2K", hits


@pytest.mark.parametrize("query", ["Li Na", "LiNa", "li  na"])
def test_person_names_ignore_spacing_and_case(store, query):
    hits = store.search(query, labels=["Person"])
    assert hits and hits[0].display.replace(" ", "").lower() == "lina", hits


def test_address_variants_meet_the_stored_form(store):
    hits = store.search("Room 1203, Building 5, 18 Jianguo Road", labels=["Address"])
    assert hits and "JIANGUO" in hits[0].properties["address_norm"], hits


def test_exact_search_needs_the_whole_normalised_text(store):
    assert store.search("Starlight", labels=["Enterprise"], fuzzy=False)
    assert not store.search("Starlite", labels=["Enterprise"], fuzzy=False)
