"""Matching forms: the last normalisation step before two names or addresses are compared.

Staging's ``*_norm`` columns (``etl.normalise``) make text comparable; these functions go one
step further, for matching only, and are never shown to users: firm-name suffixes are
dropped, address unit words are mapped to one spelling, person names are compacted so that
pinyin spacing ("Li Na" / "LiNa") does not matter. All are idempotent.

Examples
--------
>>> compact_name("Li Na") == compact_name("LiNa")
True
>>> firm_name("Starlight Trading Co., Ltd.") == firm_name("STARLIGHT TRADING COMPANY LIMITED")
True
>>> address_text("Rm 1203, Bldg 5, Jianguo Rd") == address_text("Room 1203 Building 5 Jianguo Road")
True
>>> number_signature("Rm 1203, Bldg 5, 18 Jianguo Rd")
'5-18-1203'
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "compact_name",
    "sorted_tokens",
    "firm_name",
    "address_text",
    "number_signature",
    "street_token",
]

# Bump when a matching form changes: cached forms (resolution_canon) are then recomputed.
VERSION = "2"

_NON_ALNUM = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")
_DIGITS = re.compile(r"\d+")

# Legal-form words carry no identity: "Co., Ltd." and "Company Limited" are the same firm.
_FIRM_STOP = frozenset(
    "co company ltd limited inc incorporated corp corporation llc plc gmbh sa bv the "
    "有限公司 有限责任公司 股份有限公司 公司".split()
)

# One spelling per address word (English abbreviations seen in CBEC consignee fields).
_ADDRESS_WORDS = {
    "rm": "room", "rm.": "room", "室": "room", "unit": "room", "flat": "room", "apt": "room",
    "apartment": "room", "suite": "room", "ste": "room",
    "bldg": "building", "bld": "building", "blk": "building", "block": "building",
    "tower": "building", "twr": "building", "dorm": "building", "栋": "building",
    "幢": "building", "楼": "building", "号楼": "building", "单元": "room",
    "fl": "floor", "flr": "floor", "f": "floor", "层": "floor",
    "rd": "road", "路": "road", "st": "street", "str": "street", "ave": "avenue",
    "av": "avenue", "blvd": "boulevard", "ln": "lane", "hwy": "highway",
    "dist": "district", "区": "district", "n": "north", "s": "south", "e": "east",
    "w": "west", "no": "", "number": "", "nr": "", "号": "", "of": "", "the": "",
}
# Words that say what kind of thing a number is, not where: never the "street" token.
_ADDRESS_GENERIC = frozenset(set(_ADDRESS_WORDS.values()) | {
    "district", "city", "province", "county", "town", "village", "community", "garden",
    "east", "west", "north", "south", "middle", "china",
})


def _fold(text: str | None) -> str:
    """Lower-case, strip accents, keep letters, digits and CJK characters as tokens."""
    if not text:
        return ""
    text = str(text)
    if not text.isascii():  # the slow path only where accents or CJK can occur
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def compact_name(name: str | None) -> str:
    """A person name with case, accents, punctuation and spaces removed.

    >>> compact_name("Zhang  Wei")
    'zhangwei'
    """
    return _fold(name).replace(" ", "")


def sorted_tokens(name: str | None) -> str:
    """Name tokens in alphabetical order, so "Wei Zhang" meets "Zhang Wei".

    >>> sorted_tokens("Wei Zhang")
    'wei zhang'
    """
    return " ".join(sorted(_fold(name).split()))


def firm_name(name: str | None) -> str:
    """A firm name without legal-form words, compacted.

    >>> firm_name("Shenzhen Bright Toys Co Ltd")
    'shenzhenbrighttoys'
    """
    tokens = [t for t in _fold(name).split() if t not in _FIRM_STOP]
    return "".join(tokens)


def address_text(address: str | None) -> str:
    """An address with unit and street words in one spelling, tokens space-separated.

    Numbers glued to words ("Rm1203", "5F") are split so that they compare as numbers.

    >>> address_text("5F, No.18 Jianguo Rd")
    '5 floor 18 jianguo road'
    """
    folded = re.sub(r"(?<=\d)(?=[a-z\u4e00-\u9fff])|(?<=[a-z\u4e00-\u9fff])(?=\d)", " ",
                    _fold(address))
    out = []
    for tok in folded.split():
        tok = _ADDRESS_WORDS.get(tok, tok)
        if tok:
            out.append(tok)
    return " ".join(out)


def number_signature(address: str | None) -> str:
    """The numbers of an address, sorted numerically: room, building and street numbers.

    Two addresses with different numbers are different places ("Rm 1203" is not "Rm 1204"),
    so this is both a blocking key and a hard rule.

    >>> number_signature("Cainiao Locker 17, 3 Wenyi W Rd")
    '3-17'
    """
    nums = sorted({int(n) for n in _DIGITS.findall(_fold(address))})
    return "-".join(str(n) for n in nums)


def street_token(canonical_address: str) -> str:
    """The longest non-generic word of a canonical address (usually the street name).

    >>> street_token(address_text("Rm 1203, Bldg 5, 18 Jianguo Rd, Chaoyang District"))
    'chaoyang'
    """
    words = [t for t in canonical_address.split() if not t.isdigit() and t not in _ADDRESS_GENERIC]
    return max(words, key=lambda t: (len(t), t), default="")
