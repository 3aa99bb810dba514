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
from synthetic.catalog import CATALOG, EXPORT_ITEMS, IMPORT_ITEMS, TOY_ITEMS
from synthetic.config import COUNTRIES, DISTRICTS, TYPOLOGIES, GenConfig
from synthetic.frame import LINE_COLS, Frame
from synthetic.identities import address_text, addresses, mobiles, names, resident_ids
from synthetic.population import POD_COUNT, POD_START, USD_RATE

__all__ = ["Scheme", "Ctx", "heavy_sizes", "add_lines"]


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
        # calendar months (an equal sixth of the span would let a "last month" scheme
        # start on the 31st of the month before)
        bounds = [int(np.datetime64(m, "s").astype(np.int64)) for m in self.cfg.month_starts()]
        m0, m1 = bounds[max(k, 0)], bounds[max(k, 0) + 1]
        if k < 0:                             # already running when the extract begins
            m0, m1 = self.t0 - int(length * 0.8), self.t0 + 86400 * 2
        if k == n_m - 1:                      # started in the last month: early enough to show
            m1 = m0 + (m1 - m0) * 2 // 3
        s = int(rng.integers(m0, m1 - 86400))
        if k >= n_m - 2:   # started in the last two months: a third or more falls inside
            length = min(length, 3 * (self.t1 - s))
        return s, s + length

    def times(self, n: int, s: int, e: int) -> np.ndarray:
        """Declaration times in [s, e), at the hours everyone declares (the bulk's profile);
        the first on the scheme's first day (a scheme starts when it first declares)."""
        from synthetic.population import sample_hours
        day = self.rng.integers(s // 86400, max(s // 86400 + 1, e // 86400), n)
        day[:1] = s // 86400
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
        price = shelf_prices(CATALOG["price"][item] * pf * self.rng.uniform(0.95, 1.05, n)
                             * np.clip(self.rng.normal(1, 0.03, n), 0.9, 1.1), self.rng)
        qty = np.maximum(1, np.floor(target / price))
        return qty.astype(float), price

    def seller_items(self, ebc: int, pool: np.ndarray | None = None) -> np.ndarray:
        """The 4 catalogue items a seller lists, fixed per seller: a bulk seller's own, a new
        firm's drawn as honest sellers' are (from ``pool``, default the import catalogue)."""
        hit = self._bulk(ebc)
        if hit:
            return hit[0].items[hit[1]]
        key = ("items", ebc)
        if key not in self._fixed:
            pool = IMPORT_ITEMS if pool is None else np.asarray(pool)
            self._fixed[key] = self.rng.choice(pool, 4, p=self.popularity(pool))
        return self._fixed[key]

    def popularity(self, pool: np.ndarray) -> np.ndarray:
        """How much of the bulk's volume each item of ``pool`` has (a ring lists popular
        items as often as honest sellers sell them, so no item's fraud rate stands out);
        uniform where the bulk sells none of the pool."""
        vol = np.zeros(len(CATALOG["key"]))
        for s in (self.cast.imp, self.cast.exp):
            np.add.at(vol, s.items.ravel(), np.repeat(s.weight, s.items.shape[1]))
        w = vol[pool] + 1e-9
        return w / w.sum() if vol[pool].sum() > 0 else np.full(len(pool), 1 / len(pool))

    def carriers(self, ebc: int) -> np.ndarray:
        """A seller's two express carriers (70 % / 30 %), fixed per seller, as the bulk's."""
        key = ("logi", ebc)
        if key not in self._fixed:
            own = self.rng.choice(self.cast.express_imp, 2)
            hit = self._bulk(ebc)
            if hit:
                own = np.where(np.isin(hit[0].logi[hit[1]], self.cast.express_imp),
                               hit[0].logi[hit[1]], own)
            self._fixed[key] = own
        return self._fixed[key]

    def ordinary_import(self, ebc: int, n: int, fill: float = 0.15,
                        limit: float | np.ndarray = 5000.0
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Items, quantities and shelf prices of ``n`` one-line import orders drawn as the
        bulk draws them (the seller's items and price level, a few units, some baskets
        filled toward the per-order ``limit`` with probability ``fill``)."""
        from synthetic.population import shelf_prices
        rng = self.rng
        own = self.seller_items(ebc)
        item = own[rng.integers(0, len(own), n)]
        sku_f = 1 + 0.05 * (((ebc * 31 + item) % 7) - 3) / 3
        price = shelf_prices(CATALOG["price"][item] * self.price_factor(ebc) * sku_f
                             * np.clip(rng.normal(1, 0.03, n), 0.9, 1.1), rng)
        qty = np.minimum(rng.geometric(0.65, n), 8).astype(float)
        lim = np.broadcast_to(np.asarray(limit, float), (n,))
        qty = np.minimum(qty, np.maximum(1, np.floor(lim * 0.98 / price)))
        target = lim * rng.uniform(0.75, 0.995, n)
        full = (rng.random(n) < fill) & (price < target)
        qty = np.where(full, np.maximum(1, np.floor(target / price)), qty)
        return item, qty, price

    def ordinary_export(self, t: np.ndarray, ebc: np.ndarray, price_f: float | np.ndarray = 1.0,
                        item: np.ndarray | None = None) -> Frame:
        """One-line export declarations of sellers ``ebc`` at times ``t``, drawn as the bulk
        draws its exports: the seller's items and price level (times ``price_f``), channel
        mix, two carriers, main markets, agent, B2B lots of tens to thousands. Export
        variants of import typologies start from these, so that a row of theirs looks like
        an ordinary exporter's. ``item``: the declared items (default the seller's own)."""
        from synthetic.population import _EXP_P
        rng, cast = self.rng, self.cast
        n = len(t)
        ebc = np.broadcast_to(np.asarray(ebc), (n,))
        exp_pool = np.setdiff1d(EXPORT_ITEMS, TOY_ITEMS)
        if item is None:
            item = np.array([self.seller_items(int(e), exp_pool)[int(k)]
                             for e, k in zip(ebc, rng.integers(0, 4, n), strict=True)])
        pf = np.array([self.price_factor(int(e)) for e in ebc])
        sku_f = 1 + 0.05 * (((ebc * 31 + item) % 7) - 3) / 3
        price = CATALOG["price"][item] * pf * sku_f * np.clip(rng.normal(1, 0.03, n), 0.9, 1.1)
        u = rng.random(n)
        channel = np.where(u < 0.55, 1, np.where(u < 0.90, 0, 2)).astype(np.int8)
        own = np.array([self.export_carriers(int(e)) for e in ebc])
        logi = np.where(rng.random(n) < 0.7, own[:, 0], own[:, 1])
        logi = np.where(channel == 2, cast.postal[0], logi)
        top, p_top = zip(*(self.markets(int(e)) for e in ebc), strict=True)
        top = np.array(top)
        k_top = rng.choice(3, n, p=[0.6, 0.25, 0.15])
        country = np.where(rng.random(n) < np.array(p_top), top[np.arange(n), k_top],
                           rng.choice(len(COUNTRIES), n, p=_EXP_P))
        agent = np.array([self.agent(int(e)) for e in ebc])
        agent = np.where(rng.random(n) < 0.9, agent, rng.choice(cast.agents, n))
        qty = np.minimum(rng.geometric(0.5, n), 8).astype(float)
        f = self.export_frame(t, ebc, item, item, qty, qty, country, channel=channel,
                              logi=logi, agent=agent, price_cny=price * price_f)
        d = f.d
        road = (d["traf"] == 1) & (channel == 0)
        d["logi"][:] = np.where(road, rng.choice(cast.trucks, n), d["logi"])
        b2b = np.isin(d["tmode"], [3, 4])   # 9710 / 9810 lots, as the bulk's
        lot = np.clip(np.round(rng.lognormal(np.log(30), 1.3, n)), 5, 20000)
        f.li["qty"][:] = np.where(b2b, lot, qty)
        f.li["true_qty"][:] = f.li["qty"]
        f.li["true_price"][:] = f.li["price"]
        # a set or carton declared as one unit (heavier), or a lighter variant (the bulk's)
        u = rng.random(n)
        f.li["kg_f"][:] = np.where(u < 0.05, rng.uniform(2.5, 12, n),
                                   np.where(u > 0.97, rng.uniform(0.3, 0.7, n), 1.0))
        return f

    def export_carriers(self, ebc: int) -> np.ndarray:
        """An exporter's two carriers, fixed per seller: a bulk exporter's own, else two of
        the express carriers exporters use."""
        key = ("logi_e", ebc)
        if key not in self._fixed:
            own = self.rng.choice(self.cast.express_exp, 2)
            hit = self._bulk(ebc)
            if hit:
                own = np.where(np.isin(hit[0].logi[hit[1]], self.cast.express_exp),
                               hit[0].logi[hit[1]], own)
            self._fixed[key] = own
        return self._fixed[key]

    def markets(self, ebc: int) -> tuple[np.ndarray, float]:
        """An exporter's 3 main markets and the share of its parcels going there."""
        key = ("mkt", ebc)
        if key not in self._fixed:
            hit = self._bulk(ebc)
            if hit:
                self._fixed[key] = (hit[0].top_country[hit[1]], float(hit[0].p_top[hit[1]]))
            else:
                from synthetic.config import EXPORT_SHARES
                p = np.array([EXPORT_SHARES[c] for c in COUNTRIES])
                self._fixed[key] = (self.rng.choice(len(COUNTRIES), 3, replace=False,
                                                    p=p / p.sum()),
                                    float(self.rng.beta(1.5, 2.5)))
        return self._fixed[key]

    def agent(self, ebc: int) -> int:
        """The declaring agent a seller uses, fixed per seller (a bulk seller's own)."""
        key = ("agent", ebc)
        if key not in self._fixed:
            hit = self._bulk(ebc)
            self._fixed[key] = (int(hit[0].agent[hit[1]]) if hit else
                                int(self.rng.choice(self.cast.agents)))
        return self._fixed[key]

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

    def benign_refs(self, k: int, plain_id: bool = False) -> np.ndarray:
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
                     qty: np.ndarray, price: np.ndarray, *, channel: int | None = None,
                     tmode: int = 0, logi: int | None = None) -> Frame:
        """An import frame of one-line orders; buyer fields default to the buyer's own.

        ``channel`` None: bonded/direct CBEC or express as the bulk's non-postal imports
        (82 % / 18 %); ``logi`` None: the seller's own two carriers (70 % / 30 %)."""
        rng, reg, cast = self.rng, self.reg, self.cast
        n = len(t)
        f = Frame.empty(n, 1)
        d = f.d
        d["ie"][:] = 0
        d["channel"][:] = (np.where(rng.random(n) < 0.82, 0, 1) if channel is None
                           else channel)
        d["ebc"][:] = ebc
        d["ebp"][:] = self.platform(ebc, False)
        own = self.carriers(ebc)
        d["logi"][:] = np.where(d["channel"] == 2, cast.postal[0],
                                logi if logi is not None else
                                np.where(rng.random(n) < 0.7, own[0], own[1]))
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
        # a shipper registered as producer owns its goods, as honest producers do
        d["owner"][:] = [e if "producer" in reg.ent[int(e)]["roles"] else -1 for e in ebc]
        d["usd"][:] = rng.random(n) < 0.6
        d["payfirm"][:] = [self.platform(int(e), True, pay=True) for e in ebc]
        d["raw"][:] = 0
        d["t_decl"][:] = t
        _delays(d, rng, n)
        cur = np.where(d["usd"], 1 / USD_RATE, 1.0)
        d["freight"][:] = np.round(rng.uniform(5, 60, n) * cur, 2)
        from synthetic.population import shelf_prices
        pf = np.array([self.price_factor(int(e)) for e in ebc])
        price = (CATALOG["price"][face] * pf * np.clip(rng.normal(1, 0.03, n), 0.9, 1.1)
                 if price_cny is None else price_cny)
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
        hit = self._bulk(ebc)
        if key not in self._fixed and hit:
            self._fixed[key] = int((hit[0].payfirm if pay else hit[0].ebp)[hit[1]])
        if key not in self._fixed:
            pool = (self.cast.pay_exp if pay else
                    list(self.cast.ebp_prefix)[5:] if export else list(self.cast.ebp_prefix)[:5])
            self._fixed[key] = int(self.rng.choice(pool))
        return self._fixed[key]

    def price_factor(self, ebc: int) -> float:
        """A seller's price level, fixed per seller, drawn as honest sellers' are (a bulk
        seller keeps its own)."""
        key = ("pf", ebc)
        if key not in self._fixed:
            hit = self._bulk(ebc)
            self._fixed[key] = (float(hit[0].price_f[hit[1]]) if hit else
                                float(self.rng.uniform(0.7, 1.25)))
        return self._fixed[key]

    def _bulk(self, ebc: int):
        """(Sellers, row) of a bulk seller, or None for a firm planted by a scheme."""
        for s in (self.cast.imp, self.cast.exp):
            hit = np.flatnonzero(s.ent == ebc)
            if len(hit):
                return s, int(hit[0])
        return None


