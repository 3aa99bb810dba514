"""Measure entity resolution against the generator's ground truth.

Usage::

    cbec generate --declarations 100000 --seed 7 --out DIR
    cbec load DIR --workspace WORKSPACE
    python bench/eval_resolution.py DIR WORKSPACE [--rerun] [--json FILE]

Every register record (``persons.person_ref``, ``enterprises.enterprise_code``,
``addresses.address_ref``) is mapped to the node it became (its node key, computed from its
staging row with the ``etl.keys`` rules) and then to its resolved cluster (connected
components over ``SAME_AS``). Pairwise precision, recall and F1 are counted against
``DIR/ground_truth/entity_identity.parquet`` (``entity_type, record_key, true_id``), once
for exact keys alone and once for keys + ``SAME_AS``. ``--rerun`` first drops the
workspace's ``SAME_AS`` edges and fingerprints and runs ``resolve`` again, timing it.

Only this script reads the ground truth; ``etl.resolution`` never does.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from etl.keys import create_key_macros  # noqa: E402

__all__ = ["PairScores", "pairwise_scores", "components", "conflicting_components",
           "record_nodes", "evaluate", "main"]

GROUND_TRUTH = Path("ground_truth") / "entity_identity.parquet"
ENTITY_TYPES = {"person": "Person", "enterprise": "Enterprise", "address": "Address"}

# Register record -> node key, with the projection's own key rules (etl.keys macros).
RECORD_NODE_SQL = {
    "person": "SELECT person_ref AS record_key, person_key(id_number_norm, id_number_valid, "
              "name_norm, telephone_e164) AS node_key FROM stg_persons",
    "enterprise": "SELECT enterprise_code AS record_key, enterprise_code AS node_key "
                  "FROM stg_enterprises",
    "address": "SELECT address_ref AS record_key, address_key AS node_key FROM stg_addresses",
}


@dataclass(frozen=True)
class PairScores:
    """Pairwise counts and scores for one clustering of one entity type."""

    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


def _pairs(sizes: pd.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def pairwise_scores(predicted: pd.Series, truth: pd.Series) -> PairScores:
    """Pairwise precision/recall of a clustering: a pair is two records in one cluster.

    >>> s = pairwise_scores(pd.Series(["a", "a", "b", "b"]), pd.Series([1, 1, 1, 2]))
    >>> (s.true_pairs, s.predicted_pairs, s.correct_pairs)
    (3, 2, 1)
    """
    df = pd.DataFrame({"p": predicted.to_numpy(), "t": truth.to_numpy()})
    return PairScores(true_pairs=_pairs(df.groupby("t").size()),
                      predicted_pairs=_pairs(df.groupby("p").size()),
                      correct_pairs=_pairs(df.groupby(["p", "t"]).size()))


def components(edges: list[tuple[str, str]]) -> dict[str, str]:
    """Union-find over edges: node -> representative (the smallest key of its component).

    >>> components([("b", "a"), ("c", "b"), ("x", "y")])
    {'a': 'a', 'b': 'a', 'c': 'a', 'x': 'x', 'y': 'x'}
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            lo, hi = sorted((ra, rb))
            parent[hi] = lo
    return {x: find(x) for x in sorted(parent)}


def conflicting_components(rep: dict[str, str]) -> int:
    """SAME_AS components holding two ID-keyed persons of one kind (two clear IDs, or two
    hashes): a chain of pairwise links gluing two documented people. Needs no ground truth,
    so it also covers the message mentions the ground truth does not list.

    >>> conflicting_components({"id:1": "id:1", "nm:a": "id:1", "id:2": "id:1"})
    1
    """
    kinds: dict[str, dict[str, set]] = {}
    for key, root in rep.items():
        if key.startswith("id:"):
            kind = "hash" if key[3:].upper().startswith(("SHA", "MD5")) else "clear"
            kinds.setdefault(root, {}).setdefault(kind, set()).add(key)
    return sum(any(len(v) > 1 for v in k.values()) for k in kinds.values())


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_name = ?", [name]).fetchall()[0][0])


def record_nodes(con: duckdb.DuckDBPyConnection, entity_type: str) -> pd.DataFrame:
    """``record_key, node_key`` for every register record of ``entity_type`` in staging."""
    create_key_macros(con)
    return con.sql(RECORD_NODE_SQL[entity_type]).df()


