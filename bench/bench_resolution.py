"""Time ``resolve`` on a synthetic projection of a given size (no generator needed).

Usage::

    python bench/bench_resolution.py [--persons 400000] [--threads 2]

Builds ``node_Person`` / ``node_Enterprise`` / ``node_Address`` and the identifier edges in
an in-memory DuckDB, shaped like the generator's world at about 1M declarations: 15 % of
people with 2-3 records (name typo / re-ordering / no space, masked or hashed ID), households
of 1 and 3, offices of 12, parcel lockers of 40, campuses of 80; 25 % of addresses written
twice (abbreviated and spelled out); 3 % of firms registered twice. Then times a full
resolution, an idempotent rerun and an incremental load of 1 % new people, and prints
candidate pairs, links and seconds per label.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from etl.resolution import resolve  # noqa: E402

SUR = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu",
       "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo", "Zheng", "Liang", "Xie",
       "Song", "Tang", "Han", "Feng", "Deng", "Cao", "Peng"]
SYL = ["Na", "Wei", "Fang", "Xiu", "Ying", "Jing", "Min", "Jie", "Lei", "Yang", "Yong", "Yan",
       "Juan", "Tao", "Ming", "Chao", "Lan", "Xia", "Ping", "Gang", "Hao", "Zi", "Yu", "Xin",
       "Hui", "Li", "Qiang", "Jun", "Mei", "Ting", "Bo", "Rui", "Kai", "Hong"]
STREETS = ["Jianguo", "Wenyi W", "Zhongshan", "Renmin", "Jiefang", "Nanjing E", "Huaihai M",
           "Chouzhou N", "Binjiang", "Xueyuan", "Heping", "Dongfeng", "Xinhua", "Changjiang"]
DISTRICTS = ["Chaoyang", "Haidian", "Pudong", "Xuhui", "Xihu", "Binjiang", "Nanshan",
             "Futian", "Tianhe", "Yuexiu", "Gulou", "Wuhou"]


def _lit(xs: list[str]) -> str:
    return "[" + ", ".join("'" + x + "'" for x in xs) + "]"


def build(con: duckdb.DuckDBPyConnection, people: int, offset: int = 0, load: str = "L1") -> None:
    """Append ``people`` real people (ids from ``offset``) with their records and edges."""
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE people AS
    SELECT i, hh(i, 'h') AS h,
        {_lit(SUR)}[1 + hh(i, 's') % 30] || ' ' || {_lit(SYL)}[1 + hh(i, 'a') % 34]
          || CASE WHEN hh(i, 't') % 10 < 6 THEN lower({_lit(SYL)}[1 + hh(i, 'b') % 34])
             ELSE '' END AS name,
        lpad(CAST(110000 + hh(i, 'r') % 16 AS VARCHAR), 6, '0')
          || CAST(1960 + hh(i, 'y') % 45 AS VARCHAR) || lpad(CAST(hh(i, 'd') % 1231
          AS VARCHAR), 4, '0') || lpad(CAST(i % 10000 AS VARCHAR), 4, '0') AS id,
        '+861' || lpad(CAST(hh(i, 'p') % 10000000000 AS VARCHAR), 10, '0') AS phone,
        CASE WHEN i % 100 < 50 THEN 'residential' WHEN i % 100 < 77 THEN 'family'
             WHEN i % 100 < 83 THEN 'office' WHEN i % 100 < 94 THEN 'parcel_locker'
             ELSE 'campus' END AS kind,
        CASE WHEN hh(i, 'n') % 100 < 15 THEN 2 + hh(i, 'm') % 2 ELSE 1 END AS n_refs
    FROM range({offset}, {offset + people}) t(i)""")
    # one real address per household / office / locker / campus
    con.execute("""
    CREATE OR REPLACE TEMP TABLE homes AS
    SELECT *, CASE kind WHEN 'residential' THEN i WHEN 'family' THEN i // 3 * 3
                  WHEN 'office' THEN i // 12 * 12 WHEN 'parcel_locker' THEN i // 40 * 40
                  ELSE i // 80 * 80 END AS home FROM people""")
    con.execute(f"""
    CREATE OR REPLACE TEMP TABLE addr AS
    SELECT DISTINCT home, kind,
        {_lit(STREETS)}[1 + hh(home, 'st') % 14] AS street,
        {_lit(DISTRICTS)}[1 + hh(home, 'di') % 12] AS district,
        1 + hh(home, 'no') % 399 AS no, 1 + hh(home, 'bl') % 39 AS bldg,
        101 + hh(home, 'rm') % 3200 AS room FROM homes""")
    con.execute("""
    CREATE OR REPLACE TEMP TABLE addr_text AS
    SELECT home, kind, district, v, CASE
        WHEN kind = 'parcel_locker' THEN 'Cainiao Locker ' || bldg || ', '
             || CASE v WHEN 0 THEN no || ' ' || street || ' Rd, ' || district || ' District'
                ELSE 'No. ' || no || ' ' || street || ' Road, ' || district END
        WHEN kind = 'campus' THEN 'Zhejiang University Dorm ' || bldg || '-' || room
        ELSE CASE v WHEN 0 THEN 'Rm ' || room || ', Bldg ' || bldg || ', ' || no || ' ' || street
                  || ' Rd, ' || district || ' District'
             ELSE 'Room ' || room || ', Building ' || bldg || ', No. ' || no || ' ' || street
                  || ' Road, ' || district END END AS address
    FROM addr, range(2) r(v) WHERE v = 0 OR hh(home, 'v2') % 4 = 0""")
    con.execute(f"""
    INSERT INTO node_Address SELECT DISTINCT ON (k) k, address, upper(address), 'CN', NULL,
        district, CASE kind WHEN 'family' THEN 'residential' ELSE kind END, '{load}'
    FROM (SELECT md5(address)[:16] AS k, * FROM addr_text)
    WHERE k NOT IN (SELECT address_key FROM node_Address)""")
    # records: r = 0 plain ID; r = 1 masked ID, name variant; r = 2 hashed ID
    con.execute("""
    CREATE OR REPLACE TEMP TABLE refs AS
    SELECT h.*, r,
        CASE WHEN r = 0 THEN name
             WHEN (h.h + r) % 4 = 0 THEN upper(split_part(name, ' ', 1)) || ' '
                  || split_part(name, ' ', 2)
             WHEN (h.h + r) % 4 = 1 THEN replace(name, ' ', '')
             WHEN (h.h + r) % 4 = 2 THEN split_part(name, ' ', 2) || ' ' || split_part(name, ' ', 1)
             ELSE name || right(name, 1) END AS ref_name,
        CASE r WHEN 0 THEN 'id:' || id WHEN 2 THEN 'id:sha256:' || sha256(id)
             ELSE 'nm:' || md5(name || phone || r)[:16] END AS person_key
    FROM homes h, range(3) t(r) WHERE r < n_refs""")
    con.execute("CREATE TABLE IF NOT EXISTS refs_all AS SELECT * FROM refs LIMIT 0")
    con.execute("INSERT INTO refs_all SELECT * FROM refs")
    con.execute(f"""
    INSERT INTO node_Person SELECT DISTINCT ON (person_key) person_key, ref_name,
        upper(replace(ref_name, ' ', '')),
        CASE WHEN r = 0 THEN CAST(substr(id, 7, 4) AS BIGINT) END,
        CASE WHEN r = 0 THEN left(id, 6) END, CASE WHEN r = 0 THEN true END, '{load}'
    FROM refs""")
    con.execute(f"""
    INSERT INTO edge_HAS_PHONE SELECT 'Person', person_key, 'Phone', phone, 'persons', '{load}'
    FROM refs""")
    con.execute(f"""
    INSERT INTO edge_HAS_ID SELECT 'Person', person_key, 'IdNumber',
        CASE r WHEN 0 THEN id ELSE 'sha256:' || sha256(id) END, 'persons', '{load}'
    FROM refs WHERE r <> 1""")
    con.execute(f"""
    INSERT INTO edge_HAS_EMAIL SELECT 'Person', person_key, 'Email',
        lower(replace(name, ' ', '')) || (i % 97) || '@example.cn', 'persons', '{load}'
    FROM refs WHERE h % 10 < 4""")
    con.execute(f"""
    INSERT INTO edge_LOCATED_AT SELECT 'Person', person_key, 'Address', md5(address)[:16],
        'persons', '{load}'
    FROM refs JOIN addr_text a USING (home) WHERE a.v = least(refs.r, 1) OR a.v = 0
    QUALIFY row_number() OVER (PARTITION BY person_key ORDER BY a.v DESC) = 1""")


