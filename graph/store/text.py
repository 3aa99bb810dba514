"""Search-text handling for the query API: classify, normalise, split, score.

Pure functions (no store), so the search semantics are the same on every store.

Examples
--------
>>> as_e164("138 0013 8000")
'+8613800138000'
>>> looks_like_id("11010519920307451x")
True
>>> normalise("  Shenzhen  Star-Light Trading Co., Ltd. ")
'SHENZHENSTARLIGHTTRADINGCOLTD'
>>> pieces("zhang weii")
['ZHANGWEII', 'ZHANG', 'WEII', 'ZH', 'ANG', 'WE', 'II']
>>> pieces("Rm 1203, Bldg 5", "address_norm")
['RM 1203 BLDG 5', 'RM', '1203', 'BLDG', '12', '03', 'BL', 'DG']
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from etl.normalise import normalise_address, normalise_name, phone_e164

__all__ = ["as_e164", "looks_like_code", "looks_like_id", "normalise", "pieces", "score",
           "MIN_SCORE"]

MIN_SCORE = 60.0  # fuzzy hits scoring below this (0-100) are dropped
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-]{6,24}$")
_ID_LIKE = re.compile(r"^(?:\d{15}|\d{17}[\dX]|[0-9A-Z]{18}|sha256:[0-9a-f]{8,64}|"
                      r"[0-9A-Z*]{6,20}\d[0-9A-Z*]*)$")
_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)
_MAX_PIECES = 8


def as_e164(text: str, region: str = "CN") -> str | None:
    """The E.164 form of ``text`` if it reads as a phone number (``region`` by default):
    the ETL's own normaliser, so a search finds exactly the numbers staging stored."""
    t = text.strip()
    if not _PHONE_CHARS.match(t) or sum(c.isdigit() for c in t) < 7:
        return None
    return phone_e164(t, region)


def id_form(text: str) -> str:
    """An ID number as the staging normalises it: no spaces, upper case (hashes as given)."""
    t = re.sub(r"\s+", "", text)
    return t if t.startswith("sha256:") else t.upper()


_CODE_LIKE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-_/.]{2,39}$")


def looks_like_code(text: str) -> bool:
    """True for one token that may be a record number or a registration code of any shape
    (``29012025I000012345``, ``KR-IMP-0042``, ``ACMETRADING``): looked up exactly as the
    key of a declaration and the code of an enterprise, whatever it looks like.

    >>> looks_like_code("KR-IMP-0042"), looks_like_code("Li Na")
    (True, False)
    """
    return bool(_CODE_LIKE.match(text.strip()))


def looks_like_id(text: str) -> bool:
    """True for a resident ID number (15/18 chars), a credit code, a masked ID or a hash."""
    return bool(_ID_LIKE.match(id_form(text)))


# The stored text properties hold the ETL's normal forms (etl/normalise.py); a query is put
# in the same form, or search and staging would disagree on every name.
_FORMS = {"name_norm": normalise_name, "address_norm": normalise_address}


def normalise(text: str, prop: str = "name_norm") -> str:
    """``text`` in the normal form the ETL stores ``prop`` in ("" when nothing is left)."""
    try:
        form = _FORMS[prop]
    except KeyError:
        raise ValueError(f"no normal form for property {prop!r}; known: {sorted(_FORMS)}") \
            from None
    return form(text) or ""


def pieces(text: str, prop: str = "name_norm", halves: bool = True) -> list[str]:
    """Substrings whose containment makes a node a candidate: the whole normalised text,
    its words, and (``halves``) the halves of longer words, so one typo leaves at least one
    piece intact. Names are stored without spaces, so their words are normalised one by
    one."""
    whole = normalise(text, prop)
    out: list[str] = [whole] if whole else []
    raw_words = text.split() if prop == "name_norm" else whole.split()
    words = [w for w in (normalise(r, prop) for r in raw_words) if len(w) >= 2]
    out += [w for w in words if w != whole]
    for w in words if halves else ():
        if len(w) >= 4:
            mid = len(w) // 2
            out += [w[:mid], w[mid:]]
    seen: list[str] = []
    for p in out:
        if p not in seen:
            seen.append(p)
    return seen[:_MAX_PIECES]


def score(query_norm: str, value: str | None, prop: str = "name_norm") -> float:
    """Similarity 0-100 of a normalised query and a stored (normalised) value of ``prop``."""
    if not value:
        return 0.0
    v = normalise(value, prop)
    if v == query_norm:
        return 100.0
    return float(max(fuzz.WRatio(query_norm, v), fuzz.ratio(query_norm, v)))
