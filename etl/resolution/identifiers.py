"""What each node is compared on: its attributes and the identifiers it shares with others.

For every label resolution reads two things from the staging projection:

- an **attribute table** ``res_attr`` (one row per node): names, birth year, country, ...
  plus the matching forms of ``etl.resolution.canon`` (cached between runs);
- an **identifier table** ``res_ident(key, kind, value)``: every phone, e-mail, payment
  account, ID number, address ... the node is linked to, and the text-derived blocking keys
  (firm-name halves, address number signature). Nodes sharing a ``(kind, value)`` form a
  block; pairs are only ever formed inside blocks (see ``etl.resolution.blocking``).

Tables that do not exist yet (a projection without e-mails, say) simply contribute nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from etl.resolution import canon

__all__ = ["LabelSpec", "SPECS", "MATCH_COLUMNS", "CANON_TABLE", "table_columns",
           "load_attributes", "build_identifiers"]

CANON_TABLE = "resolution_canon"
# Matching forms per label (etl.resolution.canon), stored as m1..m3 in CANON_TABLE.
MATCH_COLUMNS = {"Person": ("m_name", "m_tokens"), "Enterprise": ("m_name", "m_tokens"),
                 "Address": ("m_text", "m_numbers", "m_street")}
# The two text columns the matching forms are computed from (the second is the fallback).
# Names: the raw form keeps word boundaries; addresses: the normalised form has the
# Chinese unit markers (号楼, 室) already turned into words.
_TEXT_INPUTS = {"Person": ("name", "name_norm"), "Enterprise": ("name", "name_norm"),
                "Address": ("address_norm", "address")}

# Premises shared by many unrelated people: an address of this kind is never evidence that
# two records are one person (it stays a pivot node for investigators, of course).
SHARED_PREMISES = ("parcel_locker", "campus", "warehouse", "office", "shop")


@dataclass(frozen=True)
class LabelSpec:
    """How one node label is resolved: its node table, key column and attribute columns."""

    label: str
    table: str
    key: str
    columns: tuple[str, ...]


SPECS: dict[str, LabelSpec] = {
    "Person": LabelSpec("Person", "node_Person", "person_key",
                        ("name", "name_norm", "birth_year", "region_code", "id_valid")),
    "Enterprise": LabelSpec("Enterprise", "node_Enterprise", "code",
                            ("name", "name_norm", "uscc", "country", "customs_district")),
    "Address": LabelSpec("Address", "node_Address", "address_key",
                         ("address", "address_norm", "country", "city", "district",
                          "address_kind")),
}


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """Column names of ``table`` in the main schema (empty when the table does not exist)."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = ? AND table_schema = 'main'", [table]).fetchall()
    return {r[0] for r in rows}


def ensure_canon(con: duckdb.DuckDBPyConnection) -> None:
    """Create the cache of matching forms, kept between runs like the fingerprints."""
    con.execute(f"""CREATE TABLE IF NOT EXISTS {CANON_TABLE} (
        label VARCHAR, key VARCHAR, src VARCHAR, m1 VARCHAR, m2 VARCHAR, m3 VARCHAR)""")
    # no primary key: rows are replaced by DELETE + INSERT, and an index would only slow that


def _forms(label: str, first: list, second: list) -> list[list[str]]:
    """Matching forms (``MATCH_COLUMNS[label]``) of nodes, from their two text columns."""
    text = _first_text(first, second)
    if label == "Address":
        m_text = _mapped(canon.address_text, text)
        return [m_text, _mapped(canon.number_signature, m_text),
                _mapped(canon.street_token, m_text)]
    # The raw name (first) keeps word boundaries: re-ordered names, firm suffixes;
    # name_norm (upper-case, no spaces) is the fallback.
    if label == "Person":
        m_name = _mapped(canon.compact_name, _first_text(second, first))
    else:
        m_name = _mapped(lambda t: canon.firm_name(t) or canon.compact_name(t), text)
    return [m_name, _mapped(canon.sorted_tokens, text)]


