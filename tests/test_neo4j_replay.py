"""The Neo4j store's reads on realistic rows, without a server.

Each query-API call runs on the embedded store holding the tiny test ring; the rows it got
back are replayed, statement by statement, to a ``Neo4jStore``. The query API is shared
code, so both must issue the same number of statements and return the same result; on the
Neo4j side every read must be routed to readers and carry its values as parameters only.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import P1_ID, PHONE, make_store, ref, write_tiny_ring

from graph.store.neo4j_store import Neo4jStore
from graph.store.testing import ReplayRunner, record_answers

P1, S1, S2 = ref("Person", "id:" + P1_ID), ref("Enterprise", "S1"), ref("Enterprise", "S2")

CALLS = {
    "get_node": lambda st: st.get_node(P1),
    "counts": lambda st: (st.count_nodes(), st.count_edges("HAS_PHONE")),
    "search name": lambda st: st.search("Zhang Wie"),
    "search phone": lambda st: st.search("+86 138 0013 8000"),
    "search id": lambda st: st.search(P1_ID),
    "search address": lambda st: st.search("南山区科技园"),
    "sharing_identifier": lambda st: st.sharing_identifier(S1),
}
# subgraph and neighbourhood are Neo4j's own (a few statements instead of one per node):
# the contract suite and tests/test_neo4j_server.py check them on the server, beside the
# embedded store.


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    store = make_store("ladybug", tmp_path_factory.mktemp("replay"))
    write_tiny_ring(store)
    answers = record_answers(store)
    yield store, answers
    store.close()


def test_neo4j_store_follows_the_embedded_store(embedded):
    # One Neo4jStore through every call in the same order as the embedded store, so any
    # state the shared code keeps between calls (caches) evolves the same on both sides.
    store, answers = embedded
    neo = Neo4jStore(ReplayRunner([]))
    for name, call in CALLS.items():
        answers.clear()
        expected = call(store)
        neo.runner = replay = ReplayRunner(answers)
        assert call(neo) == expected, name
        assert len(replay.calls) == len(answers) > 0, name
        assert all(c.read for c in replay.calls), name
        for c in replay.calls:
            for value in (P1_ID, PHONE, "Zhang", "南山"):
                assert value not in c.query, name
            for v in c.params.values():  # aware datetimes were made naive UTC
                assert not (isinstance(v, datetime) and v.tzinfo), name
