"""What every fraud scheme shares: its ground-truth record and frame-building helpers.

A scheme is planted in ordinary Python (schemes are few) as one ``Frame`` spanning its
active months; the world splits it by month. Members are recorded with the key exactly as
it appears in the input (enterprise code, person_ref, address text, phone as written,
``pay_code|account_no``, ID number).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from synthetic.cast import Cast
from synthetic.catalog import CATALOG
from synthetic.config import COUNTRIES, DISTRICTS, TYPOLOGIES, GenConfig
from synthetic.frame import Frame
from synthetic.identities import address_text, addresses, mobiles, names, resident_ids
from synthetic.population import POD_COUNT, POD_START, USD_RATE

__all__ = ["Scheme", "Ctx", "heavy_sizes"]


@dataclass
class Scheme:
    """One planted fraud scheme and its ground truth."""

    typology: str
    description: str
    frame: Frame | None = None
    members: list[tuple[str, str, str]] = field(default_factory=list)
    scheme_id: str = ""

    def member(self, etype: str, key: str, role: str) -> None:
        if (etype, key, role) not in self.members:
            self.members.append((etype, key, role))


@dataclass
class Ctx:
    """Shared state for planting: the cast, the generator, the world's time span."""

    cfg: GenConfig
    cast: Cast
    rng: np.random.Generator
    t0: int   # epoch seconds of the world's start
    t1: int   # epoch seconds of its end
    # numbers of platform accounts opened during the world (``reg_seq``): far above any
    # real person's number, so they never coincide with a benign buyer's account
    next_platform_account: int = 5_000_000

    @property
    def reg(self):
        return self.cast.reg

    def median(self, at_100k: float) -> float:
        """Median ring size: ``at_100k`` at 100k declarations, growing gently with scale."""
        return at_100k * max(self.cfg.scale, 0.05) ** 0.3

    def rand_date(self, lo: date, hi: date) -> date:
        """A uniform random day in [lo, hi): no two planted firms share a tell-tale date."""
        return lo + timedelta(days=int(self.rng.integers(0, max(1, (hi - lo).days))))

    def date_of(self, t: int) -> date:
        return date(1970, 1, 1) + timedelta(days=int(t // 86400))

    def span(self, months_lo: float, months_hi: float) -> tuple[int, int]:
        """A random active window of 2-4 months (or as asked) inside the world."""
        length = int(self.rng.uniform(months_lo, months_hi) * 30.4 * 86400)
        end = self.t1 - 3 * 86400  # room for payment-to-declaration delays
        length = min(length, end - self.t0 - 86400)
        s = int(self.rng.integers(self.t0, end - length))
        return s, s + length

    def times(self, n: int, s: int, e: int) -> np.ndarray:
        """Declaration times in [s, e) during working hours."""
        day = self.rng.integers(s // 86400, max(s // 86400 + 1, e // 86400), n)
        return day * 86400 + self.rng.integers(8 * 3600, 22 * 3600, n)

    # -- new cast members -------------------------------------------------------------
    def phone(self, style: int | None = None, owner: tuple[str, str] | None = None) -> int:
        num = int(mobiles(self.rng, 1)[0])
        st = int(self.rng.integers(0, 6)) if style is None else style
        return self.reg.add_phone(num, st, owner, self.rand_date(date(2016, 1, 1),
                                                                  date(2025, 3, 1)))

    def address(self, kind: str = "residential", city: str | None = None) -> int:
        """Register a new real address; returns its address_ref index."""
        return self.reg.add_address(addresses(self.rng, 1, kind, city)[0])[0]

    def person(self, addr: int | None = None, phone: int | None = None,
               pay_ent: int | None = None, opened: date | None = None) -> int:
        """A new real person with one ref (plain ID); returns the person_ref index.

        ``opened``: the day their payment account was opened (default: some day in 2016-24).
        """
        reg = self.reg
        nm = names(self.rng, 1)[0]
        pid = str(resident_ids(self.rng, 1)[0])
        addr = self.address() if addr is None else addr
        phone = self.phone(owner=(nm, pid)) if phone is None else phone
        pe = self.cast.pay_imp[0] if pay_ent is None else pay_ent
        acct = reg.add_account(reg.code(pe), str(self.rng.integers(10**15, 10**16)), nm, pid,
                               "personal", opened or self.rand_date(date(2016, 1, 1),
                                                                    date(2025, 1, 1)),
                               pay_ent=pe)
        return reg.add_person_ref(reg.new_person_id(), nm, pid, pid, phone, addr, acct, None)

    def account(self, ref: int, pay_ent: int, opened: date) -> int:
        """A new personal payment account of person_ref ``ref`` at ``pay_ent``."""
        reg = self.reg
        return reg.add_account(reg.code(pay_ent), str(self.rng.integers(10**15, 10**16)),
                               reg.p_name[ref], reg.p_id_raw[ref], "personal", opened,
                               pay_ent=pay_ent)

    def platform_accounts(self, k: int) -> np.ndarray:
        """``k`` new platform accounts (``buyer_reg_no``), opened now."""
        out = self.next_platform_account + np.arange(k, dtype=np.int64)
        self.next_platform_account += k
        return out

    def name(self, di: int, kind: str) -> str:
        """A firm name drawn exactly as benign firms' names are."""
        from synthetic.cast import seller_name
        return seller_name(self.rng, di, kind)

    def firm(self, name: str, roles: str, di: int, registered: date, *,
             phone: str | None = None, address: str | None = None,
             rep: tuple[str, str] | None = None, status: str = "active") -> int:
        rng = self.rng
        if rep is None:
            rep = (names(rng, 1)[0], str(resident_ids(rng, 1)[0]))
        if address is None:
            kind = str(rng.choice(["office", "office", "warehouse", "shop"]))
            address = address_text(addresses(rng, 1, kind, DISTRICTS[di][3])[0],
                                   int(rng.integers(0, 3)))
        if phone is None:
            phone = self.reg.phone_text[self.phone()]
        return self.reg.add_enterprise(name, roles, DISTRICTS[di][3], DISTRICTS[di][0],
                                       registered=registered, legal_rep=rep, telephone=phone,
                                       address=address, status=status,
                                       uscc_seed=int(rng.integers(0, 10**6)))

    def benign_refs(self, k: int, plain_id: bool = True) -> np.ndarray:
        """Primary refs of ``k`` distinct existing people (victims, mules, ordinary buyers)."""
        reg, cast = self.reg, self.cast
        n = len(cast.person_first_ref)
        cand = cast.person_first_ref[self.rng.choice(n, min(n, k * 3), replace=False)]
        if plain_id:
            ok = np.array([len(reg.p_id[r]) == 18 for r in cand], bool)
            cand = np.concatenate([cand[ok], cand[~ok]])
        return cand[:k]

    # -- frame filling ----------------------------------------------------------------
    def import_frame(self, t: np.ndarray, ebc: int, buyer: np.ndarray, item: np.ndarray,
                     qty: np.ndarray, price: np.ndarray, *, channel: int = 0,
                     tmode: int = 0, logi: int | None = None) -> Frame:
        """An import frame of one-line orders; buyer fields default to the buyer's own."""
        rng, reg, cast = self.rng, self.reg, self.cast
        n = len(t)
        f = Frame.empty(n, 1)
        d = f.d
        d["ie"][:] = 0
        d["channel"][:] = channel
        d["tmode"][:] = tmode if channel == 0 else (-1 if channel == 2 else 0)
        d["traf"][:] = 4 if channel == 2 else 0
        d["ebc"][:] = ebc
        d["ebp"][:] = rng.choice(list(cast.ebp_prefix)[:5])
        d["logi"][:] = (cast.postal[0] if channel == 2 else
                        (logi if logi is not None else rng.choice(cast.express_imp)))
        d["agent"][:] = rng.choice(cast.agents)
        d["district"][:] = _district(reg, ebc)
        d["country"][:] = rng.choice([COUNTRIES.index(c) for c in ("JP", "KR", "US", "HK")])
        d["buyer"][:] = buyer
        d["payer"][:] = buyer
        d["cons_addr"][:] = reg.np("p_addr")[buyer]
        d["cons_phone"][:] = reg.np("p_phone")[buyer]
        d["buyer_phone"][:] = d["cons_phone"]
        d["acct"][:] = reg.np("p_acct")[buyer]
        d["payfirm"][:] = reg.np("acct_ent")[d["acct"]]
        d["raw"][:] = np.where(rng.random(n) < 0.92, 1, 0)
        d["t_decl"][:] = t
        _delays(d, rng, n)
        li = f.li
        li["item"][:] = item
        li["true_item"][:] = item
        li["qty"][:] = qty
        li["true_qty"][:] = qty
        li["price"][:] = np.round(price, 2)
        li["true_price"][:] = li["price"]
        return f

    def export_frame(self, t: np.ndarray, ebc: np.ndarray, face: np.ndarray,
                     true_item: np.ndarray, qty: np.ndarray, true_qty: np.ndarray,
                     country: np.ndarray, *, channel: np.ndarray, logi: np.ndarray,
                     agent: np.ndarray, price_cny: np.ndarray | None = None) -> Frame:
        """An export frame of one-line declarations (declared face vs true goods)."""
        rng, reg, cast = self.rng, self.reg, self.cast
        n = len(t)
        f = Frame.empty(n, 1)
        d = f.d
        d["ie"][:] = 1
        d["channel"][:] = channel
        d["tmode"][:] = np.where(channel == 2, -1, 0)
        d["traf"][:] = np.where(channel == 2, 4, np.where(np.isin(logi, cast.trucks), 1, 0))
        d["ebc"][:] = ebc
        d["ebp"][:] = rng.choice(list(cast.ebp_prefix)[5:], n)
        d["logi"][:] = logi
        d["agent"][:] = agent
        d["district"][:] = [_district(reg, int(e)) for e in ebc]
        d["country"][:] = country
        c = d["country"].astype(np.int64)
        d["pod"][:] = POD_START[c] + rng.integers(0, 99, n) % POD_COUNT[c]
        d["owner"][:] = -1
        d["usd"][:] = rng.random(n) < 0.6
        d["payfirm"][:] = rng.choice(cast.pay_exp, n)
        d["raw"][:] = 0
        d["t_decl"][:] = t
        _delays(d, rng, n)
        cur = np.where(d["usd"], 1 / USD_RATE, 1.0)
        d["freight"][:] = np.round(rng.uniform(5, 60, n) * cur, 2)
        price = CATALOG["price"][face] if price_cny is None else price_cny
        li = f.li
        li["item"][:] = face
        li["true_item"][:] = true_item
        li["qty"][:] = qty
        li["true_qty"][:] = true_qty
        li["price"][:] = np.round(price * cur, 2)
        li["true_price"][:] = np.round(CATALOG["price"][true_item] * cur, 2)
        return f


def _delays(d: dict, rng: np.random.Generator, n: int) -> None:
    d["d_ship"][:] = rng.integers(3600, 20 * 3600, n)
    d["d_pay"][:] = rng.integers(2 * 3600, 2 * 86400, n)
    d["d_order"][:] = rng.integers(10, 1800, n)
    d["d_depart"][:] = rng.integers(4 * 3600, 3 * 86400, n)
    d["d_receipt"][:] = rng.integers(3600, 15 * 86400, n)


def _district(reg, e: int) -> int:
    code = reg.ent[e]["customs_district"]
    return next(i for i, x in enumerate(DISTRICTS) if x[0] == code)


def heavy_sizes(rng: np.random.Generator, budget: int, lo: int, hi: int,
                median: float) -> list[int]:
    """Ring sizes from a lognormal (heavy tail) clipped to [lo, hi], summing to ~budget."""
    sizes: list[int] = []
    while sum(sizes) < budget:
        s = int(np.clip(rng.lognormal(np.log(median), 0.8), lo, hi))
        sizes.append(min(s, max(lo, budget - sum(sizes))))
    return sizes


TYP_CODE = {k: i for i, k in enumerate(TYPOLOGIES)}