def add_lines(ctx: Ctx, f: Frame) -> Frame:
    """Second and third goods lines on a quarter of the one-line declarations of ``f``, as
    the bulk has them (75 / 18 / 7 %): one or two units of another item the seller lists
    (a misdescribing seller's other faces, over the same true goods). An import's first
    line gives up units so that the order stays at or under its value; where it cannot,
    the declaration stays one-line. Planted rows would otherwise all be one-line."""
    from synthetic.population import USD_RATE, shelf_prices
    rng, n = ctx.rng, len(f)
    if n == 0 or (f.d["n_lines"] != 1).any():
        return f
    d, li = f.d, f.li
    extra = rng.choice(3, n, p=[0.75, 0.18, 0.07])
    exp = d["ie"] == 1
    honest = li["item"] == li["true_item"]
    exp_pool = np.setdiff1d(EXPORT_ITEMS, TOY_ITEMS)
    faces: dict[int, np.ndarray] = {}
    owner = np.repeat(np.arange(n), extra)
    item = np.empty(len(owner), np.int64)
    for j, i in enumerate(owner.tolist()):
        e = int(d["ebc"][i])
        if honest[i]:
            pool = ctx.seller_items(e, exp_pool if exp[i] else None)
        else:
            if e not in faces:
                faces[e] = np.unique(li["item"][d["ebc"] == e])
            pool = faces[e]
        item[j] = pool[int(rng.integers(0, len(pool)))]
    pf = np.array([ctx.price_factor(int(e)) for e in d["ebc"][owner]])
    cur = np.where(d["usd"][owner], 1 / USD_RATE, 1.0)
    price = shelf_prices(CATALOG["price"][item] * pf * cur
                         * np.clip(rng.normal(1, 0.03, len(owner)), 0.9, 1.1), rng)
    qty = np.minimum(rng.geometric(0.6, len(owner)), 2).astype(float)
    # imports keep their value: the first line gives up units for the add-ons
    add = np.bincount(owner, weights=price * qty, minlength=n)
    q1 = np.where(exp, li["qty"], np.floor((li["qty"] * li["price"] - add)
                                           / np.maximum(li["price"], 0.01)))
    keep = exp | (q1 >= 1) | (extra == 0)
    extra = np.where(keep, extra, 0)
    ok = keep[owner]
    owner, item, price, qty = owner[ok], item[ok], price[ok], qty[ok]
    q1 = np.where(keep & ~exp & (extra > 0), q1, li["qty"])
    nl = 1 + extra
    g = Frame.empty(n, nl)
    g.d.update({k: v.copy() for k, v in d.items() if k != "n_lines"})
    start = np.cumsum(nl) - nl
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(extra) - extra, extra)
    pos = start[owner] + 1 + rank
    for k in LINE_COLS:
        g.li[k][start] = li[k]
    g.li["qty"][start] = q1
    g.li["true_qty"][start] = np.where(honest, q1, li["true_qty"])
    tp = np.round(CATALOG["price"][li["true_item"][owner]] * cur[ok], 2)
    h = honest[owner]
    g.li["item"][pos] = item
    g.li["true_item"][pos] = np.where(h, item, li["true_item"][owner])
    g.li["qty"][pos] = qty
    g.li["true_qty"][pos] = qty
    g.li["price"][pos] = price
    g.li["true_price"][pos] = np.where(h, price, tp)
    g.li["gtin"][pos] = -1
    g.li["kg_f"][pos] = 1.0
    from synthetic.population import unit_weight_spread
    g.li["kg_f"][:] *= unit_weight_spread(g.d["ebc"][g.line_decl], g.li["item"])
    # a round sum forced on the payment follows the new total
    gv = np.bincount(g.line_decl, weights=g.li["price"] * g.li["qty"], minlength=n)
    forced = ~np.isnan(d["paid_override"])
    tot = gv * 1.091 + d["freight"] - d["discount"]
    g.d["paid_override"][:] = np.where(forced, np.floor(tot / 100) * 100, np.nan)
    return g


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
    # the schemes planted first start in the world's last two months: of middling size, so
    # that they keep enough declarations inside the world to be seen without piling the
    # largest rings onto its end (the fraud share stays level); the others in random order
    sizes = sorted(sizes, reverse=True)
    j = len(sizes) // 4
    front = sizes[j:j + 2]
    rest = sizes[:j] + sizes[j + 2:]
    return front + [rest[i] for i in rng.permutation(len(rest))]


TYP_CODE = {k: i for i, k in enumerate(TYPOLOGIES)}