def build_firms(con: duckdb.DuckDBPyConnection, firms: int) -> None:
    con.execute(f"""
    INSERT INTO node_Enterprise
    SELECT code, nm, upper(nm), uscc, 'CN', '2901', 'L1' FROM (
      SELECT 'F' || lpad(CAST(i AS VARCHAR), 9, '0') AS code, 'U' || i AS uscc,
        {_lit(DISTRICTS)}[1 + hh(i, 'c') % 12] || ' ' || {_lit(SYL)}[1 + hh(i, 'x') % 34]
          || {_lit(SYL)}[1 + hh(i, 'y') % 34] || ' ' ||
          ['Trading', 'Technology', 'E-commerce', 'Toys'][1 + hh(i, 'k') % 4]
          || ' Co., Ltd.' AS nm FROM range({firms}) t(i)
      UNION ALL
      SELECT 'G' || lpad(CAST(i AS VARCHAR), 9, '0'), 'V' || i,
        {_lit(DISTRICTS)}[1 + hh(i, 'c') % 12] || ' ' || {_lit(SYL)}[1 + hh(i, 'x') % 34]
          || {_lit(SYL)}[1 + hh(i, 'y') % 34] || ' ' ||
          ['Trading', 'Technology', 'E-commerce', 'Toys'][1 + hh(i, 'k') % 4]
          || ' Company Limited' FROM range({firms}) t(i) WHERE hh(i, 'dup') % 100 < 3)""")
    con.execute("""
    INSERT INTO edge_HAS_PHONE SELECT 'Enterprise', code, 'Phone',
        '+8657' || lpad(CAST(CAST(substr(code, 2) AS BIGINT) AS VARCHAR), 9, '0'), 'ent', 'L1'
    FROM node_Enterprise""")
    con.execute("""
    INSERT INTO edge_LOCATED_AT SELECT 'Enterprise', code, 'Address',
        md5('firm' || CAST(substr(code, 2) AS BIGINT))[:16], 'ent', 'L1'
    FROM node_Enterprise""")


