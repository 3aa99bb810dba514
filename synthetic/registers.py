"""The registers: enterprises, persons, addresses, phones and payment accounts.

A ``Registry`` is the world's cast. Benign members are created in bulk by
``synthetic.population``; fraud schemes add theirs through the ``add_*`` methods. Every
record remembers the real entity behind it (``true_id``) so entity resolution can be
scored; the written forms (name spellings, phone formats, address styles) are what the
platform sees.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from synthetic.identities import Addr, address_text, format_phone, hash_id, mask_id

__all__ = ["Registry", "CITY_CODE"]

CITY_CODE = {"Hangzhou": "3301", "Ningbo": "3302", "Shanghai": "3122", "Guangzhou": "4401",
             "Shenzhen": "4403", "Beijing": "1101", "Qingdao": "3702", "Zhengzhou": "4101",
             "Xiamen": "3502", "Chengdu": "5101", "Yiwu": "3307", "Shantou": "4405"}
_B36 = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
# Weyl-sequence multipliers (~golden ratio x modulus, coprime with it): keys scatter over
# their range from the first record on, so no key betrays when its record was created.
_K_CODE, _K_USCC = 825919, 954748003          # mod 34**4, 34**6
_K_PERSON, _K_ADDR = 61803399, 6180339        # mod 10**8, 10**7


def _b36(n: int, width: int) -> str:
    out = ""
    for _ in range(width):
        n, r = divmod(n, len(_B36))
        out = _B36[r] + out
    return out


class Registry:
    """Growing lists of register records plus the lookups messages need."""

    def __init__(self) -> None:
        self.ent: list[dict] = []          # enterprise records (contract fields)
        self.ent_true: list[int] = []      # real firm behind each code
        self.addr_rows: list[dict] = []
        self.addr_true: list[int] = []
        self.addr_obj: list[Addr] = []
        self.n_true_addr = 0
        self.phone_text: list[str] = []    # every phone as written anywhere
        self.phone_rows: list[dict] = []   # the phones register
        self._phone_seen: set[str] = set()
        self.acct_rows: list[dict] = []
        self.acct_ent: list[int] = []      # payment firm (enterprise index) of each account
        # person refs (one row per person_ref)
        self.p_name: list[str] = []
        self.p_idtype: list[str] = []
        self.p_id: list[str | None] = []   # as written (maybe masked / hashed)
        self.p_id_raw: list[str] = []      # the true ID number
        self.p_phone: list[int] = []       # index into phone_text
        self.p_phone_unregistered: set[int] = set()  # refs whose register row has no phone
        self.p_addr: list[int] = []        # address_ref index
        self.p_acct: list[int] = []        # payment account index
        self.p_email: list[str | None] = []
        self.p_true: list[int] = []
        self.n_true_person = 0
        self._ent_seq = 0
        self._cache: dict[str, pa.Array] = {}

    def _dirty(self) -> None:
        if self._cache:
            self._cache.clear()

    # -- enterprises -------------------------------------------------------------------
    def add_enterprise(self, name: str, roles: str, city: str, district: str, *,
                       registered: date, status: str = "active", credit: str = "registered",
                       legal_rep: tuple[str, str] | None = None, telephone: str | None = None,
                       address: str | None = None, country: str = "CN",
                       true_id: int | None = None, uscc_seed: int = 0) -> int:
        """Register a firm and return its index; ``true_id`` links a second registration."""
        self._ent_seq += 1
        # the suffix is a permutation of the sequence, so codes do not reveal creation order
        code = f"{CITY_CODE.get(city, '9999')}96{_b36(self._ent_seq * _K_CODE % 34**4, 4)}"
        self.ent.append({
            "enterprise_code": code, "enterprise_name": name, "roles": roles,
            "uscc": (f"9133{(uscc_seed * 7919 + self._ent_seq) % 10**8:08d}"
                     f"MA{_b36(self._ent_seq * _K_USCC % 34**6, 6)}"),
            "legal_rep_name": legal_rep[0] if legal_rep else None,
            "legal_rep_id_number": legal_rep[1] if legal_rep else None,
            "telephone": telephone, "address": address, "country": country,
            "customs_district": district, "registered_date": registered.isoformat(),
            "status": status, "credit_class": credit})
        self.ent_true.append(len(self.ent_true) if true_id is None else true_id)
        self._dirty()
        return len(self.ent) - 1

    def code(self, i: int) -> str:
        return self.ent[i]["enterprise_code"]

    # -- addresses ---------------------------------------------------------------------
    def add_address(self, a: Addr, styles: tuple[int, ...] = (0,)) -> list[int]:
        """Register one real address under one address_ref per written style."""
        t = self.n_true_addr
        self.n_true_addr += 1
        refs = []
        for s in styles:
            self.addr_rows.append({
                "address_ref": f"A{(len(self.addr_rows) + 1) * _K_ADDR % 10**7:07d}",
                "address": address_text(a, s),
                "country": "CN", "province": a.province, "city": a.city,
                "district": a.district, "postcode": a.postcode, "address_kind": a.kind})
            self.addr_true.append(t)
            self.addr_obj.append(a)
            refs.append(len(self.addr_rows) - 1)
        self._dirty()
        return refs

    def address(self, i: int) -> str:
        return self.addr_rows[i]["address"]

    # -- phones ------------------------------------------------------------------------
    def add_phone(self, num: int, style: int, owner: tuple[str, str] | None = None,
                  activated: date | None = None) -> int:
        """Record a phone as written; optionally enter it in the phones register."""
        text = format_phone(int(num), int(style))
        self.phone_text.append(text)
        if owner is not None and text not in self._phone_seen:
            self._phone_seen.add(text)
            self.phone_rows.append({
                "telephone": text, "registered_name": owner[0],
                "registered_id_number": owner[1],
                "activation_date": activated.isoformat() if activated else None})
        self._dirty()
        return len(self.phone_text) - 1

    def extend_phones(self, texts: list[str], owners: list[tuple[str, str] | None],
                      activated: list[str | None]) -> int:
        """Bulk ``add_phone`` for pre-written texts; returns the index of the first one."""
        first = len(self.phone_text)
        self.phone_text.extend(texts)
        for text, owner, act in zip(texts, owners, activated, strict=True):
            if owner is not None and text not in self._phone_seen:
                self._phone_seen.add(text)
                self.phone_rows.append({"telephone": text, "registered_name": owner[0],
                                        "registered_id_number": owner[1],
                                        "activation_date": act})
        self._dirty()
        return first

    # -- payment accounts ----------------------------------------------------------------
    def add_account(self, pay_code: str, account_no: str, holder: str, holder_id: str,
                    kind: str, opened: date, pay_ent: int = -1) -> int:
        self.acct_ent.append(pay_ent)
        self.acct_rows.append({"pay_code": pay_code, "account_no": account_no,
                               "holder_name": holder, "holder_id_number": holder_id,
                               "account_kind": kind, "opened_date": opened.isoformat()})
        self._dirty()
        return len(self.acct_rows) - 1

    def account_key(self, i: int) -> str:
        r = self.acct_rows[i]
        return f"{r['pay_code']}|{r['account_no']}"

    # -- persons -----------------------------------------------------------------------
    def add_person_ref(self, true_id: int, name: str, id_number: str, id_written: str,
                       phone: int, addr: int, acct: int, email: str | None) -> int:
        """One person_ref of real person ``true_id`` with the values written under it."""
        return self.extend_person_refs([true_id], [name], [id_number], [id_written], [phone],
                                       [addr], [acct], [email])

    def extend_person_refs(self, true_ids: list[int], names: list[str], ids: list[str],
                           written: list[str], phones: list[int], addrs: list[int],
                           accts: list[int], emails: list[str | None]) -> int:
        """Bulk ``add_person_ref``; returns the index of the first new ref."""
        first = len(self.p_name)
        self.p_name.extend(names)
        self.p_idtype.extend(["1"] * len(names))
        self.p_id.extend(written)
        self.p_id_raw.extend(ids)
        self.p_phone.extend(phones)
        self.p_addr.extend(addrs)
        self.p_acct.extend(accts)
        self.p_email.extend(emails)
        self.p_true.extend(true_ids)
        self._dirty()
        return first

    def new_person_id(self) -> int:
        self.n_true_person += 1
        return self.n_true_person - 1

    @staticmethod
    def written_id(id_number: str, how: int) -> str:
        """0 plain, 1 masked, 2 hashed."""
        if how == 0:
            return id_number
        return mask_id(id_number) if how == 1 else hash_id(id_number)

    @staticmethod
    def person_ref(i: int) -> str:
        """Key of ref ``i``: a permutation, so keys do not reveal creation order."""
        return f"P{(i + 1) * _K_PERSON % 10**8:08d}"

    # -- arrays for vectorised message building ------------------------------------------
    def arr(self, name: str) -> pa.Array:
        """Column arrays indexed by record position (cached until the registry grows)."""
        if name not in self._cache:
            src = {
                "ent_code": lambda: [e["enterprise_code"] for e in self.ent],
                "ent_name": lambda: [e["enterprise_name"] for e in self.ent],
                "p_name": lambda: self.p_name, "p_id": lambda: self.p_id,
                "p_idtype": lambda: self.p_idtype,
                "phone": lambda: self.phone_text,
                "addr": lambda: [r["address"] for r in self.addr_rows],
                "acct_no": lambda: [r["account_no"] for r in self.acct_rows],
                "acct_pay": lambda: [r["pay_code"] for r in self.acct_rows],
                "acct_holder": lambda: [r["holder_name"] for r in self.acct_rows],
            }[name]
            self._cache[name] = pa.array(src(), pa.string())
        return self._cache[name]

    def np(self, name: str) -> np.ndarray:
        """Integer lookups: person ref → phone / address / account index."""
        key = "np_" + name
        if key not in self._cache:
            self._cache[key] = np.asarray({"p_phone": self.p_phone, "p_addr": self.p_addr,
                                           "p_acct": self.p_acct, "acct_ent": self.acct_ent,
                                           "p_true": self.p_true}[name], dtype=np.int64)
        return self._cache[key]

    # -- tables ------------------------------------------------------------------------
    def tables(self) -> dict[str, pa.Table]:
        """The five register tables in contract column order."""
        n = len(self.p_name)
        persons = pa.table({
            "person_ref": [self.person_ref(i) for i in range(n)], "name": self.p_name,
            "id_type": self.p_idtype, "id_number": self.p_id,
            # a ref in p_phone_unregistered: the register row has no telephone (its
            # messages still carry one: the platform's order needs it)
            "telephone": self.arr("phone").take(pa.array(self.p_phone, mask=np.isin(
                np.arange(n), np.fromiter(self.p_phone_unregistered, np.int64)))),
            "address": self.arr("addr").take(pa.array(self.p_addr)),
            "email": self.p_email})
        out = {"enterprises": pa.Table.from_pylist(self.ent),
               "persons": persons,
               "addresses": pa.Table.from_pylist(self.addr_rows),
               "phones": pa.Table.from_pylist(self.phone_rows),
               "payment_accounts": pa.Table.from_pylist(self.acct_rows)}
        # sorted by key: row order must not reveal which records a scheme added last
        keys = {"enterprises": ["enterprise_code"], "persons": ["person_ref"],
                "addresses": ["address_ref"], "phones": ["telephone"],
                "payment_accounts": ["pay_code", "account_no"]}
        return {k: t.sort_by([(c, "ascending") for c in keys[k]]) for k, t in out.items()}

    def identity_table(self) -> pa.Table:
        """Ground truth for entity resolution: record key → real entity."""
        n = len(self.p_name)
        keys = ([self.person_ref(i) for i in range(n)]
                + [e["enterprise_code"] for e in self.ent]
                + [r["address_ref"] for r in self.addr_rows])
        types = ["person"] * n + ["enterprise"] * len(self.ent) + ["address"] * len(self.addr_rows)
        true = ([f"PER{t:08d}" for t in self.p_true] + [f"ENT{t:06d}" for t in self.ent_true]
                + [f"ADR{t:08d}" for t in self.addr_true])
        return pa.table({"entity_type": types, "record_key": keys, "true_id": true})
