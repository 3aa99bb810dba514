"""Check every Cypher statement the Neo4j store can build with Neo4j's own front end, no server.

Builds each statement the store may send: ``ensure_schema``, the writes for every label and
edge-type pair, the ``shortestPath`` override, and the query API's statements in the Neo4j
dialect (recorded by replaying a workload on the tiny test ring, see
:func:`read_statements`), and lints them with ``lintCypherQuery`` from the npm package
``@neo4j-cypher/language-support`` (Neo4j's Cypher parser and semantic analysis: syntax,
variables out of scope, clause order). Warnings count as findings; "parameter not
defined" does not (parameters exist only at run time).

A developer tool, not part of ``make test``: it needs Node.js and that package, installed
once outside the repository::

    npm install --prefix ~/.cache/cypher-lint @neo4j-cypher/language-support@2.0.0-next.38
    .venv/bin/python bench/lint_neo4j_cypher.py --node-modules ~/.cache/cypher-lint/node_modules

Without them it says so and exits 0. Exit status 1 when any statement has a finding.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from graph.schema import load_schema, neo4j_constraints
from graph.store import neo4j_cypher as nc
from graph.store.cypher_base import HUB_LABELS
from graph.store.queries import NEO4J, Q

PACKAGE = "@neo4j-cypher/language-support"
_LINT_JS = r"""
const ls = require(process.argv[2]);
const items = JSON.parse(require('fs').readFileSync(process.argv[3], 'utf8'));
const out = [];
const runtimeOnly = /^Parameter \$\w+ is not defined/;
for (const {query, params, where} of items) {
  for (const prefix of ['CYPHER 5 ', 'CYPHER 25 ']) {
    const parameters = Object.fromEntries(params.map(p => [p, '']));
    const r = ls.lintCypherQuery(prefix + query, {parameters});
    const msgs = r.diagnostics.map(d => d.message).filter(m => !runtimeOnly.test(m));
    if (msgs.length) out.push({where, prefix, query, msgs});
  }
}
console.log(JSON.stringify(out));
"""


def write_statements() -> list[dict]:
    """``{"where", "query", "params"}`` for the Neo4j-only statements, for every label, edge
    pair and hop bound: schema, writes, the ``shortestPath`` override, the connection ping."""
    s = load_schema()
    out: list[dict] = []

    def add(where: str, query: str, params: tuple[str, ...] = ()) -> None:
        out.append({"where": where, "query": query, "params": sorted(params)})

    for st in neo4j_constraints(s):
        add("ensure_schema", st)
    for n in s.nodes.values():
        for p in n.index:
            add("ensure_schema text index", nc.text_index_query(n.label, p))
        add("write_nodes", nc.merge_nodes_query(n.label, n.key), ("rows",))
    for e in s.edges.values():
        for a, b in e.pairs:
            add("write_edges delete", nc.delete_batch_query(e.name, a, b), ("batch", "limit"))
            add("write_edges create",
                nc.create_edges_query(e.name, a, s.node(a).key, b, s.node(b).key),
                ("batch", "rows"))
    key_expr = Q(s, NEO4J).key_of("n", list(s.nodes))
    for hops in range(1, 7):
        add("shortest_path", nc.shortest_path_query("Person", "person_key", "Enterprise", "code",
                                                    hops, HUB_LABELS, key_expr),
            ("a", "b", "max_degree"))
    add("from_env ping", "RETURN 1 AS ok")
    return out


def read_statements(workdir: Path) -> tuple[list[dict], list[str]]:
    """The query API's statements in the Neo4j dialect, found by running a workload on the
    tiny test ring in the embedded store and replaying each call's rows to a ``Neo4jStore``.

    Returns the statements and the calls whose statement counts differed between stores.
    """
    import importlib.util

    from graph.store.base import NodeRef as R
    from graph.store.ladybug_store import LadybugStore
    from graph.store.neo4j_store import Neo4jStore
    from graph.store.testing import ReplayRunner, record_answers

    conftest = Path(__file__).resolve().parents[1] / "tests" / "conftest.py"
    spec = importlib.util.spec_from_file_location("ring_conftest", conftest)
    ring = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ring)

    lb = LadybugStore(workdir / "graph", buffer_pool_bytes=64 * 1024**2)
    lb.ensure_schema()
    ring.write_tiny_ring(lb)
    seen = record_answers(lb)
    p1, s1 = R("Person", "id:" + ring.P1_ID), R("Enterprise", "S1")
    calls = [
        ("get_node", lambda st: st.get_node(p1)),
        ("count_nodes", lambda st: st.count_nodes()),
        ("count_edges", lambda st: st.count_edges()),
        ("search name", lambda st: st.search("Zhang Wie")),
        ("search exact", lambda st: st.search("zhang wei", fuzzy=False, labels=["Person"])),
        ("search phone", lambda st: st.search("+86 138 0013 8000")),
        ("search id", lambda st: st.search(ring.P1_ID)),
        ("search e-mail", lambda st: st.search("a@b.cn")),
        ("search address", lambda st: st.search("南山区科技园")),
        ("neighbourhood 1", lambda st: st.neighbourhood(s1, hops=1)),
        ("neighbourhood 3", lambda st: st.neighbourhood(s1, hops=3)),
        ("neighbourhood dated", lambda st: st.neighbourhood(p1, hops=2, since=datetime(2024, 3, 1),
                                                            until=datetime(2024, 9, 1))),
        ("neighbourhood typed", lambda st: st.neighbourhood(s1, hops=2,
                                                            edge_types=["HAS_PHONE"])),
        ("neighbourhood hub", lambda st: st.neighbourhood(R("Declaration", "D1"), hops=2)),
        ("sharing_identifier", lambda st: st.sharing_identifier(s1)),
        ("sharing_identifier payment",
         lambda st: st.sharing_identifier(R("Payment", "PAYCO|T1"))),
        ("subgraph", lambda st: st.subgraph([s1, R("Enterprise", "S2"),
                                              R("Phone", ring.PHONE)])),
    ]
    out, diverged = [], []
    neo = Neo4jStore(ReplayRunner([]))  # one store, like `lb`: caches evolve alike
    for name, call in calls:
        seen.clear()
        call(lb)
        neo.runner = replay = ReplayRunner(seen)
        call(neo)
        if len(replay.calls) != len(seen):
            diverged.append(name)
        out += [{"where": name, "query": c.query, "params": sorted(c.params)}
                for c in replay.calls]
    lb.close()
    return out, diverged


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--node-modules", type=Path, required=False,
                    help=f"the node_modules folder holding {PACKAGE}")
    args = ap.parse_args(argv)
    pkg = args.node_modules / PACKAGE if args.node_modules else None
    if not shutil.which("node") or pkg is None or not pkg.is_dir():
        print(f"needs Node.js and {PACKAGE}; see the top of {Path(__file__).name}. Skipped.")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        reads, diverged = read_statements(Path(tmp))
    items = write_statements() + reads
    items = list({(i["query"], tuple(i["params"])): i for i in items}.values())
    for name in diverged:
        print(f"note: {name}: the stores issued different numbers of statements")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "lint.cjs").write_text(_LINT_JS)
        (Path(tmp) / "items.json").write_text(json.dumps(items))
        res = subprocess.run(["node", str(Path(tmp) / "lint.cjs"), str(pkg.resolve()),
                              str(Path(tmp) / "items.json")],
                             capture_output=True, text=True, check=True)
    findings = json.loads(res.stdout.strip().splitlines()[-1])
    for f in findings:
        print(f"{f['where']} ({f['prefix'].strip()}): {' | '.join(f['msgs'])}\n"
              f"    {' '.join(f['query'].split())[:300]}")
    print(f"{len(items)} statements linted as Cypher 5 and Cypher 25: "
          f"{len(findings)} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
