"""Normalisation of the identifiers that link records: phones, countries, names, addresses,
PRC ID numbers and the ``gmodel`` specification string.

Pure functions of one raw value, so staging applies them to the *distinct* values of a column
only and joins the results back (``phonenumbers`` costs ~20 µs a call; a 1M-declaration load
has millions of phone cells but far fewer distinct numbers).

Decisions (documented here because resolution and three-list matching rely on them):

- **Phones** become E.164 when ``phonenumbers`` finds the number *possible* (length and prefix
  plausible for its region); we do not require ``is_valid_number`` because carrier ranges
  change faster than the library and a wrongly nulled phone would cut a real link.
- **Names** are compared space-free: "Li Na", "LI  NA", "Li-Na" and "LiNa" all become
  ``LINA``. Pinyin spacing varies between sources far more often than two different people
  differ only by a space. Full-width characters fold to ASCII (NFKC), punctuation goes,
  company suffixes are unified (LIMITED -> LTD, COMPANY -> CO, CORPORATION -> CORP).
- **Addresses** keep word order and spaces (readable, and the order carries meaning) but fold
  case, width, punctuation and the usual abbreviations to one form (ROAD -> RD,
  BUILDING -> BLDG, ROOM -> RM, "No." / "#" -> NO, 室 -> RM, 号 -> NO). ``address_key`` is the
  first 16 hex characters of the MD5 of the normalised text; the same rule exists as the
  DuckDB macro ``address_key(norm)`` (see ``etl.staging``).
- **PRC ID numbers**: upper-case, spaces and hyphens removed; masked (``*``) and hashed
  (``sha256:...`` or 64 hex characters) values are kept as given with validity ``None``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date
from functools import lru_cache

__all__ = [
    "phone_e164",
    "country_iso2",
    "normalise_name",
    "normalise_address",
    "address_key",
    "check_prc_id",
    "looks_like_prc_id",
    "parse_gmodel",
]


# -- phones -----------------------------------------------------------------------------

_NON_DIGIT = re.compile(r"\D")
_CN_MOBILE = re.compile(r"(?:\+86|0086)?[ -]?(1[3-9]\d[ -]?\d{4}[ -]?\d{4})")

def phone_e164(raw: str | None, region: str = "CN") -> str | None:
    """Phone number in E.164 form, or ``None`` when it cannot be a phone number.

    Examples
    --------
    >>> phone_e164("138 0013 8000")
    '+8613800138000'
    >>> phone_e164("+86 579 8555 1234")
    '+8657985551234'
    >>> phone_e164("0086-138-0013-8000")
    '+8613800138000'
    >>> phone_e164("8613800138000")
    '+8613800138000'
    >>> phone_e164("+1 (212) 555-0142")
    '+12125550142'
    >>> phone_e164("12") is None
    True
    >>> phone_e164(None) is None
    True
    """
    if raw is None:
        return None
    import phonenumbers

    text = _nfkc(str(raw)).strip()
    if not text:
        return None
    # Fast path for the common case, a CN mobile with optional +86/0086 and separators:
    # what phonenumbers returns for these, at a twentieth of the cost.
    if region == "CN" and (m := _CN_MOBILE.fullmatch(text)):
        return "+86" + _NON_DIGIT.sub("", m.group(1))
    digits = _NON_DIGIT.sub("", text)
    # "86 138..." without '+' is common in Chinese extracts: a CN mobile with country code.
    if not text.startswith("+") and not text.startswith("00") and region == "CN" \
            and digits.startswith("86") and len(digits) == 13:
        text = "+" + digits
    try:
        num = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


# -- countries --------------------------------------------------------------------------

_COUNTRY_ALIASES = {
    "UK": "GB", "GREAT BRITAIN": "GB", "ENGLAND": "GB", "BRITAIN": "GB",
    "USA": "US", "U.S.A.": "US", "U.S.": "US", "AMERICA": "US", "UNITED STATES OF AMERICA": "US",
    "CHINA": "CN", "PRC": "CN", "MAINLAND CHINA": "CN", "中国": "CN", "中华人民共和国": "CN",
    "美国": "US", "英国": "GB", "德国": "DE", "法国": "FR", "日本": "JP", "韩国": "KR",
    "香港": "HK", "澳门": "MO", "台湾": "TW", "俄罗斯": "RU", "澳大利亚": "AU", "加拿大": "CA",
    "SOUTH KOREA": "KR", "KOREA": "KR", "NORTH KOREA": "KP", "RUSSIA": "RU", "VIETNAM": "VN",
    "HONG KONG": "HK", "MACAU": "MO", "MACAO": "MO", "TAIWAN": "TW", "HOLLAND": "NL",
    "TURKEY": "TR", "UAE": "AE", "IRAN": "IR", "LAOS": "LA", "SYRIA": "SY", "BOLIVIA": "BO",
    "VENEZUELA": "VE", "TANZANIA": "TZ", "MOLDOVA": "MD", "CZECH REPUBLIC": "CZ",
}


@lru_cache(maxsize=4096)
def country_iso2(raw: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code for a code (alpha-2, alpha-3, numeric) or a country name.

    Examples
    --------
    >>> country_iso2("us"), country_iso2("USA"), country_iso2("United States")
    ('US', 'US', 'US')
    >>> country_iso2("Germany"), country_iso2("DEU"), country_iso2("276"), country_iso2("中国")
    ('DE', 'DE', 'DE', 'CN')
    >>> country_iso2("UK"), country_iso2(" Hong Kong ")
    ('GB', 'HK')
    >>> country_iso2("Narnia") is None
    True
    """
    if raw is None:
        return None
    import pycountry

    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text:
        return None
    up = text.upper()
    if up in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[up]
    if up.isdigit():
        c = pycountry.countries.get(numeric=up.zfill(3))
        return c.alpha_2 if c else None
    try:
        return pycountry.countries.lookup(text).alpha_2
    except LookupError:
        return None


