"""The local Neo4j server's launcher and its Python side (graph/store/neo4j_local_server.py).

Starting a whole server is what ``neo4j_env`` does for the Neo4j tests; here, what fails
fast: a refused password, a port already taken, and the settings a started server gives.
"""

from __future__ import annotations

import socket

import pytest
from conftest import REQUIRE_NEO4J

from graph.store import neo4j_local_server as local

needs_jars = pytest.mark.skipif(
    not local.jars_ready() and not REQUIRE_NEO4J,
    reason="the local Neo4j server's jars are not fetched (make neo4j-jars)")


def test_free_port_is_free():
    port = local.free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # would raise if something held it


def test_the_pom_and_the_module_pin_the_same_version():
    pom = (local.SERVER_DIR / "pom.xml").read_text()
    assert f"<neo4j.version>{local.NEO4J_VERSION}</neo4j.version>" in pom


@needs_jars
def test_a_short_password_is_refused_with_the_launchers_reason(tmp_path):
    local.prepare(log=lambda _m: None)
    with pytest.raises(local.LocalServerError, match="(?s)exited with code 2.*8 characters"):
        local.start(tmp_path / "data", password="short", log=lambda _m: None, timeout=60)


def test_env_names_the_server_and_its_database(tmp_path):
    server = local.LocalNeo4j("bolt://127.0.0.1:7999", "a-password", tmp_path)
    assert server.env == {"NEO4J_URI": "bolt://127.0.0.1:7999", "NEO4J_USER": "neo4j",
                          "NEO4J_PASSWORD": "a-password", "NEO4J_DATABASE": "neo4j"}
    server.stop()  # never started: nothing to stop, no error