def evaluate(con: duckdb.DuckDBPyConnection, truth: pd.DataFrame) -> dict[str, dict]:
    """Scores per entity type for exact keys alone and for keys + ``SAME_AS``.

    Records of the ground truth that staging lacks (quarantined) count as singletons.
    """
    out: dict[str, dict] = {}
    for etype, label in ENTITY_TYPES.items():
        gt = truth[truth["entity_type"] == etype][["record_key", "true_id"]]
        if gt.empty:
            continue
        nodes = record_nodes(con, etype)
        df = gt.merge(nodes, on="record_key", how="left")
        missing = int(df["node_key"].isna().sum())
        df["node_key"] = df["node_key"].fillna("missing:" + df["record_key"])
        edges: list[tuple[str, str]] = []
        if _has_table(con, "edge_SAME_AS"):
            edges = list(con.execute(
                "SELECT from_key, to_key FROM edge_SAME_AS WHERE from_label = ? AND to_label = ?",
                [label, label]).fetchall())
        rep = components(edges)
        df["cluster"] = [rep.get(k, k) for k in df["node_key"]]
        extra = {"conflicting_components": conflicting_components(rep)} if etype == "person" \
            else {}
        out[etype] = {**extra,
            "records": len(df), "true_entities": int(df["true_id"].nunique()),
            "missing_in_staging": missing, "nodes": int(df["node_key"].nunique()),
            "clusters": int(df["cluster"].nunique()), "same_as_edges": len(edges),
            "keys": pairwise_scores(df["node_key"], df["true_id"]).as_dict(),
            "keys_same_as": pairwise_scores(df["cluster"], df["true_id"]).as_dict(),
        }
    return out


def _rerun(con: duckdb.DuckDBPyConnection) -> dict:
    """Drop SAME_AS and fingerprints, resolve from scratch, then once more (incremental)."""
    from etl.resolution import resolve

    con.execute("DROP TABLE IF EXISTS edge_SAME_AS")
    con.execute("DROP TABLE IF EXISTS resolution_state")
    t0 = time.perf_counter()
    full = resolve(con, "eval-full", progress=True)
    t_full = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = resolve(con, "eval-again")
    return {"full_seconds": round(t_full, 2), "full": full.as_dict(),
            "rerun_seconds": round(time.perf_counter() - t0, 2), "rerun_links": again.links}


def _print(results: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title="Entity resolution: pairwise scores against the ground truth")
    for c in ("entity", "records", "true ent.", "nodes", "clusters", "SAME_AS", "method",
              "true pairs", "pred. pairs", "precision", "recall", "F1"):
        t.add_column(c, justify="left" if c in ("entity", "method") else "right")
    for etype, r in results.items():
        for name, key in (("keys", "keys"), ("keys+SAME_AS", "keys_same_as")):
            s = r[key]
            t.add_row(etype, str(r["records"]), str(r["true_entities"]), str(r["nodes"]),
                      str(r["clusters"]), str(r["same_as_edges"]), name, str(s["true_pairs"]),
                      str(s["predicted_pairs"]), f"{s['precision']:.4f}", f"{s['recall']:.4f}",
                      f"{s['f1']:.4f}")
    Console(width=160).print(t)
    if "person" in results:
        print(f"person SAME_AS components gluing two ID-keyed people: "
              f"{results['person']['conflicting_components']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir", type=Path, help="the generated world (has ground_truth/)")
    ap.add_argument("workspace", type=Path, help="the loaded workspace (has staging.duckdb)")
    ap.add_argument("--rerun", action="store_true",
                    help="drop SAME_AS and run resolution again first, timing it")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args(argv)
    gt_path = args.data_dir / GROUND_TRUTH
    db_path = args.workspace / "staging.duckdb"
    for p, what in ((gt_path, "ground truth; generate with `cbec generate --out DIR`"),
                    (db_path, "staging database; load with `cbec load DIR --workspace WS`")):
        if not p.exists():
            print(f"error: {p} not found ({what})", file=sys.stderr)
            return 2
    truth = pd.read_parquet(gt_path, columns=["entity_type", "record_key", "true_id"])
    con = duckdb.connect(str(db_path), read_only=not args.rerun)
    report: dict = {}
    if args.rerun:
        report["timing"] = _rerun(con)
        print(json.dumps(report["timing"], indent=1))
    report["scores"] = evaluate(con, truth)
    _print(report["scores"])
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
