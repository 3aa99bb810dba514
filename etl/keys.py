"""Node-key rules, stated once: DuckDB macros for the projection, Python twins for the rest.

Every graph node is found again by its key, so the rule that turns staging values into a
key decides which records become one node. The rules:

- Person: ``'id:' || id_norm`` when the ID number is valid or arrives hashed
  (``sha256:...``, see :func:`id_is_hashed`); otherwise ``'nm:'`` and the first 16 hex digits of
  ``md5(name_norm || '|' || coalesce(phone_e164, id_norm, ''))``. A masked or broken ID
  cannot identify a person alone; a valid one merges spelling variants of the name.
- IdNumber: ``id_norm``, for every number that is not starred out: resident IDs, hashes,
  passports and other documents (their type in ``id_type``). Phone: E.164. Address: the
  staging ``<field>_key``.
- Composite keys ``a || '|' || b``: PaymentAccount (pay_code, account_no), Order (ebp_code,
  order_no), Payment (pay_code, pay_transaction_id), Waybill (logistics_code,
  logistics_no), CheckResult (invt_no, check_id). NULL when a part is missing.

Examples
--------
>>> person_key("110105199203074518", True, "li na", "+8613800138000")
'id:110105199203074518'
>>> person_key("110105********4518", None, "li na", "+8613800138000")
'nm:1c14a3b3f89a7ede'
>>> pair_key("3120960PAY", "6222021203004567891")
'3120960PAY|6222021203004567891'
"""

from __future__ import annotations

import hashlib
import re

import duckdb

__all__ = ["person_key", "pair_key", "id_is_hashed", "id_is_masked", "id_display",
           "phone_country", "phone_is_mobile", "create_key_macros", "KEY_MACROS"]

# As etl.normalise keeps them: a digest prefix, or a bare SHA-256 (64 hex), any case.
HASHED_RE = r"^(SHA256:|SHA1:|MD5:)|^[0-9A-F]{64}$"

# Calling code -> ISO 3166-1 alpha-2 for the countries our data meets most; longest code
# first so "+852" wins over "+85". Others stay NULL (the E.164 key is what matters).
_CALLING_CODES = [
    ("+852", "HK"), ("+853", "MO"), ("+886", "TW"), ("+971", "AE"), ("+966", "SA"),
    ("+351", "PT"), ("+353", "IE"), ("+358", "FI"), ("+380", "UA"), ("+420", "CZ"),
    ("+86", "CN"), ("+81", "JP"), ("+82", "KR"), ("+84", "VN"), ("+65", "SG"),
    ("+60", "MY"), ("+66", "TH"), ("+62", "ID"), ("+63", "PH"), ("+91", "IN"),
    ("+44", "GB"), ("+49", "DE"), ("+33", "FR"), ("+39", "IT"), ("+34", "ES"),
    ("+31", "NL"), ("+32", "BE"), ("+41", "CH"), ("+43", "AT"), ("+46", "SE"),
    ("+47", "NO"), ("+45", "DK"), ("+48", "PL"), ("+61", "AU"), ("+64", "NZ"),
    ("+55", "BR"), ("+52", "MX"), ("+90", "TR"), ("+7", "RU"), ("+1", "US"),
]


def _phone_country_sql() -> str:
    whens = " ".join(f"WHEN starts_with(p, '{c}') THEN '{iso}'" for c, iso in _CALLING_CODES)
    return f"CASE {whens} ELSE NULL END"


