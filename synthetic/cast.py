"""The benign cast: platforms, carriers, payment firms, agents, sellers (and buyers).

Sellers carry their own habits as arrays (items, price level, carriers, preferred
destination) so the monthly bulk can be sampled vectorised. A few firms are registered
twice under name variants. Buyers and their households come from ``synthetic.households``.
The look-alikes of the POP MART case live here: the legitimate POP MART exporters (brand
type 1, brand named, owner = rights holder) and unbranded toy exporters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from synthetic.catalog import EXPORT_ITEMS, IMPORT_ITEMS, TOY_ITEMS, item_index
from synthetic.config import COUNTRIES, DISTRICTS, EXPORT_SHARES, LINK_HOSTS, LOOKALIKES, GenConfig
from synthetic.identities import (
    _SYLL,
    address_text,
    addresses,
    enterprise_name_variant,
    format_phone,
    mobiles,
    names,
    resident_ids,
)
from synthetic.registers import Registry

__all__ = ["Cast", "build_cast", "Sellers", "seller_name"]

_LOOK = {k: i for i, k in enumerate(LOOKALIKES)}
# what honest toy exporters declare: mostly named toys, also the generic faces
_TOY_P = np.array([0.22, 0.2, 0.14, 0.14, 0.1, 0.12, 0.08])


@dataclass
class Sellers:
    """Seller attributes as arrays, one row per seller (for vectorised sampling)."""

    ent: np.ndarray
    weight: np.ndarray
    items: np.ndarray        # (n, 4) catalogue items
    price_f: np.ndarray
    ebp: np.ndarray
    logi: np.ndarray         # (n, 2) carriers
    agent: np.ndarray
    payfirm: np.ndarray
    district: np.ndarray
    top_country: np.ndarray  # (n, 3) main markets
    p_top: np.ndarray
    p_link: np.ndarray       # share of orders sold through the seller's own mini-shop
    link_host: np.ndarray    # LINK_HOSTS index of that mini-shop
    p_payee: np.ndarray      # share of payments collected by another account
    payee: np.ndarray        # that account (the platform's, or the operator's), -1 none
    owner: np.ndarray        # -1 = "NO"
    look: np.ndarray


@dataclass
class Cast:
    """Who is who in the benign world."""

    reg: Registry
    imp: Sellers
    exp: Sellers
    ebp_prefix: dict[int, str] = field(default_factory=dict)
    logi_prefix: dict[int, str] = field(default_factory=dict)
    postal: list[int] = field(default_factory=list)
    express_imp: list[int] = field(default_factory=list)
    express_exp: list[int] = field(default_factory=list)
    trucks: list[int] = field(default_factory=list)
    agents: list[int] = field(default_factory=list)
    pay_imp: list[int] = field(default_factory=list)
    pay_exp: list[int] = field(default_factory=list)
    person_first_ref: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    person_n_refs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    person_weight: np.ndarray = field(default_factory=lambda: np.zeros(0))
    addr_look: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    popmart: list[int] = field(default_factory=list)
    toy_exporters: list[int] = field(default_factory=list)
    faces: object = None
    office_addr: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    office_phone: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    locker_addr: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    daigou: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    work_addr: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    small_carriers: list[int] = field(default_factory=list)
    small_payfirms: list[int] = field(default_factory=list)


def _rand_date(rng: np.random.Generator, lo: date, hi: date) -> date:
    return lo + timedelta(days=int(rng.integers(0, max(1, (hi - lo).days))))


class _Faces:
    """Pre-drawn identities for firms (legal rep, ID, phone, office), drawn in bulk."""

    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self.rng = rng
        self.reps = names(rng, n)
        self.ids = resident_ids(rng, n).tolist()
        self.kinds = rng.choice(["office", "office", "warehouse", "shop"], n).tolist()
        self.styles = rng.integers(0, 3, n).tolist()
        # half landlines, half mobiles in any common style (shell firms use mobiles too)
        a, b, c = rng.integers(20, 999, n), rng.integers(1000, 9999, n), rng.integers(1000, 9999, n)
        mob, mst = mobiles(rng, n), rng.integers(0, 6, n)
        self.tels = [f"+86 {x} {y} {z}" if i % 2 else format_phone(int(m), int(t))
                     for i, (x, y, z, m, t) in enumerate(zip(a, b, c, mob, mst, strict=True))]
        self.seeds = rng.integers(0, 10**6, n).tolist()
        self.i = 0
        # benign firm groups: business centres hosting dozens of firms, accountants whose
        # phone many small firms give, subsidiaries sharing a legal representative
        self.centres: dict[str, list[str]] = {}
        k = max(8, n // 25)
        self.accountants = [f"+86 {a} {b} {c}" for a, b, c in zip(
            rng.integers(20, 999, k), rng.integers(1000, 9999, k), rng.integers(1000, 9999, k),
            strict=True)]
        self.groups: list[tuple] = []
        self.group_size: list[list[int]] = []   # [members, target size]

    def centre(self, reg: Registry, city: str) -> str:
        """A business-centre address of ``city`` (virtual offices: many firms, one floor)."""
        pool = self.centres.setdefault(city, [])
        if len(pool) < 2:
            a = addresses(self.rng, 1, "office", city)[0]
            text = address_text(a, 0)
            if self.rng.random() < 0.5:
                reg.add_address(a)
            pool.append(text)
            return text
        return pool[int(self.rng.integers(0, len(pool)))]

    def firm(self, reg: Registry, name: str, roles: str, di: int, since: date, *,
             grouped: bool = False, **kw) -> int:
        """Register a firm with a legal representative, phone and office in district ``di``.

        ``grouped``: an ordinary trading firm, which may sit in a business centre, give an
        accountant's phone, or belong to a group of firms with one legal representative.
        """
        i = self.i % len(self.reps)
        self.i += 1
        city = DISTRICTS[di][3]
        a = addresses(self.rng, 1, self.kinds[i], city)[0]
        addr = address_text(a, self.styles[i])
        if self.rng.random() < 0.5:   # half the firms' premises are in the address register
            reg.add_address(a, (self.styles[i],))
        rep, tel = (self.reps[i], self.ids[i]), self.tels[i]
        if grouped:
            u = self.rng.random(3)
            if u[0] < 0.25:
                addr = self.centre(reg, city)
            if u[1] < 0.15:   # an accountant's phone: each serves a few firms
                tel = self.accountants[int(self.rng.integers(0, len(self.accountants)))]
            # subsidiary groups under one legal representative: 3-20 firms (heavy-tailed:
            # most have 3-6, a few holding groups more, as shell rings do)
            open_ = [g for g, (n, cap) in enumerate(self.group_size) if n < cap]
            if u[2] < 0.2 and open_:
                g = open_[int(self.rng.integers(0, len(open_)))]
                self.group_size[g][0] += 1
                g_rep, g_tel = self.groups[g]
                rep = g_rep
                tel = g_tel if self.rng.random() < 0.5 else tel
            elif u[2] > 0.92:
                self.groups.append((rep, tel))
                self.group_size.append([1, int(min(20, 3 + self.rng.pareto(1.2) * 2))])
        return reg.add_enterprise(name, roles, city, DISTRICTS[di][0], registered=since,
                                  legal_rep=rep, telephone=tel, address=addr,
                                  uscc_seed=self.seeds[i], **kw)


_WORDS = ["Starlight", "Golden Bridge", "Oriental", "Sunrise", "Evergreen", "Harmony",
          "Blue Ocean", "Jade", "Silk Road", "Phoenix", "Dragon Gate", "Lucky Star", "Pearl",
          "Great Wall", "Bright Future", "Spring", "Vast Sea", "Cloud", "Rainbow", "Peak"]


def seller_name(rng: np.random.Generator, di: int, kind: str) -> str:
    """A firm name as the register has them: ``<city> <trade name> [<word>] <kind> Co., Ltd.``.

    Trade names are pinyin pairs (``Hengyu``) so distinct firms rarely share a name.
    """
    a, b, w, c = rng.integers(0, len(_SYLL), 2).tolist() + rng.integers(0, len(_WORDS), 2).tolist()
    word = f" {_WORDS[w]}" if c % 2 else ""
    return f"{DISTRICTS[di][3]} {_SYLL[a]}{_SYLL[b].lower()}{word} {kind} Co., Ltd."


def build_cast(cfg: GenConfig, rng: np.random.Generator, start: date) -> Cast:
    """Create the benign registers for a world of ``cfg.declarations`` declarations."""
    reg = Registry()
    old = date(2012, 1, 1)
    cast = Cast(reg, None, None)  # type: ignore[arg-type]
    n_imp = max(20, int(cfg.declarations * 0.3 / 400))
    n_exp = max(40, int(cfg.declarations * 0.7 / 300))
    cast.faces = _Faces(rng, n_imp + n_exp * 2 + 100)
    for name, pre, di in [("Tmall Global", "TM", 0), ("JD Worldwide", "JD", 5),
                          ("Kaola", "KL", 0), ("Douyin Global", "DY", 5),
                          ("Pinduoduo Global", "PD", 2)]:
        cast.ebp_prefix[cast.faces.firm(reg, f"{name} Platform Co., Ltd.", "ebp", di, old,
                              credit="aeo_advanced")] = pre
    for name, pre, di in [("AliExpress", "AE", 0), ("Temu", "TE", 3), ("SHEIN", "SH", 3),
                          ("TikTok Shop", "TT", 4), ("Amazon Global Selling", "AM", 4)]:
        cast.ebp_prefix[cast.faces.firm(reg, f"{name} Export Co., Ltd.", "ebp", di, old,
                              credit="aeo_advanced")] = pre
    ebp_ids = list(cast.ebp_prefix)
    for name, pre, kind in [("SF Express", "SF", "xi"), ("YTO Express", "YT", "xi"),
                            ("ZTO Express", "ZT", "xi"), ("JD Logistics", "JDL", "xi"),
                            ("4PX Express", "4PX", "xe"), ("YunExpress", "YUN", "xe"),
                            ("Cainiao Global", "LP", "xe"), ("DHL China", "DH", "xe"),
                            ("China Post", "EA", "post"),
                            ("Lianyun Cross-border Trucking", "TRK", "truck"),
                            ("Xinjiang Silk Road Trucking", "XJT", "truck")]:
        i = cast.faces.firm(reg, f"{name} Co., Ltd.", "logistics", int(rng.integers(0, 6)), old,
                  credit="aeo_general")
        cast.logi_prefix[i] = pre
        {"xi": cast.express_imp, "xe": cast.express_exp, "post": cast.postal,
         "truck": cast.trucks}[kind].append(i)
    for name in ["Alipay", "Tenpay", "UnionPay Online"]:
        cast.pay_imp.append(cast.faces.firm(reg, f"{name} Payment Co., Ltd.", "payment", 0, old,
                                  credit="aeo_general"))
    # small licensed payment firms and express carriers: honest clients, and the kind of
    # provider a complicit insider works at (T9)
    for name in ["Xunfu", "Jiefu", "Huifu"]:
        i = cast.faces.firm(reg, f"{name} Payment Co., Ltd.", "payment", 4,
                            _rand_date(rng, date(2015, 1, 1), date(2022, 1, 1)))
        cast.pay_imp.append(i)
        cast.small_payfirms.append(i)
    for name, pre in [("Suda Express", "SD"), ("Feichi Express", "FC"), ("Jietu Express", "JT"),
                      ("Hongyun Express", "HY")]:
        i = cast.faces.firm(reg, f"{name} Co., Ltd.", "logistics", int(rng.integers(0, 6)),
                            _rand_date(rng, date(2014, 1, 1), date(2022, 1, 1)))
        cast.logi_prefix[i] = pre
        cast.express_imp.append(i)
        cast.small_carriers.append(i)
    for name in ["PingPong", "LianLian Global", "Payoneer China"]:
        cast.pay_exp.append(cast.faces.firm(reg, f"{name} Payment Co., Ltd.", "payment", 0, old))
    n_agents = max(8, int(30 * cfg.scale ** 0.5))
    for _ in range(n_agents):
        di = int(rng.integers(0, len(DISTRICTS)))
        cast.agents.append(cast.faces.firm(reg, seller_name(rng, di, "Customs Brokerage"), "agent",
                                 di, _rand_date(rng, old, date(2023, 1, 1)), grouped=True))
    cast.imp = _sellers(cast, rng, n_imp, "I", start, ebp_ids[:5])
    cast.exp = _sellers(cast, rng, n_exp, "E", start, ebp_ids[5:])
    from synthetic.households import add_households
    add_households(cast, rng, cfg)
    _reps_who_shop(cast, rng)
    return cast


def _reps_who_shop(cast: Cast, rng: np.random.Generator) -> None:
    """Some legal representatives are online shoppers too: their ID is in the persons
    register (as it is for anyone, honest or not, who ever imported under their name)."""
    reg = cast.reg
    sellers = np.concatenate([cast.imp.ent, cast.exp.ent])
    pick = sellers[rng.random(len(sellers)) < 0.3]
    plain = [r for r in cast.person_first_ref[rng.choice(len(cast.person_first_ref),
                                                         len(pick) * 2)].tolist()
             if reg.p_id[r] == reg.p_id_raw[r]]
    by_rep: dict[str, list[int]] = {}
    for i, e in enumerate(reg.ent):
        by_rep.setdefault(e["legal_rep_id_number"], []).append(i)
    orig = [e["legal_rep_id_number"] for e in reg.ent]
    for e, r in zip(pick.tolist(), plain, strict=False):
        for j in by_rep[orig[e]]:   # the whole group's rep
            reg.ent[j]["legal_rep_name"] = reg.p_name[r]
            reg.ent[j]["legal_rep_id_number"] = reg.p_id_raw[r]


def _sellers(cast: Cast, rng: np.random.Generator, n: int, side: str, start: date,
             ebps: list[int]) -> Sellers:
    reg = cast.reg
    pool = IMPORT_ITEMS if side == "I" else np.setdiff1d(EXPORT_ITEMS, TOY_ITEMS)
    ent, look, items = [], [], []
    for k in range(n):
        di = int(rng.integers(0, len(DISTRICTS)))
        # some honest sellers are new too: CBEC sellers come and go (~1 in 6 opened within
        # a few months of the extract)
        new = rng.random() < 0.16
        since = (_rand_date(rng, start - timedelta(days=80), start + timedelta(days=60)) if new
                 else _rand_date(rng, date(2014, 1, 1), date(2024, 6, 1)))
        kind = "Trading" if side == "I" else ("E-commerce", "Trading", "Technology")[k % 3]
        roles = "ebc" if side == "I" or k % 3 else "ebc|producer"
        u = rng.random()   # a few honest sellers are penalised (fined, still trading) or
        status = "penalised" if u < 0.04 else ("dormant" if u < 0.09 else "active")
        i = cast.faces.firm(reg, seller_name(rng, di, kind), roles, di, since, grouped=True,
                            status=status)   # marked dormant while they trade (register lag)
        if k == 0 or rng.random() < 0.03:  # the same firm registered again, name variant
            e = reg.ent[i]
            reg.add_enterprise(enterprise_name_variant(e["enterprise_name"]), roles,
                               DISTRICTS[di][3], e["customs_district"], registered=since,
                               legal_rep=(e["legal_rep_name"], e["legal_rep_id_number"]),
                               telephone=e["telephone"], address=e["address"],
                               true_id=reg.ent_true[i], status="dormant")
        ent.append(i)
        look.append(0)
        items.append(rng.choice(pool, 4))
    if side == "E":  # the look-alikes of the POP MART case
        for name, di in [("Beijing Pop Mart Cultural & Creative Co., Ltd.", 5),
                         ("Pop Mart (Shenzhen) International Trading Co., Ltd.", 4)]:
            i = cast.faces.firm(reg, name, "ebc|producer", di, date(2016, 5, 10),
                      credit="aeo_advanced")
            cast.popmart.append(i)
            ent.append(i)
            look.append(_LOOK["legit_popmart"])
            items.append(np.array([item_index("labubu"), item_index("skullpanda")] * 2))
        for j in range(max(8, len(ent) // 12)):
            di = int(rng.choice([10, 11, 4, 0]))  # Yiwu, Shantou, Shenzhen, Hangzhou: toy towns
            kind = str(rng.choice(["Toys", "Trading", "E-commerce", "Technology"]))
            new = rng.random() < 0.3   # new toy shops open all the time
            since = (_rand_date(rng, start - timedelta(days=80), start + timedelta(days=120))
                     if new else _rand_date(rng, date(2010, 1, 1), date(2024, 6, 1)))
            i = cast.faces.firm(reg, seller_name(rng, di, kind),
                                "ebc|producer" if j % 2 else "ebc", di, since, grouped=True)
            cast.toy_exporters.append(i)
            ent.append(i)
            look.append(_LOOK["unbranded_toy_exporter"])
            items.append(rng.choice(TOY_ITEMS, 4, p=_TOY_P))
    m = len(ent)
    # heavy-tailed seller sizes, but no single seller above 4 % of its side's volume
    w = rng.pareto(1.3, m) + 0.2
    for _ in range(3):
        w = np.minimum(w / w.sum(), 0.04)
    look_a = np.array(look, np.int8)
    if side == "E":  # fix look-alike volumes: POP MART ~1 %, toy exporters ~16 % of exports
        # (toys and hobby goods are among the largest CBEC export categories; Yiwu and
        # Shantou workshops ship them by the million)
        w = w / w[look_a == 0].sum()
        pm, toy = look_a == _LOOK["legit_popmart"], look_a == _LOOK["unbranded_toy_exporter"]
        w[pm] = 0.01 / pm.sum()
        wt = rng.pareto(1.5, toy.sum()) + 0.3
        w[toy] = 0.16 * wt / wt.sum()
    carriers = (cast.express_imp + cast.postal) if side == "I" else (
        cast.express_exp + cast.postal + cast.trucks)
    p_exp = np.array(list(EXPORT_SHARES.values()))
    top = np.stack([rng.choice(len(COUNTRIES), 3, replace=False, p=p_exp / p_exp.sum())
                    for _ in range(m)])
    # import sellers with their own mini-shop (links outside the platform), and payments
    # collected by the platform or by the operator's own account instead of the seller
    p_link = np.where((side == "I") & (rng.random(m) < 0.18), rng.uniform(0.3, 0.9, m), 0.0)
    # mini-shops on every outside host in turn, so each host has honest sellers too
    host = 1 + (np.cumsum(p_link > 0) + rng.integers(1, len(LINK_HOSTS), m)[0]) % (
        len(LINK_HOSTS) - 1)
    payee = np.full(m, -1)
    p_payee = np.zeros(m)
    if side == "I":
        for j in np.flatnonzero(rng.random(m) < 0.25):
            if p_link[j] > 0 or rng.random() < 0.3:   # the operator's account
                nm, pid = names(rng, 1)[0], str(resident_ids(rng, 1)[0])
                kind = "personal" if rng.random() < 0.8 else "business"
            else:                                      # the platform collects
                plat = int(rng.choice(ebps))
                nm, pid, kind = reg.ent[plat]["enterprise_name"], reg.ent[plat]["uscc"], \
                    "business"
            pe = int(rng.choice(cast.pay_imp[:3]))
            payee[j] = reg.add_account(reg.code(pe), str(rng.integers(10**15, 10**16)), nm, pid,
                                       kind, _rand_date(rng, date(2015, 1, 1),
                                                        date(2024, 1, 1)), pay_ent=pe)
            p_payee[j] = rng.uniform(0.5, 1.0)
    owner = np.where(np.array([("producer" in reg.ent[e]["roles"]) for e in ent]),
                     np.array(ent), -1)
    return Sellers(
        ent=np.array(ent), weight=w / w.sum(), items=np.array(items), look=look_a,
        price_f=rng.uniform(0.7, 1.25, m), ebp=rng.choice(ebps, m),
        logi=np.array([rng.choice(carriers, 2) for _ in range(m)]),
        agent=rng.choice(cast.agents, m),
        payfirm=rng.choice(cast.pay_imp if side == "I" else cast.pay_exp, m),
        district=np.array([_district_of(reg, e) for e in ent]), top_country=top,
        p_top=np.where(look_a == _LOOK["legit_popmart"], rng.beta(1.2, 4.0, m),
                       np.where(look_a > 0, rng.beta(4.0, 2.0, m), rng.beta(1.5, 2.5, m))),
        owner=owner, p_link=p_link, link_host=host, p_payee=p_payee, payee=payee)


def _district_of(reg: Registry, e: int) -> int:
    code = reg.ent[e]["customs_district"]
    return next(i for i, d in enumerate(DISTRICTS) if d[0] == code)
