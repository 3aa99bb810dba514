"""Redaction by tier (domain.md section 7) for exports and for the partner-liaison role.

Tier 1, non-personal operational data (enterprises, declarations, orders, waybills,
payments, inspections, routes), travels in full. Tier 2, suspects (and facilitators, rights
holders): the fields the request needs, by default name, birth year and region. Tier 3,
everyone else (identity-theft victims, ordinary consignees and payers, witnesses):
pseudonymised with a keyed hash (HMAC-SHA256 with a key drawn per export, so stable within
one export and unlinkable across exports). For every person, ID numbers are masked to region
code and birth year, phones to their first 3 and last 4 digits, addresses generalised to
the district, payment account numbers dropped; the keys of personal nodes (which embed ID
numbers and names) are replaced by pseudonyms.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Redactor", "mask_phone", "mask_id", "generalise_address", "PERSONAL_LABELS",
           "TIER2_ROLES", "DEFAULT_SUSPECT_FIELDS"]

PERSONAL_LABELS = frozenset({"Person", "IdNumber", "Phone", "Email", "Address", "PaymentAccount"})
TIER2_ROLES = frozenset({"suspect", "facilitator", "rights_holder"})
DEFAULT_SUSPECT_FIELDS = ("name", "birth_year", "region_code")
# per label: properties that are never exported (free text may name people)
_DROP = {"Order": {"note"}, "Waybill": {"goods_info"}}


def mask_phone(phone: str) -> str:
    """First 3 and last 4 digits of the national number, the country code kept.

    >>> mask_phone("+8613800138000")
    '+86 138****8000'
    """
    import phonenumbers

    try:
        num = phonenumbers.parse(phone, None)
        cc, nsn = f"+{num.country_code} ", phonenumbers.national_significant_number(num)
    except phonenumbers.NumberParseException:
        cc, nsn = "", re.sub(r"\D", "", phone)
    if len(nsn) <= 7:
        return cc + "*" * len(nsn)
    return f"{cc}{nsn[:3]}{'*' * (len(nsn) - 7)}{nsn[-4:]}"


def mask_id(id_number: str, masked: str | None = None) -> str:
    """Region code and birth year at most (an 18-digit PRC resident ID: 6 + 4 digits).

    >>> mask_id("110105199203074518")
    '110105-1992'
    """
    if masked and len(re.sub(r"\W", "", masked)) <= 10 and "*" not in masked[:3]:
        return masked
    s = re.sub(r"\s", "", id_number or "")
    if re.fullmatch(r"\d{17}[\dXx]", s):
        return f"{s[:6]}-{s[6:10]}"
    return "masked"


_CN = re.compile(r"^(?P<prov>.*?(?:省|自治区))?(?P<city>.*?市)?(?P<dist>.*?(?:区|县|旗))")


def generalise_address(props: dict[str, Any]) -> str:
    """The district, city, province and country of an address, nothing finer.

    >>> generalise_address({"address": "深圳市南山区科技园1号"})
    '深圳市南山区'
    >>> generalise_address({"address": "12 Rue de Rivoli, 75001 Paris, FR"})
    'Paris, FR'
    """
    parts = [props.get(k) for k in ("district", "city", "province", "country") if props.get(k)]
    if props.get("district") or props.get("city"):
        return ", ".join(dict.fromkeys(parts))
    raw = (props.get("address") or "").strip()
    m = _CN.match(raw)
    if m and m.group("dist"):
        return "".join(g for g in (m.group("prov"), m.group("city"), m.group("dist")) if g)
    pieces = [p.strip() for p in raw.split(",") if p.strip()]
    kept = [re.sub(r"\b\d{4,6}\b", "", p).strip() for p in pieces if not re.search(r"\d", p)
            or re.fullmatch(r"\d{4,6}\s+\D+", p)]
    kept = [k for k in kept if k]
    return ", ".join(kept) if kept else (", ".join(parts) or "district withheld")


@dataclass
class Redactor:
    """Redacts nodes for one export (or one partner-liaison view).

    ``tier2`` holds the keys of Person nodes that are suspects (tier 2); every other person
    is tier 3. ``suspect_fields`` are the Person fields the request needs.
    """

    key: bytes = field(default_factory=lambda: os.urandom(32))
    tier2: frozenset = frozenset()
    suspect_fields: tuple[str, ...] = DEFAULT_SUSPECT_FIELDS

    def pseudonym(self, label: str, key: str) -> str:
        digest = hmac.new(self.key, f"{label}\x1f{key}".encode(), hashlib.sha256).hexdigest()
        return digest[:16]

    def public_id(self, label: str, key: str) -> str:
        """The id a node has in the export: its key for tier-1 labels, else a pseudonym."""
        if label in PERSONAL_LABELS:
            return f"{label}:{self.pseudonym(label, key)}"
        return f"{label}:{key}"

    def tier(self, label: str, key: str) -> int:
        if label not in PERSONAL_LABELS:
            return 1
        return 2 if label == "Person" and key in self.tier2 else 3

    def node(self, label: str, key: str, props: dict[str, Any]) -> dict[str, Any]:
        """The properties that may leave, for a node of ``label`` with ``key``."""
        p = {k: v for k, v in props.items() if k not in _DROP.get(label, ())}
        if label not in PERSONAL_LABELS:
            return p
        pid = self.pseudonym(label, key)
        if label == "Person":
            if self.tier(label, key) == 2:
                out = {k: p[k] for k in self.suspect_fields if k in p}
            else:
                out = {"name": f"Person {pid[:8]}", "birth_year": p.get("birth_year"),
                       "region_code": p.get("region_code")}
            out["tier"] = self.tier(label, key)
            return {k: v for k, v in out.items() if v is not None}
        if label == "IdNumber":
            return {"masked": mask_id(key, p.get("masked")), "id_type": p.get("id_type")}
        if label == "Phone":
            return {"masked": mask_phone(p.get("phone") or key), "country": p.get("country")}
        if label == "Email":
            domain = (p.get("email") or key).rpartition("@")[2]
            return {"masked": f"***@{domain}"}
        if label == "Address":
            return {"district": generalise_address(p), "country": p.get("country")}
        if label == "PaymentAccount":
            return {"pay_code": p.get("pay_code") or key.split("|")[0],
                    "account_kind": p.get("account_kind"), "account": "dropped"}
        raise AssertionError(label)

    def caption(self, label: str, key: str, props: dict[str, Any]) -> str:
        """A display name for the redacted node."""
        r = self.node(label, key, props)
        for k in ("name", "masked", "district", "pay_code"):
            if r.get(k):
                return str(r[k])
        return props.get("name") or key if label not in PERSONAL_LABELS else self.public_id(
            label, key)
