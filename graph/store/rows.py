"""Checking and shaping the Arrow rows given to ``write_nodes``/``write_edges``, for every store.

Both stores take the same input (a ``pyarrow.Table`` of schema columns) and must reject and
convert it the same way, so the checks and conversions live here once.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc

from graph.schema import SchemaError

__all__ = ["ARROW_TYPES", "check_columns", "check_no_nulls", "check_rows", "cast_to_schema",
           "distinct_keys", "last_per_key"]

ARROW_TYPES = {
    "STRING": pa.string(), "INT64": pa.int64(), "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    # naive UTC microseconds: Neo4j stores LocalDateTime, comparable with naive `since`/`until`
    # (an aware value would be a DateTime, and comparing the two yields null).
    "TIMESTAMP": pa.timestamp("us"),
}


def check_columns(rows: pa.Table, *, required: list[str], allowed: Mapping[str, str],
                  what: str) -> None:
    """``rows`` is a table with every ``required`` column and only ``allowed`` ones, else
    ``TypeError``/``SchemaError`` naming ``what``."""
    if not isinstance(rows, pa.Table):
        raise TypeError(f"{what}: rows must be a pyarrow.Table, got {type(rows).__name__}")
    names = rows.column_names
    missing = [c for c in required if c not in names]
    unknown = [c for c in names if c not in allowed and c not in required]
    if missing or unknown:
        raise SchemaError(f"{what}: missing columns {missing}, columns not in the schema "
                          f"{unknown}; allowed: {sorted(allowed)}")


def check_no_nulls(rows: pa.Table, columns: list[str], what: str) -> None:
    """``ValueError`` naming the first row without a value in one of ``columns``."""
    for c in columns:
        col = rows.column(c)
        if col.null_count:
            first = col.is_null().index(True).as_py()
            raise ValueError(f"{what}: {col.null_count} rows have no {c!r} (first: row "
                             f"{first}); drop or fix them before writing")


def check_rows(rows: pa.Table, required: list[str], allowed: Mapping[str, str],
               what: str) -> None:
    """:func:`check_columns`, then :func:`check_no_nulls` over the ``required`` columns."""
    check_columns(rows, required=required, allowed=allowed, what=what)
    check_no_nulls(rows, required, what)


def cast_to_schema(table: pa.Table, types: Mapping[str, str], what: str) -> pa.Table:
    """Cast each column to its schema type (``types``: column -> schema type name), so dates
    and timestamps reach the store as temporal values, not text. Aware timestamps become naive
    UTC; nanoseconds are truncated to microseconds (the stores' resolution).

    Raises ``ValueError`` naming ``what`` and the column when a value does not convert.
    """
    cols = []
    for name, col in zip(table.column_names, table.columns, strict=True):
        target = ARROW_TYPES[types[name]]
        if col.type != target:
            try:
                col = col.cast(target, safe=not pa.types.is_timestamp(col.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise ValueError(f"{what}: column {name!r} ({col.type}) does not convert to "
                                 f"{types[name]}: {exc}. Fix the column's values or type "
                                 f"before writing.") from None
        cols.append(col)
    return pa.Table.from_arrays(cols, names=table.column_names)


def last_per_key(table: pa.Table, key: str) -> pa.Table:
    """One row per ``key`` value, the last one given (a delta's later row wins), in the order
    of those last rows; the table itself when keys are already unique."""
    keys = table.column(key)
    if pc.count_distinct(keys).as_py() == table.num_rows:
        return table
    last = (pa.table({"k": keys, "i": pa.array(range(table.num_rows))})
            .group_by("k", use_threads=False).aggregate([("i", "max")]).column("i_max"))
    return table.take(last.take(pc.sort_indices(last)))  # the row numbers, ascending


def distinct_keys(keys: list[str], what: str) -> list[str]:
    """``keys`` sorted and de-duplicated (key look-ups want each key once); a key that is
    not a string is refused, naming ``what``.

    >>> distinct_keys(["b", "a", "b"], "delete_nodes(Phone)")
    ['a', 'b']
    """
    bad = [k for k in keys if not isinstance(k, str)]
    if bad:
        raise ValueError(f"{what}: keys must be strings, got {bad[0]!r}")
    return sorted(set(keys))
