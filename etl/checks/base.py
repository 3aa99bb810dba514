"""The declaration of one three-list check, and the small SQL builders the checks share.

A check is data: an id, a title, its severity and direction, the documentation an officer
reads, and one SQL ``SELECT`` over the ``tl_*`` working tables (see
:mod:`etl.checks.context`) that yields ``(invt_no, status, observed, expected, delta,
explanation)``. A declaration for which the check does not apply yields no row. Plain SQL
only, so the same text moves to Spark: no Python runs per row.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Check", "money", "num", "ts", "mask_id", "norm_text", "qty", "quote", "goods_match",
           "RESULT_COLUMNS"]

RESULT_COLUMNS = ("invt_no", "status", "observed", "expected", "delta", "explanation")


@dataclass(frozen=True)
class Check:
    """One three-list check.

    Parameters
    ----------
    id : str
        Stable identifier (``TL-05``, ``EX-01``): the key of results and graph nodes.
    title : str
        Short name shown in summaries.
    severity : str
        ``B`` (block), ``R`` (route to risk) or ``B/R`` (hard breach blocks, soft breach
        routes to risk). An ``R`` check never yields ``fail``: the runner turns it into ``risk``.
    direction : str
        ``import``, ``export`` or ``both``: which declarations (``ie_flag``) it applies to.
    compares : str
        What is compared, in words (documentation).
    tolerance : str
        The tolerance applied, in words (documentation).
    fail_means : str
        What a non-passing result means to an officer (documentation).
    sql : str
        ``SELECT`` yielding :data:`RESULT_COLUMNS`, at most one row per declaration of
        ``tl_decl`` (the scope declarations of the check's direction, with their messages:
        see :mod:`etl.checks.context`).
    delta : str
        What the numeric ``delta`` of a result measures (documentation).
    general_trade : bool
        Whether the check also applies to general-trade declarations (channel ``general``
        or trade mode 0110). Three-list matching and the CBEC limits do not: such a
        declaration has no order, payment slip or waybill, and no RMB 5,000 / 26,000 quota.
    """

    id: str
    title: str
    severity: str
    direction: str
    compares: str
    tolerance: str
    fail_means: str
    sql: str
    delta: str = "none"
    general_trade: bool = False

    def __post_init__(self) -> None:
        if self.severity not in ("B", "R", "B/R"):
            raise ValueError(f"check {self.id}: severity must be B, R or B/R, "
                             f"not {self.severity!r}")
        if self.direction not in ("import", "export", "both"):
            raise ValueError(f"check {self.id}: direction must be import, export or both, "
                             f"not {self.direction!r}")

    @property
    def ie_flags(self) -> tuple[str, ...]:
        """The declaration ``ie_flag`` values the check applies to."""
        return {"import": ("I",), "export": ("E",), "both": ("I", "E")}[self.direction]


def num(expr: str, digits: int = 2) -> str:
    """SQL text formatting a number with thousands separators (``4,980.00``), ``?`` if NULL."""
    return f"coalesce(format('{{:,.{digits}f}}', CAST({expr} AS DOUBLE)), '?')"


def money(expr: str, currency: str) -> str:
    """SQL text for an amount with its currency: ``4,980.00 CNY``."""
    return f"({num(expr)} || ' ' || coalesce({currency}, ''))"


def ts(expr: str) -> str:
    """SQL text for a timestamp as ``YYYY-MM-DD HH:MM:SS``, ``?`` if NULL."""
    return f"coalesce(strftime({expr}, '%Y-%m-%d %H:%M:%S'), '?')"


def mask_id(expr: str) -> str:
    """SQL text masking an ID number for explanations (region code and last 4 digits kept).

    Explanations end up in the graph and in case exports; the full ID stays in staging.
    """
    return (f"CASE WHEN {expr} IS NULL THEN '?' WHEN length({expr}) >= 12 "
            f"AND {expr} NOT ILIKE 'sha256:%' "
            f"THEN left({expr}, 6) || repeat('*', length({expr}) - 10) || right({expr}, 4) "
            f"WHEN {expr} ILIKE 'sha256:%' THEN left({expr}, 15) || '...' ELSE {expr} END")


def norm_text(expr: str) -> str:
    """SQL text normalising free text for comparison: lower case, runs of non-alphanumerics
    collapsed to one space, trimmed."""
    return rf"trim(regexp_replace(lower(coalesce({expr}, '')), '[^\p{{L}}\p{{N}}]+', ' ', 'g'))"


def qty(expr: str) -> str:
    """SQL text for a quantity: ``3`` when whole, ``2.500`` otherwise."""
    return (f"CASE WHEN {expr} = round({expr}) THEN CAST(CAST({expr} AS BIGINT) AS VARCHAR) "
            f"ELSE {num(expr, 3)} END")


def quote(expr: str) -> str:
    """SQL text quoting a value for an explanation: ``'plush toy'``."""
    return f"('''' || coalesce({expr}, '') || '''')"


def goods_match(names: list[str], text: str, ignore: str | None = None) -> str:
    """SQL boolean: does free ``text`` mention the goods called ``names`` (fuzzy)?

    True when one of ``names`` occurs in ``text`` as is (the cheap common case), or the
    names and the text share a word of 3+ characters, or they are similar as a whole
    (Jaro-Winkler >= 0.8); words are compared after :func:`norm_text`. ``ignore``: SQL for
    a list of words that do not count as shared (a shop's title padding such as 'gift box',
    which would make a watch match a storage box).
    """
    quick = " OR ".join(f"(length({n}) >= 3 AND contains(lower({text}), lower({n})))"
                        for n in names)
    n = norm_text("concat_ws(' ', " + ", ".join(names) + ")")
    t = norm_text(text)
    keep = f" AND NOT list_contains({ignore}, w)" if ignore else ""
    return (f"(CASE WHEN {quick} THEN true "
            f"ELSE list_has_any([w FOR w IN string_split({n}, ' ') IF length(w) >= 3{keep}], "
            f"string_split({t}, ' ')) OR jaro_winkler_similarity({n}, {t}) >= 0.8 END)")