# name -> (parameters, body). Bodies are plain SQL expressions (portable to Spark SQL).
KEY_MACROS: dict[str, tuple[str, str]] = {
    "id_is_hashed": ("id_norm", f"coalesce(regexp_matches(upper(id_norm), '{HASHED_RE}'), false)"),
    "id_is_masked": ("id_norm, id_valid",
                     "id_norm IS NOT NULL AND id_valid IS NULL AND NOT id_is_hashed(id_norm) "
                     "AND contains(id_norm, '*')"),
    "person_key": (
        "id_norm, id_valid, name_norm, phone",
        "CASE WHEN id_norm IS NOT NULL AND (coalesce(id_valid, false) OR id_is_hashed(id_norm)) "
        "THEN 'id:' || id_norm "
        "ELSE 'nm:' || left(md5(coalesce(name_norm, '') || '|' "
        "|| coalesce(phone, id_norm, '')), 16) END",
    ),
    "pair_key": ("a, b", "CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE a || '|' || b END"),
    "id_display": (
        "id_norm",
        "CASE WHEN id_norm IS NULL OR id_is_hashed(id_norm) THEN NULL "
        "WHEN regexp_matches(id_norm, '^[0-9]{6}(19|20)[0-9]{2}') "
        "THEN left(id_norm, 6) || '-' || substr(id_norm, 7, 4) "
        "WHEN regexp_matches(id_norm, '^[0-9]{6}') THEN left(id_norm, 6) ELSE NULL END",
    ),
    "phone_country": ("p", _phone_country_sql()),
    "phone_is_mobile": (
        "p", "CASE WHEN starts_with(p, '+86') THEN regexp_matches(p, '^\\+861[3-9][0-9]{9}$') "
        "ELSE NULL END",
    ),
}


def create_key_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the key macros (TEMP, so nothing is written to the staging file)."""
    for name, (params, body) in KEY_MACROS.items():
        con.execute(f"CREATE OR REPLACE TEMP MACRO {name}({params}) AS ({body})")


# -- Python twins ------------------------------------------------------------------------
def id_is_hashed(id_norm: str | None) -> bool:
    """Whether an ID number arrived as a hash (``sha256:...`` or 64 hex digits)."""
    return bool(id_norm) and re.search(HASHED_RE, id_norm.upper()) is not None


def id_is_masked(id_norm: str | None, id_valid: bool | None) -> bool:
    """Whether an ID number is starred out (``110105********4518``): present, not checkable,
    not hashed. A passport or other non-PRC number (not checkable either, but whole) is not
    masked: it becomes an IdNumber node and links the people who give it.

    >>> id_is_masked("110105********4518", None), id_is_masked("M12345678", None)
    (True, False)
    """
    return (id_norm is not None and id_valid is None and not id_is_hashed(id_norm)
            and "*" in id_norm)


def person_key(id_norm: str | None, id_valid: bool | None, name_norm: str | None,
               phone: str | None) -> str:
    """The Person key; see the module docstring for the rule."""
    if id_norm is not None and (id_valid or id_is_hashed(id_norm)):
        return f"id:{id_norm}"
    tail = phone if phone is not None else (id_norm if id_norm is not None else "")
    text = f"{name_norm or ''}|{tail}"
    return "nm:" + hashlib.md5(text.encode("utf-8")).hexdigest()[:16]


def pair_key(a: str | None, b: str | None) -> str | None:
    """``a|b``, the composite key of orders, payments, waybills, accounts and checks."""
    if a is None or b is None:
        return None
    return f"{a}|{b}"


def id_display(id_norm: str | None) -> str | None:
    """At most region code and birth year (``110105-1992``), for display; None if hashed."""
    if id_norm is None or id_is_hashed(id_norm):
        return None
    if re.match(r"^[0-9]{6}(19|20)[0-9]{2}", id_norm):
        return f"{id_norm[:6]}-{id_norm[6:10]}"
    if re.match(r"^[0-9]{6}", id_norm):
        return id_norm[:6]
    return None


def phone_country(e164: str | None) -> str | None:
    """ISO country of an E.164 number, for the common calling codes; else None."""
    if e164 is None:
        return None
    for code, iso in _CALLING_CODES:
        if e164.startswith(code):
            return iso
    return None


def phone_is_mobile(e164: str | None) -> bool | None:
    """True for a Chinese mobile number, False for a Chinese fixed line, None elsewhere."""
    if e164 is None or not e164.startswith("+86"):
        return None
    return re.match(r"^\+861[3-9][0-9]{9}$", e164) is not None