# -- names ------------------------------------------------------------------------------

_NAME_SUFFIXES = [(r"\bLIMITED\b", "LTD"), (r"\bCOMPANY\b", "CO"), (r"\bCORPORATION\b", "CORP"),
                  (r"\bINCORPORATED\b", "INC")]


_NON_WORD = re.compile(r"[^\w]+|_")
_SPACES = re.compile(r"\s+")
_SUFFIX_RE = [(re.compile(p), r) for p, r in _NAME_SUFFIXES]


def _nfkc(text: str) -> str:
    """Full-width and compatibility forms folded (NFKC); ASCII, the common case, as is."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _fold(raw: str) -> str:
    """NFKC (full-width to ASCII), upper-case, every non-letter/digit to a space."""
    return _NON_WORD.sub(" ", _nfkc(raw).upper())


def normalise_name(raw: str | None) -> str | None:
    """Comparable form of a person or firm name: upper-case, no punctuation, no spaces.

    Examples
    --------
    >>> normalise_name("Li Na"), normalise_name("LiNa"), normalise_name(" li-na ")
    ('LINA', 'LINA', 'LINA')
    >>> normalise_name("Ｌｉ　Ｎａ")
    'LINA'
    >>> normalise_name("Yiwu Starlight Trading Co., Ltd.")
    'YIWUSTARLIGHTTRADINGCOLTD'
    >>> normalise_name("Yiwu Starlight Trading Company Limited")
    'YIWUSTARLIGHTTRADINGCOLTD'
    >>> normalise_name("李 娜")
    '李娜'
    >>> normalise_name("  ") is None
    True
    """
    if raw is None:
        return None
    text = _fold(str(raw))
    if "LIMITED" in text or "COMPANY" in text or "CORPORATION" in text or "INCORP" in text:
        for pat, rep in _SUFFIX_RE:
            text = pat.sub(rep, text)
    text = _SPACES.sub("", text)
    return text or None


# -- addresses --------------------------------------------------------------------------

# Chinese unit markers become their English abbreviation, spaced so they form tokens.
_ADDR_CJK = [("号楼", " BLDG "), ("栋", " BLDG "), ("幢", " BLDG "), ("单元", " UNIT "),
             ("室", " RM "), ("号", " NO "), ("路", " RD "), ("街", " ST "), ("区", " DIST ")]
_ADDR_WORDS = {
    "ROAD": "RD", "STREET": "ST", "STR": "ST", "AVENUE": "AVE", "AV": "AVE",
    "BUILDING": "BLDG", "BLD": "BLDG", "BLDG": "BLDG", "TOWER": "TWR",
    "ROOM": "RM", "RM": "RM", "NUMBER": "NO", "NO": "NO", "NUM": "NO",
    "FLOOR": "FL", "FLR": "FL", "DISTRICT": "DIST", "DIST": "DIST",
    "APARTMENT": "APT", "APT": "APT", "UNIT": "UNIT", "SUITE": "STE",
    "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W",
    "LANE": "LN", "HIGHWAY": "HWY", "PROVINCE": "PROV", "VILLAGE": "VLG",
}


_GLUED = re.compile(r"(?<=\d)(?=[^\W\d])|(?<=[^\W\d])(?=\d)")


def normalise_address(raw: str | None) -> str | None:
    """Comparable form of an address: one spelling per abbreviation, no punctuation.

    Unit numbers written "Rm 1203", "Room 1203", "1203室" or "#1203" all become ``RM 1203``
    / ``NO 1203`` tokens; "5-1203" keeps its hyphen-joined parts as separate tokens.

    Examples
    --------
    >>> normalise_address("Rm 1203, Bldg 5, 18 Jianguo Rd, Chaoyang District, Beijing")
    'RM 1203 BLDG 5 18 JIANGUO RD CHAOYANG DIST BEIJING'
    >>> normalise_address("Room 1203, Building 5, 18 Jianguo Road, Chaoyang Dist., Beijing")
    'RM 1203 BLDG 5 18 JIANGUO RD CHAOYANG DIST BEIJING'
    >>> normalise_address("No. 88 Chouzhou North Rd") == normalise_address("#88 Chouzhou N. Road")
    True
    >>> normalise_address("5栋1203室")
    'BLDG 5 RM 1203'
    >>> normalise_address(" , ") is None
    True
    """
    if raw is None:
        return None
    text = _nfkc(str(raw))
    if not text.isascii():
        for cjk, rep in _ADDR_CJK:
            text = text.replace(cjk, rep)
    text = _NON_WORD.sub(" ", text.upper().replace("#", " NO "))
    # split digits from letters glued to them: "18JIANGUO" -> "18 JIANGUO", "RM1203" -> "RM 1203"
    text = _GLUED.sub(" ", text)
    tokens = [_ADDR_WORDS.get(t, t) for t in text.split()]
    # CJK order puts the marker after the number ("5栋" -> "5 BLDG"): move it before.
    out: list[str] = []
    for tok in tokens:
        if tok in ("BLDG", "RM", "UNIT") and out and out[-1].isdigit() and \
                (len(out) < 2 or out[-2] not in ("BLDG", "RM", "UNIT", "NO")):
            out.insert(len(out) - 1, tok)
        else:
            out.append(tok)
    return " ".join(out) or None


def address_key(norm: str | None) -> str | None:
    """Key of a normalised address: the first 16 hex characters of its MD5.

    The same rule is the DuckDB macro ``address_key(norm)`` created by ``etl.staging``.

    Examples
    --------
    >>> address_key("RM 1203 BLDG 5 18 JIANGUO RD CHAOYANG DIST BEIJING")
    'e211ed4e85090d9e'
    >>> address_key(None) is None
    True
    """
    if norm is None:
        return None
    return hashlib.md5(norm.encode("utf-8")).hexdigest()[:16]


# -- PRC resident ID numbers ------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# Province-level prefixes of the GB/T 2260 region code (11 Beijing ... 82 Macao).
_ID_PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44,
                 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}
_HASHED = re.compile(r"^(SHA256:|SHA1:|MD5:)|^[0-9A-F]{64}$")


def looks_like_prc_id(norm: str | None) -> bool:
    """Whether a normalised ID number has the shape of an 18-character resident ID.

    >>> looks_like_prc_id("110105199203074518"), looks_like_prc_id("E12345678")
    (True, False)
    """
    return bool(norm) and re.fullmatch(r"\d{17}[\dX]", norm) is not None


def check_prc_id(raw: str | None) -> tuple[str | None, bool | None, str | None, date | None]:
    """Check a PRC resident ID number: ISO 7064 MOD 11-2 check digit, birth date, region.

    Returns ``(norm, valid, region, birth_date)``. ``valid`` is ``None`` for masked or hashed
    values (nothing to check), ``False`` for anything else that is not a well-formed
    18-character ID with a correct check digit, a real birth date between 1900 and today
    and a known province prefix.

    Examples
    --------
    >>> check_prc_id("110105199203074514")
    ('110105199203074514', True, '110105', datetime.date(1992, 3, 7))
    >>> check_prc_id("110105 19920307 4518")[1]
    False
    >>> check_prc_id("110105199213074514")[1:]
    (False, '110105', None)
    >>> check_prc_id("110105********4518")
    ('110105********4518', None, '110105', None)
    >>> check_prc_id("sha256:9f86d081884c7d65")
    ('sha256:9f86d081884c7d65', None, None, None)
    >>> check_prc_id("11010519920307451x")[0]
    '11010519920307451X'
    """
    if raw is None:
        return None, None, None, None
    norm = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", str(raw))).upper()
    if not norm:
        return None, None, None, None
    if "*" in norm or _HASHED.search(norm):
        given = str(raw).strip()  # a mask or hash is kept as given (hashes are case-sensitive)
        region = norm[:6] if re.fullmatch(r"\d{6}", norm[:6]) else None
        return given, None, region, None
    if not looks_like_prc_id(norm):
        return norm, False, None, None
    region = norm[:6]
    total = sum(int(d) * w for d, w in zip(norm[:17], _ID_WEIGHTS, strict=True))
    check_ok = _ID_CHECK[total % 11] == norm[17]
    try:
        birth = date(int(norm[6:10]), int(norm[10:12]), int(norm[12:14]))
    except ValueError:
        birth = None
    birth_ok = birth is not None and date(1900, 1, 1) <= birth <= date.today()
    region_ok = int(norm[:2]) in _ID_PROVINCES
    return norm, check_ok and birth_ok and region_ok, region, birth


# -- gmodel -----------------------------------------------------------------------------

_NO_BRAND = {"", "无", "无品牌", "NONE", "NO BRAND", "NOBRAND", "N/A", "NA", "-", "/", "NULL"}


def parse_gmodel(raw: str | None) -> tuple[int | None, str | None, str | None, str | None]:
    """Split a ``gmodel`` specification into ``(brand_type, export_pref, brand, rest)``.

    The CEB layout is ``brand type | export preference | brand | model elements...``.
    ``brand_type`` is 0-4 or ``None`` when absent or not a digit 0-4; ``brand`` is the third
    element (stripped) or ``None`` when empty or a "no brand" marker (无品牌, NONE, N/A...);
    ``rest`` is the remaining elements re-joined with ``|`` (``None`` when empty).

    Examples
    --------
    >>> parse_gmodel("1|0|POP MART|LABUBU vinyl 17cm|")
    (1, '0', 'POP MART', 'LABUBU vinyl 17cm')
    >>> parse_gmodel("0|0|无品牌|plush 20cm")
    (0, '0', None, 'plush 20cm')
    >>> parse_gmodel("plush toy")
    (None, None, None, 'plush toy')
    >>> parse_gmodel(None)
    (None, None, None, None)
    """
    if raw is None:
        return None, None, None, None
    parts = [p.strip() for p in unicodedata.normalize("NFKC", str(raw)).split("|")]
    if len(parts) < 2 or not re.fullmatch(r"[0-4]?", parts[0]):
        rest = "|".join(p for p in parts if p)
        return None, None, None, rest or None
    brand_type = int(parts[0]) if parts[0] else None
    export_pref = parts[1] or None
    brand = parts[2] if len(parts) > 2 else ""
    brand = None if brand.upper() in _NO_BRAND else brand
    rest = "|".join(p for p in parts[3:] if p)
    return brand_type, export_pref, brand, rest or None
