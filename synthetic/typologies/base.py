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
    # months (0-based) the next schemes start in: planting draws from the front, so every
    # typology starts schemes in the last two months too (``plant_all`` fills it)
    start_months: list[int] = field(default_factory=list)
    _fixed: dict = field(default_factory=dict)

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
        """The active window of a scheme: ``months_lo``-``months_hi`` months long, starting
        in the next month of ``start_months`` (or any). Windows run past the world's edges:
        schemes already running when the world starts, or still running when it ends, lose
        the declarations outside (``world``), as a real extract would."""
        rng = self.rng
        length = int(rng.uniform(months_lo, months_hi) * 30.4 * 86400)
        n_m = self.cfg.months
        k = self.start_months.pop(0) if self.start_months else int(rng.integers(0, n_m))
        m0 = self.t0 + (self.t1 - self.t0) * k // n_m
        m1 = self.t0 + (self.t1 - self.t0) * (k + 1) // n_m
        if k < 0:                             # already running when the extract begins
            m0, m1 = self.t0 - int(length * 0.8), self.t0 + 86400 * 2
        if k == n_m - 1:                      # started in the last month: early enough to show
            m1 = m0 + (m1 - m0) * 2 // 3
        s = int(rng.integers(m0, m1 - 86400))
        return s, s + length

    def times(self, n: int, s: int, e: int) -> np.ndarray:
        """Declaration times in [s, e), at the hours everyone declares (the bulk's profile)."""
        from synthetic.population import sample_hours
        day = self.rng.integers(s // 86400, max(s // 86400 + 1, e // 86400), n)
        return day * 86400 + sample_hours(self.rng, n)

    def after_payment(self, pay: np.ndarray, d: dict) -> np.ndarray:
        """Declaration times after payments ``pay`` with the bulk's payment-to-shipping and
        shipping-to-declaration delays (``d_ship`` is set to match)."""
        n = len(pay)
        d["d_ship"][:] = self.rng.integers(3600, 20 * 3600, n)
        return pay + self.rng.integers(2 * 3600, 3 * 86400, n) + d["d_ship"]

    def rep(self) -> tuple[tuple[str, str], int | None]:
        """A legal representative (name, ID) and their person_ref if they are in the persons
        register (about 30 %, as for honest firms)."""
        if self.rng.random() < 0.3:
            r = self.person()
            return (self.reg.p_name[r], self.reg.p_id_raw[r]), r
        return (names(self.rng, 1)[0], str(resident_ids(self.rng, 1)[0])), None

    def premises(self, kind: str, city: str) -> str:
        """A firm's address text: a business centre (30 %) or its own premises; in the
        address register half the time, as for honest firms."""
        if self.rng.random() < 0.3:
            return self.cast.faces.centre(self.reg, city)
        a = addresses(self.rng, 1, kind, city)[0]
        if self.rng.random() < 0.5:
            self.reg.add_address(a)
        return address_text(a, 0)

    def basket(self, item: np.ndarray, target: np.ndarray, pf: float | np.ndarray = 1.0
               ) -> tuple[np.ndarray, np.ndarray]:
        """Quantities and shelf prices of ``item`` worth about ``target`` (RMB) each, at the
        catalogue price times a seller factor, rounded as shops round."""
        from synthetic.population import shelf_prices
        n = len(item)
        price = shelf_prices(CATALOG["price"][item] * pf * self.rng.uniform(0.95, 1.05, n),
                             self.rng)
        qty = np.maximum(1, np.floor(target / price))
        return qty.astype(float), price

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
            address = self.premises(kind, DISTRICTS[di][3])
        if phone is None:
            if self.rng.random() < 0.12:   # the accountant's phone, as many small firms give
                acc = self.cast.faces.accountants
                phone = acc[int(rng.integers(0, len(acc)))]
            else:
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
        d["ebc"][:] = ebc
        d["ebp"][:] = self.platform(ebc, False)
        d["logi"][:] = (cast.postal[0] if channel == 2 else
                        (logi if logi is not None else rng.choice(cast.express_imp)))
        d["agent"][:] = rng.choice(cast.agents)
        d["district"][:] = _district(reg, ebc)
        from synthetic.population import _IMP_P
        d["country"][:] = rng.choice(len(COUNTRIES), n, p=_IMP_P)
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
        from synthetic.population import shelf_prices
        li["price"][:] = shelf_prices(price, rng)
        li["true_price"][:] = li["price"]
        # the bulk's own samplers: trade mode and transport, freight, coupons, notes
        from synthetic.population import import_modes, import_money
        import_modes(d, rng, np.arange(n))
        import_money(d, li, f.line_decl, rng, np.ones(n, bool))
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
        from synthetic.population import export_modes
        export_modes(d, rng, np.arange(n))
        d["traf"][:] = np.where(np.isin(logi, cast.trucks), 1, d["traf"])
        d["ebc"][:] = ebc
        d["ebp"][:] = [self.platform(int(e), True) for e in ebc]
        d["logi"][:] = logi
        d["agent"][:] = agent
        d["district"][:] = [_district(reg, int(e)) for e in ebc]
        d["country"][:] = country
        c = d["country"].astype(np.int64)
        d["pod"][:] = POD_START[c] + rng.integers(0, 99, n) % POD_COUNT[c]
        d["owner"][:] = -1
        d["usd"][:] = rng.random(n) < 0.6
        d["payfirm"][:] = [self.platform(int(e), True, pay=True) for e in ebc]
        d["raw"][:] = 0
        d["t_decl"][:] = t
        _delays(d, rng, n)
        cur = np.where(d["usd"], 1 / USD_RATE, 1.0)
        d["freight"][:] = np.round(rng.uniform(5, 60, n) * cur, 2)
        from synthetic.population import shelf_prices
        pf = np.array([self.price_factor(int(e)) for e in ebc])
        price = CATALOG["price"][face] * pf if price_cny is None else price_cny
        li = f.li
        li["item"][:] = face
        li["true_item"][:] = true_item
        li["qty"][:] = qty
        li["true_qty"][:] = true_qty
        li["price"][:] = shelf_prices(price * cur, rng)
        li["true_price"][:] = np.round(CATALOG["price"][true_item] * cur, 2)
        return f

    def platform(self, ebc: int, export: bool, pay: bool = False) -> int:
        """The one platform (or export payment firm) a seller sells on, fixed per seller."""
        key = ("pay" if pay else "ebp", ebc)
        if key not in self._fixed:
            pool = (self.cast.pay_exp if pay else
                    list(self.cast.ebp_prefix)[5:] if export else list(self.cast.ebp_prefix)[:5])
            self._fixed[key] = int(self.rng.choice(pool))
        return self._fixed[key]

    def price_factor(self, ebc: int) -> float:
        """A seller's price level, fixed per seller, drawn as honest sellers' are."""
        key = ("pf", ebc)
        if key not in self._fixed:
            self._fixed[key] = float(self.rng.uniform(0.7, 1.25))
        return self._fixed[key]


def _delays(d: dict, rng: np.random.Generator, n: int) -> None:
    """The bulk's delays between order, payment, shipping and declaration."""
    d["d_ship"][:] = rng.integers(3600, 20 * 3600, n)
    d["d_pay"][:] = rng.integers(2 * 3600, 3 * 86400, n)
    d["d_order"][:] = rng.integers(10, 1800, n)
    d["d_depart"][:] = rng.integers(4 * 3600, 3 * 86400, n)
    d["d_receipt"][:] = rng.integers(3600, 15 * 86400, n)


def _district(reg, e: int) -> int:
    code = reg.ent[e]["customs_district"]
    return next(i for i, x in enumerate(DISTRICTS) if x[0] == code)


def heavy_sizes(rng: np.random.Generator, budget: int, lo: int, hi: int,
                median: float, min_n: int = 5) -> list[int]:
    """Ring sizes from a lognormal (heavy tail) clipped to [lo, hi], summing to ~budget;
    at least ``min_n`` rings where the budget allows (the largest are split)."""
    lo = max(1, min(lo, budget // (2 * min_n)))   # small worlds: smaller rings, not fewer
    sizes: list[int] = []
    while sum(sizes) < budget:
        s = int(np.clip(rng.lognormal(np.log(median), 1.0), lo, hi))
        sizes.append(min(s, max(lo, budget - sum(sizes))))
    while len(sizes) < min_n and max(sizes) >= 2 * lo:
        big = sizes.pop(int(np.argmax(sizes)))
        cut = int(rng.integers(lo, big - lo + 1))
        sizes += [cut, big - cut]
    return sizes


TYP_CODE = {k: i for i, k in enumerate(TYPOLOGIES)}