def load_attributes(con: duckdb.DuckDBPyConnection, spec: LabelSpec) -> int:
    """Create temp table ``res_attr``: one row per node with attributes and matching forms.

    Matching forms are computed in Python only for nodes whose text is new or changed
    since the last run (cached in ``resolution_canon``). Missing columns read as NULL, so
    resolution runs on a partial projection. Returns the node count.

    Raises
    ------
    LookupError
        When the node table exists but lacks its key column.
    """
    cols = table_columns(con, spec.table)
    if spec.key not in cols:
        raise LookupError(
            f"{spec.table}: no column {spec.key!r} (has {sorted(cols) or 'no such table'}); "
            "run the projection (etl/project.py) before resolution")
    select = ", ".join(f'"{c}"' if c in cols else f'CAST(NULL AS VARCHAR) AS "{c}"'
                       for c in spec.columns)
    t1, t2 = _TEXT_INPUTS[spec.label]
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE res_raw AS
        SELECT *, md5('{canon.VERSION}|' || coalesce("{t1}", '') || '|' || coalesce("{t2}", ''))
               AS src FROM (
            SELECT DISTINCT ON ("{spec.key}") "{spec.key}" AS key, {select}
            FROM "{spec.table}" WHERE "{spec.key}" IS NOT NULL
            -- should a key repeat, the row kept must not depend on scan order
            ORDER BY ALL)""")
    ensure_canon(con)
    label = spec.label
    stale = con.sql(f"""
        SELECT r.key, r.src, r."{t1}" AS t1, r."{t2}" AS t2 FROM res_raw r
        ANTI JOIN {CANON_TABLE} c ON c.label = '{label}' AND c.key = r.key AND c.src = r.src
        """).to_arrow_table()
    con.execute(f"DELETE FROM {CANON_TABLE} WHERE label = ? AND key NOT IN "
                f"(SELECT key FROM res_raw)", [label])
    if stale.num_rows:
        forms = _forms(label, stale.column("t1").to_pylist(), stale.column("t2").to_pylist())
        forms += [[None] * stale.num_rows] * (3 - len(forms))
        fresh = pa.table({"key": stale.column("key"), "src": stale.column("src"),
                          **{f"m{i + 1}": pa.array(f, pa.string()) for i, f in enumerate(forms)}})
        con.register("res_fresh", fresh)
        try:
            con.execute(f"DELETE FROM {CANON_TABLE} WHERE label = ? "
                        f"AND key IN (SELECT key FROM res_fresh)", [label])
            con.execute(f"INSERT INTO {CANON_TABLE} SELECT ?, key, src, m1, m2, m3 "
                        f"FROM res_fresh", [label])
        finally:
            con.unregister("res_fresh")
    named = ", ".join(f"c.m{i + 1} AS {m}" for i, m in enumerate(MATCH_COLUMNS[label]))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE res_attr AS
        SELECT r.* EXCLUDE (src), {named} FROM res_raw r
        JOIN {CANON_TABLE} c ON c.label = '{label}' AND c.key = r.key""")
    return con.execute("SELECT count(*) FROM res_attr").fetchall()[0][0]


def _first_text(first: list, second: list) -> list[str]:
    """Row-wise the first non-empty string of two columns ("" when neither has one)."""
    return [a if isinstance(a, str) and a else b if isinstance(b, str) else ""
            for a, b in zip(first, second, strict=True)]


def _mapped(func, values: list[str]) -> list[str]:
    """``func`` over ``values``, computed once per distinct value (names repeat a lot)."""
    cache = {v: func(v) for v in set(values)}
    return [cache[v] for v in values]


def _edges(con, table: str, from_label: str, kind: str, to_expr: str = "to_key") -> str | None:
    """``SELECT key, kind, value`` over an edge table, or None if the table is absent."""
    if not {"from_label", "from_key", "to_key"} <= table_columns(con, table):
        return None
    return (f"SELECT from_key AS key, '{kind}' AS kind, {to_expr} AS value FROM \"{table}\" "
            f"WHERE from_label = '{from_label}' AND to_key IS NOT NULL")


def _masked_ids(con) -> str | None:
    """``SELECT key, v``: masked ID numbers (``110105********4518``) of person mentions.

    The projection makes no IdNumber node of a masked number (it cannot identify anyone
    alone), but region code + last four next to a matching name is evidence, so they are
    read back from staging with the projection's own mention SQL. None when staging lacks
    the tables (a projection built by hand, as in unit tests).
    """
    try:
        from etl.keys import create_key_macros
        from etl.project_sql import PERSON_MENTIONS
    except ImportError:
        return None
    # probe by name, not by a failing query: a failed statement would abort the transaction
    if not all(table_columns(con, t) for t in set(re.findall(r"\bstg_\w+", PERSON_MENTIONS))):
        return None
    create_key_macros(con)
    return (f"SELECT person_key AS key, id_norm AS v FROM ({PERSON_MENTIONS}) "
            f"WHERE id_is_masked(id_norm, id_valid)")