def _schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE MACRO hh(a, b) AS CAST(hash(a, b) >> 2 AS BIGINT)")
    con.execute("CREATE TABLE node_Person (person_key VARCHAR, name VARCHAR, name_norm VARCHAR,"
                " birth_year BIGINT, region_code VARCHAR, id_valid BOOLEAN, _load_id VARCHAR)")
    con.execute("CREATE TABLE node_Enterprise (code VARCHAR, name VARCHAR, name_norm VARCHAR, "
                "uscc VARCHAR, country VARCHAR, customs_district VARCHAR, _load_id VARCHAR)")
    con.execute("CREATE TABLE node_Address (address_key VARCHAR, address VARCHAR, "
                "address_norm VARCHAR, country VARCHAR, city VARCHAR, district VARCHAR, "
                "address_kind VARCHAR, _load_id VARCHAR)")
    for e in ("HAS_PHONE", "HAS_ID", "HAS_EMAIL", "LOCATED_AT"):
        con.execute(f"CREATE TABLE edge_{e} (from_label VARCHAR, from_key VARCHAR, "
                    "to_label VARCHAR, to_key VARCHAR, source VARCHAR, _load_id VARCHAR)")


def _cpu() -> float:
    """CPU seconds of this process so far (all threads): less sensitive to other load."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _quality(con: duckdb.DuckDBPyConnection) -> dict:
    """Pairwise scores of person nodes against the bench's own truth (real person ``i``)."""
    from eval_resolution import components, pairwise_scores  # bench/ is on sys.path

    truth = con.sql("SELECT DISTINCT person_key, i FROM refs_all").df()
    rep = components(con.execute("SELECT from_key, to_key FROM edge_SAME_AS "
                                 "WHERE from_label = 'Person'").fetchall())
    truth["cluster"] = [rep.get(k, k) for k in truth["person_key"]]
    return {"keys": pairwise_scores(truth["person_key"], truth["i"]).as_dict(),
            "keys_same_as": pairwise_scores(truth["cluster"], truth["i"]).as_dict()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persons", type=int, default=400_000, help="person nodes, about")
    ap.add_argument("--firms", type=int, default=20_000)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    _schema(con)
    people = int(args.persons / 1.22)  # 15 % of people have 2-3 records
    t0 = time.perf_counter()
    build(con, people)
    build_firms(con, args.firms)
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
              for t in ("node_Person", "node_Enterprise", "node_Address")}
    print(f"built {counts} in {time.perf_counter() - t0:.1f}s")
    out = {"nodes": counts, "load_average": [round(x, 2) for x in __import__("os").getloadavg()]}
    t0, c0 = time.perf_counter(), _cpu()
    full = resolve(con, "L1", progress=True)
    out["full"] = {"seconds": round(time.perf_counter() - t0, 2),
                   "cpu_seconds": round(_cpu() - c0, 2), **full.as_dict()}
    t0, c0 = time.perf_counter(), _cpu()
    again = resolve(con, "L1")
    out["rerun"] = {"seconds": round(time.perf_counter() - t0, 2),
                    "cpu_seconds": round(_cpu() - c0, 2), "links": again.links}
    build(con, people // 100, offset=people, load="L2")
    t0, c0 = time.perf_counter(), _cpu()
    inc = resolve(con, "L2")
    out["incremental_1pct"] = {"seconds": round(time.perf_counter() - t0, 2),
                               "cpu_seconds": round(_cpu() - c0, 2), **inc.as_dict()}
    out["person_quality"] = _quality(con)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
