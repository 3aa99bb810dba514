"""What each node is compared on: its attributes and the identifiers it shares with others.

For every label resolution reads two things from the staging projection:

- an **attribute frame** (one row per node): names, birth year, country, ... plus the
  matching forms of ``etl.resolution.canon``;
- an **identifier table** ``res_ident(key, kind, value)``: every phone, e-mail, payment
  account, ID number, address ... the node is linked to, and the text-derived blocking keys
  (firm-name halves, address number signature). Nodes sharing a ``(kind, value)`` form a
  block; pairs are only ever formed inside blocks (see ``etl.resolution.blocking``).

Tables that do not exist yet (a projection without e-mails, say) simply contribute nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from etl.resolution import canon

__all__ = ["LabelSpec", "SPECS", "table_columns", "attribute_frame", "build_identifiers"]

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


def attribute_frame(con: duckdb.DuckDBPyConnection, spec: LabelSpec) -> pd.DataFrame:
    """One row per node of ``spec.label`` with its attributes and matching forms.

    Missing columns read as NULL, so resolution runs on a partial projection.

    Raises
    ------
    LookupError
        When the node table or its key column is missing.
    """
    cols = table_columns(con, spec.table)
    if spec.key not in cols:
        raise LookupError(
            f"{spec.table}: no column {spec.key!r} (has {sorted(cols) or 'no such table'}); "
            "run the projection (etl/project.py) before resolution")
    select = ", ".join(
        f'"{c}"' if c in cols else f"NULL AS \"{c}\"" for c in spec.columns)
    df = con.sql(f'SELECT DISTINCT ON ("{spec.key}") "{spec.key}" AS key, {select} '
                 f'FROM "{spec.table}" WHERE "{spec.key}" IS NOT NULL').df()
    if spec.label == "Address":
        text = _first_text(df["address_norm"], df["address"])
        df["m_text"] = [canon.address_text(t) for t in text]
        df["m_numbers"] = [canon.number_signature(t) for t in df["m_text"]]
        df["m_street"] = [canon.street_token(t) for t in df["m_text"]]
        return df
    # The raw name keeps word boundaries (re-ordered names, firm suffixes); name_norm
    # (upper-case, no spaces) is the fallback.
    raw = _first_text(df["name"], df["name_norm"])
    if spec.label == "Person":
        df["m_name"] = [canon.compact_name(t) for t in _first_text(df["name_norm"], df["name"])]
    else:
        df["m_name"] = [canon.firm_name(t) or canon.compact_name(t) for t in raw]
    df["m_tokens"] = [canon.sorted_tokens(t) for t in raw]
    return df


def _first_text(first: pd.Series, second: pd.Series) -> list[str]:
    """Row-wise the first non-empty string of two columns ("" when neither has one)."""
    return [a if isinstance(a, str) and a else b if isinstance(b, str) else ""
            for a, b in zip(first, second, strict=True)]


def _edges(con, table: str, from_label: str, kind: str, to_expr: str = "to_key") -> str | None:
    """``SELECT key, kind, value`` over an edge table, or None if the table is absent."""
    if not {"from_label", "from_key", "to_key"} <= table_columns(con, table):
        return None
    return (f"SELECT from_key AS key, '{kind}' AS kind, {to_expr} AS value FROM \"{table}\" "
            f"WHERE from_label = '{from_label}' AND to_key IS NOT NULL")


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
    parts.append(f"SELECT key, 'id' AS kind, v AS value FROM ({id_union})")
    parts.append(f"SELECT key, 'idsig' AS kind, left(v, 6) || '~' || right(v, 4) AS value "
                 f"FROM ({id_union}) WHERE length(v) = 18 AND regexp_matches(v, '^[0-9]{{6}}')")
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

    Expects the attribute frame registered as ``res_attr``; only keys present there
    (nodes of this label) are kept.
    """
    union = "\nUNION\n".join(_BUILDERS[label](con))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE res_ident AS
        SELECT DISTINCT i.key, i.kind, CAST(i.value AS VARCHAR) AS value
        FROM ({union}) i SEMI JOIN res_attr a ON a.key = i.key
        WHERE i.value IS NOT NULL AND CAST(i.value AS VARCHAR) <> ''
    """)