def _person_identifiers(con) -> list[str]:
    parts = [_edges(con, "edge_HAS_PHONE", "Person", "phone"),
             _edges(con, "edge_HAS_EMAIL", "Person", "email"),
             _edges(con, "edge_HOLDS", "Person", "account")]
    located = _edges(con, "edge_LOCATED_AT", "Person", "address")
    if located:
        kinds = ", ".join(f"'{k}'" for k in SHARED_PREMISES)
        if "address_kind" in table_columns(con, "node_Address"):
            located = (f"SELECT l.* FROM ({located}) l LEFT JOIN node_Address a "
                       f"ON a.address_key = l.value "
                       f"WHERE coalesce(a.address_kind, '') NOT IN ({kinds})")
        parts.append(located)
    # ID numbers: the exact value, and region + last four, which a masked number
    # (110105********4518) shares with the clear one.
    ids = ["SELECT key, substr(key, 4) AS v FROM res_attr WHERE key LIKE 'id:%'"]
    has_id = _edges(con, "edge_HAS_ID", "Person", "id")
    if has_id:
        ids.append(f"SELECT key, value AS v FROM ({has_id})")
    id_union = " UNION ".join(ids)
    # a masked number is never an exact identifier: thousands share "110105********4518"
    parts.append(f"SELECT key, 'id' AS kind, v AS value FROM ({id_union}) "
                 f"WHERE NOT contains(v, '*')")
    # A hashed number (``sha256:<hex>``, as some platforms pseudonymise) is the digest of a
    # plain number: hashing every clear, complete number lets a hashed record meet the clear
    # one. Kept apart from ``id`` (kind ``idhash``) so the link says how it was found; a
    # salted hash simply matches nothing.
    parts.append(f"SELECT key, 'idhash' AS kind, 'sha256:' || sha256(upper(v)) AS value "
                 f"FROM ({id_union}) WHERE regexp_matches(upper(v), '^[0-9]{{17}}[0-9X]$') "
                 f"UNION SELECT key, 'idhash' AS kind, lower(v) AS value FROM ({id_union}) "
                 f"WHERE regexp_matches(lower(v), '^sha256:[0-9a-f]{{64}}$')")
    masked = _masked_ids(con)
    sig_union = id_union + (f" UNION {masked}" if masked else "")
    parts.append(f"SELECT key, 'idsig' AS kind, left(v, 6) || '~' || right(v, 4) AS value "
                 f"FROM ({sig_union}) WHERE length(v) = 18 AND regexp_matches(v, '^[0-9]{{6}}')")
    return [p for p in parts if p]


def _enterprise_identifiers(con) -> list[str]:
    parts = [_edges(con, "edge_HAS_PHONE", "Enterprise", "phone"),
             _edges(con, "edge_LOCATED_AT", "Enterprise", "address"),
             _edges(con, "edge_HOLDS", "Enterprise", "account"),
             _edges(con, "edge_REPRESENTED_BY", "Enterprise", "rep"),
             "SELECT key, 'uscc' AS kind, upper(replace(uscc, ' ', '')) AS value FROM res_attr "
             "WHERE uscc IS NOT NULL AND uscc <> ''",
             # firm-name halves: a typo in one half leaves the other as a block
             "SELECT key, 'name_head' AS kind, left(m_name, 12) AS value FROM res_attr "
             "WHERE length(m_name) >= 4",
             "SELECT key, 'name_tail' AS kind, right(m_name, 12) AS value FROM res_attr "
             "WHERE length(m_name) >= 4",
             "SELECT key, 'name_tokens' AS kind, m_tokens AS value FROM res_attr "
             "WHERE length(m_tokens) >= 4"]
    return [p for p in parts if p]


def _address_identifiers(con) -> list[str]:
    # Text blocks only: same numbers and same street word, or same numbers in one district.
    return ["SELECT key, 'num_street' AS kind, m_numbers || '|' || m_street AS value "
            "FROM res_attr WHERE m_numbers <> '' AND m_street <> ''",
            "SELECT key, 'num_district' AS kind, m_numbers || '|' || lower(district) AS value "
            "FROM res_attr WHERE m_numbers <> '' AND coalesce(district, '') <> ''"]


_BUILDERS = {"Person": _person_identifiers, "Enterprise": _enterprise_identifiers,
             "Address": _address_identifiers}


def build_identifiers(con: duckdb.DuckDBPyConnection, label: str) -> None:
    """Create temp table ``res_ident(key, kind, value)`` for ``label``.

    Expects ``res_attr`` (``load_attributes``); only keys present there
    (nodes of this label) are kept.
    """
    union = "\nUNION\n".join(_BUILDERS[label](con))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE res_ident AS
        SELECT DISTINCT i.key, i.kind, CAST(i.value AS VARCHAR) AS value
        FROM ({union}) i SEMI JOIN res_attr a ON a.key = i.key
        WHERE i.value IS NOT NULL AND CAST(i.value AS VARCHAR) <> ''
    """)
