"""Buyers: real people in households, and the person_refs the platforms know them by.

Households make the classic look-alikes of identity brushing: families and offices
sharing an address, parcel lockers and campus stations shared by many buyers. About 15 %
of real people appear under 2-3 person_refs (name spelling or pinyin spacing, phone
format, address style, masked or hashed ID): what entity resolution has to undo. A share of
the duplicate records (``GenConfig.dup_phone_share``, default 25 %) carries a second
mobile of the person, as real duplicates do (a work phone, a second SIM); for 40 % of those
the persons register has no telephone at all (a number one system never took), while the
record's orders carry the second number.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np

from synthetic.config import LOOKALIKES, GenConfig
from synthetic.identities import addresses, format_phone, mobiles, name_variant, names, resident_ids

if TYPE_CHECKING:
    from synthetic.cast import Cast

__all__ = ["add_households"]

_LOOK = {k: i for i, k in enumerate(LOOKALIKES)}


def add_households(cast: Cast, rng: np.random.Generator, cfg: GenConfig) -> None:
    """Real people in households, their refs, phones, addresses and accounts."""
    reg = cast.reg
    n_people = max(300, int(cfg.declarations * 0.3 / 2.2))
    # household plan: (kind, look-alike, members per address)
    plans = [("residential", "", 1, 0.50), ("residential", "family", 3, 0.27),
             ("office", "office", 12, 0.06), ("parcel_locker", "parcel_locker", 40, 0.11),
             ("campus", "campus", 80, 0.06)]
    addr_of_person = np.empty(n_people, np.int64)
    addr_look: list[int] = [0] * len(reg.addr_rows)   # firms' premises come first
    pos = 0
    for kind, look, size, share in plans:
        k = int(n_people * share) if kind != "campus" else n_people - pos
        sizes = np.maximum(1, rng.poisson(size - 1, max(1, k // size + 1)) + 1) if size > 1 \
            else np.ones(k, np.int64)
        objs = addresses(rng, len(sizes), kind)
        filled = 0
        two = (rng.random(len(sizes)) < 0.25).tolist()
        alt = rng.integers(1, 3, len(sizes)).tolist()
        for a, s, tw, al in zip(objs, sizes, two, alt, strict=True):
            if filled >= k:
                break
            styles = (0, al) if tw else (0,)
            refs = reg.add_address(a, styles)
            addr_look.extend([_LOOK[look] if look else 0] * len(refs))
            s = min(int(s), k - filled)
            addr_of_person[pos + filled: pos + filled + s] = refs[0]
            filled += s
        pos += filled
    n_people = pos
    addr_of_person = addr_of_person[:n_people]
    cast.addr_look = np.array(addr_look, np.int8)
    _people(cast, rng, n_people, addr_of_person, cfg)
    # where parcels go besides home (``population._redirect``): office receptions, each
    # with one phone for every parcel, parcel lockers, and daigou shoppers
    offices = np.flatnonzero(cast.addr_look == _LOOK["office"])
    texts = [format_phone(int(m), int(st)) for m, st in zip(
        mobiles(rng, len(offices)), rng.integers(0, 6, len(offices)), strict=True)]
    p0 = reg.extend_phones(texts, [None] * len(texts), [None] * len(texts))
    cast.office_addr = offices.astype(np.int64)
    cast.office_phone = np.arange(p0, p0 + len(texts), dtype=np.int64)
    cast.locker_addr = np.flatnonzero(cast.addr_look == _LOOK["parcel_locker"]).astype(np.int64)
    # workplaces buyers send parcels to: shops, warehouses, workshops (registered premises)
    k = max(10, n_people // 150)
    work = []
    for kind in ("warehouse", "shop"):
        for a in addresses(rng, k // 2, kind):
            work += reg.add_address(a)
    cast.work_addr = np.array(work, np.int64)
    cast.addr_look = np.concatenate([cast.addr_look, np.zeros(len(reg.addr_rows)
                                                              - len(cast.addr_look), np.int8)])
    cast.daigou = cast.person_first_ref[rng.choice(len(cast.person_first_ref),
                                                   max(3, n_people // 600), replace=False)]


def _people(cast: Cast, rng: np.random.Generator, n: int, addr_of: np.ndarray,
            cfg: GenConfig) -> None:
    """Bulk-create ``n`` real people and their 1-3 refs each (lists built in one pass)."""
    reg = cast.reg
    ids = resident_ids(rng, n).tolist()
    nm = names(rng, n)
    mob = mobiles(rng, n).tolist()
    n_refs = np.where(rng.random(n) < 0.15, rng.integers(2, 4, n), 1)
    styles = rng.integers(0, 6, n).tolist()
    id_how = rng.choice(3, n, p=[0.9, 0.07, 0.03]).tolist()
    pay_p = np.array([0.55, 0.35, 0.10] + [0.05] * (len(cast.pay_imp) - 3))
    pay_i = rng.choice(len(cast.pay_imp), n, p=pay_p / pay_p.sum())
    acct_no = rng.integers(10**15, 10**16, n).tolist()
    opened = rng.integers(0, 3000, n).tolist()
    activated = rng.integers(0, 4000, n).tolist()
    email = (rng.random(n) < 0.4).tolist()
    base = date(2016, 1, 1)
    pay_codes = [reg.code(e) for e in cast.pay_imp]
    acct0 = len(reg.acct_rows)
    for p in range(n):
        reg.acct_rows.append({"pay_code": pay_codes[pay_i[p]], "account_no": str(acct_no[p]),
                              "holder_name": nm[p], "holder_id_number": ids[p],
                              "account_kind": "personal",
                              "opened_date": (base + timedelta(days=opened[p])).isoformat()})
    reg.acct_ent.extend(np.asarray(cast.pay_imp)[pay_i].tolist())
    alt: dict[int, list[int]] = {}
    for j, t in enumerate(reg.addr_true):
        alt.setdefault(t, []).append(j)
    true0 = reg.n_true_person
    reg.n_true_person += n
    # one row per person_ref: ref k belongs to person ref_p[k] and is its r-th ref
    n_refs_i = n_refs.astype(np.int64)
    ref_p = np.repeat(np.arange(n), n_refs_i)
    start = np.cumsum(n_refs_i) - n_refs_i
    r = np.arange(len(ref_p)) - start[ref_p]
    rp, rr = ref_p.tolist(), r.tolist()
    style = ((np.asarray(styles)[ref_p] + r) % 6).tolist()
    how = np.where(r == 0, np.asarray(id_how)[ref_p], (np.asarray(id_how)[ref_p] + r) % 3)
    # duplicate records (r > 0) with another mobile: a second number of the person, the
    # same on each such record, in that record's messages; for 40 % of them the persons
    # register never took it (no telephone there). Own stream: the rest of the world
    # stays as it was.
    alt_rng = np.random.default_rng([cfg.seed, 0x5EC0])
    mob2 = mobiles(alt_rng, n).tolist()
    u, v = alt_rng.random(len(rp)), alt_rng.random(len(rp))
    other = (np.asarray(r) > 0) & (u < cfg.dup_phone_share)
    no_phone = other & (v < 0.4)
    second = other.tolist()
    texts = [format_phone(mob2[p] if sc else mob[p], s)
             for p, s, sc in zip(rp, style, second, strict=True)]
    owners = [(nm[p], ids[p]) if k == 0 and activated[p] % 5 < 3 else None
              for p, k in zip(rp, rr, strict=True)]
    act = [(base + timedelta(days=activated[p])).isoformat() for p in rp]
    phone0 = reg.extend_phones(texts, owners, act)
    names_w = [nm[p] if k == 0 else name_variant(nm[p], (styles[p] + k) % 4)
               for p, k in zip(rp, rr, strict=True)]
    written = [reg.written_id(ids[p], int(h)) for p, h in zip(rp, how.tolist(), strict=True)]
    p_true = reg.addr_true
    addr_alts = [alt[p_true[int(a)]] for a in addr_of.tolist()]
    addrs = [addr_alts[p][k % len(addr_alts[p])] for p, k in zip(rp, rr, strict=True)]
    emails = [f"{nm[p].replace(' ', '').lower()}{p % 97}@example.cn" if email[p] else None
              for p in rp]
    ref0 = reg.extend_person_refs([true0 + p for p in rp], names_w, [ids[p] for p in rp],
                                  written, list(range(phone0, phone0 + len(rp))), addrs,
                                  [acct0 + p for p in rp], emails)
    reg.p_phone_unregistered.update((ref0 + np.flatnonzero(no_phone)).tolist())
    first = ref0 + start
    cast.person_first_ref = first
    cast.person_n_refs = n_refs.astype(np.int64)
    # shopping intensity varies, but platforms block buyers at the RMB 26,000 annual
    # limit (TL-12), so honest heavy buyers stay a few times the average
    w = np.minimum(rng.lognormal(0.0, 0.7, n), 3.0)
    cast.person_weight = w / w.sum()
